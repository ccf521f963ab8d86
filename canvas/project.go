package canvas

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"

	"spadework/palette"
)

// Style kinds: how the generator's style vector z was chosen.
const (
	StyleSeed   = "seed"   // z drawn from N(0, I) with Seed
	StylePreset = "preset" // a named row of the model's style table
	StylePhoto  = "photo"  // z = mu of the encoder on a photo
)

// Style is the generator style saved with a project. Z is the vector used,
// kept so the picture comes back the same even if a preset table changes.
type Style struct {
	Kind   string    `json:"kind"`             // StyleSeed, StylePreset or StylePhoto
	Seed   int64     `json:"seed"`             // the random seed (StyleSeed)
	Preset string    `json:"preset,omitempty"` // the preset's name (StylePreset)
	Z      []float32 `json:"z,omitempty"`      // the style vector used
	// Photo is a small thumbnail of the style photo (PNG or JPEG bytes).
	Photo []byte `json:"photo,omitempty"`
}

// Limits on what a project file may hold, so that a hostile file cannot
// make Load allocate without bound.
const (
	MaxProjectBytes = 256 << 20 // the whole .spw file
	maxManifest     = 32 << 20  // manifest.json, photo thumbnail included
	maxZ            = 1 << 16
)

// Project file format. A .spw file is a zip holding
//
//	manifest.json  format, format_version, width, height, label_set,
//	               unlabeled, labels (id and name of every id used),
//	               model_id, style
//	labels.png     the label map as an 8-bit indexed PNG (index = id)
//
// format_version grows when a change would be misread by an older reader;
// readers refuse newer versions.
const (
	ProjectFormat  = "spadework-project"
	ProjectVersion = 1
)

const (
	manifestName = "manifest.json"
	labelsName   = "labels.png"
)

// ErrFutureVersion is wrapped by Load errors for files written by a newer
// Spadework.
var ErrFutureVersion = errors.New("written by a newer version of Spadework")

type manifestLabel struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color,omitempty"` // "#rrggbb", for people and other tools; not read back
}

type manifest struct {
	Format        string          `json:"format"`
	FormatVersion int             `json:"format_version"`
	Width         int             `json:"width"`
	Height        int             `json:"height"`
	LabelSet      string          `json:"label_set"`
	Unlabeled     *int            `json:"unlabeled,omitempty"`
	Labels        []manifestLabel `json:"labels"`
	ModelID       string          `json:"model_id"`
	Style         Style           `json:"style"`
}

// usedIDs lists the ids present in pix, ascending.
func usedIDs(pix []uint8) []uint8 {
	var seen [256]bool
	for _, v := range pix {
		seen[v] = true
	}
	var ids []uint8
	for i, s := range seen {
		if s {
			ids = append(ids, uint8(i))
		}
	}
	return ids
}

// Save writes the document as a .spw project.
func (d *Document) Save(w io.Writer) error {
	m := manifest{
		Format: ProjectFormat, FormatVersion: ProjectVersion,
		Width: d.img.Rect.Dx(), Height: d.img.Rect.Dy(),
		LabelSet: d.set.Name, ModelID: d.ModelID, Style: d.Style,
	}
	if u, ok := d.set.Unlabeled(); ok {
		ui := int(u)
		m.Unlabeled = &ui
	}
	for _, id := range usedIDs(d.img.Pix) {
		m.Labels = append(m.Labels, manifestLabel{ID: int(id), Name: d.set.LabelName(id), Color: palette.Hex(d.set.Color(id))})
	}
	js, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return fmt.Errorf("project: manifest: %w", err)
	}
	zw := zip.NewWriter(w)
	f, err := zw.Create(manifestName)
	if err != nil {
		return err
	}
	if _, err := f.Write(js); err != nil {
		return err
	}
	// PNG is already deflated; storing it avoids compressing twice.
	f, err = zw.CreateHeader(&zip.FileHeader{Name: labelsName, Method: zip.Store})
	if err != nil {
		return err
	}
	if err := encodeLabels(f, d.img); err != nil {
		return err
	}
	return zw.Close()
}

// encodeLabels writes an indexed PNG of img. Default compression: on label
// maps it is within ~10% of the best at a fifth of the time (2048², 0.3 s
// against 1.4 s), which matters for autosave.
func encodeLabels(w io.Writer, img *image.Paletted) error {
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	return enc.Encode(w, img)
}

