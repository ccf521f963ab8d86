package ui

import (
	"image"

	"spadework/palette"
)

// Tool is a painting tool of the toolbar.
type Tool int

// The tools, in toolbar order.
const (
	ToolBrush Tool = iota
	ToolLine
	ToolRect
	ToolFill
	ToolEyedropper
	ToolEraser
	numTools
)

var toolNames = [numTools]string{"Brush", "Line", "Rectangle", "Fill", "Eyedropper", "Eraser"}

// String returns the tool's display name.
func (t Tool) String() string {
	if t >= 0 && t < numTools {
		return toolNames[t]
	}
	return "Tool?"
}

// document is what the UI edits: a label map with painting operations that
// report the rectangle they changed, and stroke-level undo. All methods run
// on the UI goroutine.
type document interface {
	// Labels is the live label map. Only the UI goroutine reads it; the
	// worker gets copies from Snapshot.
	Labels() *image.Paletted
	Set() *palette.Set
	// Version increases with every change (edits, undo, redo).
	Version() uint64
	// Snapshot returns an immutable copy of the label map and its version.
	Snapshot() (*image.Paletted, uint64)

	// Dab paints a disc of diameter d centred at p (a single click).
	Dab(p image.Point, d int, id uint8) image.Rectangle
	// Segment paints the swept disc from a to b, the body of a brush stroke.
	Segment(a, b image.Point, d int, id uint8) image.Rectangle
	// Line and Rect draw shapes; while a stroke is open, each call first
	// undoes the previous shape of the same stroke (rubber banding), so the
	// returned rectangle covers both the old and the new shape.
	Line(a, b image.Point, d int, id uint8) image.Rectangle
	Rect(a, b image.Point, id uint8) image.Rectangle
	// Fill flood-fills the 4-connected region of p's label with id.
	Fill(p image.Point, id uint8) image.Rectangle
	// At returns the label at p (eyedropper), false outside the map.
	At(p image.Point) (uint8, bool)
	// EraseID is the label the eraser paints.
	EraseID() uint8

	// EndStroke closes the edits since the last EndStroke into one undo
	// step (no step when nothing changed).
	EndStroke()
	Undo() (image.Rectangle, bool)
	Redo() (image.Rectangle, bool)
	CanUndo() bool
	CanRedo() bool
}
