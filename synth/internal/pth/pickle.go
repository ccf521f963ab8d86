package pth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The unpickler below is a data-only interpreter: it builds Go values for the
// containers and scalars a torch state_dict is made of and recognises a short
// allow-list of callables by name. Nothing named in a pickle is ever run; an
// allowed callable is re-implemented here, every other name is an error.

// Python values as the unpickler builds them.
type (
	pyTuple []any
	pyList  struct{ items []any }
	pyBytes []byte
	// pyDict keeps insertion order, as Python dicts and OrderedDicts do.
	pyDict struct {
		keys  []any
		vals  []any
		index map[string]int // for str and int keys; others are appended
		attrs any            // BUILD state (an OrderedDict's _metadata)
	}
	pyGlobal struct{ module, name string }
	// storageRef is what a persistent id resolves to: a whole storage, or a
	// view of one (legacy format only).
	storageRef struct {
		key    string
		dtype  DType
		numel  int64
		offset int64 // view offset in elements into the root storage
		root   *storageRef
	}
	tensorRef struct {
		storage *storageRef
		offset  int64
		shape   []int64
		stride  []int64
	}
)

func newDict() *pyDict { return &pyDict{index: map[string]int{}} }

func dictKey(k any) (string, bool) {
	switch k := k.(type) {
	case string:
		return "s" + k, true
	case int64:
		return "i" + strconv.FormatInt(k, 10), true
	}
	return "", false
}

