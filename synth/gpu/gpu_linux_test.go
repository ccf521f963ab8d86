//go:build linux && cgo

package gpu

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"spadework/synth"
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

// fixture is a model from synth/testdata with its PyTorch reference.
type fixture struct {
	m   *synth.Model
	ref *safetensors.File
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	dir := filepath.Join("..", "testdata")
	m, err := synth.Load(filepath.Join(dir, name+".safetensors"))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	path := filepath.Join(dir, name+"_ref.safetensors")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := safetensors.Read(bytesReaderAt(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{m: m, ref: ref}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, fmt.Errorf("EOF")
	}
	return copy(p, b[off:]), nil
}

func (f fixture) tensor(t testing.TB, name string) *safetensors.Tensor {
	t.Helper()
	x, ok := f.ref.Get(name)
	if !ok {
		t.Fatalf("reference has no %s", name)
	}
	return x
}

// paletted makes a label map from a [H, W] tensor of ids.
func paletted(x *safetensors.Tensor) *image.Paletted {
	h, w := x.Shape[0], x.Shape[1]
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{uint8(i)}
	}
	im := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i, v := range x.Data {
		im.Pix[i] = uint8(v)
	}
	return im
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
			labels := paletted(f.tensor(t, "labels"))
			var z []float32
			if f.m.Config().UseVAE {
				z = f.tensor(t, "z").Data
			}
			for _, st := range r.p.stages {
				got, shape, err := r.traceStage(ctx, labels, z, st.name)
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				want := f.tensor(t, "trace."+st.name)
				if len(want.Data) != len(got) {
					t.Fatalf("%s: shape %v, reference %v", st.name, shape, want.Shape)
				}
				d := maxAbsDiff(got, want.Data)
				t.Logf("%-10s %v max |gpu - torch| = %.2e", st.name, shape, d)
				if d > 1e-3 {
					t.Errorf("%s: max error %.2e > 1e-3", st.name, d)
				}
			}
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			if err := r.Render(ctx, labels, z, dst); err != nil {
				t.Fatal(err)
			}
			img := refImage(f.tensor(t, "trace.out"))
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
			if small, ok := f.ref.Get("labels_small"); ok {
				got, _, err := r.traceStage(ctx, paletted(small), z, "out")
				if err != nil {
					t.Fatal(err)
				}
				d := maxAbsDiff(got, f.tensor(t, "trace_small.out").Data)
				t.Logf("labels %v resized: max error %.2e", small.Shape, d)
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
