package synth

import (
	"context"
	"errors"
	"image"
	"image/color"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakeRenderer paints dst with a grey level equal to the first label id and
// can be made to block until released or cancelled.
type fakeRenderer struct {
	mu        sync.Mutex
	started   chan uint8    // label id of each frame as it starts
	gate      chan struct{} // when non-nil, Render waits for a receive on it
	obeyCtx   bool          // whether a blocked Render returns on ctx cancel
	cancelled int
	err       error
	panicWith any
}

func (f *fakeRenderer) Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error {
	id := labels.Pix[0]
	if f.started != nil {
		f.started <- id
	}
	if f.gate != nil {
		if f.obeyCtx {
			select {
			case <-f.gate:
			case <-ctx.Done():
				f.mu.Lock()
				f.cancelled++
				f.mu.Unlock()
				return ctx.Err()
			}
		} else {
			<-f.gate
		}
	}
	if f.panicWith != nil {
		panic(f.panicWith)
	}
	if f.err != nil {
		return f.err
	}
	for i := 0; i < len(dst.Pix); i += 4 {
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = id, id, id, 255
	}
	return nil
}

// labelsOf returns a 4×4 label map filled with id, so each request's
// rendering is recognisable.
func labelsOf(id uint8) *image.Paletted {
	p := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black})
	for i := range p.Pix {
		p.Pix[i] = id
	}
	return p
}

// collector gathers results delivered by the worker.
type collector struct {
	mu  sync.Mutex
	res []Result
	ch  chan Result
}

func newCollector() *collector { return &collector{ch: make(chan Result, 100)} }

func (c *collector) on(r Result) {
	c.mu.Lock()
	c.res = append(c.res, r)
	c.mu.Unlock()
	c.ch <- r
}

func (c *collector) next(t *testing.T) Result {
	t.Helper()
	select {
	case r := <-c.ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no result within 5s")
	}
	return Result{}
}

func (c *collector) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case r := <-c.ch:
		t.Fatalf("unexpected result: version %d err %v", r.Version, r.Err)
	case <-time.After(d):
	}
}

// startWorker runs w on a goroutine and returns a stop function that ends it
// and checks that Run returned.
func startWorker(t *testing.T, w *Worker) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

func TestWorkerRendersAndDelivers(t *testing.T) {
	f := &fakeRenderer{}
	c := newCollector()
	w := NewWorker(f, WorkerOptions{OnResult: c.on})
	stop := startWorker(t, w)
	defer stop()

	w.Submit(Request{Version: 1, Labels: labelsOf(7)})
	r := c.next(t)
	if r.Err != nil || r.Version != 1 || r.Image == nil {
		t.Fatalf("got version %d err %v image %v", r.Version, r.Err, r.Image != nil)
	}
	if r.Image.Bounds() != image.Rect(0, 0, 4, 4) || r.Image.Pix[0] != 7 {
		t.Fatalf("image bounds %v pix0 %d", r.Image.Bounds(), r.Image.Pix[0])
	}
}

func TestWorkerNewestWinsAndDropsStale(t *testing.T) {
	// The renderer ignores cancellation, so frame 1 finishes although 2..4
	// were submitted while it ran: its result is stale and must be dropped;
	// 2 and 3 are never rendered; 4 is delivered.
	f := &fakeRenderer{started: make(chan uint8, 10), gate: make(chan struct{})}
	c := newCollector()
	w := NewWorker(f, WorkerOptions{OnResult: c.on})
	stop := startWorker(t, w)
	defer stop()

	w.Submit(Request{Version: 1, Labels: labelsOf(1)})
	if got := <-f.started; got != 1 {
		t.Fatalf("first frame started with %d", got)
	}
	for v := uint64(2); v <= 4; v++ {
		w.Submit(Request{Version: v, Labels: labelsOf(uint8(v))})
	}
	f.gate <- struct{}{} // finish frame 1 (stale now)
	if got := <-f.started; got != 4 {
		t.Fatalf("second frame rendered %d, want the newest (4)", got)
	}
	f.gate <- struct{}{}
	r := c.next(t)
	if r.Version != 4 || r.Image.Pix[0] != 4 {
		t.Fatalf("delivered version %d (pix %d), want 4", r.Version, r.Image.Pix[0])
	}
	c.none(t, 50*time.Millisecond)
}

