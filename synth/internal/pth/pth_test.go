package pth

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type expected struct {
	Shape  []int     `json:"shape"`
	DType  string    `json:"dtype"`
	Values []float64 `json:"values"`
}

func loadExpected(t *testing.T) map[string]expected {
	t.Helper()
	b, err := os.ReadFile("testdata/basic_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]expected
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBasic(t *testing.T) {
	want := loadExpected(t)
	for _, tc := range []struct{ file, format string }{
		{"basic.pth", "zip"},
		{"basic_legacy.pth", "legacy"},
		{"basic_p4.pth", "zip"},
		{"basic_p5_legacy.pth", "legacy"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			sd, err := Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if sd.Format != tc.format {
				t.Errorf("format %q, want %q", sd.Format, tc.format)
			}
			if len(sd.Names) != len(want) {
				t.Errorf("%d tensors, want %d: %v", len(sd.Names), len(want), sd.Names)
			}
			if sd.Names[0] != "f32" || sd.Names[len(sd.Names)-1] != "expanded" {
				t.Errorf("order lost: %v", sd.Names)
			}
			for name, w := range want {
				got := sd.Tensors[name]
				if got == nil {
					t.Errorf("%s missing", name)
					continue
				}
				if got.DType.String() != w.DType {
					t.Errorf("%s: dtype %s, want %s", name, got.DType, w.DType)
				}
				if !reflect.DeepEqual(got.Shape, w.Shape) && !(len(got.Shape) == 0 && len(w.Shape) == 0) {
					t.Errorf("%s: shape %v, want %v", name, got.Shape, w.Shape)
				}
				if got.NumEl() != len(w.Values) {
					t.Errorf("%s: %d elements, want %d", name, got.NumEl(), len(w.Values))
					continue
				}
				for i, v := range w.Values {
					var g float64
					if got.DType.IsFloat() {
						g = float64(got.Data[i])
					} else {
						g = float64(got.Ints[i])
					}
					if math.Abs(g-v) > 1e-6*math.Max(1, math.Abs(v)) {
						t.Errorf("%s[%d] = %v, want %v", name, i, g, v)
						break
					}
				}
			}
		})
	}
}

func TestWrapped(t *testing.T) {
	for _, f := range []string{"wrapped.pth", "wrapped_legacy.pth"} {
		sd, err := Open(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if sd.Path != "state_dict" || sd.Stripped != "module." {
			t.Errorf("%s: path %q stripped %q", f, sd.Path, sd.Stripped)
		}
		if !reflect.DeepEqual(sd.Names, []string{"conv.weight", "conv.bias"}) {
			t.Errorf("%s: names %v", f, sd.Names)
		}
		if b := sd.Tensors["conv.bias"].Data; b[0] != 0.5 || b[1] != -0.5 {
			t.Errorf("%s: bias %v", f, b)
		}
	}
}

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		file string
		is   error
		text string
	}{
		{"module.pth", ErrModule, "module.pth: pickle byte"},
		{"module_legacy.pth", ErrModule, "pickled nn.Module"},
		{"global.pth", ErrGlobal, "argparse.Namespace"},
	} {
		_, err := Open(filepath.Join("testdata", tc.file))
		if err == nil {
			t.Errorf("%s: no error", tc.file)
			continue
		}
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: error %q, want %v containing %q", tc.file, err, tc.is, tc.text)
		}
	}
}

// TestTruncated cuts the fixtures at many points: every cut must give an
// error (never a panic), naming the file.
func TestTruncated(t *testing.T) {
	for _, f := range []string{"basic.pth", "basic_legacy.pth"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n += 7 {
			_, err := Read(bytes.NewReader(data[:n]), int64(n), f)
			if err == nil {
				t.Fatalf("%s cut at %d: no error", f, n)
			}
			if !strings.HasPrefix(err.Error(), f+": ") {
				t.Fatalf("%s cut at %d: error %q does not name the file", f, n, err)
			}
		}
	}
}

