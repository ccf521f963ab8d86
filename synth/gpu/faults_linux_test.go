//go:build linux && cgo

package gpu

import (
	"context"
	"errors"
	"image"
	"strings"
	"testing"
	"time"

	"spadework/synth"
)

// TestFaults injects each failure the GPU path can meet and checks that it
// surfaces as the documented error, without a crash, and that Open("auto")
// then hands back a working CPU renderer with the reason.
func TestFaults(t *testing.T) {
	needGL(t)
	f := loadFixture(t, "fixture_a")
	m := f.m
	w, h := m.Size()
	labels := f.labels(t, "labels")
	z := f.tensor(t, "z").Data
	ctx := context.Background()

	want := image.NewRGBA(image.Rect(0, 0, w, h))
	cpu, err := synth.NewRenderer(m, w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cpu.Render(ctx, labels, z, want); err != nil {
		t.Fatal(err)
	}
	cpu.Close()

	defer func() { fault = "" }()
	for _, tc := range []struct {
		fault string
		err   error
	}{
		{faultContext, ErrUnavailable},
		{faultExtension, ErrUnavailable},
		{faultCompile, ErrShader},
		{faultOOM, ErrOutOfMemory},
	} {
		fault = tc.fault
		r, err := New(ctx, m, w, h)
		if !errors.Is(err, tc.err) {
			if r != nil {
				r.Close()
			}
			t.Fatalf("fault %s: New error %v, want %v", tc.fault, err, tc.err)
		}
		t.Logf("fault %-9s: %v", tc.fault, err)
		b, used, reason, err := Open(ctx, m, w, h, DeviceAuto, Options{})
		if err != nil || used != DeviceCPU || !strings.Contains(reason, tc.err.Error()) {
			t.Fatalf("fault %s: Open(auto) = %s, %q, %v", tc.fault, used, reason, err)
		}
		got := image.NewRGBA(image.Rect(0, 0, w, h))
		if err := b.Render(ctx, labels, z, got); err != nil {
			t.Fatal(err)
		}
		b.Close()
		if string(got.Pix) != string(want.Pix) {
			t.Errorf("fault %s: fallback image differs from the CPU renderer's", tc.fault)
		}
		if _, _, _, err := Open(ctx, m, w, h, DeviceGPU, Options{}); !errors.Is(err, tc.err) {
			t.Errorf("fault %s: Open(gpu) error %v, want %v", tc.fault, err, tc.err)
		}
	}

	// A context lost during a frame: Render fails with ErrContextLost, the
	// renderer stays dead, and an auto backend re-renders on the CPU.
	fault = ""
	r, err := New(ctx, m, w, h)
	if err != nil {
		t.Fatal(err)
	}
	fault = faultLost
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if err := r.Render(ctx, labels, z, dst); !errors.Is(err, ErrContextLost) {
		t.Fatalf("lost context: Render error %v", err)
	}
	fault = ""
	if err := r.Render(ctx, labels, z, dst); !errors.Is(err, ErrContextLost) {
		t.Fatalf("after a lost context: Render error %v", err)
	}
	r.Close()
	if err := r.Render(ctx, labels, z, dst); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: Render error %v", err)
	}

	var reason string
	b, used, _, err := Open(ctx, m, w, h, DeviceAuto, Options{OnFallback: func(why string) { reason = why }})
	if err != nil || used != DeviceGPU {
		t.Fatalf("Open(auto) = %s, %v", used, err)
	}
	defer b.Close()
	fault = faultLost
	got := image.NewRGBA(image.Rect(0, 0, w, h))
	if err := b.Render(ctx, labels, z, got); err != nil {
		t.Fatalf("auto backend after a lost context: %v", err)
	}
	fault = ""
	if !strings.Contains(reason, "context lost") || string(got.Pix) != string(want.Pix) {
		t.Errorf("auto fallback: reason %q, image equal %v", reason, string(got.Pix) == string(want.Pix))
	}
	t.Logf("auto fallback: %s", reason)
}

