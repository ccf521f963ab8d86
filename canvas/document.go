// Package canvas is the editable label map of a Spadework painting: the
// document, its painting tools, undo/redo, the .spw project file, label-map
// PNG import/export and autosave. It knows nothing of widgets; the UI calls
// it from one goroutine and hands Snapshots to the render worker.
package canvas

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"sync/atomic"

	"spadework/palette"
)

// Canvas size limits. Standard sizes are 256, 512 and 1024 square; anything
// from 1×1 to MaxSide×MaxSide is allowed.
const (
	MaxSide   = 4096
	MaxPixels = MaxSide * MaxSide
)

// StandardSizes are the square canvas sizes offered by default.
var StandardSizes = []int{256, 512, 1024}

// versions hands out document versions. One counter for all documents keeps
// versions unique across New and Load, so a render worker never mistakes a
// new document's first version for an old one it already drew.
var versions atomic.Uint64

func nextVersion() uint64 { return versions.Add(1) }

// Document is a label map being painted. Its pixels are label ids of its
// Set; its colour palette is the set's colours, so it encodes as an indexed
// PNG. A Document is not safe for concurrent use: one goroutine (the UI)
// owns it and passes Snapshots to others.
type Document struct {
	img *image.Paletted
	set *palette.Set

	// Style is the generator style saved with the project.
	Style Style
	// ModelID is the id of the model the painting was made for.
	ModelID string
	// Background is the label the eraser paints; New sets it to the set's
	// unlabeled id (or the fill id when the set has none).
	Background uint8

	id           string
	version      uint64
	savedVersion uint64
	meta         uint64 // counts MetaChanged calls
	savedMeta    uint64

	hist history

	inStroke  bool
	strokeR   image.Rectangle
	before    []uint8 // pixels at BeginStroke of the rows in saved; reused
	saved     []bool  // per row: before holds the row as it was at BeginStroke
	last      image.Point
	hasLast   bool
	fillStack FillStack
}

// SizeError is returned for a canvas size outside 1…MaxSide on either side.
type SizeError struct{ W, H int } // the size asked for

// Error says which size was refused and what is allowed.
func (e *SizeError) Error() string {
	return fmt.Sprintf("canvas size %d×%d is not allowed: each side must be 1 to %d pixels", e.W, e.H, MaxSide)
}

func checkSize(w, h int) error {
	if w < 1 || h < 1 || w > MaxSide || h > MaxSide {
		return &SizeError{w, h}
	}
	return nil
}

// New returns a w×h document of set, every pixel fill. fill must be an id of
// the set.
func New(set *palette.Set, w, h int, fill uint8) (*Document, error) {
	if set == nil {
		return nil, fmt.Errorf("canvas: no label set")
	}
	if err := checkSize(w, h); err != nil {
		return nil, err
	}
	if !set.Has(fill) {
		return nil, fmt.Errorf("canvas: fill id %d is not a label of %s", fill, set.Title)
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), set.Palette())
	fillBytes(img.Pix, fill)
	return newDocument(set, img), nil
}

// newDocument wraps img (already holding valid ids of set).
func newDocument(set *palette.Set, img *image.Paletted) *Document {
	img.Palette = set.Palette()
	d := &Document{img: img, set: set, version: nextVersion()}
	d.savedVersion = d.version
	if u, ok := set.Unlabeled(); ok {
		d.Background = u
	} else if len(img.Pix) > 0 {
		d.Background = img.Pix[0]
	}
	d.hist.maxBytes = DefaultUndoBytes
	d.hist.maxSteps = DefaultUndoSteps
	var b [8]byte
	_, _ = rand.Read(b[:])
	d.id = hex.EncodeToString(b[:])
	return d
}