func TestWorkerCancelsSupersededFrame(t *testing.T) {
	f := &fakeRenderer{started: make(chan uint8, 10), gate: make(chan struct{}), obeyCtx: true}
	c := newCollector()
	w := NewWorker(f, WorkerOptions{OnResult: c.on})
	stop := startWorker(t, w)
	defer stop()

	w.Submit(Request{Version: 1, Labels: labelsOf(1)})
	<-f.started
	w.Submit(Request{Version: 2, Labels: labelsOf(2)}) // cancels frame 1
	if got := <-f.started; got != 2 {
		t.Fatalf("after cancel, started %d, want 2", got)
	}
	f.gate <- struct{}{}
	r := c.next(t)
	if r.Version != 2 || r.Err != nil {
		t.Fatalf("got version %d err %v, want 2 and no error", r.Version, r.Err)
	}
	f.mu.Lock()
	n := f.cancelled
	f.mu.Unlock()
	if n != 1 {
		t.Fatalf("renderer saw %d cancellations, want 1", n)
	}
	c.none(t, 50*time.Millisecond) // the cancelled frame produced nothing
}

func TestWorkerIgnoresOldVersions(t *testing.T) {
	w := NewWorker(&fakeRenderer{}, WorkerOptions{})
	if !w.Submit(Request{Version: 5, Labels: labelsOf(1)}) {
		t.Fatal("first submit refused")
	}
	if w.Submit(Request{Version: 5, Labels: labelsOf(1)}) || w.Submit(Request{Version: 3, Labels: labelsOf(1)}) {
		t.Fatal("submit of a version not newer than 5 accepted")
	}
	if w.Newest() != 5 {
		t.Fatalf("Newest = %d", w.Newest())
	}
}

