// Package pth reads PyTorch checkpoints (torch.save of a state_dict) without
// Python: the zip format of torch >= 1.6 and the legacy format before it.
//
// The pickle inside a checkpoint is interpreted by a restricted, data-only
// unpickler that knows the handful of callables a state_dict uses
// (OrderedDict, torch._utils._rebuild_tensor_v2, _rebuild_parameter, the typed
// storage classes); any other global is an error and nothing is executed.
//
// Which dict is the state_dict: the root object if it is a dict holding
// tensors; otherwise the first of the keys "state_dict", "model_state_dict",
// "model", "netG", "generator", "params" whose value is a dict, applied again
// to that value; otherwise the root's only dict-valued entry, if it has
// exactly one. When every name starts with "module." (a DataParallel
// wrapper), the prefix is removed. Entries of the state_dict that are not
// tensors are skipped and listed in StateDict.Skipped.
package pth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DType is a tensor element type as stored in the checkpoint.
type DType uint8

// The storage dtypes a checkpoint may hold.
const (
	Float32 DType = iota + 1
	Float16
	BFloat16
	Float64
	Int64
	Int32
	Int16
	Int8
	Uint8
	Bool
)

var dtypeNames = map[DType]string{Float32: "float32", Float16: "float16", BFloat16: "bfloat16",
	Float64: "float64", Int64: "int64", Int32: "int32", Int16: "int16", Int8: "int8",
	Uint8: "uint8", Bool: "bool"}

// String returns torch's name for the dtype ("float32", "int64", …).
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", d)
}

// Size is the element size in bytes.
func (d DType) Size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Float16, BFloat16, Int16:
		return 2
	}
	return 1
}

// IsFloat reports whether tensors of this dtype come back in Tensor.Data.
func (d DType) IsFloat() bool { return d >= Float32 && d <= Float64 }

// Tensor is one state_dict entry, contiguous in row-major order.
type Tensor struct {
	Shape []int
	DType DType     // the dtype in the checkpoint
	Data  []float32 // floating dtypes, converted to float32
	Ints  []int64   // integer and bool dtypes
}

// NumEl is the number of elements (1 for a scalar).
func (t *Tensor) NumEl() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// StateDict is the tensors of a checkpoint by name, in checkpoint order.
type StateDict struct {
	Names   []string
	Tensors map[string]*Tensor
	// Format is "zip" or "legacy".
	Format string
	// Path is where the state_dict sat in the checkpoint ("" for the root,
	// "state_dict", "model/state_dict", ...).
	Path string
	// Stripped is the prefix removed from every name ("module." or "").
	Stripped string
	// Skipped names entries that are not tensors.
	Skipped []string
}

// Open reads the checkpoint at path. Errors start with the file's base name.
func Open(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return Read(f, st.Size(), filepath.Base(path))
}

// Read reads a checkpoint of size bytes from r; name prefixes error messages.
func Read(r io.ReaderAt, size int64, name string) (*StateDict, error) {
	sd, err := read(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sd, nil
}

func read(r io.ReaderAt, size int64) (*StateDict, error) {
	var head [6]byte
	n, _ := r.ReadAt(head[:], 0)
	switch {
	case n >= 4 && string(head[:4]) == "PK\x03\x04":
		return readZip(r, size)
	case n >= 2 && head[0] == 0x80 && head[1] <= 5:
		return readLegacy(r, size)
	case size >= 262 && isTar(r):
		return nil, errors.New("tar-format checkpoint (torch < 0.4) is not supported; re-save it with a newer torch")
	case size == 0:
		return nil, tagged(ErrTruncated, "empty file")
	}
	return nil, errors.New("not a PyTorch checkpoint (neither a zip archive nor a pickle)")
}

func isTar(r io.ReaderAt) bool {
	var b [5]byte
	n, _ := r.ReadAt(b[:], 257)
	return n == 5 && string(b[:]) == "ustar"
}

// maxTensorElems bounds one tensor's element count (a stride-0 tensor may
// have far more elements than its storage). The fuzz tests lower it.
var maxTensorElems int64 = MaxStorageBytes / 4

// storage is one serialized storage's bytes: at base in r, numel elements.
type storage struct {
	key   string
	dtype DType
	numel int64
	r     io.ReaderAt
	base  int64
	// bigEndian: the archive's byteorder record says "big".
	bigEndian bool
}

// resolver maps a root storage key to its bytes.
type resolver func(ref *storageRef) (*storage, error)

// extract picks the state_dict out of the unpickled root and materialises
// its tensors.
func extract(root any, format string, resolve resolver) (*StateDict, error) {
	d, path, err := findStateDict(root, "", 0)
	if err != nil {
		return nil, err
	}
	sd := &StateDict{Tensors: map[string]*Tensor{}, Format: format, Path: path}
	var names []string
	var refs []*tensorRef
	for i, k := range d.keys {
		name, ok := k.(string)
		if !ok {
			sd.Skipped = append(sd.Skipped, fmt.Sprint(k))
			continue
		}
		t, ok := d.vals[i].(*tensorRef)
		if !ok {
			sd.Skipped = append(sd.Skipped, name)
			continue
		}
		names = append(names, name)
		refs = append(refs, t)
	}
	if len(names) == 0 {
		return nil, errors.New("state_dict holds no tensors")
	}
	strip := "module."
	for _, n := range names {
		if !strings.HasPrefix(n, strip) {
			strip = ""
			break
		}
	}
	sd.Stripped = strip
	for i, n := range names {
		n = strings.TrimPrefix(n, strip)
		if _, dup := sd.Tensors[n]; dup {
			return nil, fmt.Errorf("tensor %s appears twice", n)
		}
		t, err := materialize(refs[i], resolve)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", n, err)
		}
		sd.Names = append(sd.Names, n)
		sd.Tensors[n] = t
	}
	return sd, nil
}