func (d *pyDict) set(k, v any) {
	if s, ok := dictKey(k); ok {
		if i, ok := d.index[s]; ok {
			d.vals[i] = v
			return
		}
		d.index[s] = len(d.keys)
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

func (d *pyDict) get(k string) (any, bool) {
	i, ok := d.index["s"+k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// Errors a caller may want to tell apart (test with errors.Is).
var (
	// ErrModule: the checkpoint is a pickled nn.Module rather than a state_dict.
	ErrModule = errors.New("checkpoint holds a pickled nn.Module, not a state_dict (save model.state_dict() instead)")
	// ErrGlobal: the pickle names a Python callable outside the allow-list.
	ErrGlobal = errors.New("pickle names a global that is not allowed")
	// ErrTruncated: the file ends before the data it declares.
	ErrTruncated = errors.New("truncated")
	// ErrLimit: a size or nesting limit was exceeded.
	ErrLimit = errors.New("limit exceeded")
)

const (
	// MaxPickleBytes bounds the pickle program of a checkpoint.
	MaxPickleBytes = 64 << 20
	// MaxStorageBytes bounds a single tensor storage.
	MaxStorageBytes = 4 << 30
	// MaxDepth bounds MARK nesting in a pickle and dict nesting when looking
	// for the state_dict.
	MaxDepth = 256
	maxDims  = 16
)

// persistentLoader resolves a BINPERSID argument to a value (a *storageRef).
type persistentLoader func(pid any) (any, error)

type unpickler struct {
	data    []byte
	pos     int
	stack   []any
	marks   []int
	memo    map[int64]any
	persist persistentLoader
}

// unpickle runs one pickle program starting at data[0] and returns the value
// at STOP and the number of bytes consumed.
func unpickle(data []byte, persist persistentLoader) (any, int, error) {
	u := &unpickler{data: data, memo: map[int64]any{}, persist: persist}
	v, err := u.run()
	if err != nil {
		return nil, u.pos, err
	}
	return v, u.pos, nil
}

func (u *unpickler) errorf(format string, args ...any) error {
	return fmt.Errorf("pickle byte %d: %s", u.pos, fmt.Sprintf(format, args...))
}

func (u *unpickler) take(n int) ([]byte, error) {
	if n < 0 || n > len(u.data)-u.pos {
		return nil, tagged(ErrTruncated, "pickle byte %d: needs %d more bytes, %d left", u.pos, n, len(u.data)-u.pos)
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

func (u *unpickler) u8() (int, error) {
	b, err := u.take(1)
	if err != nil {
		return 0, err
	}
	return int(b[0]), nil
}

func (u *unpickler) u16() (int, error) {
	b, err := u.take(2)
	if err != nil {
		return 0, err
	}
	return int(binary.LittleEndian.Uint16(b)), nil
}

func (u *unpickler) u32() (int64, error) {
	b, err := u.take(4)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint32(b)), nil
}

func (u *unpickler) u64() (uint64, error) {
	b, err := u.take(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// line reads a newline-terminated argument of the text opcodes.
// memoIndex reads the memo index of a GET or PUT opcode: a decimal line
// for the text forms ('g', 'p'), one byte for BINGET/BINPUT ('h', 'q'),
// four for LONG_BINGET/LONG_BINPUT ('j', 'r').
func (u *unpickler) memoIndex(op byte) (int64, error) {
	switch op {
	case 'g', 'p':
		s, err := u.line()
		if err != nil {
			return 0, err
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, u.errorf("bad memo index %q", s)
		}
		return i, nil
	case 'h', 'q':
		i, err := u.u8()
		return int64(i), err
	default:
		return u.u32()
	}
}

func (u *unpickler) line() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", tagged(ErrTruncated, "pickle byte %d: unterminated line", u.pos)
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	n := len(u.stack)
	if n == 0 || (len(u.marks) > 0 && n <= u.marks[len(u.marks)-1]) {
		return nil, u.errorf("stack underflow")
	}
	v := u.stack[n-1]
	u.stack = u.stack[:n-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	n := len(u.stack)
	if n == 0 || (len(u.marks) > 0 && n <= u.marks[len(u.marks)-1]) {
		return nil, u.errorf("stack underflow")
	}
	return u.stack[n-1], nil
}

// popMark returns the items pushed since the last MARK and removes them.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, u.errorf("no MARK on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) run() (any, error) {
	if len(u.data) > MaxPickleBytes {
		return nil, tagged(ErrLimit, "pickle is %d bytes, more than the %d-byte limit", len(u.data), MaxPickleBytes)
	}
	for {
		if u.pos >= len(u.data) {
			return nil, tagged(ErrTruncated, "pickle byte %d: ends without STOP", u.pos)
		}
		op := u.data[u.pos]
		u.pos++
		if err := u.step(op); err != nil {
			if err == errStop {
				v, err := u.pop()
				if err != nil {
					return nil, err
				}
				return v, nil
			}
			return nil, err
		}
	}
}

var errStop = errors.New("stop")

func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		p, err := u.u8()
		if err != nil {
			return err
		}
		if p > 5 {
			return u.errorf("unsupported pickle protocol %d", p)
		}
	case 0x95: // FRAME: a length hint only
		if _, err := u.u64(); err != nil {
			return err
		}
	case '.': // STOP
		return errStop
	case '(': // MARK
		if len(u.marks) >= MaxDepth {
			return tagged(ErrLimit, "pickle byte %d: nesting deeper than %d", u.pos, MaxDepth)
		}
		u.marks = append(u.marks, len(u.stack))
	case '0': // POP
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)
	case '}': // EMPTY_DICT
		u.push(newDict())
	case ']': // EMPTY_LIST
		u.push(&pyList{})
	case ')': // EMPTY_TUPLE
		u.push(pyTuple{})
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'J': // BININT
		b, err := u.take(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(binary.LittleEndian.Uint32(b))))
	case 'K': // BININT1
		v, err := u.u8()
		if err != nil {
			return err
		}
		u.push(int64(v))
	case 'M': // BININT2
		v, err := u.u16()
		if err != nil {
			return err
		}
		u.push(int64(v))
	case 0x8a: // LONG1
		n, err := u.u8()
		if err != nil {
			return err
		}
		b, err := u.take(n)
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case 0x8b: // LONG4
		n, err := u.u32()
		if err != nil {
			return err
		}
		if n > 1<<16 {
			return tagged(ErrLimit, "pickle byte %d: %d-byte integer", u.pos, n)
		}
		b, err := u.take(int(n))
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case 'I', 'L': // INT, LONG (text forms)
		s, err := u.line()
		if err != nil {
			return err
		}
		s = strings.TrimSuffix(s, "L")
		switch {
		case op == 'I' && s == "01":
			u.push(true)
		case op == 'I' && s == "00":
			u.push(false)
		default:
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return u.errorf("bad integer %q", s)
			}
			u.push(v)
		}
	case 'G': // BINFLOAT (big-endian)
		b, err := u.take(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'F': // FLOAT
		s, err := u.line()
		if err != nil {
			return err
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return u.errorf("bad float %q", s)
		}
		u.push(v)
	case 'X', 0x8c, 0x8d: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
		n, err := u.length(op)
		if err != nil {
			return err
		}
		b, err := u.take(n)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return u.errorf("string is not UTF-8")
		}
		u.push(string(b))
	case 'T', 'U': // BINSTRING, SHORT_BINSTRING (Python 2 str, read as latin-1 text)
		n, err := u.length(op)
		if err != nil {
			return err
		}
		b, err := u.take(n)
		if err != nil {
			return err
		}
		u.push(latin1(b))
	case 'B', 'C', 0x8e, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
		n, err := u.length(op)
		if err != nil {
			return err
		}
		b, err := u.take(n)
		if err != nil {
			return err
		}
		u.push(pyBytes(append([]byte(nil), b...)))
	case 't': // TUPLE
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pyTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1..3
		n := int(op-0x85) + 1
		t := make(pyTuple, n)
		for i := n - 1; i >= 0; i-- {
			v, err := u.pop()
			if err != nil {
				return err
			}
			t[i] = v
		}
		u.push(t)
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: items})
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d, err := u.fillDict(newDict(), items)
		if err != nil {
			return err
		}
		u.push(d)
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return err
		}
		l, err := u.topList()
		if err != nil {
			return err
		}
		l.items = append(l.items, v)
	case 'e': // APPENDS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		l, err := u.topList()
		if err != nil {
			return err
		}
		l.items = append(l.items, items...)
	case 's': // SETITEM
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		d, err := u.topDict()
		if err != nil {
			return err
		}
		if _, err := u.fillDict(d, []any{k, v}); err != nil {
			return err
		}
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d, err := u.topDict()
		if err != nil {
			return err
		}
		if _, err := u.fillDict(d, items); err != nil {
			return err
		}
	case 0x8f: // EMPTY_SET: kept as a list, sets carry no tensors in a state_dict
		u.push(&pyList{})
	case 0x90: // ADDITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		l, err := u.topList()
		if err != nil {
			return err
		}
		l.items = append(l.items, items...)
	case 0x91: // FROZENSET
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pyTuple(items))
	case 'g', 'h', 'j': // GET, BINGET, LONG_BINGET
		i, err := u.memoIndex(op)
		if err != nil {
			return err
		}
		return u.memoGet(i)
	case 'p', 'q', 'r': // PUT, BINPUT, LONG_BINPUT
		i, err := u.memoIndex(op)
		if err != nil {
			return err
		}
		return u.memoPut(i)
	case 0x94: // MEMOIZE
		return u.memoPut(int64(len(u.memo)))
	case 'c': // GLOBAL
		mod, err := u.line()
		if err != nil {
			return err
		}
		name, err := u.line()
		if err != nil {
			return err
		}
		g, err := u.global(mod, name)
		if err != nil {
			return err
		}
		u.push(g)
	case 0x93: // STACK_GLOBAL
		nv, err := u.pop()
		if err != nil {
			return err
		}
		mv, err := u.pop()
		if err != nil {
			return err
		}
		mod, ok1 := mv.(string)
		name, ok2 := nv.(string)
		if !ok1 || !ok2 {
			return u.errorf("STACK_GLOBAL needs two strings")
		}
		g, err := u.global(mod, name)
		if err != nil {
			return err
		}
		u.push(g)
	case 'R': // REDUCE
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		v, err := u.call(fn, args)
		if err != nil {
			return err
		}
		u.push(v)
	case 0x81: // NEWOBJ
		args, err := u.pop()
		if err != nil {
			return err
		}
		cls, err := u.pop()
		if err != nil {
			return err
		}
		v, err := u.call(cls, args)
		if err != nil {
			return err
		}
		u.push(v)
	case 0x92: // NEWOBJ_EX
		kw, err := u.pop()
		if err != nil {
			return err
		}
		args, err := u.pop()
		if err != nil {
			return err
		}
		cls, err := u.pop()
		if err != nil {
			return err
		}
		if d, ok := kw.(*pyDict); !ok || len(d.keys) != 0 {
			return u.errorf("NEWOBJ_EX with keyword arguments")
		}
		v, err := u.call(cls, args)
		if err != nil {
			return err
		}
		u.push(v)
	case 'b': // BUILD
		state, err := u.pop()
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		switch o := obj.(type) {
		case *pyDict:
			o.attrs = state // OrderedDict._metadata of a state_dict
		case *tensorRef:
			// A tensor's __setstate__ carries requires_grad and hooks only.
		default:
			return u.errorf("BUILD on %s", typeName(obj))
		}
	case 'Q': // BINPERSID
		pid, err := u.pop()
		if err != nil {
			return err
		}
		if u.persist == nil {
			return u.errorf("persistent id in a pickle that allows none")
		}
		v, err := u.persist(pid)
		if err != nil {
			return fmt.Errorf("pickle byte %d: %w", u.pos, err)
		}
		u.push(v)
	case 'P': // PERSID (text)
		s, err := u.line()
		if err != nil {
			return err
		}
		if u.persist == nil {
			return u.errorf("persistent id in a pickle that allows none")
		}
		v, err := u.persist(s)
		if err != nil {
			return fmt.Errorf("pickle byte %d: %w", u.pos, err)
		}
		u.push(v)
	case 'i', 'o': // INST, OBJ: old-style instance creation, never in a state_dict
		return u.errorf("opcode %q (instance creation) is not allowed", op)
	default:
		return u.errorf("unsupported opcode 0x%02x", op)
	}
	return nil
}

