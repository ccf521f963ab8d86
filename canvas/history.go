package canvas

import "image"

// Default bounds of the undo history. A step costs the bytes of its
// rectangle twice (before and after); the oldest steps are dropped first
// when either bound is passed.
const (
	DefaultUndoBytes = 64 << 20
	DefaultUndoSteps = 1000
)

// step is one undoable stroke: the pixels of the rectangle it changed,
// before and after.
type step struct {
	r             image.Rectangle
	before, after []uint8
}

func (s *step) bytes() int { return len(s.before) + len(s.after) + 64 }

// history is a linear undo/redo list: steps[:pos] can be undone,
// steps[pos:] redone.
type history struct {
	steps    []step
	pos      int
	bytes    int
	maxBytes int
	maxSteps int
}

func (h *history) push(s step) {
	for i := h.pos; i < len(h.steps); i++ {
		h.bytes -= h.steps[i].bytes()
		h.steps[i] = step{}
	}
	h.steps = append(h.steps[:h.pos], s)
	h.bytes += s.bytes()
	h.pos = len(h.steps)
	// Drop the oldest first; the newest step always stays, even when it
	// alone is over the byte bound, so the last action can be undone.
	drop := 0
	for len(h.steps)-drop > 1 && (h.bytes > h.maxBytes || len(h.steps)-drop > h.maxSteps) {
		h.bytes -= h.steps[drop].bytes()
		h.steps[drop] = step{}
		drop++
	}
	if drop > 0 {
		n := copy(h.steps, h.steps[drop:])
		clear(h.steps[n:])
		h.steps = h.steps[:n]
		h.pos = n
	}
}

func (h *history) clear() {
	clear(h.steps)
	h.steps = h.steps[:0]
	h.pos = 0
	h.bytes = 0
}

// copyRect copies the pixels of r (inside img) into a new slice, row after row.
func copyRect(img *image.Paletted, r image.Rectangle) []uint8 {
	w := r.Dx()
	out := make([]uint8, w*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := img.PixOffset(r.Min.X, y)
		copy(out[(y-r.Min.Y)*w:], img.Pix[off:off+w])
	}
	return out
}

// pasteRect writes pixels saved by copyRect back into r.
func pasteRect(img *image.Paletted, r image.Rectangle, pix []uint8) {
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := img.PixOffset(r.Min.X, y)
		copy(img.Pix[off:off+w], pix[(y-r.Min.Y)*w:])
	}
}