// LoadOptions change how Load reads a project.
type LoadOptions struct {
	// Target, when set, is the label set the document must use (the current
	// model's); labels are remapped by name when the file's set differs.
	Target *palette.Set
}

// Load reads a .spw project. name (usually the file path) is used in error
// messages. The document uses the file's label set; when the file's label
// names do not match that set (or the set is unknown), pixels are remapped
// by name with palette.Translate and the fallbacks taken are returned.
func Load(r io.Reader, name string) (*Document, []palette.Fallback, error) {
	return LoadWith(r, name, LoadOptions{})
}

// LoadWith is Load with options.
func LoadWith(r io.Reader, name string, opt LoadOptions) (doc *Document, fbs []palette.Fallback, err error) {
	defer func() {
		// The decoders are expected not to panic; if one does on a hostile
		// file, that is still just a bad file.
		if p := recover(); p != nil {
			doc, fbs, err = nil, nil, fmt.Errorf("%s: corrupt project file (%v)", name, p)
		}
	}()
	data, err := io.ReadAll(io.LimitReader(r, MaxProjectBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading: %w", name, err)
	}
	if len(data) > MaxProjectBytes {
		return nil, nil, fmt.Errorf("%s: project file larger than %d MiB", name, MaxProjectBytes>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a Spadework project (%v)", name, err)
	}
	var mf, lf *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case manifestName:
			mf = f
		case labelsName:
			lf = f
		}
	}
	if mf == nil {
		return nil, nil, fmt.Errorf("%s: not a Spadework project (no %s)", name, manifestName)
	}
	m, err := readManifest(mf)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", name, manifestName, err)
	}
	if lf == nil {
		return nil, nil, fmt.Errorf("%s: project has no %s", name, labelsName)
	}
	ids, err := readLabelMap(lf, m.Width, m.Height)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", name, labelsName, err)
	}
	listed := map[int]string{}
	for _, l := range m.Labels {
		listed[l.ID] = l.Name
	}
	for _, id := range usedIDs(ids.Pix) {
		if _, ok := listed[int(id)]; !ok {
			return nil, nil, fmt.Errorf("%s: %s: pixel id %d has no name in %s", name, labelsName, id, manifestName)
		}
	}

	from, err := fileSet(m)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", name, manifestName, err)
	}
	target := opt.Target
	if target == nil {
		if s, ok := palette.Lookup(m.LabelSet); ok {
			target = s
		} else {
			target = closestSet(from)
		}
	}
	same := true
	for _, l := range from.All() {
		if tl, ok := target.ByID(l.ID); !ok || !palette.SameName(tl.Name, l.Name) {
			same = false
			break
		}
	}
	if !same {
		var mp palette.Mapping
		mp, fbs = palette.Translate(from, target)
		mp.Apply(ids.Pix)
	}
	doc = newDocument(target, ids)
	doc.ModelID = m.ModelID
	doc.Style = m.Style
	return doc, fbs, nil
}

// fileSet builds the label set the file claims: its ids and names.
func fileSet(m *manifest) (*palette.Set, error) {
	ls := make([]palette.Label, 0, len(m.Labels))
	for _, l := range m.Labels {
		ls = append(ls, palette.Label{ID: uint8(l.ID), Name: l.Name})
	}
	unl := -1
	if m.Unlabeled != nil {
		if _, ok := findLabel(m.Labels, *m.Unlabeled); ok {
			unl = *m.Unlabeled
		}
	}
	return palette.NewSet(m.LabelSet, m.LabelSet, ls, unl)
}

// closestSet picks, for a file of an unknown set, the registered set that
// knows the most of its label names (the default set on a tie).
func closestSet(from *palette.Set) *palette.Set {
	best, bestN := palette.Default(), -1
	for _, n := range palette.Names() {
		s, _ := palette.Lookup(n)
		k := 0
		for _, l := range from.All() {
			if _, ok := s.ByName(l.Name); ok {
				k++
			}
		}
		if k > bestN || (k == bestN && s == palette.Default()) {
			best, bestN = s, k
		}
	}
	return best
}

func findLabel(ls []manifestLabel, id int) (string, bool) {
	for _, l := range ls {
		if l.ID == id {
			return l.Name, true
		}
	}
	return "", false
}

