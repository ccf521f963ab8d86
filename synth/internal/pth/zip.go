package pth

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readZip reads the torch >= 1.6 format: a zip archive with one top-level
// folder (any name) holding data.pkl, data/<key> per storage, version and,
// since torch 2.1, byteorder.
func readZip(r io.ReaderAt, size int64) (*StateDict, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, tagged(ErrTruncated, "truncated or corrupt zip archive (%v)", err)
	}
	files := map[string]*zip.File{}
	prefix := ""
	for _, f := range zr.File {
		files[f.Name] = f
		if strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			if prefix != "" {
				return nil, errors.New("zip archive holds more than one data.pkl")
			}
			prefix = strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	if prefix == "" {
		return nil, errors.New("zip archive without <folder>/data.pkl: not a torch checkpoint")
	}
	pkl, err := readEntry(files[prefix+"data.pkl"], MaxPickleBytes, "data.pkl")
	if err != nil {
		return nil, err
	}
	bigEndian := false
	if f := files[prefix+"byteorder"]; f != nil {
		b, err := readEntry(f, 16, "byteorder")
		if err != nil {
			return nil, err
		}
		switch strings.TrimSpace(string(b)) {
		case "little":
		case "big":
			bigEndian = true
		default:
			return nil, fmt.Errorf("byteorder record %q", b)
		}
	}

	storages := map[string]*storage{}
	dtypes := map[string]DType{}
	persist := func(pid any) (any, error) {
		key, dt, numel, _, err := storagePID(pid)
		if err != nil {
			return nil, err
		}
		if old, ok := dtypes[key]; ok && old != dt {
			// torch.save refuses to write this; a file that has it is corrupt.
			return nil, fmt.Errorf("storage %s is used as %s and as %s", key, old, dt)
		}
		dtypes[key] = dt
		return &storageRef{key: key, dtype: dt, numel: numel}, nil
	}
	root, _, err := unpickle(pkl, persist)
	if err != nil {
		return nil, err
	}
	resolve := func(ref *storageRef) (*storage, error) {
		if st, ok := storages[ref.key]; ok {
			return st, nil
		}
		f := files[prefix+"data/"+ref.key]
		if f == nil {
			return nil, fmt.Errorf("storage %s: archive has no %sdata/%s", ref.key, prefix, ref.key)
		}
		dt := dtypes[ref.key]
		need := ref.numel * int64(dt.Size())
		if int64(f.UncompressedSize64) < need || f.UncompressedSize64 > MaxStorageBytes {
			return nil, tagged(ErrTruncated, "storage %s needs %d bytes, archive entry has %d", ref.key, need, f.UncompressedSize64)
		}
		st := &storage{key: ref.key, dtype: dt, numel: need / int64(dt.Size()), bigEndian: bigEndian}
		if f.Method == zip.Store {
			off, err := f.DataOffset()
			if err != nil {
				return nil, fmt.Errorf("storage %s: %v", ref.key, err)
			}
			if off+need > size {
				return nil, tagged(ErrTruncated, "storage %s needs %d bytes, file has %d", ref.key, need, max(size-off, 0))
			}
			st.r, st.base = r, off
		} else {
			b, err := readEntry(f, need, "storage "+ref.key)
			if err != nil {
				return nil, err
			}
			if int64(len(b)) < need {
				return nil, tagged(ErrTruncated, "storage %s needs %d bytes, archive entry has %d", ref.key, need, len(b))
			}
			st.r = bytes.NewReader(b)
		}
		storages[ref.key] = st
		return st, nil
	}
	return extract(root, "zip", resolve)
}

// readEntry reads at most limit bytes of a zip entry.
func readEntry(f *zip.File, limit int64, what string) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, tagged(ErrLimit, "%s is %d bytes, over the %d-byte limit", what, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil {
		return nil, tagged(ErrTruncated, "%s: %v", what, err)
	}
	return b, nil
}