// length reads the length prefix of a string or bytes opcode.
func (u *unpickler) length(op byte) (int, error) {
	var n uint64
	switch op {
	case 0x8c, 'U', 'C':
		v, err := u.u8()
		if err != nil {
			return 0, err
		}
		n = uint64(v)
	case 'X', 'T', 'B':
		v, err := u.u32()
		if err != nil {
			return 0, err
		}
		n = uint64(v)
	default:
		v, err := u.u64()
		if err != nil {
			return 0, err
		}
		n = v
	}
	if n > uint64(len(u.data)-u.pos) {
		return 0, tagged(ErrTruncated, "pickle byte %d: %d-byte string, %d bytes left", u.pos, n, len(u.data)-u.pos)
	}
	return int(n), nil
}

func (u *unpickler) memoGet(i int64) error {
	v, ok := u.memo[i]
	if !ok {
		return u.errorf("memo %d is not set", i)
	}
	u.push(v)
	return nil
}

func (u *unpickler) memoPut(i int64) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[i] = v
	return nil
}

func (u *unpickler) topList() (*pyList, error) {
	v, err := u.top()
	if err != nil {
		return nil, err
	}
	l, ok := v.(*pyList)
	if !ok {
		return nil, u.errorf("append to %s", typeName(v))
	}
	return l, nil
}

