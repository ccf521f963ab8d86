package synth

import (
	"context"
	"image"
	"math"
	"os"
	"testing"

	"spadework/synth/internal/safetensors"
)

type fixture struct {
	m   *Model
	ref *safetensors.File
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	m, err := Load("testdata/fixture_" + name + ".safetensors")
	if err != nil {
		t.Fatal(err)
	}
	path := "testdata/fixture_" + name + "_ref.safetensors"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Read(bytesReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{m, f}
}

func (f fixture) tensor(t testing.TB, name string) *safetensors.Tensor {
	t.Helper()
	x, ok := f.ref.Get(name)
	if !ok {
		t.Fatalf("%s: no tensor %s", f.ref.Name, name)
	}
	return x
}

// segOf maps a reference id map to channels.
func (f fixture) segOf(t testing.TB, ids *safetensors.Tensor) SegMap {
	h, w := ids.Shape[0], ids.Shape[1]
	s := SegMap{W: w, H: h, Channel: make([]int32, w*h)}
	for i, v := range ids.Data {
		c, ok := f.m.Channel(int(v))
		if !ok {
			t.Fatalf("fixture id %v unknown", v)
		}
		s.Channel[i] = int32(c)
	}
	return s
}

func palettedOf(ids *safetensors.Tensor) *image.Paletted {
	h, w := ids.Shape[0], ids.Shape[1]
	p := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	for i, v := range ids.Data {
		p.Pix[i] = uint8(v)
	}
	return p
}

func maxAbs(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

const parityTol = 1e-3

// refImage is the reference's tensor2im of a [3, H, W] tanh output, as
// train/fixtures.py computes it in float32: ((x + 1) / 2 * 255), clipped,
// truncated; HWC. The fixtures store trace.out as F32, so this is exact.
func refImage(out *safetensors.Tensor) []uint8 {
	c, h, w := out.Shape[0], out.Shape[1], out.Shape[2]
	img := make([]uint8, h*w*c)
	for p := 0; p < h*w; p++ {
		for k := 0; k < c; k++ {
			v := float32(float32(out.Data[k*h*w+p]+1)/2) * 255
			img[p*c+k] = uint8(min(max(v, 0), 255))
		}
	}
	return img
}

// encoderTracesNotStored are the encoder layers whose outputs the fixture
// leaves out (128x128 and 64x64; the later layers and mu/logvar check them).
var encoderTracesNotStored = map[string]bool{"layer1": true, "layer2": true}

func TestParity(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		for _, dense := range []bool{true, false} {
			f := loadFixture(t, name)
			w, h := f.m.Size()
			r, err := NewRenderer(f.m, w, h, 2)
			if err != nil {
				t.Fatal(err)
			}
			var z []float32
			if f.m.cfg.UseVAE {
				z = f.tensor(t, "z").Data
			}
			seg := f.segOf(t, f.tensor(t, "labels"))
			worst := 0.0
			seen := 0
			out, err := r.Forward(context.Background(), seg, z, dense, func(name string, c, h, w int, chw []float32) {
				ref := f.tensor(t, "trace."+name)
				if len(ref.Data) != len(chw) || ref.Shape[0] != c || ref.Shape[1] != h || ref.Shape[2] != w {
					t.Fatalf("%s: trace %s shape %v, got %dx%dx%d", name, name, ref.Shape, c, h, w)
				}
				e := maxAbs(ref.Data, chw)
				worst = max(worst, e)
				seen++
				if e > parityTol {
					t.Errorf("fixture %s dense=%v: %s max abs error %.3g", f.m.ID(), dense, name, e)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if e := maxAbs(f.tensor(t, "trace.out").Data, out); e > parityTol {
				t.Errorf("fixture %s: output max abs error %.3g", name, e)
			}
			t.Logf("fixture %s dense=%v: %d traces, max abs error %.2e", name, dense, seen, worst)
			r.Close()
		}
	}
}

// TestParityRender checks the uint8 image of Render against tensor2im of
// the reference: tanh rounding may move a value across an integer, so a
// difference of 1 is allowed on a few pixels.
func TestParityRender(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		f := loadFixture(t, name)
		w, h := f.m.Size()
		r, err := NewRenderer(f.m, w, h, 2)
		if err != nil {
			t.Fatal(err)
		}
		var z []float32
		if f.m.cfg.UseVAE {
			z = f.tensor(t, "z").Data
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		if err := r.Render(context.Background(), palettedOf(f.tensor(t, "labels")), z, dst); err != nil {
			t.Fatal(err)
		}
		ref := refImage(f.tensor(t, "trace.out"))
		off := 0
		for p := 0; p < w*h; p++ {
			for c := 0; c < 3; c++ {
				d := int(dst.Pix[4*p+c]) - int(ref[3*p+c])
				if d > 1 || d < -1 {
					t.Fatalf("fixture %s: pixel %d channel %d = %d, reference %v", name, p, c, dst.Pix[4*p+c], ref[3*p+c])
				}
				if d != 0 {
					off++
				}
			}
		}
		if off > w*h*3/100 {
			t.Errorf("fixture %s: %d of %d values off by one", name, off, w*h*3)
		}
		t.Logf("fixture %s: %d of %d 8-bit values differ by 1", name, off, w*h*3)
		// A label map of another size is resized like PIL NEAREST.
		if small, ok := f.ref.Get("labels_small"); ok {
			if err := r.loadLabels(palettedOf(small)); err != nil {
				t.Fatal(err)
			}
			r.prepareLevels(false)
			if err := r.forward(context.Background(), z, false, nil); err != nil {
				t.Fatal(err)
			}
			want := f.tensor(t, "trace_small.out").Data
			hw := w * h
			e := 0.0
			for p := 0; p < hw; p++ {
				for c := 0; c < 3; c++ {
					e = max(e, math.Abs(math.Tanh(float64(r.d[p*3+c]))-float64(want[c*hw+p])))
				}
			}
			t.Logf("fixture %s: resized label map, max abs error %.2e", name, e)
			if e > parityTol {
				t.Errorf("fixture %s: resized label map max abs error %.3g", name, e)
			}
		}
		r.Close()
	}
}

func TestFoldSpectral(t *testing.T) {
	f := loadFixture(t, "a")
	wo := f.tensor(t, "spectral.weight_orig")
	got, err := FoldSpectral(wo.Data, f.tensor(t, "spectral.u").Data, f.tensor(t, "spectral.v").Data)
	if err != nil {
		t.Fatal(err)
	}
	want := f.tensor(t, "spectral.weight").Data
	rel := 0.0
	for i := range want {
		rel = max(rel, math.Abs(float64(got[i]-want[i]))/(math.Abs(float64(want[i]))+1e-3))
	}
	t.Logf("FoldSpectral: max relative error %.2e", rel)
	if rel > 1e-5 {
		t.Errorf("FoldSpectral differs from torch's eval weight: relative error %.3g", rel)
	}
	if _, err := FoldSpectral(wo.Data, []float32{1}, []float32{1}); err == nil {
		t.Error("mismatched u/v accepted")
	}
}

func TestParityEncoder(t *testing.T) {
	f := loadFixture(t, "a")
	w, h := f.m.Size()
	r, err := NewRenderer(f.m, w, h, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ph := f.tensor(t, "photo")
	ih, iw := ph.Shape[0], ph.Shape[1]
	img := image.NewRGBA(image.Rect(0, 0, iw, ih))
	for p := 0; p < iw*ih; p++ {
		for c := 0; c < 3; c++ {
			img.Pix[4*p+c] = uint8(ph.Data[3*p+c])
		}
		img.Pix[4*p+3] = 255
	}
	worst := 0.0
	seen := 0
	mu, logvar, err := r.encode(context.Background(), img, func(name string, c, h, w int, chw []float32) {
		if encoderTracesNotStored[name] {
			return
		}
		ref := f.tensor(t, "enc."+name)
		if len(ref.Data) != len(chw) || ref.Shape[0] != c || ref.Shape[1] != h || ref.Shape[2] != w {
			t.Fatalf("encoder %s: trace shape %v, got %dx%dx%d", name, ref.Shape, c, h, w)
		}
		seen++
		e := maxAbs(ref.Data, chw)
		worst = max(worst, e)
		if e > parityTol {
			t.Errorf("encoder %s: max abs error %.3g", name, e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 3 {
		t.Errorf("encoder: %d layer traces checked, want 3 (layer3..layer5)", seen)
	}
	em, ev := maxAbs(f.tensor(t, "mu").Data, mu), maxAbs(f.tensor(t, "logvar").Data, logvar)
	t.Logf("encoder: %d layers max abs error %.2e, mu %.2e, logvar %.2e", seen, worst, em, ev)
	if em > parityTol || ev > parityTol {
		t.Errorf("encoder: mu error %.3g, logvar error %.3g", em, ev)
	}
	z, err := r.EncodeStyle(context.Background(), img)
	if err != nil || maxAbs(z, mu) != 0 {
		t.Errorf("EncodeStyle: %v", err)
	}
}