// FromImage makes a document of set from a label map whose pixels are ids of
// set. The image is copied. Ids the set lacks are an error.
func FromImage(set *palette.Set, img *image.Paletted) (*Document, error) {
	if set == nil {
		return nil, fmt.Errorf("canvas: no label set")
	}
	b := img.Bounds()
	if err := checkSize(b.Dx(), b.Dy()); err != nil {
		return nil, err
	}
	c := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), set.Palette())
	for y := 0; y < b.Dy(); y++ {
		off := img.PixOffset(b.Min.X, b.Min.Y+y)
		copy(c.Pix[y*c.Stride:y*c.Stride+b.Dx()], img.Pix[off:off+b.Dx()])
	}
	for _, v := range c.Pix {
		if !set.Has(v) {
			return nil, fmt.Errorf("canvas: pixel id %d is not a label of %s", v, set.Title)
		}
	}
	return newDocument(set, c), nil
}

// Set is the document's label set.
func (d *Document) Set() *palette.Set { return d.set }

// ID is a random identifier of this document, stable for its lifetime; the
// autosave file is named after it.
func (d *Document) ID() string { return d.id }

// Bounds is the canvas rectangle, always at the origin.
func (d *Document) Bounds() image.Rectangle { return d.img.Rect }

// Image is the live label map. Callers may read it (between tool calls, on
// the owning goroutine) but must not write it: edits go through the tools so
// that undo sees them.
func (d *Document) Image() *image.Paletted { return d.img }

// Version changes, to a larger number, whenever the pixels may have changed.
func (d *Document) Version() uint64 { return d.version }

// Modified reports whether the pixels changed, or MetaChanged was called,
// since the document was created, loaded or last saved with SaveFile.
func (d *Document) Modified() bool { return d.version != d.savedVersion || d.meta != d.savedMeta }

// MarkSaved records the current state as saved.
func (d *Document) MarkSaved() { d.savedVersion, d.savedMeta = d.version, d.meta }

// MetaChanged records that Style or ModelID changed, so that the document
// counts as modified and is autosaved, without changing Version (which
// would make the renderer redraw).
func (d *Document) MetaChanged() { d.meta++ }

// SetUndoLimits changes the history bounds (bytes of pixels kept, and steps).
// Values below 1 keep the current bound.
func (d *Document) SetUndoLimits(maxBytes, maxSteps int) {
	if maxBytes > 0 {
		d.hist.maxBytes = maxBytes
	}
	if maxSteps > 0 {
		d.hist.maxSteps = maxSteps
	}
}

// UndoBytes is the memory the undo history holds, approximately.
func (d *Document) UndoBytes() int { return d.hist.bytes }

// CanUndo and CanRedo report whether Undo or Redo would do anything.
func (d *Document) CanUndo() bool { return d.hist.pos > 0 }

// CanRedo reports whether Redo would do anything.
func (d *Document) CanRedo() bool { return d.hist.pos < len(d.hist.steps) }

// UndoSteps is the number of steps Undo can take back.
func (d *Document) UndoSteps() int { return d.hist.pos }

// BeginStroke starts an undo step: everything the tools do until EndStroke
// is undone at once. Beginning a stroke while one is open ends the open one.
func (d *Document) BeginStroke() {
	if d.inStroke {
		d.EndStroke()
	}
	d.inStroke = true
	d.hasLast = false
	d.strokeR = image.Rectangle{}
	// Rows are saved lazily, just before a tool first writes them (touch),
	// so a stroke on a 4096² canvas costs what it paints, not a 16 MiB copy.
	if len(d.before) != len(d.img.Pix) {
		d.before = make([]uint8, len(d.img.Pix))
		d.saved = make([]bool, d.img.Rect.Dy())
	}
	clear(d.saved)
}

// touch saves the rows of r that the open stroke has not saved yet; tools
// call it with a rectangle holding everything they may write.
func (d *Document) touch(r image.Rectangle) {
	r = r.Intersect(d.img.Rect)
	w := d.img.Rect.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i := y - d.img.Rect.Min.Y
		if d.saved[i] {
			continue
		}
		off := d.img.PixOffset(d.img.Rect.Min.X, y)
		copy(d.before[off:off+w], d.img.Pix[off:off+w])
		d.saved[i] = true
	}
}

