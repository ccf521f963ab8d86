package gpu

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"

	"spadework/synth"
)

// Device choices for Open (the --device flag).
const (
	DeviceAuto = "auto" // the GPU when OpenGL 4.3 compute works, else the CPU
	DeviceCPU  = "cpu"
	DeviceGPU  = "gpu" // the GPU or an error: no silent fallback
)

// Backend is what either engine offers the render worker: a
// synth.FrameRenderer that holds resources until Close.
type Backend interface {
	synth.FrameRenderer
	Close()
}

// Options tune Open.
type Options struct {
	// Threads is the CPU renderer's goroutine count (< 1 means 1).
	Threads int
	// OnFallback, if set, is told why an "auto" backend moved from the GPU
	// to the CPU after the GPU failed during a frame (lost context, out of
	// memory, a driver error). It is called on the rendering goroutine.
	OnFallback func(reason string)
}

// Open makes a renderer for m at w×h on the requested device ("auto",
// "cpu" or "gpu"; "" means "auto"). used is "gpu" or "cpu"; reason says why
// that device was chosen, in words fit for a log line (for "auto" falling
// back: what failed on the GPU). With "auto" the returned Backend also
// falls back to the CPU by itself if the GPU fails mid-run: the failed
// frame is rendered again on the CPU and OnFallback is told.
func Open(ctx context.Context, m *synth.Model, w, h int, device string, opt Options) (r Backend, used, reason string, err error) {
	switch device {
	case DeviceCPU:
		c, err := synth.NewRenderer(m, w, h, opt.Threads)
		if err != nil {
			return nil, "", "", err
		}
		return c, DeviceCPU, "CPU requested", nil
	case DeviceGPU:
		g, err := New(ctx, m, w, h)
		if err != nil {
			return nil, "", "", err
		}
		return g, DeviceGPU, "GPU requested: " + g.Info(), nil
	case DeviceAuto, "":
		if info, perr := Probe(); perr == nil && IsSoftware(info) && !autoTakesSoftware {
			c, err := synth.NewRenderer(m, w, h, opt.Threads)
			if err != nil {
				return nil, "", "", err
			}
			return c, DeviceCPU, "only a software OpenGL renderer is available (" + info + "); the CPU engine is faster", nil
		}
		g, err := New(ctx, m, w, h)
		if err == nil {
			return &autoBackend{gpu: g, m: m, w: w, h: h, opt: opt}, DeviceGPU, "OpenGL 4.3 compute available: " + g.Info(), nil
		}
		if ctx.Err() != nil {
			return nil, "", "", ctx.Err()
		}
		c, cerr := synth.NewRenderer(m, w, h, opt.Threads)
		if cerr != nil {
			return nil, "", "", cerr
		}
		return c, DeviceCPU, "GPU unavailable, using the CPU: " + err.Error(), nil
	}
	return nil, "", "", fmt.Errorf("gpu: device %q: want auto, cpu or gpu", device)
}

// IsSoftware reports whether a GL renderer description (Probe's info) names
// a software rasterizer. "auto" skips those: Mesa's llvmpipe runs the
// shaders on the CPU two orders of magnitude slower than the CPU engine, so
// it is for tests (-device gpu), not for painting.
func IsSoftware(info string) bool {
	low := strings.ToLower(info)
	for _, s := range []string{"llvmpipe", "softpipe", "swrast", "software rasterizer", "swiftshader", "lavapipe"} {
		if strings.Contains(low, s) {
			return true
		}
	}
	return false
}

// autoTakesSoftware makes "auto" accept a software rasterizer; the tests set
// it so that the fault and fallback paths run on llvmpipe.
var autoTakesSoftware = false

// autoBackend renders on the GPU until the GPU fails, then on the CPU.
type autoBackend struct {
	m    *synth.Model
	w, h int
	opt  Options

	mu  sync.Mutex
	gpu *Renderer
	cpu *synth.Renderer
}

// fatalGPU reports errors after which the GPU renderer cannot continue.
func fatalGPU(err error) bool {
	for _, e := range []error{ErrContextLost, ErrOutOfMemory, ErrShader, ErrUnavailable, ErrDriver} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (a *autoBackend) Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gpu != nil {
		err := a.gpu.Render(ctx, labels, z, dst)
		if err == nil || !fatalGPU(err) {
			return err
		}
		a.gpu.Close()
		a.gpu = nil
		c, cerr := synth.NewRenderer(a.m, a.w, a.h, a.opt.Threads)
		if cerr != nil {
			return fmt.Errorf("%v; CPU fallback: %w", err, cerr)
		}
		a.cpu = c
		if a.opt.OnFallback != nil {
			a.opt.OnFallback("GPU failed, using the CPU: " + err.Error())
		}
	}
	if a.cpu == nil {
		return ErrClosed
	}
	return a.cpu.Render(ctx, labels, z, dst)
}

func (a *autoBackend) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gpu != nil {
		a.gpu.Close()
		a.gpu = nil
	}
	if a.cpu != nil {
		a.cpu.Close()
		a.cpu = nil
	}
}
