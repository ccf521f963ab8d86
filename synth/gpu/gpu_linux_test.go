//go:build linux && cgo

package gpu

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"spadework/synth"
	fixturefile "spadework/synth/internal/fixture"
	"spadework/synth/internal/safetensors"
)

func TestMain(m *testing.M) {
	// Mesa's llvmpipe unless the caller asks for the real driver: the tests
	// then behave the same on every machine, GPU or not.
	if os.Getenv("SPADEWORK_GPU_HW") == "" {
		setDefault("LIBGL_ALWAYS_SOFTWARE", "1")
		setDefault("EGL_PLATFORM", "surfaceless")
	}
	autoTakesSoftware = true
	os.Exit(m.Run())
}

func setDefault(k, v string) {
	if _, ok := os.LookupEnv(k); !ok {
		os.Setenv(k, v)
	}
}

// needGL skips the test when no OpenGL 4.3 compute context can be made at
// all (no EGL, no Mesa): the one situation in which the GPU path cannot be
// tested. Any other failure is a test failure.
func needGL(t testing.TB) string {
	t.Helper()
	info, err := Probe()
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			t.Skipf("no OpenGL 4.3 compute context on this machine (install Mesa: libegl1, libgl1-mesa-dri): %v", err)
		}
		t.Fatalf("Probe: %v", err)
	}
	return info
}

func TestProbe(t *testing.T) {
	info := needGL(t)
	t.Logf("GL: %s", info)
}

// fixture is a model from synth/testdata with its PyTorch reference
// (train/fixtures.py; the layout is described in synth/parity_test.go).
type fixture struct {
	name    string
	m       *synth.Model
	ref     *safetensors.File
	trace   map[string][3]int // each block's [C, H, W] (metadata trace_shapes)
	samples int               // positions stored per trace (trace_samples)
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	ref := readRef(t, name)
	f := fixture{name: name, ref: ref, m: loadModel(t, name, ref)}
	if err := json.Unmarshal([]byte(ref.Metadata["trace_shapes"]), &f.trace); err != nil {
		t.Fatalf("%s: trace_shapes: %v", name, err)
	}
	var err error
	if f.samples, err = strconv.Atoi(ref.Metadata["trace_samples"]); err != nil || f.samples <= 0 {
		t.Fatalf("%s: trace_samples %q", name, ref.Metadata["trace_samples"])
	}
	return f
}

func (f fixture) tensor(t testing.TB, name string) *safetensors.Tensor {
	t.Helper()
	x, ok := f.ref.Get(name)
	if !ok {
		t.Fatalf("reference has no %s", name)
	}
	return x
}

// labels reads synth/testdata/<fixture>_<name>.png, a label map of ids
// (8-bit gray), as a paletted image.
func (f fixture) labels(t testing.TB, name string) *image.Paletted {
	t.Helper()
	p, err := fixturefile.Labels(filepath.Join("..", "testdata", f.name+"_"+name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// out reads PyTorch's whole tanh output, [3, H, W], from the 16-bit
// <fixture>_out.png (round((x + 1) / 2 * 65535)).
func (f fixture) out(t testing.TB) []float32 {
	t.Helper()
	x, _, _, err := fixturefile.Output(filepath.Join("..", "testdata", f.name+"_out.png"))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// sampledError is the largest difference between chw and the reference
// values stored under key at samplePositions.
func (f fixture) sampledError(t testing.TB, key string, chw []float32) float64 {
	t.Helper()
	ref := f.tensor(t, key)
	pos := fixturefile.SamplePositions(len(chw), f.samples)
	if len(ref.Data) != len(pos) {
		t.Fatalf("%s: %s holds %d values, want %d", f.name, key, len(ref.Data), len(pos))
	}
	var d float64
	for k, p := range pos {
		d = max(d, math.Abs(float64(chw[p])-float64(ref.Data[k])))
	}
	return d
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// refImage is the reference's tensor2im of a [3, H, W] tanh output, as
// train/fixtures.py computes it in float32: ((x + 1) / 2 * 255), clipped,
// truncated; HWC.
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

func TestFixtureParity(t *testing.T) {
	needGL(t)
	for _, name := range []string{"fixture_a", "fixture_b", "fixture_c"} {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			w, h := f.m.Size()
			ctx := context.Background()
			r, err := New(ctx, f.m, w, h)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer r.Close()
			labels := f.labels(t, "labels")
			var z []float32
			if f.m.Config().UseVAE {
				z = f.tensor(t, "z").Data
			}
			out := f.out(t)
			if len(r.p.stages) != len(f.trace) {
				t.Errorf("%d stages, the reference has %d blocks", len(r.p.stages), len(f.trace))
			}
			for _, st := range r.p.stages {
				got, shape, err := r.traceStage(ctx, labels, z, st.name)
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				if want := f.trace[st.name]; len(shape) != 3 || [3]int{shape[0], shape[1], shape[2]} != want {
					t.Fatalf("%s: shape %v, reference %v", st.name, shape, want)
				}
				var d float64
				if st.name == "out" {
					d = maxAbsDiff(got, out)
				} else {
					d = f.sampledError(t, "trace."+st.name, got)
				}
				t.Logf("%-10s %v max |gpu - torch| = %.2e", st.name, shape, d)
				if d > 1e-3 {
					t.Errorf("%s: max error %.2e > 1e-3", st.name, d)
				}
			}
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			if err := r.Render(ctx, labels, z, dst); err != nil {
				t.Fatal(err)
			}
			img := refImage(out, h, w)
			off := 0
			for i := 0; i < w*h; i++ {
				for c := 0; c < 3; c++ {
					if d := int(dst.Pix[4*i+c]) - int(img[3*i+c]); d > 1 || d < -1 {
						off++
					}
				}
				if dst.Pix[4*i+3] != 255 {
					t.Fatalf("alpha %d at pixel %d", dst.Pix[4*i+3], i)
				}
			}
			if off > 0 {
				t.Errorf("%d channel values differ from the reference image by more than 1", off)
			}
			if _, ok := f.ref.Get("trace_small.out"); ok {
				// A label map of another size is resized like PIL NEAREST:
				// as PIL's resize of it, and as PyTorch's output on that.
				small := f.labels(t, "labels_small")
				got, _, err := r.traceStage(ctx, small, z, "out")
				if err != nil {
					t.Fatal(err)
				}
				want, _, err := r.traceStage(ctx, f.labels(t, "labels_small_nearest"), z, "out")
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(got, want); d > 1e-6 {
					t.Errorf("labels %v resized: differ from PIL NEAREST's resize by %.2e", small.Bounds().Size(), d)
				}
				d := f.sampledError(t, "trace_small.out", got)
				t.Logf("labels %v resized: max error %.2e", small.Bounds().Size(), d)
				if d > 1e-3 {
					t.Errorf("resized labels: max error %.2e > 1e-3", d)
				}
			}
		})
	}
}

// TestDisplayPaths opens a context through each EGL path Mesa offers here
// (surfaceless, the software EGL device, the default display), so the
// fallbacks used on other machines are exercised too.
func TestDisplayPaths(t *testing.T) {
	needGL(t)
	defer func() { firstPlatform = 1 }()
	for first := 1; first <= 3; first++ {
		firstPlatform = first
		info, err := Probe()
		t.Logf("from path %d: %q, %v", first, info, err)
		if first == 1 && err != nil {
			t.Errorf("surfaceless: %v", err)
		}
	}
}