// EndStroke closes the undo step opened by BeginStroke. It records only the
// pixels that changed (row by row, within the stroke's dirty rectangle), and
// nothing when no pixel changed; it reports whether a step was recorded.
func (d *Document) EndStroke() bool {
	if !d.inStroke {
		return false
	}
	d.inStroke = false
	d.hasLast = false
	s, ok := d.diff(d.strokeR)
	if !ok {
		return false
	}
	d.hist.push(s)
	return true
}

// diff collects the changed span of every row of r against d.before.
func (d *Document) diff(r image.Rectangle) (step, bool) {
	r = r.Intersect(d.img.Rect)
	var s step
	total := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if !d.saved[y-d.img.Rect.Min.Y] {
			continue // untouched (between two far-apart tools): unchanged, and before is stale
		}
		off := d.img.PixOffset(r.Min.X, y)
		cur, old := d.img.Pix[off:off+r.Dx()], d.before[off:off+r.Dx()]
		if bytes.Equal(cur, old) {
			continue
		}
		l := 0
		for cur[l] == old[l] {
			l++
		}
		h := len(cur) - 1
		for cur[h] == old[h] {
			h--
		}
		s.spans = append(s.spans, span{y: int32(y), x0: int32(r.Min.X + l), n: int32(h - l + 1), off: int32(total)})
		total += h - l + 1
		s.r = s.r.Union(image.Rect(r.Min.X+l, y, r.Min.X+h+1, y+1))
	}
	if len(s.spans) == 0 {
		return step{}, false
	}
	s.before = make([]uint8, total)
	s.after = make([]uint8, total)
	for _, sp := range s.spans {
		off := d.img.PixOffset(int(sp.x0), int(sp.y))
		copy(s.before[sp.off:], d.before[off:off+int(sp.n)])
		copy(s.after[sp.off:], d.img.Pix[off:off+int(sp.n)])
	}
	return s, true
}

// edit runs one tool inside the open stroke, or as a stroke of its own.
// reach bounds what the tool may write.
func (d *Document) edit(reach image.Rectangle, f func() image.Rectangle) image.Rectangle {
	own := !d.inStroke
	if own {
		d.BeginStroke()
	}
	d.touch(reach)
	r := f()
	if !r.Empty() {
		d.strokeR = d.strokeR.Union(r)
		d.version = nextVersion()
	}
	if own {
		d.EndStroke()
	}
	return r
}

// Undo takes back the last step and returns the rectangle to redraw (empty
// when there is nothing to undo). An open stroke is ended first.
func (d *Document) Undo() image.Rectangle {
	d.EndStroke()
	if d.hist.pos == 0 {
		return image.Rectangle{}
	}
	d.hist.pos--
	s := &d.hist.steps[d.hist.pos]
	s.apply(d.img, false)
	d.version = nextVersion()
	return s.r
}

// Redo repeats the last undone step and returns the rectangle to redraw.
func (d *Document) Redo() image.Rectangle {
	d.EndStroke()
	if d.hist.pos >= len(d.hist.steps) {
		return image.Rectangle{}
	}
	s := &d.hist.steps[d.hist.pos]
	d.hist.pos++
	s.apply(d.img, true)
	d.version = nextVersion()
	return s.r
}

// ClearHistory forgets every undo and redo step.
func (d *Document) ClearHistory() { d.hist.clear() }

func (d *Document) valid(id uint8) bool { return d.set.Has(id) }

// BrushTo moves the round brush to p within the open stroke: the first call
// after BeginStroke stamps a dab, later calls paint the swept segment from
// the previous point, so a fast drag leaves no gaps. Ids the set lacks are
// not painted.
func (d *Document) BrushTo(p image.Point, diameter int, id uint8) image.Rectangle {
	if !d.valid(id) {
		return image.Rectangle{}
	}
	a := p
	if d.inStroke && d.hasLast {
		a = d.last
	}
	r := d.edit(segmentReach(a, p, diameter), func() image.Rectangle { return Segment(d.img, a, p, diameter, id) })
	if d.inStroke {
		d.last, d.hasLast = p, true
	}
	return r
}

