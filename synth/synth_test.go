package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spadework/synth/internal/safetensors"
)

// siftflowConfig is the default landscape model's shape.
func siftflowConfig() Config {
	return Config{LabelNC: 33, ContainDontcareLabel: true, NoInstance: true, NGF: 16, NHidden: 32,
		NormG: "spectralspadebatch3x3", NormE: "spectralinstance", NumUpsamplingLayers: "normal",
		CropSize: 256, AspectRatio: 1, UseVAE: true, ZDim: 256}
}

func siftflowMeta() map[string]string {
	type lab struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Color string `json:"color"`
	}
	var ls []lab
	ch := [][2]int{{0, 33}}
	for id := 1; id <= 33; id++ {
		ls = append(ls, lab{id, fmt.Sprintf("class%d", id), fmt.Sprintf("#%02x%02x%02x", id*7, id*5, id*3)})
		ch = append(ch, [2]int{id, id - 1})
	}
	js, _ := json.Marshal(map[string]any{"set": "siftflow", "unlabeled": 0, "labels": ls, "channels": ch})
	return map[string]string{"labels": string(js), "name": "SIFT Flow test", "id": "siftflow-test"}
}

// siftflowLabels is a SIFT Flow id map painted for the tests (256×256,
// 13 labels; ../testdata/painting_landscape.png, from
// train/make_test_painting.py): as many boundaries as a real label map.
func siftflowLabels(t testing.TB) *image.Paletted {
	t.Helper()
	f, err := os.Open("../testdata/painting_landscape.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := im.Bounds()
	p := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), nil)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, _, _, _ := im.At(b.Min.X+x, b.Min.Y+y).RGBA()
			p.Pix[y*p.Stride+x] = uint8(r >> 8)
		}
	}
	return p
}

// Label maps the band path must handle: noise (all band), blobs, stripes.
func testMaps(w, h int, ids []uint8, seed int64) map[string]*image.Paletted {
	rng := rand.New(rand.NewSource(seed))
	out := map[string]*image.Paletted{}
	noise := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	for i := range noise.Pix {
		noise.Pix[i] = ids[rng.Intn(len(ids))]
	}
	out["noise"] = noise
	blobs := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := ids[0]
			if float64(y) > float64(h)*(0.4+0.1*math.Sin(float64(x)/float64(w)*7)) {
				v = ids[1%len(ids)]
			}
			if (x-w/3)*(x-w/3)+(y-2*h/3)*(y-2*h/3) < w*h/40 {
				v = ids[2%len(ids)]
			}
			blobs.Pix[y*w+x] = v
		}
	}
	blobs.Pix[(h/5)*w+w/2] = ids[len(ids)-1] // a lone pixel
	out["blobs"] = blobs
	flat := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	for i := range flat.Pix {
		flat.Pix[i] = ids[0]
	}
	out["flat"] = flat
	// Twelve 5-pixel stripes: more classes touch the edge than get border
	// constants (maxBorderClasses), so some edge pixels fall back to the band.
	stripes := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			stripes.Pix[y*w+x] = uint8(1 + (x*64/w/5)%12)
		}
	}
	out["stripes"] = stripes
	return out
}

func renderBoth(t *testing.T, r *Renderer, labels *image.Paletted, z []float32) (band, dense []float32, nb int) {
	t.Helper()
	if err := r.loadLabels(labels); err != nil {
		t.Fatal(err)
	}
	for _, d := range []bool{false, true} {
		r.prepareLevels(d)
		if !d {
			for _, lv := range r.levels {
				nb += len(lv.band)
			}
		}
		if err := r.forward(context.Background(), z, d, nil); err != nil {
			t.Fatal(err)
		}
		out := append([]float32(nil), r.d[:r.w*r.h*3]...)
		if d {
			dense = out
		} else {
			band = out
		}
	}
	return band, dense, nb
}