func (u *unpickler) topDict() (*pyDict, error) {
	v, err := u.top()
	if err != nil {
		return nil, err
	}
	d, ok := v.(*pyDict)
	if !ok {
		return nil, u.errorf("set item on %s", typeName(v))
	}
	return d, nil
}

func (u *unpickler) fillDict(d *pyDict, items []any) (*pyDict, error) {
	if len(items)%2 != 0 {
		return nil, u.errorf("odd number of dict items")
	}
	for i := 0; i < len(items); i += 2 {
		switch items[i].(type) {
		case *pyList, *pyDict:
			return nil, u.errorf("unhashable dict key %s", typeName(items[i]))
		}
		d.set(items[i], items[i+1])
	}
	return d, nil
}

// global resolves GLOBAL/STACK_GLOBAL against the allow-list.
func (u *unpickler) global(mod, name string) (any, error) {
	full := mod + "." + name
	switch full {
	case "collections.OrderedDict", "builtins.dict", "__builtin__.dict",
		"torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
		"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
		"_codecs.encode":
		return pyGlobal{mod, name}, nil
	}
	if mod == "torch" {
		if _, ok := storageDTypes[name]; ok {
			return pyGlobal{mod, name}, nil
		}
	}
	if strings.HasPrefix(mod, "torch.nn.") || mod == "torch.nn" || u.looksLikeModule() {
		return nil, fmt.Errorf("pickle byte %d: %w (class %s)", u.pos, ErrModule, full)
	}
	return nil, fmt.Errorf("pickle byte %d: %w: %s", u.pos, ErrGlobal, full)
}

// looksLikeModule reports whether the rest of the pickle names torch.nn
// classes or nn.Module's attributes: a whole pickled model starts with the
// user's own class, which alone says nothing.
func (u *unpickler) looksLikeModule() bool {
	rest := u.data[u.pos:]
	for _, s := range []string{"torch.nn.modules", "_modules", "_forward_hooks"} {
		if strings.Contains(string(rest), s) {
			return true
		}
	}
	return false
}

// storageDTypes maps torch's legacy typed storage classes to dtypes.
var storageDTypes = map[string]DType{
	"FloatStorage":    Float32,
	"HalfStorage":     Float16,
	"BFloat16Storage": BFloat16,
	"DoubleStorage":   Float64,
	"LongStorage":     Int64,
	"IntStorage":      Int32,
	"ShortStorage":    Int16,
	"CharStorage":     Int8,
	"ByteStorage":     Uint8,
	"BoolStorage":     Bool,
}

