package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func sample() []Tensor {
	return []Tensor{
		{Name: "b.weight", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, 1e-3, -65504}},
		{Name: "a.bias", Shape: []int{3}, Data: []float32{0.25, 0.5, -0.75}},
		{Name: "scalar", Shape: []int{}, Data: []float32{7}},
		{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, fp16 := range []bool{false, true} {
		var buf bytes.Buffer
		meta := map[string]string{"format": "x", "config": `{"a":1}`}
		if err := Write(&buf, sample(), meta, fp16); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		hl := binary.LittleEndian.Uint64(b)
		if (8+hl)%8 != 0 {
			t.Errorf("fp16=%v: data section starts at %d, not 8-byte aligned", fp16, 8+hl)
		}
		f, err := Read(bytes.NewReader(b), int64(len(b)), "x.safetensors")
		if err != nil {
			t.Fatalf("fp16=%v: %v", fp16, err)
		}
		if f.Metadata["config"] != `{"a":1}` || f.Metadata["format"] != "x" {
			t.Errorf("metadata %v", f.Metadata)
		}
		for _, want := range sample() {
			got, ok := f.Get(want.Name)
			if !ok {
				t.Fatalf("missing %s", want.Name)
			}
			if len(got.Shape) != len(want.Shape) || len(got.Data) != len(want.Data) {
				t.Fatalf("%s: shape %v want %v", want.Name, got.Shape, want.Shape)
			}
			for i := range want.Data {
				w := want.Data[i]
				if fp16 {
					w = HalfToFloat(FloatToHalf(w))
				}
				if got.Data[i] != w {
					t.Errorf("%s[%d] = %v want %v", want.Name, i, got.Data[i], w)
				}
			}
		}
		for i := 1; i < len(f.Tensors); i++ {
			if f.Tensors[i-1].Name >= f.Tensors[i].Name {
				t.Errorf("tensors not sorted")
			}
		}
	}
}

func TestHalf(t *testing.T) {
	// Every half value converts to float32 and back unchanged.
	for h := 0; h < 1<<16; h++ {
		f := HalfToFloat(uint16(h))
		if f != f {
			if FloatToHalf(f)&0x7c00 != 0x7c00 || FloatToHalf(f)&0x3ff == 0 {
				t.Fatalf("NaN %#x lost", h)
			}
			continue
		}
		if g := FloatToHalf(f); g != uint16(h) {
			t.Fatalf("half %#x -> %v -> %#x", h, f, g)
		}
	}
	cases := []struct {
		f float32
		h uint16
	}{
		{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65520, 0x7c00}, {1e10, 0x7c00},
		{float32(math.Inf(-1)), 0xfc00}, {5.96e-8, 0x0001}, {1e-9, 0}, {1.0009765625, 0x3c01},
		{1.00048828125, 0x3c00}, // tie rounds to even
		{1.00146484375, 0x3c02}, // tie rounds to even (up)
	}
	for _, c := range cases {
		if g := FloatToHalf(c.f); g != c.h {
			t.Errorf("FloatToHalf(%v) = %#x want %#x", c.f, g, c.h)
		}
	}
	if v := math.Float32frombits(uint32(0x3f80) << 16); v != 1 {
		t.Fatal(v)
	}
}

func TestBF16(t *testing.T) {
	hdr := `{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`
	b := build(hdr, []byte{0x80, 0x3f, 0x00, 0xc0})
	f, err := Read(bytes.NewReader(b), int64(len(b)), "bf.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Tensors[0].Data; d[0] != 1 || d[1] != -2 {
		t.Fatal(d)
	}
}

func build(hdr string, data []byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint64(b, uint64(len(hdr)))
	b = append(b, hdr...)
	return append(b, data...)
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name, hdr string
		data      int
		want      string
	}{
		{"dtype", `{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8, "tensor w: unsupported dtype"},
		{"size", `{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8, "tensor w: shape [3] of F32 needs 12 bytes"},
		{"bounds", `{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8, "tensor w: data_offsets [0, 16] outside"},
		{"overlap", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12, "overlap"},
		{"overlap-empty-between", `{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, 16, "overlap"},
		{"wrap", `{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}`, 0, "tensor w: shape"},
		{"neg", `{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4, "negative"},
		{"huge", `{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}`, 4, "needs more bytes"},
		{"json", `[1,2]`, 0, "not a JSON object"},
		{"meta", `{"__metadata__":{"a":1}}`, 0, "__metadata__"},
		{"offsets", `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, 4, "2 entries"},
	}
	for _, c := range cases {
		b := build(c.hdr, make([]byte, c.data))
		_, err := Read(bytes.NewReader(b), int64(len(b)), "m.safetensors")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "m.safetensors: ") {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
	// Header length beyond the file or the limit.
	for _, hl := range []uint64{1 << 40, 1000, MaxHeader + 1} {
		b := binary.LittleEndian.AppendUint64(nil, hl)
		b = append(b, "{}"...)
		if _, err := Read(bytes.NewReader(b), int64(len(b)), "m"); err == nil || !strings.Contains(err.Error(), "bad header length") {
			t.Errorf("header length %d: %v", hl, err)
		}
	}
	if _, err := Read(bytes.NewReader([]byte{1, 2}), 2, "m"); err == nil {
		t.Error("short file accepted")
	}
}

func TestWriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1}}}, nil, false); err == nil {
		t.Error("shape/data mismatch accepted")
	}
	if err := Write(&buf, []Tensor{{Name: "a", Data: []float32{1}}, {Name: "a", Data: []float32{1}}}, nil, false); err == nil {
		t.Error("duplicate accepted")
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, sample(), map[string]string{"k": "v"}, false)
	f.Add(buf.Bytes())
	buf.Reset()
	Write(&buf, sample(), nil, true)
	f.Add(buf.Bytes())
	f.Add(build(`{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Read(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, file.Tensors, file.Metadata, false); err != nil {
			t.Fatalf("re-encoding a file that read fine: %v", err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()), int64(out.Len()), "again")
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("tensor count %d != %d", len(again.Tensors), len(file.Tensors))
		}
		for i := range file.Tensors {
			a, b := file.Tensors[i].Data, again.Tensors[i].Data
			for j := range a {
				if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
					t.Fatalf("%s[%d] changed", file.Tensors[i].Name, j)
				}
			}
		}
	})
}
