package pth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// legacyMagic is the first pickle of a legacy checkpoint (0x1950a86a20f9469cfc6c).
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

const legacyProtocol = 1001

// readLegacy reads the format torch wrote before 1.6 (and with
// _use_new_zipfile_serialization=False since): five pickles back to back —
// magic number, protocol version, sys info, the object with persistent ids
// ('storage', type, key, location, numel, view), the sorted storage keys —
// then each storage as an int64 element count and its raw bytes.
func readLegacy(r io.ReaderAt, size int64) (*StateDict, error) {
	head := min(size, MaxPickleBytes)
	buf := make([]byte, head)
	if _, err := r.ReadAt(buf, 0); err != nil && err != io.EOF {
		return nil, err
	}
	pos := 0
	next := func(what string, persist persistentLoader) (any, error) {
		v, n, err := unpickle(buf[pos:], persist)
		if err != nil {
			if errors.Is(err, ErrTruncated) && head < size {
				return nil, tagged(ErrLimit, "%s pickle is larger than the %d-byte limit", what, MaxPickleBytes)
			}
			return nil, fmt.Errorf("%s pickle at byte %d: %w", what, pos, err)
		}
		pos += n
		return v, nil
	}
	magic, err := next("magic number", nil)
	if err != nil {
		return nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, errors.New("pickle file without torch's magic number: not a torch checkpoint")
	}
	proto, err := next("protocol version", nil)
	if err != nil {
		return nil, err
	}
	if p, _ := proto.(int64); p != legacyProtocol {
		return nil, fmt.Errorf("legacy protocol version %v, want %d", proto, legacyProtocol)
	}
	info, err := next("sys info", nil)
	if err != nil {
		return nil, err
	}
	if d, ok := info.(*pyDict); ok {
		if le, ok := d.get("little_endian"); ok && le == false {
			return nil, errors.New("big-endian legacy checkpoint is not supported")
		}
	}

	roots := map[string]*storageRef{}
	views := map[string]*storageRef{}
	persist := func(pid any) (any, error) {
		key, dt, numel, view, err := storagePID(pid)
		if err != nil {
			return nil, err
		}
		root, ok := roots[key]
		if !ok {
			root = &storageRef{key: key, dtype: dt, numel: numel}
			roots[key] = root
		}
		if root.dtype != dt {
			return nil, fmt.Errorf("storage %s is used as %s and as %s", key, root.dtype, dt)
		}
		if view == nil {
			return root, nil
		}
		vkey, ok1 := view[0].(string)
		off, ok2 := view[1].(int64)
		vsize, ok3 := view[2].(int64)
		if !ok1 || !ok2 || !ok3 || off < 0 || vsize < 0 {
			return nil, fmt.Errorf("storage %s: bad view metadata", key)
		}
		if v, ok := views[vkey]; ok {
			return v, nil
		}
		v := &storageRef{key: vkey, dtype: dt, numel: vsize, offset: off, root: root}
		views[vkey] = v
		return v, nil
	}
	obj, err := next("state", persist)
	if err != nil {
		return nil, err
	}
	keysV, err := next("storage keys", nil)
	if err != nil {
		return nil, err
	}
	kl, ok := keysV.(*pyList)
	if !ok {
		return nil, fmt.Errorf("storage key list is %s", typeName(keysV))
	}
	storages := map[string]*storage{}
	off := int64(pos)
	for i, kv := range kl.items {
		key, ok := kv.(string)
		if !ok {
			return nil, fmt.Errorf("storage key %d is %s", i, typeName(kv))
		}
		root, ok := roots[key]
		if !ok {
			return nil, fmt.Errorf("storage %s is listed but never used", key)
		}
		var hdr [8]byte
		if off+8 > size {
			return nil, tagged(ErrTruncated, "storage %s: file ends at byte %d before its header", key, size)
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return nil, tagged(ErrTruncated, "storage %s: %v", key, err)
		}
		n := int64(binary.LittleEndian.Uint64(hdr[:]))
		es := int64(root.dtype.Size())
		if n < 0 || n > MaxStorageBytes/es {
			return nil, tagged(ErrLimit, "storage %s declares %d elements", key, n)
		}
		if n < root.numel {
			return nil, fmt.Errorf("storage %s holds %d elements, the pickle says %d", key, n, root.numel)
		}
		need := n * es
		have := size - off - 8
		if need > have {
			return nil, tagged(ErrTruncated, "storage %s needs %d bytes, file has %d", key, need, max(have, 0))
		}
		storages[key] = &storage{key: key, dtype: root.dtype, numel: n, r: r, base: off + 8}
		off += 8 + need
	}
	resolve := func(ref *storageRef) (*storage, error) {
		st, ok := storages[ref.key]
		if !ok {
			return nil, fmt.Errorf("storage %s is missing from the storage list", ref.key)
		}
		return st, nil
	}
	return extract(obj, "legacy", resolve)
}
