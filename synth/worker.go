package synth

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"
)

// FrameRenderer turns a label map and a style vector into a photo. The
// worker renders through this interface so that it can be driven by the
// real generator (*Renderer) or by a fake in tests. Render must return
// promptly (with ctx.Err() or any error) once ctx is cancelled: that is how a
// superseded frame stops wasting the CPU.
type FrameRenderer interface {
	Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error
}

// The generator's renderer is what the worker drives in the app.
var _ FrameRenderer = (*Renderer)(nil)

// Request is one frame to render. It is an immutable snapshot: the caller
// must not modify Labels or Style after Submit, since the worker reads them
// on its own goroutine.
type Request struct {
	// Version orders requests; a request is only worth rendering while no
	// request with a larger Version has been submitted.
	Version uint64
	Labels  *image.Paletted
	Style   []float32
}

// Result is one rendered frame, or the error that stopped it.
type Result struct {
	Version uint64
	// Image is nil when Err is set. It belongs to the receiver until it is
	// handed back with (*Worker).Release; the worker then reuses it for a
	// later frame, which is what keeps steady-state rendering free of
	// allocation. Not releasing it is safe, only slower.
	Image   *image.RGBA
	Elapsed time.Duration
	Err     error
}

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	// Size is the size of the output images. Zero means the size of each
	// request's label map.
	Size image.Point
	// OnResult receives every frame that is still current when it is done,
	// and every error other than cancellation. It is called on the worker's
	// goroutine, one call at a time; a UI wraps its widget update in its
	// toolkit's "run on the UI thread" call. It may call Submit and Release.
	OnResult func(Result)
	// OnStart, if set, is called on the worker's goroutine just before a
	// request starts rendering (for a progress indicator).
	OnStart func(version uint64)
}

// Worker renders the newest submitted Request on one goroutine, owned by
// whoever calls Run. Submit never blocks; a newer request cancels the frame
// in flight; frames that are stale when they finish are dropped.
type Worker struct {
	r    FrameRenderer
	opts WorkerOptions
	wake chan struct{} // capacity 1: "pending may hold a request"

	mu       sync.Mutex
	pending  *Request
	newest   uint64 // largest Version submitted so far
	anySeen  bool   // whether newest is meaningful
	running  bool
	cancel   context.CancelFunc // cancels the frame in flight; nil when idle
	runVer   uint64             // Version of the frame in flight
	free     []*image.RGBA      // released buffers, at most maxFree
	runState int                // 0 never run, 1 running, 2 finished
}

// maxFree is how many released output buffers the worker keeps: one being
// displayed by the receiver and one being rendered into.
const maxFree = 2

// ErrWorkerRunning is returned by Run when the worker is already running or
// has finished: a Worker runs once.
var ErrWorkerRunning = errors.New("synth: worker: Run called twice")

// NewWorker returns a worker that renders with r. Call Run to start it.
func NewWorker(r FrameRenderer, opts WorkerOptions) *Worker {
	return &Worker{r: r, opts: opts, wake: make(chan struct{}, 1)}
}

// Submit queues req, replacing any request not yet started, and cancels the
// frame in flight if req is newer. It never blocks. A request whose Version
// is not larger than one already submitted is ignored and Submit reports
// false.
func (w *Worker) Submit(req Request) bool {
	w.mu.Lock()
	if w.anySeen && req.Version <= w.newest {
		w.mu.Unlock()
		return false
	}
	w.anySeen = true
	w.newest = req.Version
	r := req
	w.pending = &r
	if w.cancel != nil && w.runVer < req.Version {
		w.cancel()
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already queued; it will find the new request
	}
	return true
}

// Busy reports whether a frame is being rendered or waiting to be.
func (w *Worker) Busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running || w.pending != nil
}

// Newest returns the largest Version submitted so far.
func (w *Worker) Newest() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.newest
}

// Release hands a Result's Image back for reuse. The caller must not touch
// img afterwards. Releasing nil is a no-op.
func (w *Worker) Release(img *image.RGBA) {
	if img == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range w.free {
		if f == img {
			return // released twice: keep one reference only
		}
	}
	if len(w.free) < maxFree {
		w.free = append(w.free, img)
	}
}

// buffer returns an output image of the given size, reusing a released one
// when possible. Called with w.mu held.
func (w *Worker) buffer(size image.Point) *image.RGBA {
	for i := len(w.free) - 1; i >= 0; i-- {
		b := w.free[i]
		w.free = append(w.free[:i], w.free[i+1:]...)
		if b.Rect.Size() == size && b.Rect.Min == (image.Point{}) {
			return b
		}
		// Wrong size (the document or model changed): let it be collected.
	}
	return image.NewRGBA(image.Rectangle{Max: size})
}

// Run renders requests until ctx ends, then returns ctx's error once the
// frame in flight (if any) has returned. No goroutine started by the worker
// outlives Run. Run may be called only once.
func (w *Worker) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.runState != 0 {
		w.mu.Unlock()
		return ErrWorkerRunning
	}
	w.runState = 1
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.runState = 2
		w.running = false
		w.mu.Unlock()
	}()

	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.wake:
		}
		w.mu.Lock()
		req := w.pending
		w.pending = nil
		if req == nil {
			w.mu.Unlock()
			continue
		}
		size := w.opts.Size
		if size == (image.Point{}) && req.Labels != nil {
			size = req.Labels.Rect.Size()
		}
		dst := w.buffer(size)
		fctx, cancel := context.WithCancel(ctx)
		w.cancel, w.runVer, w.running = cancel, req.Version, true
		w.mu.Unlock()

		if w.opts.OnStart != nil {
			w.opts.OnStart(req.Version)
		}
		start := time.Now()
		err := w.render(fctx, req, dst)
		elapsed := time.Since(start)
		cancelled := fctx.Err() != nil
		cancel()

		w.mu.Lock()
		w.cancel, w.running = nil, false
		stale := req.Version < w.newest
		w.mu.Unlock()

		if ctx.Err() != nil {
			return ctx.Err()
		}
		if stale || (err != nil && cancelled) {
			// Superseded: a newer request is pending (or about to be), and
			// this frame is worth nothing.
			w.Release(dst)
			continue
		}
		if err != nil {
			w.Release(dst)
			dst = nil
		}
		if w.opts.OnResult != nil {
			w.opts.OnResult(Result{Version: req.Version, Image: dst, Elapsed: elapsed, Err: err})
		}
	}
}

// render calls the renderer, turning a panic into an error: a bug in a
// generator must show up as a message in the UI, not kill the painting.
func (w *Worker) render(ctx context.Context, req *Request, dst *image.RGBA) (err error) {
	if req.Labels == nil {
		return errors.New("synth: worker: request has no label map")
	}
	defer func() {
		if p := recover(); p != nil {
			err = &renderPanic{v: p}
		}
	}()
	return w.r.Render(ctx, req.Labels, req.Style, dst)
}

type renderPanic struct{ v any }

func (p *renderPanic) Error() string {
	return fmt.Sprintf("synth: renderer panicked: %v", p.v)
}
