package gorgoniabench

import (
	"math"
	"runtime"
	"testing"

	"spadework/synth/internal/gemm"
)

// maxAbsDiff is the largest |a[i]-b[i]|.
func maxAbsDiff(a []float32, b []float64) float64 {
	m := 0.0
	for i, v := range a {
		m = max(m, math.Abs(float64(v)-b[i]))
	}
	return m
}

func widen(a []float32) []float64 {
	b := make([]float64, len(a))
	for i, v := range a {
		b[i] = float64(v)
	}
	return b
}

// TestAgree: gorgonia and both of our paths give the same output on the
// benchmark's shapes and data, and all three match a float64 reference.
func TestAgree(t *testing.T) {
	pool := gemm.NewPool(runtime.GOMAXPROCS(0))
	defer pool.Close()
	// The benchmark's shapes, plus a learned shortcut (1×1) and conv_img
	// (3 output channels) of the generator pass.
	shapes := append(Shapes[:len(Shapes):len(Shapes)], Shape{256, 128, 32, 32, 1}, Shape{16, 3, 64, 64, 3})
	for _, s := range shapes {
		d := NewData(s, 1)
		ref := Reference(d)
		scale := 0.0
		for _, v := range ref {
			scale = max(scale, math.Abs(v))
		}
		g, err := NewGorgonia(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		gout, err := g.Output()
		if err != nil {
			t.Fatal(err)
		}
		g.Close()
		if len(gout) != len(ref) {
			t.Fatalf("%v: gorgonia output has %d values, want %d", s, len(gout), len(ref))
		}
		gw := widen(gout)
		for _, implicit := range []bool{true, false} {
			o := NewOurs(d, pool, implicit)
			o.Run()
			out := o.OutputNCHW()
			vsG, vsRef := maxAbsDiff(out, gw), maxAbsDiff(out, ref)
			t.Logf("%v implicit=%v: max|ours-gorgonia| = %.3g, max|ours-ref| = %.3g, max|gorgonia-ref| = %.3g (max|ref| %.3g)",
				s, implicit, vsG, vsRef, maxAbsDiff(gout, ref), scale)
			if tol := 1e-5 * scale * math.Sqrt(float64(s.K*s.K*s.Cin)); vsG > tol || vsRef > tol {
				t.Errorf("%v implicit=%v: outputs disagree beyond %.3g", s, implicit, tol)
			}
		}
	}
}

// BenchmarkConv: one forward pass of each shape in gorgonia and in our two
// conv paths, on the same data, both using GOMAXPROCS threads.
func BenchmarkConv(b *testing.B) {
	threads := runtime.GOMAXPROCS(0)
	pool := gemm.NewPool(threads)
	defer pool.Close()
	for _, s := range Shapes {
		d := NewData(s, 1)
		flops := 2 * float64(s.MACs())
		b.Run(s.String()+"/gorgonia", func(b *testing.B) {
			g, err := NewGorgonia(d)
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			if err := g.Run(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := g.Run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		for _, implicit := range []bool{true, false} {
			name := "/ours-im2col"
			if implicit {
				name = "/ours-implicit"
			}
			b.Run(s.String()+name, func(b *testing.B) {
				o := NewOurs(d, pool, implicit)
				o.Run()
				b.ResetTimer()
				for b.Loop() {
					o.Run()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