// TestBandMatchesDense: the band path (one-hot gather, per-class constants,
// γ|β only near boundaries) equals the plain dense convolutions.
func TestBandMatchesDense(t *testing.T) {
	small := siftflowConfig()
	small.NGF, small.NHidden, small.CropSize = 4, 8, 64
	five := small
	five.NormG, five.UseVAE, five.NoInstance = "spadeinstance5x5", false, false
	most := small
	most.NumUpsamplingLayers, most.CropSize, most.AspectRatio, most.UseVAE = "most", 256, 2, false
	cases := []struct {
		name string
		cfg  Config
		meta map[string]string
	}{
		{"batch3x3-vae", small, siftflowMeta()},
		{"instance5x5-edges", five, siftflowMeta()},
		{"most-aspect2", most, siftflowMeta()},
	}
	sift := siftflowLabels(t)
	for _, c := range cases {
		m, err := RandomModel(c.cfg, false, c.meta, 7)
		if err != nil {
			t.Fatal(err)
		}
		w, h := m.Size()
		r, err := NewRenderer(m, w, h, 2)
		if err != nil {
			t.Fatal(err)
		}
		maps := testMaps(w, h, []uint8{28, 17, 32, 0, 25}, 1)
		maps["siftflow"] = sift // resized to w×h by Render's rules
		z := RandomStyle(3, m.cfg.ZDim)
		for name, lm := range maps {
			band, dense, nb := renderBoth(t, r, lm, z)
			e := maxAbs(band, dense)
			t.Logf("%s/%s: band pixels over all levels %d, max |band-dense| %.2e", c.name, name, nb, e)
			if e > 1e-5 {
				t.Errorf("%s/%s: band path differs from dense by %.3g", c.name, name, e)
			}
		}
		r.Close()
	}
}

