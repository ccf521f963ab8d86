package gpu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"spadework/synth"
	"spadework/synth/internal/safetensors"
)

// readRef reads synth/testdata/<name>_ref.safetensors, a parity fixture's
// reference values (train/fixtures.py).
func readRef(t testing.TB, name string) *safetensors.File {
	t.Helper()
	path := filepath.Join("..", "testdata", name+"_ref.safetensors")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := safetensors.Read(bytes.NewReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// loadModel loads the model of a parity fixture: synth/testdata/<name>.safetensors,
// or for a fixture kept as a PyTorch checkpoint (<name>.pth) its import with
// the options the reference's metadata "import" lists.
func loadModel(t testing.TB, name string, ref *safetensors.File) *synth.Model {
	t.Helper()
	base := filepath.Join("..", "testdata", name)
	var m *synth.Model
	var err error
	if js, ok := ref.Metadata["import"]; ok {
		var o synth.ImportOptions
		if err := json.Unmarshal([]byte(js), &o); err != nil {
			t.Fatalf("%s: import options: %v", name, err)
		}
		o.NetG = base + ".pth"
		o.Out = filepath.Join(t.TempDir(), name+".safetensors")
		m, err = synth.Import(o)
	} else {
		m, err = synth.Load(base + ".safetensors")
	}
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return m
}

func TestPILNearest(t *testing.T) {
	for _, tc := range []struct{ in, out int }{{48, 64}, {40, 64}, {64, 64}, {150, 256}, {80, 128}, {3, 2}, {2, 3}, {256, 64}, {7, 300}} {
		got := make([]int32, tc.out)
		pilNearest(got, tc.in, tc.out)
		for i, s := range got {
			// Pillow samples at pixel centres; the fixed-point walk may differ
			// from the exact value only where the exact value is an integer.
			exact := (float64(i) + 0.5) * float64(tc.in) / float64(tc.out)
			if d := float64(s) - math.Floor(exact); s < 0 || int(s) >= tc.in || (d != 0 && exact != math.Floor(exact)) {
				t.Errorf("%d->%d at %d: %d, exact %.4f", tc.in, tc.out, i, s, exact)
			}
		}
	}
}

func TestNearestIndex(t *testing.T) {
	for _, tc := range []struct{ dst, in, out, want int }{{5, 256, 8, 160}, {3, 4, 8, 1}, {7, 7, 7, 7}, {2, 10, 3, 6}} {
		if got := nearestIndex(tc.dst, tc.in, tc.out); got != tc.want {
			t.Errorf("nearestIndex(%d, %d, %d) = %d, want %d", tc.dst, tc.in, tc.out, got, tc.want)
		}
	}
}

func TestLabelMapperEdges(t *testing.T) {
	ids := []uint8{
		1, 1, 1, 1,
		1, 2, 2, 1,
		1, 1, 1, 1,
	}
	im := image.NewPaletted(image.Rect(0, 0, 4, 3), nil)
	copy(im.Pix, ids)
	lm := newLabelMapper(4, 3, func(id int) (int, bool) { return id - 1, id >= 1 && id <= 2 }, true)
	if err := lm.mapLabels(im); err != nil {
		t.Fatal(err)
	}
	want := []uint32{0, 1, 1, 0, 1, 2, 2, 1, 0, 1, 1, 0}
	for i, v := range lm.out {
		if ch := v & 0xffff; ch != uint32(ids[i]-1) {
			t.Errorf("pixel %d: channel %d, want %d", i, ch, ids[i]-1)
		}
		if e := v >> 16; (want[i] != 0) != (e != 0) {
			t.Errorf("pixel %d: edge %d, want %v", i, e, want[i] != 0)
		}
	}
	im.Pix[0] = 9
	if err := lm.mapLabels(im); !errors.Is(err, synth.ErrUnknownLabel) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestPlanShapes(t *testing.T) {
	for _, name := range []string{"fixture_a", "fixture_b", "fixture_c"} {
		m := loadModel(t, name, readRef(t, name))
		w, h := m.Size()
		p, err := newPlan(m, w, h)
		if err != nil {
			t.Fatal(err)
		}
		last := p.stages[len(p.stages)-1]
		if last.name != "out" || last.c != 3 || last.h != h || last.w != w {
			t.Errorf("%s: last stage %+v", name, last)
		}
		if len(p.stages) != len(m.G.Blocks)+2 {
			t.Errorf("%s: %d stages for %d blocks", name, len(p.stages), len(m.G.Blocks))
		}
		for i, o := range p.ops {
			for _, b := range o.bufs {
				if b < 0 || b >= len(p.bufs) {
					t.Fatalf("%s: op %d binds buffer %d", name, i, b)
				}
			}
		}
		if _, err := newPlan(m, w+1, h); err == nil {
			t.Errorf("%s: plan at %dx%d accepted", name, w+1, h)
		}
	}
}

// TestOpenCPU works on every platform: cpu is always there, and auto ends
// on a working renderer whether or not a GPU is.
func TestOpenCPU(t *testing.T) {
	m := loadModel(t, "fixture_c", readRef(t, "fixture_c"))
	w, h := m.Size()
	for _, dev := range []string{DeviceCPU, DeviceAuto} {
		b, used, reason, err := Open(context.Background(), m, w, h, dev, Options{Threads: 1})
		if err != nil {
			t.Fatalf("Open(%s): %v", dev, err)
		}
		t.Logf("%s: %s (%s)", dev, used, reason)
		im := image.NewPaletted(image.Rect(0, 0, w, h), nil)
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		if err := b.Render(context.Background(), im, nil, dst); err != nil {
			t.Fatalf("%s: %v", dev, err)
		}
		b.Close()
	}
}

func TestIsSoftware(t *testing.T) {
	for _, tc := range []struct {
		info string
		want bool
	}{
		{"Mesa / llvmpipe (LLVM 15.0.6, 256 bits) / 4.5 (Core Profile) Mesa 22.3.6", true},
		{"Mesa / softpipe / 3.3", true},
		{"Google / SwiftShader", true},
		{"Intel / Mesa Intel(R) UHD Graphics 620 (KBL GT2) / 4.6 (Core Profile) Mesa 22.3.6", false},
		{"NVIDIA Corporation / NVIDIA GeForce RTX 3060/PCIe/SSE2 / 4.6.0 NVIDIA 535.104.05", false},
		{"AMD / AMD Radeon Graphics (renoir, LLVM 15.0.6, DRM 3.49) / 4.6 (Core Profile) Mesa 22.3.6", false},
	} {
		if got := IsSoftware(tc.info); got != tc.want {
			t.Errorf("IsSoftware(%q) = %v, want %v", tc.info, got, tc.want)
		}
	}
}
