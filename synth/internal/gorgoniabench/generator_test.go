package gorgoniabench

import (
	"runtime"
	"testing"

	"spadework/assets"
	"spadework/synth"
	"spadework/synth/internal/gemm"
)

// generatorConvs lists the convolutions of one dense pass of the embedded
// default model's generator at its native size, each at the resolution it
// runs at (the fc linear layer of the VAE generator is left out: it is
// 0.1 % of the work). The MACs are checked against synth's own count.
func generatorConvs(tb testing.TB) []Shape {
	m, err := synth.Decode(assets.DefaultModel(), assets.DefaultModelName)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := m.Config()
	w, h := m.Size()
	n := cfg.Upsamplings()
	var convs []Shape
	add := func(c *synth.Conv, level int) {
		if c.Stride != 1 || c.Pad != c.K/2 || (c.K != 1 && c.K != 3) {
			tb.Fatalf("%s: K=%d stride %d pad %d not covered", c.Name, c.K, c.Stride, c.Pad)
		}
		convs = append(convs, Shape{c.Cin, c.Cout, (h >> n) << level, (w >> n) << level, c.K})
	}
	var macs int64
	g := m.G
	if g.FCConv != nil {
		add(g.FCConv, 0)
	} else {
		macs += int64(g.FCLinear.In * g.FCLinear.Out)
	}
	// As synth's model.go: G_middle_1 upsamples only with "more"/"most".
	level := 0
	for _, b := range g.Blocks {
		if b.Name != "head_0" && (b.Name != "G_middle_1" || cfg.NumUpsamplingLayers != "normal") {
			level++
		}
		for _, s := range []*synth.SPADE{&b.Norm0, &b.Norm1, b.NormS} {
			if s != nil {
				add(&s.Shared, level)
				add(&s.Gamma, level)
				add(&s.Beta, level)
			}
		}
		add(&b.Conv0, level)
		add(&b.Conv1, level)
		if b.ConvS != nil {
			add(b.ConvS, level)
		}
	}
	convs = append(convs, Shape{g.ConvImg.Cin, g.ConvImg.Cout, h, w, g.ConvImg.K})
	for _, s := range convs {
		macs += s.MACs()
	}
	if want := m.MACs(w, h); macs != want {
		tb.Fatalf("generator convs: %d MACs, synth counts %d", macs, want)
	}
	return convs
}

// BenchmarkGeneratorPass runs every conv of one dense pass of the default
// generator (nothing else: no norms, activations or upsampling), each conv
// built once and warmed up with the timer stopped, then timed for one
// forward pass. B/op is what the timed passes allocate.
func BenchmarkGeneratorPass(b *testing.B) {
	convs := generatorConvs(b)
	data := map[Shape]*Data{}
	var macs int64
	for _, s := range convs {
		if data[s] == nil {
			data[s] = NewData(s, 2)
		}
		macs += s.MACs()
	}
	pool := gemm.NewPool(runtime.GOMAXPROCS(0))
	defer pool.Close()
	b.Logf("%d convs, %.3g MACs", len(convs), float64(macs))
	b.Run("gorgonia", func(b *testing.B) {
		for range b.N {
			for _, s := range convs {
				b.StopTimer()
				g, err := NewGorgonia(data[s])
				if err != nil {
					b.Fatal(err)
				}
				if err := g.Run(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := g.Run(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				g.Close()
				b.StartTimer()
			}
		}
		b.ReportMetric(2*float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("ours", func(b *testing.B) {
		for range b.N {
			for _, s := range convs {
				b.StopTimer()
				o := NewOurs(data[s], pool, s.W >= 32)
				o.Run()
				b.StartTimer()
				o.Run()
			}
		}
		b.ReportMetric(2*float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
