package synth

import (
	"context"
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	fixturefile "spadework/synth/internal/fixture"
	"spadework/synth/internal/safetensors"
)

// A parity fixture (train/fixtures.py writes them all):
//
//	testdata/fixture_<x>.safetensors   the model; fixture c instead is
//	                                   testdata/fixture_c.pth, imported with the
//	                                   options in the ref file's metadata "import"
//	testdata/fixture_<x>_labels.png    the label map (dataset ids, 8-bit gray)
//	testdata/fixture_<x>_out.png       PyTorch's whole tanh output x, 16-bit RGB:
//	                                   round((x + 1) / 2 * 65535)
//	testdata/fixture_<x>_ref.safetensors  z, mu, logvar, ... and every block's
//	                                   output at the sampled positions of samplePositions
type fixture struct {
	name    string
	m       *Model
	ref     *safetensors.File
	trace   map[string][3]int // metadata trace_shapes: each block's [C, H, W]
	enc     map[string][3]int // enc_shapes: each encoder layer's (fixture a)
	samples int               // trace_samples
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	base := "testdata/fixture_" + name
	path := base + "_ref.safetensors"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := safetensors.Read(bytesReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{name: name, ref: ref}
	for k, m := range map[string]*map[string][3]int{"trace_shapes": &f.trace, "enc_shapes": &f.enc} {
		if js, ok := ref.Metadata[k]; ok {
			if err := json.Unmarshal([]byte(js), m); err != nil {
				t.Fatalf("%s: %s: %v", path, k, err)
			}
		}
	}
	if len(f.trace) == 0 {
		t.Fatalf("%s: no trace_shapes", path)
	}
	if f.samples, err = strconv.Atoi(ref.Metadata["trace_samples"]); err != nil || f.samples <= 0 {
		t.Fatalf("%s: trace_samples %q", path, ref.Metadata["trace_samples"])
	}
	if js, ok := ref.Metadata["import"]; ok {
		var o ImportOptions
		if err := json.Unmarshal([]byte(js), &o); err != nil {
			t.Fatalf("%s: import: %v", path, err)
		}
		o.NetG = base + ".pth"
		o.Out = filepath.Join(t.TempDir(), "fixture_"+name+".safetensors")
		f.m, err = Import(o)
	} else {
		f.m, err = Load(base + ".safetensors")
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f fixture) tensor(t testing.TB, name string) *safetensors.Tensor {
	t.Helper()
	x, ok := f.ref.Get(name)
	if !ok {
		t.Fatalf("%s: no tensor %s", f.ref.Name, name)
	}
	return x
}

// renderer opens a 2-thread Renderer at the fixture's native size, closed
// when the test ends.
func (f fixture) renderer(t testing.TB) *Renderer {
	t.Helper()
	w, h := f.m.Size()
	r, err := NewRenderer(f.m, w, h, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// labels reads testdata/fixture_<x>_<name>.png, a label map of ids.
func (f fixture) labels(t testing.TB, name string) *image.Paletted {
	t.Helper()
	p, err := fixturefile.Labels("testdata/fixture_" + f.name + "_" + name + ".png")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// out reads PyTorch's whole tanh output, [3, H, W] CHW, from
// testdata/fixture_<x>_out.png: each value within 1/65535 of torch's.
func (f fixture) out(t testing.TB) []float32 {
	t.Helper()
	x, _, _, err := fixturefile.Output("testdata/fixture_" + f.name + "_out.png")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// segOf maps a label map of ids to channels.
func (f fixture) segOf(t testing.TB, ids *image.Paletted) SegMap {
	b := ids.Bounds()
	w, h := b.Dx(), b.Dy()
	s := SegMap{W: w, H: h, Channel: make([]int32, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := ids.Pix[y*ids.Stride+x]
			c, ok := f.m.Channel(int(v))
			if !ok {
				t.Fatalf("fixture id %v unknown", v)
			}
			s.Channel[y*w+x] = int32(c)
		}
	}
	return s
}

// traceError compares a block output chw ([c, h, w]) with the reference
// values stored under key for a block of shape want (as the metadata
// records it) and returns the largest absolute difference.
func (f fixture) traceError(t testing.TB, key string, want [3]int, c, h, w int, chw []float32) float64 {
	t.Helper()
	if want != [3]int{c, h, w} || len(chw) != c*h*w {
		t.Fatalf("fixture %s: %s is %dx%dx%d (%d values), reference %v", f.name, key, c, h, w, len(chw), want)
	}
	ref := f.tensor(t, key)
	pos := fixturefile.SamplePositions(c*h*w, f.samples)
	if len(ref.Data) != len(pos) {
		t.Fatalf("fixture %s: %s holds %d values, want %d", f.name, key, len(ref.Data), len(pos))
	}
	e := 0.0
	for k, p := range pos {
		e = max(e, math.Abs(float64(ref.Data[k])-float64(chw[p])))
	}
	return e
}

func maxAbs(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

const parityTol = 1e-3

// refImage is the reference's tensor2im of a [3, H, W] tanh output,
// computed in float32 like train/fixtures.py: ((x + 1) / 2 * 255), clipped,
// truncated; HWC. From the 16-bit output PNG (1/65535 from torch's value)
// a value can land on the other side of an integer only within 0.002 of it.
func refImage(out []float32, h, w int) []uint8 {
	img := make([]uint8, h*w*3)
	for p := 0; p < h*w; p++ {
		for k := 0; k < 3; k++ {
			v := float32(float32(out[k*h*w+p]+1)/2) * 255
			img[p*3+k] = uint8(min(max(v, 0), 255))
		}
	}
	return img
}

// TestParity runs each fixture's generator (dense and band paths) and
// checks every block's output against PyTorch's at the stored positions and
// the whole tanh output, within parityTol.
func TestParity(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		f := loadFixture(t, name)
		wantOut := f.out(t)
		for _, dense := range []bool{true, false} {
			w, h := f.m.Size()
			r, err := NewRenderer(f.m, w, h, 2)
			if err != nil {
				t.Fatal(err)
			}
			var z []float32
			if f.m.cfg.UseVAE {
				z = f.tensor(t, "z").Data
			}
			seg := f.segOf(t, f.labels(t, "labels"))
			worst, outErr := 0.0, 0.0
			var seen []string
			out, err := r.Forward(context.Background(), seg, z, dense, func(name string, c, h, w int, chw []float32) {
				var e float64
				if name == "out" {
					if c*h*w != len(wantOut) {
						t.Fatalf("fixture %s: output %dx%dx%d, reference %d values", f.name, c, h, w, len(wantOut))
					}
					e = maxAbs(wantOut, chw)
					outErr = e
				} else {
					e = f.traceError(t, "trace."+name, f.trace[name], c, h, w, chw)
					worst = max(worst, e)
				}
				seen = append(seen, name)
				if e > parityTol {
					t.Errorf("fixture %s dense=%v: %s max abs error %.3g", f.name, dense, name, e)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != len(f.trace) {
				t.Errorf("fixture %s: traced %v, the reference has %d blocks", f.name, seen, len(f.trace))
			}
			if e := maxAbs(wantOut, out); e > parityTol {
				t.Errorf("fixture %s: output max abs error %.3g", name, e)
			}
			t.Logf("fixture %s dense=%v: %d traces, max abs error %.2e at the sampled positions, whole output %.2e",
				name, dense, len(seen), worst, outErr)
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
		if err := r.Render(context.Background(), f.labels(t, "labels"), z, dst); err != nil {
			t.Fatal(err)
		}
		ref := refImage(f.out(t), h, w)
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
		r.Close()
	}
}

// TestParityResizedLabels: a label map of another size is resized like PIL
// NEAREST. The engine's output for the small map must be the output for
// PIL's resize of it (fixture_a_labels_small_nearest.png), and PyTorch's on
// that resize at the stored positions.
func TestParityResizedLabels(t *testing.T) {
	f := loadFixture(t, "a")
	r := f.renderer(t)
	w, h := r.Size()
	z := f.tensor(t, "z").Data
	tanhOf := func(labels *image.Paletted) []float32 {
		if err := r.loadLabels(labels); err != nil {
			t.Fatal(err)
		}
		if err := r.prepareLevels(false); err != nil {
			t.Fatal(err)
		}
		if err := r.forward(context.Background(), z, false, nil); err != nil {
			t.Fatal(err)
		}
		hw := w * h
		out := make([]float32, 3*hw) // CHW
		for p := 0; p < hw; p++ {
			for c := 0; c < 3; c++ {
				out[c*hw+p] = float32(math.Tanh(float64(r.d[p*3+c])))
			}
		}
		return out
	}
	small := f.labels(t, "labels_small")
	if b := small.Bounds(); b.Dx() == w && b.Dy() == h {
		t.Fatalf("labels_small is %v, the render size", b)
	}
	got := tanhOf(small)
	resized := tanhOf(f.labels(t, "labels_small_nearest"))
	if e := maxAbs(got, resized); e > 1e-6 {
		t.Errorf("labels %v resized differ from PIL NEAREST's resize: max abs difference %.3g", small.Bounds().Size(), e)
	}
	e := f.traceError(t, "trace_small.out", f.trace["out"], 3, h, w, got)
	t.Logf("resized label map: max abs error %.2e", e)
	if e > parityTol {
		t.Errorf("resized label map max abs error %.3g", e)
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
	r := f.renderer(t)
	img := readPNG(t, "testdata/fixture_a_photo.png")
	if b := img.Bounds(); b.Dx() == 256 && b.Dy() == 256 {
		t.Fatal("the photo should need resizing")
	}
	worst := 0.0
	seen := 0
	mu, logvar, err := r.encode(context.Background(), img, func(name string, c, h, w int, chw []float32) {
		seen++
		e := f.traceError(t, "enc."+name, f.enc[name], c, h, w, chw)
		worst = max(worst, e)
		if e > parityTol {
			t.Errorf("encoder %s: max abs error %.3g", name, e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(f.enc) || seen < 5 {
		t.Errorf("encoder: %d layer traces checked, the reference has %d", seen, len(f.enc))
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