func TestWorkerSubmitNeverBlocks(t *testing.T) {
	// No Run at all: Submit must still return at once, however often.
	w := NewWorker(&fakeRenderer{}, WorkerOptions{})
	done := make(chan struct{})
	go func() {
		for v := uint64(1); v <= 10000; v++ {
			w.Submit(Request{Version: v, Labels: labelsOf(1)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Submit blocked")
	}
	if !w.Busy() {
		t.Fatal("Busy() = false with a pending request")
	}
}

func TestWorkerDeliversErrors(t *testing.T) {
	tests := []struct {
		name string
		f    *fakeRenderer
		want string
	}{
		{"error", &fakeRenderer{err: errors.New("boom")}, "boom"},
		{"panic", &fakeRenderer{panicWith: "kaput"}, "synth: renderer panicked: kaput"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector()
			w := NewWorker(tc.f, WorkerOptions{OnResult: c.on})
			stop := startWorker(t, w)
			defer stop()
			w.Submit(Request{Version: 1, Labels: labelsOf(1)})
			r := c.next(t)
			if r.Err == nil || r.Err.Error() != tc.want || r.Image != nil {
				t.Fatalf("got err %v image %v, want %q and no image", r.Err, r.Image != nil, tc.want)
			}
			// The worker survives an error and renders the next request.
			tc.f.err, tc.f.panicWith = nil, nil
			w.Submit(Request{Version: 2, Labels: labelsOf(2)})
			if r := c.next(t); r.Err != nil || r.Version != 2 {
				t.Fatalf("after error: version %d err %v", r.Version, r.Err)
			}
		})
	}
	t.Run("nil labels", func(t *testing.T) {
		c := newCollector()
		w := NewWorker(&fakeRenderer{}, WorkerOptions{OnResult: c.on})
		stop := startWorker(t, w)
		defer stop()
		w.Submit(Request{Version: 1})
		if r := c.next(t); r.Err == nil {
			t.Fatal("no error for a request without labels")
		}
	})
}

func TestWorkerReusesReleasedBuffers(t *testing.T) {
	c := newCollector()
	w := NewWorker(&fakeRenderer{}, WorkerOptions{OnResult: c.on, Size: image.Pt(8, 2)})
	stop := startWorker(t, w)
	defer stop()

	seen := map[*image.RGBA]bool{}
	var shown *image.RGBA
	for v := uint64(1); v <= 10; v++ {
		w.Submit(Request{Version: v, Labels: labelsOf(uint8(v))})
		r := c.next(t)
		if r.Image.Bounds() != image.Rect(0, 0, 8, 2) {
			t.Fatalf("Size option ignored: bounds %v", r.Image.Bounds())
		}
		seen[r.Image] = true
		// Display the new frame, hand back the previous one, like the UI.
		w.Release(shown)
		shown = r.Image
	}
	if len(seen) > 2 {
		t.Fatalf("%d distinct buffers for 10 frames, want double buffering (2)", len(seen))
	}
}

func TestWorkerShutdownLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	f := &fakeRenderer{started: make(chan uint8, 10), gate: make(chan struct{}), obeyCtx: true}
	w := NewWorker(f, WorkerOptions{OnResult: func(Result) { t.Error("result delivered after shutdown") }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	w.Submit(Request{Version: 1, Labels: labelsOf(1)})
	<-f.started // a frame is in flight when we shut down
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if w.Busy() {
		t.Fatal("Busy after shutdown")
	}
	if err := w.Run(context.Background()); !errors.Is(err, ErrWorkerRunning) {
		t.Fatalf("second Run = %v, want ErrWorkerRunning", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after shutdown, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWorkerConcurrentSubmit hammers Submit from several goroutines while
// frames render; run with -race. Whatever happens, the last result delivered
// is the newest version.
func TestWorkerConcurrentSubmit(t *testing.T) {
	c := newCollector()
	c.ch = make(chan Result, 100000)
	w := NewWorker(&fakeRenderer{}, WorkerOptions{OnResult: c.on})
	stop := startWorker(t, w)

	var mu sync.Mutex
	var v uint64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				mu.Lock()
				v++
				req := Request{Version: v, Labels: labelsOf(uint8(v))}
				mu.Unlock()
				w.Submit(req)
			}
		}()
	}
	wg.Wait()
	final := w.Newest()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case r := <-c.ch:
			if r.Version == final {
				stop()
				return
			}
		case <-deadline:
			stop()
			t.Fatalf("newest version %d never delivered", final)
		}
	}
}

// TestWorkerWithSynthRenderer drives the real generator (a small random
// model) through the worker: the delivered frame equals a direct Render, and
// a burst of submissions ends with the newest frame.
func TestWorkerWithSynthRenderer(t *testing.T) {
	cfg := Config{LabelNC: 4, NoInstance: true, NGF: 2, NHidden: 4,
		NormG: "spectralspadebatch3x3", NormE: "spectralinstance", NumUpsamplingLayers: "normal",
		CropSize: 64, AspectRatio: 1, ZDim: 8}
	m, err := RandomModel(cfg, false, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	w, h := m.Size()
	r, err := NewRenderer(m, w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	labels := image.NewPaletted(image.Rect(0, 0, 2*w, 2*h), color.Palette{color.Black})
	for i := range labels.Pix {
		labels.Pix[i] = uint8(i / (2 * w) * 4 / (2 * h)) // four horizontal bands
	}
	c := newCollector()
	wk := NewWorker(r, WorkerOptions{OnResult: c.on, Size: image.Pt(w, h)})
	stop := startWorker(t, wk)
	for v := uint64(1); v <= 5; v++ {
		wk.Submit(Request{Version: v, Labels: labels})
	}
	var got Result
	for got.Version != 5 {
		got = c.next(t)
		if got.Err != nil {
			t.Fatal(got.Err)
		}
	}
	stop()

	r2, err := NewRenderer(m, w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := image.NewRGBA(image.Rect(0, 0, w, h))
	if err := r2.Render(context.Background(), labels, nil, want); err != nil {
		t.Fatal(err)
	}
	if string(want.Pix) != string(got.Image.Pix) {
		t.Fatal("worker frame differs from a direct render")
	}
}