var wrapperKeys = []string{"state_dict", "model_state_dict", "model", "netG", "generator", "params"}

func findStateDict(v any, path string, depth int) (*pyDict, string, error) {
	if depth > 8 {
		return nil, "", tagged(ErrLimit, "state_dict nested deeper than 8 dicts")
	}
	d, ok := v.(*pyDict)
	if !ok {
		return nil, "", fmt.Errorf("checkpoint root is a %s, not a dict", typeName(v))
	}
	for _, val := range d.vals {
		if _, ok := val.(*tensorRef); ok {
			return d, path, nil
		}
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "/" + k
	}
	for _, k := range wrapperKeys {
		if sub, ok := d.get(k); ok {
			if _, isDict := sub.(*pyDict); isDict {
				return findStateDict(sub, join(k), depth+1)
			}
		}
	}
	var only any
	var onlyKey string
	count := 0
	for i, val := range d.vals {
		if _, ok := val.(*pyDict); ok {
			count++
			only = val
			onlyKey = fmt.Sprint(d.keys[i])
		}
	}
	if count == 1 {
		return findStateDict(only, join(onlyKey), depth+1)
	}
	keys := make([]string, 0, len(d.keys))
	for _, k := range d.keys {
		keys = append(keys, fmt.Sprint(k))
	}
	if len(keys) > 8 {
		keys = append(keys[:8], "…")
	}
	where := "checkpoint"
	if path != "" {
		where = path
	}
	return nil, "", fmt.Errorf("no state_dict found: %s holds no tensors (keys: %s)", where, strings.Join(keys, ", "))
}

// materialize copies a tensor out of its storage honoring offset and strides.
func materialize(t *tensorRef, resolve resolver) (*Tensor, error) {
	ref := t.storage
	root := ref
	viewOff := int64(0)
	if ref.root != nil {
		root = ref.root
		viewOff = ref.offset
	}
	st, err := resolve(root)
	if err != nil {
		return nil, err
	}
	dt := ref.dtype
	es := int64(dt.Size())
	avail := st.numel
	if ref.root != nil {
		avail = min(avail-viewOff, ref.numel)
	}
	shape := make([]int, len(t.shape))
	numel := int64(1)
	maxIdx := t.offset
	for i, s := range t.shape {
		if s > math.MaxInt32 {
			return nil, tagged(ErrLimit, "dimension %d of size %d", i, s)
		}
		shape[i] = int(s)
		numel *= s
		if numel > maxTensorElems {
			return nil, tagged(ErrLimit, "more than %d elements", maxTensorElems)
		}
		if s > 0 {
			if t.stride[i] > MaxStorageBytes {
				return nil, tagged(ErrLimit, "stride %d", t.stride[i])
			}
			maxIdx += (s - 1) * t.stride[i]
		}
	}
	out := &Tensor{Shape: shape, DType: dt}
	if numel == 0 {
		if dt.IsFloat() {
			out.Data = []float32{}
		} else {
			out.Ints = []int64{}
		}
		return out, nil
	}
	if maxIdx >= avail {
		return nil, fmt.Errorf("needs %d elements of storage %s, which has %d", maxIdx+1, st.key, max(avail, 0))
	}
	// Read the byte span the tensor touches, then gather.
	lo := viewOff + t.offset
	span := maxIdx - t.offset + 1
	buf := make([]byte, span*es)
	if _, err := st.r.ReadAt(buf, st.base+lo*es); err != nil {
		return nil, tagged(ErrTruncated, "reading storage %s: %v", st.key, err)
	}
	if st.bigEndian && es > 1 {
		for i := 0; i < len(buf); i += int(es) {
			e := buf[i : i+int(es)]
			for a, b := 0, len(e)-1; a < b; a, b = a+1, b-1 {
				e[a], e[b] = e[b], e[a]
			}
		}
	}
	idx := gatherIndex(t.shape, t.stride, numel)
	if dt.IsFloat() {
		out.Data = make([]float32, numel)
		convertFloats(out.Data, buf, dt, idx)
	} else {
		out.Ints = make([]int64, numel)
		convertInts(out.Ints, buf, dt, idx)
	}
	return out, nil
}

