package pth

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seeds adds the small fixtures. Large seeds make the engine spend its time
// minimizing (quadratic in the input size) instead of fuzzing.
func seeds(f *testing.F, zipFormat bool) {
	maxTensorElems = 1 << 20
	files, _ := filepath.Glob("testdata/*.pth")
	more, _ := filepath.Glob("../../testdata/pth/*.pth")
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 8<<10 {
			continue
		}
		if isZip := bytes.HasPrefix(b, []byte("PK\x03\x04")); isZip == zipFormat {
			f.Add(b)
		}
	}
}

// FuzzReadZip: arbitrary bytes through the zip reader never panic.
func FuzzReadZip(f *testing.F) {
	seeds(f, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		Read(bytes.NewReader(b), int64(len(b)), "fuzz.pth")
	})
}

// FuzzReadLegacy: arbitrary bytes through the legacy reader never panic.
func FuzzReadLegacy(f *testing.F) {
	seeds(f, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		readLegacy(bytes.NewReader(b), int64(len(b)))
	})
}

// FuzzPickle: arbitrary pickles, with a persistent loader that accepts any
// well-formed storage id, never panic and state_dict extraction copes with
// whatever they build.
func FuzzPickle(f *testing.F) {
	maxTensorElems = 1 << 20
	files, _ := filepath.Glob("testdata/*.pth")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			f.Add(b)
			continue
		}
		for _, zf := range zr.File {
			if filepath.Base(zf.Name) == "data.pkl" {
				rc, _ := zf.Open()
				var buf bytes.Buffer
				buf.ReadFrom(rc)
				rc.Close()
				f.Add(buf.Bytes())
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		persist := func(pid any) (any, error) {
			key, dt, numel, _, err := storagePID(pid)
			if err != nil {
				return nil, err
			}
			return &storageRef{key: key, dtype: dt, numel: numel}, nil
		}
		v, _, err := unpickle(b, persist)
		if err != nil {
			return
		}
		data := make([]byte, 256)
		extract(v, "fuzz", func(ref *storageRef) (*storage, error) {
			return &storage{key: ref.key, dtype: ref.dtype, numel: int64(len(data) / ref.dtype.Size()), r: bytes.NewReader(data)}, nil
		})
	})
}
