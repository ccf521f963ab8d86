package cli

import (
	"context"
	"fmt"
	"image"
	"strings"
	"sync"

	"spadework/synth"
	"spadework/synth/gpu"
)

// openRenderer makes the renderer for -device cpu|gpu|auto and says which one
// it used. auto takes a hardware GPU when a GL 4.3 compute context can be
// made and falls back to the CPU, saying why on stderr; gpu fails instead.
func openRenderer(ctx context.Context, env *Env, m *synth.Model, w, h, threads int, device string) (frameRenderer, string, error) {
	switch device {
	case "cpu":
		r, err := synth.NewRenderer(m, w, h, threads)
		return r, "cpu", err
	case "gpu", "auto":
	default:
		return nil, "", fmt.Errorf("-device %q: want cpu, gpu or auto", device)
	}
	b, used, reason, err := gpu.Open(ctx, m, w, h, device, gpu.Options{
		Threads:    threads,
		OnFallback: func(why string) { fmt.Fprintf(env.Stderr, "spadework: GPU failed, continuing on the CPU: %s\n", why) },
	})
	if err != nil {
		return nil, "", fmt.Errorf("-device %s: %w", device, err)
	}
	fmt.Fprintf(env.Stderr, "spadework: rendering on the %s: %s\n", strings.ToUpper(used), reason)
	if r, ok := b.(*synth.Renderer); ok {
		return r, used, nil
	}
	return &gpuRenderer{Backend: b, m: m, w: w, h: h, threads: threads}, used, nil
}

// gpuRenderer renders on the GPU and encodes style photos on the CPU, where
// the encoder runs once per photo rather than per frame.
type gpuRenderer struct {
	gpu.Backend
	m       *synth.Model
	w, h    int
	threads int

	once sync.Once
	cpu  *synth.Renderer
	err  error
}

func (g *gpuRenderer) EncodeStyle(ctx context.Context, photo image.Image) ([]float32, error) {
	g.once.Do(func() { g.cpu, g.err = synth.NewRenderer(g.m, g.w, g.h, g.threads) })
	if g.err != nil {
		return nil, g.err
	}
	return g.cpu.EncodeStyle(ctx, photo)
}

func (g *gpuRenderer) Close() {
	g.Backend.Close()
	if g.cpu != nil {
		g.cpu.Close()
	}
}