// call applies an allowed callable (REDUCE, NEWOBJ).
func (u *unpickler) call(fn, argv any) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, u.errorf("call of %s", typeName(fn))
	}
	args, ok := argv.(pyTuple)
	if !ok {
		return nil, u.errorf("%s.%s: arguments are %s, not a tuple", g.module, g.name, typeName(argv))
	}
	switch g.module + "." + g.name {
	case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
		d := newDict()
		if len(args) == 0 {
			return d, nil
		}
		// OrderedDict([(k, v), ...]) as protocol 0/1 writes it.
		l, ok := args[0].(*pyList)
		if len(args) != 1 || !ok {
			return nil, u.errorf("OrderedDict with unexpected arguments")
		}
		for _, it := range l.items {
			kv, ok := it.(pyTuple)
			if !ok {
				if kl, ok2 := it.(*pyList); ok2 {
					kv = kl.items
				}
			}
			if len(kv) != 2 {
				return nil, u.errorf("OrderedDict item is not a pair")
			}
			if _, err := u.fillDict(d, []any(kv)); err != nil {
				return nil, err
			}
		}
		return d, nil
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
		if len(args) < 4 {
			return nil, u.errorf("%s with %d arguments", g.name, len(args))
		}
		s, ok := args[0].(*storageRef)
		if !ok {
			return nil, u.errorf("%s: storage is %s", g.name, typeName(args[0]))
		}
		off, ok := args[1].(int64)
		if !ok || off < 0 {
			return nil, u.errorf("%s: bad storage offset", g.name)
		}
		shape, err := u.ints(args[2], "size")
		if err != nil {
			return nil, err
		}
		stride, err := u.ints(args[3], "stride")
		if err != nil {
			return nil, err
		}
		if len(shape) != len(stride) {
			return nil, u.errorf("tensor with %d sizes and %d strides", len(shape), len(stride))
		}
		return &tensorRef{storage: s, offset: off, shape: shape, stride: stride}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(args) < 1 {
			return nil, u.errorf("%s without arguments", g.name)
		}
		if _, ok := args[0].(*tensorRef); !ok {
			return nil, u.errorf("%s of %s", g.name, typeName(args[0]))
		}
		return args[0], nil
	case "_codecs.encode":
		// Protocol 2 writes Python 3 bytes as encode(text, 'latin1').
		if len(args) != 2 {
			return nil, u.errorf("_codecs.encode with %d arguments", len(args))
		}
		s, ok1 := args[0].(string)
		enc, ok2 := args[1].(string)
		if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
			return nil, u.errorf("_codecs.encode with unexpected arguments")
		}
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 255 {
				return nil, u.errorf("_codecs.encode: rune out of latin-1")
			}
			b = append(b, byte(r))
		}
		return pyBytes(b), nil
	}
	return nil, u.errorf("%s.%s cannot be called", g.module, g.name)
}

func (u *unpickler) ints(v any, what string) ([]int64, error) {
	var items []any
	switch t := v.(type) {
	case pyTuple:
		items = t
	case *pyList:
		items = t.items
	default:
		return nil, u.errorf("tensor %s is %s", what, typeName(v))
	}
	if len(items) > maxDims {
		return nil, tagged(ErrLimit, "pickle byte %d: tensor with %d dimensions", u.pos, len(items))
	}
	out := make([]int64, len(items))
	for i, it := range items {
		n, ok := it.(int64)
		if !ok || n < 0 {
			return nil, u.errorf("tensor %s %v is not a non-negative integer", what, it)
		}
		out[i] = n
	}
	return out, nil
}

// decodeLong decodes a little-endian two's-complement integer; values that
// fit return int64, others *big.Int.
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	z := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		z.Sub(z, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return z
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyBytes:
		return "bytes"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case pyGlobal:
		return v.module + "." + v.name
	case *storageRef:
		return "storage"
	case *tensorRef:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}

// taggedError reads as its message alone but matches a sentinel with errors.Is.
type taggedError struct {
	msg  string
	kind error
}

func (e *taggedError) Error() string { return e.msg }
func (e *taggedError) Unwrap() error { return e.kind }

func tagged(kind error, format string, args ...any) error {
	return &taggedError{fmt.Sprintf(format, args...), kind}
}