func TestLegacyStorageMessage(t *testing.T) {
	data, err := os.ReadFile("testdata/basic_legacy.pth")
	if err != nil {
		t.Fatal(err)
	}
	n := len(data) - 3
	_, err = Read(bytes.NewReader(data[:n]), int64(n), "latest_net_G.pth")
	if err == nil || !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "needs") || !strings.Contains(err.Error(), "bytes, file has") {
		t.Errorf("error %v", err)
	}
}

// TestZipFolderName: the top-level folder of the archive may have any name.
func TestZipFolderName(t *testing.T) {
	data, err := os.ReadFile("testdata/wrapped.pth")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		name := "archive/" + f.Name[strings.Index(f.Name, "/")+1:]
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		b := new(bytes.Buffer)
		b.ReadFrom(rc)
		w.Write(b.Bytes())
	}
	zw.Close()
	sd, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "x.pth")
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Names) != 2 {
		t.Errorf("names %v", sd.Names)
	}
}

func TestPickleLimits(t *testing.T) {
	deep := append([]byte{0x80, 2}, bytes.Repeat([]byte{'('}, MaxDepth+1)...)
	if _, _, err := unpickle(deep, nil); !errors.Is(err, ErrLimit) {
		t.Errorf("deep nesting: %v", err)
	}
	huge := []byte{0x80, 4, 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	if _, _, err := unpickle(huge, nil); !errors.Is(err, ErrTruncated) {
		t.Errorf("huge string: %v", err)
	}
	// A storage claiming 8 GiB.
	pid := []byte("\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu\x8a\x05\x00\x00\x00\x00\x02tQ.")
	persist := func(pid any) (any, error) {
		_, _, _, _, err := storagePID(pid)
		return nil, err
	}
	if _, _, err := unpickle(pid, persist); !errors.Is(err, ErrLimit) {
		t.Errorf("8 GiB storage: %v", err)
	}
	if _, _, err := unpickle([]byte("\x80\x02cos\nsystem\n."), nil); !errors.Is(err, ErrGlobal) || !strings.Contains(err.Error(), "os.system") {
		t.Errorf("os.system: %v", err)
	}
}

func TestHalf(t *testing.T) {
	for _, tc := range []struct {
		h uint16
		f float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x0001, 5.960464477539063e-08}, {0x7bff, 65504}, {0x0000, 0}, {0x3555, 0.333251953125}} {
		if got := halfToFloat(tc.h); got != tc.f {
			t.Errorf("half %#x = %v, want %v", tc.h, got, tc.f)
		}
	}
	if !math.IsInf(float64(halfToFloat(0x7c00)), 1) || !math.IsNaN(float64(halfToFloat(0x7e00))) {
		t.Error("inf/nan")
	}
}

func TestGatherIndex(t *testing.T) {
	// 2x3 transposed view of a 3x2 matrix: strides (1, 2).
	got := gatherIndex([]int64{2, 3}, []int64{1, 2}, 6)
	if !reflect.DeepEqual(got, []int64{0, 2, 4, 1, 3, 5}) {
		t.Errorf("got %v", got)
	}
	if gatherIndex([]int64{2, 1, 3}, []int64{3, 7, 1}, 6) != nil {
		t.Error("size-1 dims must not break contiguity")
	}
}

// TestLegacyViews reads storage views as torch < 1.0 wrote them (a view key,
// an element offset into the root storage and a length), including two
// persistent ids naming the same view.
func TestLegacyViews(t *testing.T) {
	sd, err := Open("testdata/views_legacy.pth")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]float32{
		"view":       {3, 4, 5, 6},
		"view_again": {2, 3, 4, 5, 6},
		"whole":      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		"half":       {-1, 2, 65504},
	} {
		got := sd.Tensors[name]
		if got == nil || !reflect.DeepEqual(got.Data, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if !reflect.DeepEqual(sd.Tensors["view"].Shape, []int{2, 2}) {
		t.Errorf("view shape %v", sd.Tensors["view"].Shape)
	}
}