func TestRenderAllocs(t *testing.T) {
	cfg := siftflowConfig()
	cfg.NGF, cfg.NHidden, cfg.CropSize = 4, 8, 64
	m, err := RandomModel(cfg, false, siftflowMeta(), 1)
	if err != nil {
		t.Fatal(err)
	}
	labels := testMaps(64, 64, []uint8{28, 17, 32}, 2)["blobs"]
	z := RandomStyle(1, cfg.ZDim)
	dst := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for _, threads := range []int{1, 2} {
		r, err := NewRenderer(m, 64, 64, threads)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		r.Render(ctx, labels, z, dst)
		n := testing.AllocsPerRun(5, func() {
			if err := r.Render(ctx, labels, z, dst); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("threads %d: %.0f allocations per frame", threads, n)
		if threads == 1 && n != 0 {
			t.Errorf("Render allocates %.0f times per frame", n)
		}
		r.Close()
	}
}

func TestRenderErrors(t *testing.T) {
	f := loadFixture(t, "a")
	r, err := NewRenderer(f.m, 64, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	z := RandomStyle(1, 4) // fixture a: z_dim 4
	dst := image.NewRGBA(image.Rect(0, 0, 64, 64))
	lm := image.NewPaletted(image.Rect(0, 0, 64, 64), nil)
	for i := range lm.Pix {
		lm.Pix[i] = 1
	}
	lm.Pix[5], lm.Pix[6], lm.Pix[7] = 9, 9, 200
	err = r.Render(context.Background(), lm, z, dst)
	if !errors.Is(err, ErrUnknownLabel) || !strings.Contains(err.Error(), "id 9 on 2 pixels") {
		t.Errorf("unknown ids: %v", err)
	}
	lm.Pix[5], lm.Pix[6], lm.Pix[7] = 1, 1, 1
	if err := r.Render(context.Background(), lm, z[:3], dst); err == nil || !strings.Contains(err.Error(), "wants 4") {
		t.Errorf("short z: %v", err)
	}
	if err := r.Render(context.Background(), lm, z, image.NewRGBA(image.Rect(0, 0, 32, 32))); err == nil {
		t.Error("wrong destination size accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Render(ctx, lm, z, dst); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := NewRenderer(f.m, 128, 128, 1); err == nil || !strings.Contains(err.Error(), "VAE") {
		t.Errorf("VAE model at another size: %v", err)
	}
	fb := loadFixture(t, "b") // 128x64
	if _, err := NewRenderer(fb.m, 256, 128, 1); err != nil {
		t.Errorf("no-VAE model at 2x: %v", err)
	}
	for _, s := range [][2]int{{100, 100}, {128, 256}, {128, 128}, {0, 0}} {
		if _, err := NewRenderer(fb.m, s[0], s[1], 1); err == nil {
			t.Errorf("size %v accepted", s)
		}
	}
	if _, err := r.EncodeStyle(context.Background(), nil); err == nil {
		t.Error("nil photo accepted")
	}
	rb, _ := NewRenderer(fb.m, 128, 64, 1)
	if _, err := rb.EncodeStyle(context.Background(), dst); err == nil {
		t.Error("encoding without an encoder accepted")
	}
}

// TestRenderLargerSize renders a no-VAE model at twice its native size;
// the band path must still equal the dense path.
func TestRenderLargerSize(t *testing.T) {
	f := loadFixture(t, "b")
	r, err := NewRenderer(f.m, 256, 128, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	band, dense, _ := renderBoth(t, r, f.labels(t, "labels"), nil)
	if e := maxAbs(band, dense); e > 1e-5 {
		t.Errorf("256x128: band differs from dense by %.3g", e)
	}
}

func TestRandomStyleVariety(t *testing.T) {
	base := RandomStyle(7, 32)
	for _, v := range []float64{0, 0.5, 1, 1.5} {
		z := RandomStyleVariety(7, 32, v)
		for i := range z {
			if z[i] != base[i]*float32(v) {
				t.Fatalf("variety %v: z[%d] = %v, want %v", v, i, z[i], base[i]*float32(v))
			}
		}
	}
}

func TestRandomStyle(t *testing.T) {
	a, b, c := RandomStyle(5, 64), RandomStyle(5, 64), RandomStyle(6, 64)
	if maxAbs(a, b) != 0 || maxAbs(a, c) == 0 {
		t.Error("RandomStyle is not a function of the seed")
	}
	var s, s2 float64
	z := RandomStyle(1, 100000)
	for _, v := range z {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	if m, v := s/1e5, s2/1e5; math.Abs(m) > 0.02 || math.Abs(v-1) > 0.02 {
		t.Errorf("mean %v variance %v", m, v)
	}
}

func TestModelAccessors(t *testing.T) {
	f := loadFixture(t, "a")
	m := f.m
	if m.ID() != "fixture-a" || m.Name() != "Parity fixture a" {
		t.Errorf("id %q name %q", m.ID(), m.Name())
	}
	if w, h := m.Size(); w != 64 || h != 64 {
		t.Errorf("size %dx%d", w, h)
	}
	if st := m.Styles(); len(st) != 2 || st[1].Name != "second" || len(st[0].Z) != 4 {
		t.Errorf("styles %v", st)
	}
	ls := m.LabelSet()
	if ls.Unlabeled != 0 || len(ls.Labels) != 5 || ls.Labels[0].ID != 1 || ls.Labels[0].Name != "sky" || ls.Labels[0].Color.B != 0xeb {
		t.Errorf("labels %+v", ls)
	}
	if c, ok := m.Channel(0); !ok || c != 5 {
		t.Errorf("channel of 0: %d %v", c, ok)
	}
	if _, ok := m.Channel(6); ok {
		t.Error("id 6 accepted")
	}
	fb := loadFixture(t, "b")
	if w, h := fb.m.Size(); w != 128 || h != 64 {
		t.Errorf("aspect 2 size %dx%d", w, h)
	}
	fc := loadFixture(t, "c")
	if w, h := fc.m.Size(); w != 128 || h != 128 {
		t.Errorf("'most' size %dx%d", w, h)
	}
	// The reference's count for the default model (train/spade.py count_macs).
	sm, err := RandomModel(siftflowConfig(), false, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := sm.MACs(256, 256); got != 11058487296 {
		t.Errorf("MACs %d, reference 11058487296", got)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	f := loadFixture(t, "a")
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := f.m.WriteFile(path, false); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := NewRenderer(f.m, 64, 64, 1)
	r2, _ := NewRenderer(m2, 64, 64, 1)
	seg := f.segOf(t, f.labels(t, "labels"))
	z := f.tensor(t, "z").Data
	o1, _ := r1.Forward(context.Background(), seg, z, false, nil)
	o2, _ := r2.Forward(context.Background(), seg, z, false, nil)
	if maxAbs(o1, o2) != 0 {
		t.Error("written model renders differently")
	}
	if m2.ID() != f.m.ID() || !m2.HasEncoder() || len(m2.Styles()) != 2 {
		t.Error("metadata lost")
	}
}

// rewrite loads a fixture's tensors, lets edit change them, and decodes the result.
func rewrite(t *testing.T, edit func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor) error {
	data, err := os.ReadFile("testdata/fixture_a.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Read(bytes.NewReader(data), int64(len(data)), "x")
	if err != nil {
		t.Fatal(err)
	}
	ts := edit(f.Tensors, f.Metadata)
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ts, f.Metadata, false); err != nil {
		t.Fatal(err)
	}
	_, err = Decode(buf.Bytes(), "model.safetensors")
	return err
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor
		want string
	}{
		{"shape", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			for i := range ts {
				if ts[i].Name == "netG.fc.weight" {
					ts[i].Shape = []int{16, 16} // the same 256 values
				}
			}
			return ts
		}, "model.safetensors: tensor netG.fc.weight: want shape [64 4], found [16 16]"},
		{"missing", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			var out []safetensors.Tensor
			for _, x := range ts {
				if x.Name != "netG.up_1.norm_0.mlp_gamma.bias" {
					out = append(out, x)
				}
			}
			return out
		}, "model.safetensors: tensor netG.up_1.norm_0.mlp_gamma.bias: missing (want shape [8])"},
		{"unexpected", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			return append(ts, safetensors.Tensor{Name: "netG.extra", Shape: []int{1}, Data: []float32{1}})
		}, "model.safetensors: unexpected tensor netG.extra [1]"},
		{"config", func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			meta["config"] = strings.Replace(meta["config"], `"normal"`, `"lots"`, 1)
			return ts
		}, "model.safetensors: config: num_upsampling_layers \"lots\""},
		{"norm", func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			meta["config"] = strings.Replace(meta["config"], `spectralspadebatch3x3`, `spadegroup3x3`, 1)
			return ts
		}, "norm_G \"spadegroup3x3\""},
		{"format", func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			delete(meta, "format")
			return ts
		}, "want spadework-model"},
		{"labels", func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			meta["labels"] = `{"channels":[[1,9]]}`
			return ts
		}, "id 1 maps to channel 9"},
		{"nan", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			for i := range ts {
				if ts[i].Name == "netG.conv_img.bias" {
					ts[i].Data[0] = float32(math.NaN())
				}
			}
			return ts
		}, "netG.conv_img.bias: holds NaN"},
	}
	for _, c := range cases {
		err := rewrite(t, c.edit)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	data, err := os.ReadFile("testdata/fixture_b.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:4096])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, "fuzz.safetensors")
		if err != nil {
			return
		}
		w, h := m.Size()
		if r, err := NewRenderer(m, w, h, 1); err == nil && w*h <= 1<<16 {
			lm := image.NewPaletted(image.Rect(0, 0, w, h), nil)
			dst := image.NewRGBA(lm.Rect)
			r.Render(context.Background(), lm, RandomStyle(1, m.cfg.ZDim), dst)
		}
	})
}