// gatherIndex lists each element's index into the span in row-major order,
// or nil when the tensor is contiguous.
func gatherIndex(shape, stride []int64, numel int64) []int64 {
	want := int64(1)
	contiguous := true
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			contiguous = false
			break
		}
		want *= shape[i]
	}
	if contiguous {
		return nil
	}
	idx := make([]int64, numel)
	pos := make([]int64, len(shape))
	off := int64(0)
	for n := range idx {
		idx[n] = off
		for d := len(shape) - 1; d >= 0; d-- {
			pos[d]++
			off += stride[d]
			if pos[d] < shape[d] {
				break
			}
			off -= pos[d] * stride[d]
			pos[d] = 0
		}
	}
	return idx
}

func elem(buf []byte, i int64, es int64) []byte { return buf[i*es : i*es+es] }

func convertFloats(dst []float32, buf []byte, dt DType, idx []int64) {
	es := int64(dt.Size())
	for n := range dst {
		i := int64(n)
		if idx != nil {
			i = idx[n]
		}
		b := elem(buf, i, es)
		switch dt {
		case Float32:
			dst[n] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		case Float64:
			dst[n] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		case Float16:
			dst[n] = halfToFloat(binary.LittleEndian.Uint16(b))
		case BFloat16:
			dst[n] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
		}
	}
}

func convertInts(dst []int64, buf []byte, dt DType, idx []int64) {
	es := int64(dt.Size())
	for n := range dst {
		i := int64(n)
		if idx != nil {
			i = idx[n]
		}
		b := elem(buf, i, es)
		switch dt {
		case Int64:
			dst[n] = int64(binary.LittleEndian.Uint64(b))
		case Int32:
			dst[n] = int64(int32(binary.LittleEndian.Uint32(b)))
		case Int16:
			dst[n] = int64(int16(binary.LittleEndian.Uint16(b)))
		case Int8:
			dst[n] = int64(int8(b[0]))
		default:
			dst[n] = int64(b[0])
		}
	}
}

// halfToFloat converts an IEEE 754 binary16 value exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal: mant · 2^-24.
	f := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// storagePID parses a persistent id ('storage', type, key, location, numel[, view]).
func storagePID(pid any) (key string, dt DType, numel int64, view pyTuple, err error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) < 5 {
		return "", 0, 0, nil, fmt.Errorf("persistent id is %s, not a storage tuple", typeName(pid))
	}
	if s, _ := t[0].(string); s != "storage" {
		if s == "module" {
			return "", 0, 0, nil, ErrModule
		}
		return "", 0, 0, nil, fmt.Errorf("persistent id of kind %q", s)
	}
	g, ok := t[1].(pyGlobal)
	if !ok {
		return "", 0, 0, nil, fmt.Errorf("storage type is %s", typeName(t[1]))
	}
	dt, ok = storageDTypes[g.name]
	if !ok {
		return "", 0, 0, nil, fmt.Errorf("storage type %s.%s", g.module, g.name)
	}
	switch k := t[2].(type) {
	case string:
		key = k
	case int64:
		key = fmt.Sprint(k)
	default:
		return "", 0, 0, nil, fmt.Errorf("storage key is %s", typeName(t[2]))
	}
	numel, ok = t[4].(int64)
	if !ok || numel < 0 {
		return "", 0, 0, nil, fmt.Errorf("storage %s: bad size %v", key, t[4])
	}
	if numel > MaxStorageBytes/int64(dt.Size()) {
		return "", 0, 0, nil, tagged(ErrLimit, "storage %s of %d bytes is over the %d-byte limit", key, numel*int64(dt.Size()), int64(MaxStorageBytes))
	}
	if len(t) > 5 && t[5] != nil {
		view, ok = t[5].(pyTuple)
		if !ok || len(view) != 3 {
			return "", 0, 0, nil, fmt.Errorf("storage %s: bad view metadata", key)
		}
	}
	return key, dt, numel, view, nil
}

// sortedKeys returns map keys sorted, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
