//go:build linux && cgo

package gpu

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"spadework/synth"
	"spadework/synth/internal/safetensors"
)

// randomModel builds a model with random weights (fan-in scaled, so the
// activations keep a unit scale through the blocks) for cfg.
func randomModel(t testing.TB, cfg synth.Config, seed int64) *synth.Model {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	var ts []safetensors.Tensor
	add := func(name string, fanIn int, shape ...int) {
		scale := 1.0
		if strings.Contains(name, "mlp_gamma") || strings.Contains(name, "mlp_beta") {
			scale = 0.3 // keep 1+γ near 1 and activations O(1), as in trained models
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(scale * rng.NormFloat64() / math.Sqrt(float64(fanIn)))
		}
		ts = append(ts, safetensors.Tensor{Name: name, DType: "F32", Shape: shape, Data: d})
	}
	stats := func(name string, c int) {
		m := make([]float32, c)
		v := make([]float32, c)
		for i := range m {
			m[i] = float32(rng.NormFloat64() * 0.1)
			v[i] = float32(rng.Float64()*0.5 + 0.5)
		}
		ts = append(ts, safetensors.Tensor{Name: name + ".running_mean", DType: "F32", Shape: []int{c}, Data: m},
			safetensors.Tensor{Name: name + ".running_var", DType: "F32", Shape: []int{c}, Data: v})
	}
	conv := func(name string, cin, cout, k int, bias bool) {
		add(name+".weight", cin*k*k, cout, cin, k, k)
		if bias {
			add(name+".bias", 1, cout)
		}
	}
	_, ks, err := spadeKS(cfg.NormG)
	if err != nil {
		t.Fatal(err)
	}
	inst := cfg.NormG[len(cfg.NormG)-11:len(cfg.NormG)-3] == "instance"
	snc := cfg.SemanticNC()
	spade := func(name string, c int) {
		conv(name+".mlp_shared.0", snc, cfg.NHidden, ks, true)
		conv(name+".mlp_gamma", cfg.NHidden, c, ks, true)
		conv(name+".mlp_beta", cfg.NHidden, c, ks, true)
		if !inst {
			stats(name+".param_free_norm", c)
		}
	}
	nf := cfg.NGF
	sw, sh := cfg.LatentSize()
	if cfg.UseVAE {
		add("netG.fc.weight", cfg.ZDim, 16*nf*sw*sh, cfg.ZDim)
		add("netG.fc.bias", 1, 16*nf*sw*sh)
	} else {
		conv("netG.fc", snc, 16*nf, 3, true)
	}
	blocks := []struct {
		name      string
		fin, fout int
	}{{"head_0", 16 * nf, 16 * nf}, {"G_middle_0", 16 * nf, 16 * nf}, {"G_middle_1", 16 * nf, 16 * nf},
		{"up_0", 16 * nf, 8 * nf}, {"up_1", 8 * nf, 4 * nf}, {"up_2", 4 * nf, 2 * nf}, {"up_3", 2 * nf, nf}}
	final := nf
	if cfg.NumUpsamplingLayers == "most" {
		blocks = append(blocks, struct {
			name      string
			fin, fout int
		}{"up_4", nf, nf / 2})
		final = nf / 2
	}
	for _, b := range blocks {
		p := "netG." + b.name
		fm := min(b.fin, b.fout)
		conv(p+".conv_0", b.fin, fm, 3, true)
		conv(p+".conv_1", fm, b.fout, 3, true)
		spade(p+".norm_0", b.fin)
		spade(p+".norm_1", fm)
		if b.fin != b.fout {
			conv(p+".conv_s", b.fin, b.fout, 1, false)
			spade(p+".norm_s", b.fin)
		}
	}
	conv("netG.conv_img", final, 3, 3, true)
	cj, _ := json.Marshal(cfg)
	nch := cfg.LabelNC
	if cfg.ContainDontcareLabel {
		nch++
	}
	var chans [][2]int
	for id := 0; id < nch; id++ {
		chans = append(chans, [2]int{id, id})
	}
	lj, _ := json.Marshal(map[string]any{"set": "random", "unlabeled": -1, "labels": []any{}, "channels": chans})
	meta := map[string]string{"format": "spadework-model", "format_version": "1", "id": fmt.Sprintf("random-%d", seed),
		"config": string(cj), "labels": string(lj)}
	m, err := synth.FromTensors("random", ts, meta)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// defaultConfig is the shipped model's shape (docs/ARCHITECTURE.md).
func defaultConfig() synth.Config {
	c := synth.DefaultConfig()
	c.LabelNC, c.ContainDontcareLabel, c.NoInstance = 33, true, true
	c.NGF, c.NHidden, c.NormG = 16, 32, "spectralspadebatch3x3"
	c.UseVAE, c.ZDim = true, 256
	return c
}

// paintLabels draws a landscape-like map of channel ids 0..n-1.
func paintLabels(w, h, n int, seed int64) *image.Paletted {
	rng := rand.New(rand.NewSource(seed))
	ids := make([]uint8, w*h)
	type blob struct{ x, y, r float64 }
	var bs []blob
	for i := 0; i < 6; i++ {
		bs = append(bs, blob{rng.Float64() * float64(w), rng.Float64() * float64(h), (0.05 + 0.15*rng.Float64()) * float64(w)})
	}
	for y := 0; y < h; y++ {
		horizon := float64(h)*0.45 + float64(h)*0.05*math.Sin(float64(y)*0.0+float64(0))
		for x := 0; x < w; x++ {
			id := 0
			hz := horizon + float64(h)*0.06*math.Sin(float64(x)*6/float64(w))
			if float64(y) > hz {
				id = 1 % n
			}
			for i, b := range bs {
				if dx, dy := float64(x)-b.x, float64(y)-b.y; dx*dx+dy*dy < b.r*b.r {
					id = (2 + i) % n
				}
			}
			ids[y*w+x] = uint8(id)
		}
	}
	return grayLabels(w, h, ids)
}

// compareCPU renders with the GPU and synth's CPU renderer and returns the
// largest difference of the float outputs over every traced stage.
func compareCPU(t *testing.T, m *synth.Model, w, h int, labels *image.Paletted, z []float32) float64 {
	t.Helper()
	ctx := context.Background()
	t0 := time.Now()
	r, err := New(ctx, m, w, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer r.Close()
	t.Logf("New: %v (%s)", time.Since(t0), r.Info())
	lm := newLabelMapper(w, h, m.Channel, !m.Config().NoInstance)
	if err := lm.mapLabels(labels); err != nil {
		t.Fatal(err)
	}
	cpu := cpuTrace(t, m, lm, z)
	worst := 0.0
	for _, name := range []string{"head_0", "up_1", "out"} {
		t0 := time.Now()
		got, shape, err := r.traceStage(ctx, labels, z, name)
		if err != nil {
			t.Fatal(err)
		}
		d := maxAbsDiff(got, cpu[name])
		worst = max(worst, d)
		var mag float64
		for _, v := range cpu[name] {
			mag = max(mag, math.Abs(float64(v)))
		}
		t.Logf("%-7s %v: max |gpu - cpu| = %.2e, max |cpu| = %.3g (%v)", name, shape, d, mag, time.Since(t0))
		if tol := 1e-3 * max(1, mag); d > tol {
			t.Errorf("%s: max |gpu - cpu| = %.2e > %.1e", name, d, tol)
		}
	}
	return worst
}

// cpuTrace runs synth's CPU renderer (dense path) on the label map lm has
// mapped and returns every block's output and the tanh output.
func cpuTrace(t testing.TB, m *synth.Model, lm *labelMapper, z []float32) map[string][]float32 {
	t.Helper()
	r, err := synth.NewRenderer(m, lm.w, lm.h, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seg := synth.SegMap{W: lm.w, H: lm.h, Channel: make([]int32, lm.w*lm.h)}
	if lm.edges {
		seg.Edge = make([]bool, lm.w*lm.h)
	}
	for i, v := range lm.out {
		seg.Channel[i] = int32(v & 0xffff)
		if seg.Edge != nil {
			seg.Edge[i] = v>>16 != 0
		}
	}
	tr := map[string][]float32{}
	out, err := r.Forward(context.Background(), seg, z, true, func(name string, c, h, w int, chw []float32) {
		tr[name] = chw
	})
	if err != nil {
		t.Fatal(err)
	}
	tr["out"] = out
	return tr
}

// full reports whether the slow parity tests (native 256x256 models, a
// few minutes each on llvmpipe) were asked for.
func full(t *testing.T) {
	if os.Getenv("SPADEWORK_GPU_FULL") == "" {
		t.Skip("set SPADEWORK_GPU_FULL=1 for the full-size parity tests (minutes on llvmpipe)")
	}
}

// TestRandomDefaultSmallParity: the default model's channel widths (ngf
// 16, nhidden 32, 34 channels, VAE, batch norm 3x3) at crop 64, so the same
// kernels run on the same shapes in a few seconds of llvmpipe.
func TestRandomDefaultSmallParity(t *testing.T) {
	needGL(t)
	cfg := defaultConfig()
	cfg.CropSize = 64
	m := randomModel(t, cfg, 1)
	w, h := m.Size()
	compareCPU(t, m, w, h, paintLabels(w, h, 34, 1), synth.RandomStyle(3, cfg.ZDim))
}

func TestRandomDefaultParity(t *testing.T) {
	needGL(t)
	full(t)
	cfg := defaultConfig()
	m := randomModel(t, cfg, 1)
	w, h := m.Size()
	compareCPU(t, m, w, h, paintLabels(w, h, 34, 1), synth.RandomStyle(3, cfg.ZDim))
}

// TestRandomADE20KParity: the ADE20K reference shape (151 channels, no
// VAE, sync batch norm) at a reduced width so llvmpipe finishes quickly.
func TestRandomADE20KParity(t *testing.T) {
	needGL(t)
	full(t)
	cfg := synth.DefaultConfig()
	cfg.LabelNC, cfg.ContainDontcareLabel, cfg.NoInstance = 150, true, true
	cfg.NGF, cfg.NHidden, cfg.NormG, cfg.UseVAE = 8, 32, "spectralspadesyncbatch3x3", false
	m := randomModel(t, cfg, 2)
	w, h := m.Size()
	compareCPU(t, m, w, h, paintLabels(w, h, 151, 2), nil)
}

// TestRandomInstanceEdgesParity: COCO-like (instance edges, instance norm)
// at a small width and a non-square, non-native size.
func TestRandomInstanceEdgesParity(t *testing.T) {
	needGL(t)
	cfg := synth.DefaultConfig()
	cfg.LabelNC, cfg.ContainDontcareLabel, cfg.NoInstance = 20, true, false
	cfg.NGF, cfg.NHidden, cfg.NormG, cfg.UseVAE = 4, 16, "spadeinstance3x3", false
	cfg.CropSize, cfg.AspectRatio = 128, 2
	m := randomModel(t, cfg, 3)
	compareCPU(t, m, 256, 128, paintLabels(150, 80, 21, 3), nil)
}