func readManifest(f *zip.File) (*manifest, error) {
	if f.UncompressedSize64 > maxManifest {
		return nil, fmt.Errorf("larger than %d MiB", maxManifest>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifest+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxManifest {
		return nil, fmt.Errorf("larger than %d MiB", maxManifest>>20)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if m.Format != ProjectFormat {
		return nil, fmt.Errorf("format is %q, want %q", m.Format, ProjectFormat)
	}
	if m.FormatVersion > ProjectVersion {
		return nil, fmt.Errorf("format version %d (this program reads up to %d): %w", m.FormatVersion, ProjectVersion, ErrFutureVersion)
	}
	if m.FormatVersion < 1 {
		return nil, fmt.Errorf("format version %d is not valid", m.FormatVersion)
	}
	if err := checkSize(m.Width, m.Height); err != nil {
		return nil, err
	}
	if m.LabelSet == "" {
		return nil, fmt.Errorf("no label_set")
	}
	seen := map[int]bool{}
	names := map[string]bool{}
	for _, l := range m.Labels {
		if l.ID < 0 || l.ID > 255 {
			return nil, fmt.Errorf("label id %d out of range 0..255", l.ID)
		}
		if seen[l.ID] {
			return nil, fmt.Errorf("label id %d listed twice", l.ID)
		}
		if l.Name == "" {
			return nil, fmt.Errorf("label id %d has no name", l.ID)
		}
		seen[l.ID] = true
		names[l.Name] = true
	}
	if len(names) != len(m.Labels) {
		return nil, fmt.Errorf("a label name is listed twice")
	}
	if err := checkStyle(&m.Style); err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	return &m, nil
}

func checkStyle(s *Style) error {
	switch s.Kind {
	case "", StyleSeed, StylePreset, StylePhoto:
	default:
		return fmt.Errorf("unknown kind %q", s.Kind)
	}
	if len(s.Z) > maxZ {
		return fmt.Errorf("z has %d values, more than %d", len(s.Z), maxZ)
	}
	for i, v := range s.Z {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("z[%d] is not finite", i)
		}
	}
	return nil
}

// readLabelMap decodes labels.png after checking its declared size.
func readLabelMap(f *zip.File, w, h int) (*image.Paletted, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	cfg, err := png.DecodeConfig(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("not a PNG: %v", err)
	}
	if cfg.Width != w || cfg.Height != h {
		return nil, fmt.Errorf("image is %d×%d, manifest says %d×%d", cfg.Width, cfg.Height, w, h)
	}
	rc, err = f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	img, err := png.Decode(rc)
	if err != nil {
		return nil, fmt.Errorf("corrupt PNG: %v", err)
	}
	ids, ok := idsOf(img)
	if !ok {
		return nil, fmt.Errorf("not an 8-bit indexed or gray PNG (%T)", img)
	}
	return ids, nil
}

// idsOf returns a copy of an 8-bit paletted or gray image's values as a
// paletted image at the origin.
func idsOf(img image.Image) (*image.Paletted, bool) {
	var pix []uint8
	var stride int
	switch m := img.(type) {
	case *image.Paletted:
		pix, stride = m.Pix, m.Stride
	case *image.Gray:
		pix, stride = m.Pix, m.Stride
	default:
		return nil, false
	}
	b := img.Bounds()
	out := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), nil)
	for y := 0; y < b.Dy(); y++ {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], pix[y*stride:y*stride+b.Dx()])
	}
	return out, true
}

// SaveFile writes the project to path atomically: a temporary file in the
// same directory is written, synced and renamed over path, so a crash leaves
// either the old file or the new one. The document is then marked saved.
func (d *Document) SaveFile(path string) error {
	v, m := d.version, d.meta
	if err := WriteFileAtomic(path, d.Save); err != nil {
		return err
	}
	d.savedVersion, d.savedMeta = v, m
	return nil
}

// LoadFile reads the project at path (see Load).
func LoadFile(path string) (*Document, []palette.Fallback, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return Load(f, path)
}

// WriteFileAtomic writes a file through a temporary file in the same
// directory, fsync and a rename, so a crash or a failed write never leaves a
// truncated file where the old one was. The file is readable by others
// (0644), like any document a user saves. Errors name the path.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("%s: %w", path, err)
		}
	}()
	// CreateTemp makes the file private; a saved document is not.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; not every platform can sync a
	// directory, and the file is complete either way.
	if df, derr := os.Open(dir); derr == nil {
		_ = df.Sync()
		df.Close()
	}
	return nil
}
