// Package safetensors reads and writes the safetensors container: an 8-byte
// little-endian header length, a JSON header naming every tensor's dtype,
// shape and byte range, then the raw little-endian data.
//
// Only the float dtypes a weight file needs are supported (F32, F16, BF16);
// every tensor is returned as []float32 so the engine has one numeric type.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// MaxHeader bounds the JSON header so a corrupt length cannot make Read
// allocate gigabytes before it has validated anything.
const MaxHeader = 100 << 20

// Tensor is one named array, converted to float32, in row-major order.
type Tensor struct {
	Name  string
	DType string // dtype as stored in the file: "F32", "F16" or "BF16"
	Shape []int
	Data  []float32
}

// Numel is the product of the shape (1 for a scalar).
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is a decoded safetensors file.
type File struct {
	Name     string
	Metadata map[string]string
	Tensors  []Tensor // sorted by name
	index    map[string]int
}

// Get returns the tensor called name.
func (f *File) Get(name string) (*Tensor, bool) {
	i, ok := f.index[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

func dtypeSize(dt string) int {
	switch dt {
	case "F32":
		return 4
	case "F16", "BF16":
		return 2
	}
	return 0
}

type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Read decodes a whole safetensors file of the given size; name is used in
// error messages only. The header is checked strictly: its length must fit
// the file and MaxHeader, every tensor's byte range must lie in the data
// section, ranges must not overlap and each range's length must equal the
// shape's element count times the dtype size.
func Read(r io.ReaderAt, size int64, name string) (*File, error) {
	if size < 8 {
		return nil, fmt.Errorf("%s: not a safetensors file: %d bytes, need at least 8", name, size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("%s: reading header length: %w", name, err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen < 2 || hlen > MaxHeader || int64(hlen) > size-8 {
		return nil, fmt.Errorf("%s: bad header length %d (file is %d bytes, limit %d)", name, hlen, size, MaxHeader)
	}
	hdr := make([]byte, hlen)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, fmt.Errorf("%s: reading header: %w", name, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, fmt.Errorf("%s: header is not a JSON object: %v", name, err)
	}
	dataStart := 8 + int64(hlen)
	dataLen := size - dataStart
	f := &File{Name: name, Metadata: map[string]string{}, index: map[string]int{}}
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := raw[k]
		if k == "__metadata__" {
			if err := json.Unmarshal(v, &f.Metadata); err != nil {
				return nil, fmt.Errorf("%s: __metadata__ must map strings to strings: %v", name, err)
			}
			if f.Metadata == nil {
				f.Metadata = map[string]string{}
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("%s: tensor %s: bad header entry: %v", name, k, err)
		}
		ds := dtypeSize(e.DType)
		if ds == 0 {
			return nil, fmt.Errorf("%s: tensor %s: unsupported dtype %q (want F32, F16 or BF16)", name, k, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("%s: tensor %s: data_offsets must have 2 entries, found %d", name, k, len(e.DataOffsets))
		}
		b, en := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || en < b || en > dataLen {
			return nil, fmt.Errorf("%s: tensor %s: data_offsets [%d, %d] outside the data section of %d bytes", name, k, b, en, dataLen)
		}
		// Element count, guarding against overflow: the byte length already
		// bounds a valid product, so stop as soon as it is exceeded.
		maxElems := (en - b) / int64(ds)
		n := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 {
				return nil, fmt.Errorf("%s: tensor %s: negative dimension in shape %v", name, k, e.Shape)
			}
			shape[i] = int(d)
			if d == 0 {
				n = 0
				continue
			}
			if n > 0 && n > maxElems/d+1 {
				return nil, fmt.Errorf("%s: tensor %s: shape %v needs more bytes than its %d-byte range", name, k, e.Shape, en-b)
			}
			n *= d
		}
		if n > maxElems || n*int64(ds) != en-b {
			return nil, fmt.Errorf("%s: tensor %s: shape %v of %s needs %d bytes, data_offsets give %d", name, k, e.Shape, e.DType, n*int64(ds), en-b)
		}
		spans = append(spans, span{k, b, en})
		f.index[k] = len(f.Tensors)
		f.Tensors = append(f.Tensors, Tensor{Name: k, DType: e.DType, Shape: shape})
	}
	var sorted []span
	for _, s := range spans {
		if s.end > s.begin { // empty tensors occupy no bytes and cannot overlap
			sorted = append(sorted, s)
		}
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].begin != sorted[j].begin {
			return sorted[i].begin < sorted[j].begin
		}
		return sorted[i].end < sorted[j].end
	})
	for i := 1; i < len(sorted); i++ {
		p, c := sorted[i-1], sorted[i]
		if c.begin < p.end {
			return nil, fmt.Errorf("%s: tensor %s: data_offsets [%d, %d] overlap tensor %s [%d, %d]", name, c.name, c.begin, c.end, p.name, p.begin, p.end)
		}
	}
	for i, s := range spans {
		t := &f.Tensors[i]
		buf := make([]byte, s.end-s.begin)
		if len(buf) > 0 {
			if _, err := r.ReadAt(buf, dataStart+s.begin); err != nil {
				return nil, fmt.Errorf("%s: tensor %s: reading data: %w", name, t.Name, err)
			}
		}
		t.Data = decode(buf, t.DType)
	}
	return f, nil
}

func decode(b []byte, dt string) []float32 {
	switch dt {
	case "F32":
		out := make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out
	case "F16":
		out := make([]float32, len(b)/2)
		for i := range out {
			out[i] = HalfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return out
	default: // BF16
		out := make([]float32, len(b)/2)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
		return out
	}
}

// HalfToFloat converts an IEEE 754 binary16 value to float32 exactly.
func HalfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN; keep the payload
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: mant · 2^-24, exactly representable in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// FloatToHalf converts a float32 to binary16, rounding to nearest even;
// values beyond the half range become ±Inf, NaN stays NaN.
func FloatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			m := uint16(mant >> 13)
			if m == 0 {
				m = 1
			}
			return sign | 0x7c00 | m
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		// Subnormal half: shift the full mantissa (with its implicit 1).
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is the correct rounding
	}
	return sign | uint16(r)
}

// Write encodes tensors as a safetensors file: names sorted, tensors packed
// back to back in name order (the layout the reference readers require),
// the header padded with spaces so the data section starts 8-byte aligned.
// With fp16 every tensor is stored as F16, otherwise as F32.
func Write(w io.Writer, tensors []Tensor, meta map[string]string, fp16 bool) error {
	ts := append([]Tensor(nil), tensors...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	dt, ds := "F32", 4
	if fp16 {
		dt, ds = "F16", 2
	}
	hdr := make(map[string]any, len(ts)+1)
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	var off int64
	for i := range ts {
		t := &ts[i]
		if t.Name == "" || t.Name == "__metadata__" {
			return fmt.Errorf("safetensors: bad tensor name %q", t.Name)
		}
		if i > 0 && ts[i-1].Name == t.Name {
			return fmt.Errorf("safetensors: tensor %s appears twice", t.Name)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors: tensor %s: negative dimension in shape %v", t.Name, t.Shape)
			}
		}
		if t.Numel() != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %s: shape %v holds %d values, data has %d", t.Name, t.Shape, t.Numel(), len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		n := int64(len(t.Data) * ds)
		hdr[t.Name] = map[string]any{"dtype": dt, "shape": shape, "data_offsets": [2]int64{off, off + n}}
		off += n
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("safetensors: encoding header: %w", err)
	}
	pad := (8 - len(js)%8) % 8
	js = append(js, []byte(strings.Repeat(" ", pad))...)
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(len(js)))
	if _, err := w.Write(lb[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	var buf []byte
	for i := range ts {
		t := &ts[i]
		buf = buf[:0]
		for _, v := range t.Data {
			if fp16 {
				buf = binary.LittleEndian.AppendUint16(buf, FloatToHalf(v))
			} else {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