func TestOpenDevices(t *testing.T) {
	f := loadFixture(t, "fixture_a")
	w, h := f.m.Size()
	ctx := context.Background()
	b, used, reason, err := Open(ctx, f.m, w, h, DeviceCPU, Options{Threads: 1})
	if err != nil || used != DeviceCPU {
		t.Fatalf("Open(cpu) = %s, %q, %v", used, reason, err)
	}
	b.Close()
	if _, _, _, err := Open(ctx, f.m, w, h, "tpu", Options{}); err == nil {
		t.Fatal("Open(tpu) succeeded")
	}
	b, used, reason, err = Open(ctx, f.m, w, h, DeviceAuto, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	t.Logf("auto: %s (%s)", used, reason)
	if _, perr := Probe(); perr == nil && used != DeviceGPU {
		t.Errorf("Probe works but auto chose %s: %s", used, reason)
	}
}

func TestRenderErrors(t *testing.T) {
	needGL(t)
	f := loadFixture(t, "fixture_a")
	w, h := f.m.Size()
	ctx := context.Background()
	r, err := New(ctx, f.m, w, h)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	labels := f.labels(t, "labels")
	z := f.tensor(t, "z").Data
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	bad := f.labels(t, "labels")
	bad.Pix[5] = 200
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for name, err := range map[string]error{
		"unknown id":  r.Render(ctx, bad, z, dst),
		"short z":     r.Render(ctx, labels, z[:3], dst),
		"wrong dst":   r.Render(ctx, labels, z, image.NewRGBA(image.Rect(0, 0, w+1, h))),
		"nil labels":  r.Render(ctx, nil, z, dst),
		"nil dst":     r.Render(ctx, labels, z, nil),
		"empty label": r.Render(ctx, &image.Paletted{}, z, dst),
		"short dst":   r.Render(ctx, labels, z, &image.RGBA{Rect: dst.Rect, Stride: 4 * w, Pix: make([]byte, 10)}),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if err := r.Render(cancelled, labels, z, dst); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if !errors.Is(r.Render(ctx, bad, z, dst), synth.ErrUnknownLabel) {
		t.Errorf("unknown id error does not wrap synth.ErrUnknownLabel")
	}
	if _, err := New(ctx, f.m, w*2, h); err == nil {
		t.Errorf("New at a non-native size of a VAE model succeeded")
	}
	// The renderer still works after the errors, and without allocating.
	if err := r.Render(ctx, labels, z, dst); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(3, func() {
		if err := r.Render(ctx, labels, z, dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("Render allocates %.1f times per frame", allocs)
	}
}

// TestCancelMidFrame: a frame cancelled while it runs stops within a
// dispatch or two with ctx.Err(), and the renderer renders the next frame.
func TestCancelMidFrame(t *testing.T) {
	needGL(t)
	cfg := defaultConfig()
	cfg.CropSize = 64
	m := randomModel(t, cfg, 1)
	w, h := m.Size()
	r, err := New(context.Background(), m, w, h)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	labels := paintLabels(w, h, 34, 1)
	z := synth.RandomStyle(1, cfg.ZDim)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	t0 := time.Now()
	if err := r.Render(context.Background(), labels, z, dst); err != nil {
		t.Fatal(err)
	}
	frame := time.Since(t0)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(frame / 4)
		cancel()
	}()
	t0 = time.Now()
	err = r.Render(ctx, labels, z, dst)
	took := time.Since(t0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled frame: %v after %v (a frame takes %v)", err, took, frame)
	}
	t.Logf("frame %v; cancelled after %v, returned after %v", frame, frame/4, took)
	if err := r.Render(context.Background(), labels, z, dst); err != nil {
		t.Fatal(err)
	}
}

// TestWorker drives the GPU renderer from synth's render worker, as the app
// does: newer requests supersede older ones, results carry the image.
func TestWorker(t *testing.T) {
	needGL(t)
	f := loadFixture(t, "fixture_a")
	w, h := f.m.Size()
	b, used, _, err := Open(context.Background(), f.m, w, h, DeviceAuto, Options{})
	if err != nil || used != DeviceGPU {
		t.Fatalf("Open: %s, %v", used, err)
	}
	defer b.Close()
	results := make(chan synth.Result, 4)
	wk := synth.NewWorker(b, synth.WorkerOptions{OnResult: func(r synth.Result) { results <- r }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- wk.Run(ctx) }()
	labels := f.labels(t, "labels")
	z := f.tensor(t, "z").Data
	for v := uint64(1); v <= 3; v++ {
		wk.Submit(synth.Request{Version: v, Labels: labels, Style: z})
	}
	for {
		r := <-results
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if r.Version == 3 {
			if r.Image == nil || r.Image.Bounds().Dx() != w {
				t.Fatalf("result image %v", r.Image)
			}
			break
		}
	}
	cancel()
	<-done
}