func benchRender(b *testing.B, dense bool, labels *image.Paletted) {
	m, err := RandomModel(siftflowConfig(), false, siftflowMeta(), 1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRenderer(m, 256, 256, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	z := RandomStyle(1, 256)
	dst := image.NewRGBA(image.Rect(0, 0, 256, 256))
	ctx := context.Background()
	frame := func() {
		if dense {
			r.loadLabels(labels)
			r.prepareLevels(true)
			r.forward(ctx, z, true, nil)
			r.writeImage(dst)
		} else if err := r.Render(ctx, labels, z, dst); err != nil {
			b.Fatal(err)
		}
	}
	frame()
	if !dense {
		nb, np := 0, 0
		for _, lv := range r.levels {
			nb += len(lv.band)
			np += lv.w * lv.h
		}
		b.Logf("band pixels %d of %d over all levels (%.1f%%); %.2f GMAC of %.2f dense", nb, np, 100*float64(nb)/float64(np),
			float64(r.LastMACs())/1e9, float64(m.MACs(256, 256))/1e9)
		for _, lv := range r.levels {
			b.Logf("  %dx%d: band %d, act %d", lv.w, lv.h, len(lv.band), len(lv.act))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		frame()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/frame")
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1e3/float64(b.N), "cpu-ms/frame")
}

// BenchmarkRender times a 256×256 frame of the default-size model (ngf 16,
// nhidden 32, SIFT Flow labels, VAE, batch norm 3×3) on a SIFT Flow label
// map, with the band path (what Render uses) and the dense path, and with
// the band path on a simple painting (sky, wavy horizon, a disc).
func BenchmarkRender(b *testing.B) {
	b.Run("band", func(b *testing.B) { benchRender(b, false, siftflowLabels(b)) })
	b.Run("dense", func(b *testing.B) { benchRender(b, true, siftflowLabels(b)) })
	b.Run("painting", func(b *testing.B) {
		benchRender(b, false, testMaps(256, 256, []uint8{28, 17, 15}, 1)["blobs"])
	})
}

// TestSameLabelsReused: frames on the same labels reuse the prepared
// levels; a different map, or a dense Forward in between, must not leak.
func TestSameLabelsReused(t *testing.T) {
	f := loadFixture(t, "b")
	w, h := f.m.Size()
	r, _ := NewRenderer(f.m, w, h, 2)
	r2, _ := NewRenderer(f.m, w, h, 2)
	maps := testMaps(w, h, []uint8{10, 11, 12, 255}, 3)
	seq := []string{"blobs", "blobs", "noise", "blobs", "dense", "blobs", "flat", "flat"}
	for i, name := range seq {
		if name == "dense" {
			seg := f.segOf(t, f.labels(t, "labels"))
			if _, err := r.Forward(context.Background(), seg, nil, true, nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		a := image.NewRGBA(image.Rect(0, 0, w, h))
		b := image.NewRGBA(a.Rect)
		if err := r.Render(context.Background(), maps[name], nil, a); err != nil {
			t.Fatal(err)
		}
		r2.levelsOK = false
		if err := r2.Render(context.Background(), maps[name], nil, b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Fatalf("frame %d (%s) differs from a fresh preparation", i, name)
		}
	}
}

// TestStyleChange: the cached fc output must follow z.
func TestStyleChange(t *testing.T) {
	f := loadFixture(t, "a")
	lm := f.labels(t, "labels")
	z1, z2 := RandomStyle(1, 4), RandomStyle(2, 4)
	a := image.NewRGBA(image.Rect(0, 0, 64, 64))
	b := image.NewRGBA(a.Rect)
	r1, _ := NewRenderer(f.m, 64, 64, 1)
	r2, _ := NewRenderer(f.m, 64, 64, 1)
	r1.Render(context.Background(), lm, z1, a)
	z1[0] += 1 // the caller may reuse its slice
	r1.Render(context.Background(), lm, z1, a)
	r1.Render(context.Background(), lm, z2, a)
	r2.Render(context.Background(), lm, z2, b)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("a renderer that drew another style first renders z differently")
	}
}

func TestLeakyRelu(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 3.5, -2.25, 1e-30, -1e-30, float32(math.Inf(1)), float32(math.Inf(-1)), -65504}
	for _, v := range vals {
		wantL := v
		if v < 0 {
			wantL = v * 0.2
		}
		if got := leaky(v); got != wantL {
			t.Errorf("leaky(%v) = %v want %v", v, got, wantL)
		}
		wantR := v
		if v < 0 {
			wantR = 0
		}
		if got := relu(v); got != wantR || math.Signbit(float64(got)) {
			t.Errorf("relu(%v) = %v want %v", v, got, wantR)
		}
	}
}

// TestCancelMidFrame cancels a frame from another goroutine while it runs:
// Render must return the context's error and the next frame must be right.
func TestCancelMidFrame(t *testing.T) {
	m, err := RandomModel(siftflowConfig(), false, siftflowMeta(), 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(m, 256, 256, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lm := siftflowLabels(t)
	z := RandomStyle(1, 256)
	want := image.NewRGBA(image.Rect(0, 0, 256, 256))
	if err := r.Render(context.Background(), lm, z, want); err != nil {
		t.Fatal(err)
	}
	z2 := RandomStyle(2, 256)
	for _, delay := range []int{2, 15} {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			timeSleepMs(delay)
			cancel()
		}()
		dst := image.NewRGBA(want.Rect)
		err := r.Render(ctx, lm, z2, dst)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled frame: %v", err)
		}
		got := image.NewRGBA(want.Rect)
		if err := r.Render(context.Background(), lm, z, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("frame after a cancelled one (delay %d ms) differs", delay)
		}
	}
}

// TestConcurrentEncodeAndRender: the UI may encode a photo while the worker
// renders on the same Renderer; calls are serialised (run with -race).
func TestConcurrentEncodeAndRender(t *testing.T) {
	f := loadFixture(t, "a")
	r, err := NewRenderer(f.m, 64, 64, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lm := f.labels(t, "labels")
	photo := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 7)
	}
	want, err := r.EncodeStyle(context.Background(), photo)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		dst := image.NewRGBA(image.Rect(0, 0, 64, 64))
		for i := 0; i < 5; i++ {
			if err := r.Render(context.Background(), lm, f.tensor(t, "z").Data, dst); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 5; i++ {
		z, err := r.EncodeStyle(context.Background(), photo)
		if err != nil || maxAbs(z, want) != 0 {
			t.Fatalf("EncodeStyle during rendering: %v", err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPhotoTypes: every image type a photo may arrive as gives the same
// encoder input as the RGBA it draws to.
func TestPhotoTypes(t *testing.T) {
	for _, size := range []image.Point{{256, 256}, {120, 90}, {700, 600}} {
		rgba := image.NewRGBA(image.Rect(0, 0, size.X, size.Y))
		for i := range rgba.Pix {
			rgba.Pix[i] = uint8(i*13 + i/977)
			if i%4 == 3 {
				rgba.Pix[i] = 255
			}
		}
		want := make([]float32, encSize*encSize*3)
		photoTensor(rgba, want)
		nrgba := image.NewNRGBA(rgba.Rect)
		copy(nrgba.Pix, rgba.Pix)
		paletted := image.NewPaletted(rgba.Rect, nil) // no palette: all black, only checks it runs
		gray := image.NewGray(rgba.Rect)
		got := make([]float32, len(want))
		photoTensor(nrgba, got)
		if e := maxAbs(got, want); e != 0 {
			t.Errorf("%v NRGBA differs by %v", size, e)
		}
		// A sub-image with an offset rectangle.
		big := image.NewRGBA(image.Rect(-5, -7, size.X+10, size.Y+3))
		draw.Draw(big, rgba.Rect, rgba, image.Point{}, draw.Src)
		photoTensor(big.SubImage(rgba.Rect), got)
		if e := maxAbs(got, want); e != 0 {
			t.Errorf("%v sub-image differs by %v", size, e)
		}
		// Generic paths (conversion, or direct sampling for large photos).
		photoTensor(struct{ image.Image }{rgba}, got)
		if e := maxAbs(got, want); e != 0 {
			t.Errorf("%v generic image differs by %v", size, e)
		}
		photoTensor(gray, got)
		photoTensor(paletted, got)
	}
}

func TestTanh32(t *testing.T) {
	worst := 0.0
	for i := -1200000; i <= 1200000; i++ {
		x := float32(i) * 1e-5
		worst = max(worst, math.Abs(float64(tanh32(x))-math.Tanh(float64(x))))
	}
	for _, x := range []float32{20, -20, float32(math.Inf(1)), float32(math.Inf(-1))} {
		worst = max(worst, math.Abs(float64(tanh32(x))-math.Tanh(float64(x))))
	}
	if worst > 5e-7 {
		t.Errorf("tanh32 max abs error %.3g", worst)
	}
	for v, want := range map[float32]uint8{-100: 0, 100: 255, 0: 127} {
		if got := quantize(v); got != want {
			t.Errorf("quantize(%v) = %d want %d", v, got, want)
		}
	}
}

// BenchmarkEncodeStyle times the style encoder of the default-size model
// on a 256×256 photo.
func BenchmarkEncodeStyle(b *testing.B) {
	m, err := RandomModel(siftflowConfig(), true, siftflowMeta(), 1)
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRenderer(m, 256, 256, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	photo := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 31)
	}
	ctx := context.Background()
	r.EncodeStyle(ctx, photo)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := r.EncodeStyle(ctx, photo); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
}
