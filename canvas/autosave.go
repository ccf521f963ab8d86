package canvas

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Autosave file names are autosavePrefix + document id + ".spw".
const autosavePrefix = "autosave-"

// DefaultAutosaveInterval is how often a changed document is autosaved.
const DefaultAutosaveInterval = 30 * time.Second

// Autosaver keeps a crash-recovery copy of a document in a directory. It has
// no goroutine of its own: the owner of the document calls Tick (from a
// ticker on the UI goroutine, say), and Tick writes the document atomically
// when it changed since the last autosave and Interval has passed. Now is the
// clock, replaceable in tests.
type Autosaver struct {
	Dir      string           // where autosaves go
	Interval time.Duration    // least time between two autosaves
	Now      func() time.Time // the clock

	doc      *Document
	lastSave time.Time
	lastVer  uint64
	lastMeta uint64
}

// NewAutosaver returns an autosaver for doc writing into dir (created if
// missing on the first save).
func NewAutosaver(dir string, doc *Document, interval time.Duration) *Autosaver {
	if interval <= 0 {
		interval = DefaultAutosaveInterval
	}
	a := &Autosaver{Dir: dir, Interval: interval, Now: time.Now}
	a.SetDocument(doc)
	return a
}

// SetDocument switches to another document (after New or Open). The previous
// document's autosave is left alone; call Discard first to remove it.
func (a *Autosaver) SetDocument(doc *Document) {
	a.doc = doc
	a.lastVer, a.lastMeta = doc.Version(), doc.meta
	a.lastSave = a.Now()
}

// Path is where the current document is autosaved.
func (a *Autosaver) Path() string {
	return filepath.Join(a.Dir, autosavePrefix+a.doc.ID()+".spw")
}

// Tick autosaves when the document has unsaved changes made since the last
// autosave and Interval has passed since then. It reports whether it wrote.
func (a *Autosaver) Tick() (bool, error) {
	d := a.doc
	if d == nil || (d.Version() == a.lastVer && d.meta == a.lastMeta) || !d.Modified() {
		return false, nil
	}
	now := a.Now()
	if now.Sub(a.lastSave) < a.Interval {
		return false, nil
	}
	return true, a.Save()
}

// Save writes the autosave now.
func (a *Autosaver) Save() error {
	if err := os.MkdirAll(a.Dir, 0o755); err != nil {
		return err
	}
	v, m := a.doc.Version(), a.doc.meta
	if err := WriteFileAtomic(a.Path(), a.doc.Save); err != nil {
		return err
	}
	a.lastVer, a.lastMeta, a.lastSave = v, m, a.Now()
	return nil
}

// Discard removes the current document's autosave (after the user saved or
// closed it cleanly). A missing file is not an error.
func (a *Autosaver) Discard() error {
	err := os.Remove(a.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Recoverable is an autosave left behind, e.g. by a crash.
type Recoverable struct {
	Path    string    // open it with LoadFile
	ModTime time.Time // when it was written
	Size    int64     // bytes
	// LabelSet, Width and Height come from the file's manifest, for the
	// recovery dialog.
	LabelSet      string
	Width, Height int
	// Err is why the file cannot be opened, or nil; such files are listed so
	// the UI can offer to delete them.
	Err error
}

// Recover lists the autosaves in dir, newest first. A missing dir has none.
// Open one with LoadFile.
func Recover(dir string) ([]Recoverable, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Recoverable
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasPrefix(n, autosavePrefix) || !strings.HasSuffix(n, ".spw") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		p := filepath.Join(dir, n)
		rec := Recoverable{Path: p, ModTime: info.ModTime(), Size: info.Size()}
		m, err := checkProject(p)
		if err != nil {
			rec.Err = err
		} else {
			rec.LabelSet, rec.Width, rec.Height = m.LabelSet, m.Width, m.Height
		}
		out = append(out, rec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ModTime.After(out[j].ModTime) })
	return out, nil
}

// checkProject cheaply checks that a file is a readable project: a zip with
// a valid manifest.
func checkProject(path string) (*manifest, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a Spadework project (%v)", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == manifestName {
			m, err := readManifest(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, manifestName, err)
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s: not a Spadework project (no %s)", path, manifestName)
}
