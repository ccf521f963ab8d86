package canvas

import "image"

// Default bounds of the undo history. A step costs the bytes of its
// rectangle twice (before and after); the oldest steps are dropped first
// when either bound is passed.
const (
	DefaultUndoBytes = 64 << 20
	DefaultUndoSteps = 1000
)

// step is one undoable stroke: the pixels it changed, before and after. Only
// the changed span of each row of its rectangle is kept, so a long diagonal
// stroke costs about its own area, not its bounding box's.
type step struct {
	r             image.Rectangle
	spans         []span
	before, after []uint8
}

// span is the changed part of one row: pixels x0 … x0+n-1 of row y, stored at
// before[off:off+n] and after[off:off+n].
type span struct{ y, x0, n, off int32 }

func (s *step) bytes() int { return len(s.before) + len(s.after) + 16*len(s.spans) + 96 }

// apply writes the step's before (undo) or after (redo) pixels.
func (s *step) apply(img *image.Paletted, after bool) {
	src := s.before
	if after {
		src = s.after
	}
	for _, sp := range s.spans {
		off := img.PixOffset(int(sp.x0), int(sp.y))
		copy(img.Pix[off:off+int(sp.n)], src[sp.off:sp.off+sp.n])
	}
}

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
