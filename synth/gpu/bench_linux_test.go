//go:build linux && cgo

package gpu

import (
	"context"
	"image"
	"os"
	"testing"
	"time"

	"spadework/synth"
)

// benchModels are the default model's shape at crop 64 and, with
// SPADEWORK_GPU_FULL=1, at its native 256x256.
func benchModels(b *testing.B) map[string]*synth.Model {
	ms := map[string]*synth.Model{}
	cfg := defaultConfig()
	cfg.CropSize = 64
	ms["default-64"] = randomModel(b, cfg, 1)
	if os.Getenv("SPADEWORK_GPU_FULL") != "" {
		ms["default-256"] = randomModel(b, defaultConfig(), 1)
	}
	return ms
}

// BenchmarkGPURender times whole frames on the GL context (on llvmpipe
// this checks the path, it is no GPU speed figure); BenchmarkCPURender is
// the peer to compare with in the same run.
func BenchmarkGPURender(b *testing.B) {
	needGL(b)
	for name, m := range benchModels(b) {
		b.Run(name, func(b *testing.B) {
			w, h := m.Size()
			r, err := New(context.Background(), m, w, h)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			b.Logf("%s", r.Info())
			benchRender(b, r, m, w, h)
		})
	}
}

func BenchmarkCPURender(b *testing.B) {
	for name, m := range benchModels(b) {
		b.Run(name, func(b *testing.B) {
			w, h := m.Size()
			r, err := synth.NewRenderer(m, w, h, 2)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			benchRender(b, r, m, w, h)
		})
	}
}

func benchRender(b *testing.B, r synth.FrameRenderer, m *synth.Model, w, h int) {
	labels := paintLabels(w, h, 34, 1)
	z := synth.RandomStyle(1, m.Config().ZDim)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	ctx := context.Background()
	if err := r.Render(ctx, labels, z, dst); err != nil { // compiles shaders on first use
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.Render(ctx, labels, z, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/frame")
}

// TestProfileKernels logs where a frame's time goes, by kernel.
func TestProfileKernels(t *testing.T) {
	needGL(t)
	full(t)
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
	if err := r.Render(context.Background(), labels, z, dst); err != nil {
		t.Fatal(err)
	}
	profile = map[string]time.Duration{}
	defer func() { profile = nil }()
	if err := r.Render(context.Background(), labels, z, dst); err != nil {
		t.Fatal(err)
	}
	for k, d := range profile {
		t.Logf("%-18s %v", k, d)
	}
}
