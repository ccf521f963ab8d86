package cli

import (
	"context"
	"fmt"
	"image"
	"sync"

	"spadework/synth"
	"spadework/synth/gpu"
)

// openRenderer makes the renderer for -device cpu|gpu|auto and says which one
// it used. auto takes the GPU when a GL 4.3 compute context can be made and
// falls back to the CPU with the reason on stderr; gpu fails instead.
func openRenderer(ctx context.Context, env *Env, m *synth.Model, w, h, threads int, device string) (frameRenderer, string, error) {
	switch device {
	case "cpu":
		r, err := synth.NewRenderer(m, w, h, threads)
		return r, "cpu", err
	case "gpu", "auto":
		g, err := gpu.New(ctx, m, w, h)
		if err == nil {
			return &gpuRenderer{Renderer: g, m: m, w: w, h: h, threads: threads}, "gpu", nil
		}
		if device == "gpu" {
			return nil, "", fmt.Errorf("GPU renderer: %w", err)
		}
		fmt.Fprintf(env.Stderr, "spadework: using the CPU: %v\n", err)
		r, err := synth.NewRenderer(m, w, h, threads)
		return r, "cpu", err
	default:
		return nil, "", fmt.Errorf("-device %q: want cpu, gpu or auto", device)
	}
}

// gpuRenderer renders on the GPU and encodes style photos on the CPU, where
// the encoder runs once per photo rather than per frame.
type gpuRenderer struct {
	*gpu.Renderer
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
	g.Renderer.Close()
	if g.cpu != nil {
		g.cpu.Close()
	}
}