// EraseTo is BrushTo painting the Background label.
func (d *Document) EraseTo(p image.Point, diameter int) image.Rectangle {
	return d.BrushTo(p, diameter, d.Background)
}

// Line paints a straight line from a to b with the round brush.
func (d *Document) Line(a, b image.Point, diameter int, id uint8) image.Rectangle {
	if !d.valid(id) {
		return image.Rectangle{}
	}
	return d.edit(segmentReach(a, b, diameter), func() image.Rectangle { return Segment(d.img, a, b, diameter, id) })
}

// Rect fills the rectangle r (any corner order; clipped) with id.
func (d *Document) Rect(r image.Rectangle, id uint8) image.Rectangle {
	if !d.valid(id) {
		return image.Rectangle{}
	}
	return d.edit(r.Canon(), func() image.Rectangle { return FillRect(d.img, r, id) })
}

// Fill flood-fills the 4-connected region under p with id.
func (d *Document) Fill(p image.Point, id uint8) image.Rectangle {
	if !d.valid(id) {
		return image.Rectangle{}
	}
	return d.edit(d.img.Rect, func() image.Rectangle { return FloodFill(d.img, p, id, &d.fillStack) })
}

// Replace turns every pixel of label from into label to.
func (d *Document) Replace(from, to uint8) image.Rectangle {
	if !d.valid(to) {
		return image.Rectangle{}
	}
	return d.edit(d.img.Rect, func() image.Rectangle { return ReplaceID(d.img, from, to) })
}

// Pick is the eyedropper: the id under p.
func (d *Document) Pick(p image.Point) (uint8, bool) { return Pick(d.img, p) }

// Snapshot is an immutable copy of a document's label map for the render
// worker. Nothing writes to Image after Snapshot returns it.
type Snapshot struct {
	Image   *image.Paletted // pixel = label id of Set
	Version uint64          // the document's Version when taken
	Set     *palette.Set    // the document's label set when taken
}

// Snapshot copies the label map (one copy of Pix; a 1024² map is 1 MiB).
func (d *Document) Snapshot() Snapshot {
	img := &image.Paletted{Pix: bytes.Clone(d.img.Pix), Stride: d.img.Stride, Rect: d.img.Rect, Palette: d.img.Palette}
	return Snapshot{Image: img, Version: d.version, Set: d.set}
}

// Remap converts the document to another label set (the model changed): every
// pixel, the undo history and Background are translated by name with
// palette.Translate, and the fallbacks taken for the labels the painting
// uses are returned. An open stroke is ended first.
func (d *Document) Remap(to *palette.Set) []palette.Fallback {
	d.EndStroke()
	if to == nil || to == d.set {
		return nil
	}
	m, fbs := palette.Translate(d.set, to)
	var used [256]bool
	for _, v := range d.img.Pix {
		used[v] = true
	}
	kept := fbs[:0]
	for _, f := range fbs {
		if used[f.FromID] {
			kept = append(kept, f)
		}
	}
	m.Apply(d.img.Pix)
	for i := range d.hist.steps {
		m.Apply(d.hist.steps[i].before)
		m.Apply(d.hist.steps[i].after)
	}
	d.Background = m[d.Background]
	d.set = to
	d.img.Palette = to.Palette()
	d.version = nextVersion()
	return kept
}

// UsedLabels lists the labels present in the painting, in id order.
func (d *Document) UsedLabels() []palette.Label {
	var out []palette.Label
	for _, id := range usedIDs(d.img.Pix) {
		if l, ok := d.set.ByID(id); ok {
			out = append(out, l)
		}
	}
	return out
}
