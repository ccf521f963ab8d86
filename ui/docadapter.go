package ui

import (
	"image"

	"spadework/canvas"
	"spadework/palette"
)

// canvasDoc adapts a *canvas.Document to the paint widget's document: the
// widget thinks in drag events (start dab, segments, rubber-band shapes),
// the canvas in strokes (BeginStroke, BrushTo, EndStroke).
type canvasDoc struct {
	d *canvas.Document

	inStroke bool
	// shapeStep says the last rubber-band line or rectangle was recorded as
	// an undo step of its own, which the next shape of the same drag takes
	// back before drawing itself.
	shapeStep bool
}

var _ document = (*canvasDoc)(nil)

func wrapDoc(d *canvas.Document) *canvasDoc { return &canvasDoc{d: d} }

func (c *canvasDoc) Labels() *image.Paletted { return c.d.Image() }
func (c *canvasDoc) Set() *palette.Set       { return c.d.Set() }
func (c *canvasDoc) Version() uint64         { return c.d.Version() }

func (c *canvasDoc) Snapshot() (*image.Paletted, uint64) {
	s := c.d.Snapshot()
	return s.Image, s.Version
}

func (c *canvasDoc) begin() {
	if !c.inStroke {
		c.d.BeginStroke()
		c.inStroke = true
	}
}

// Dab starts a brush stroke at p.
func (c *canvasDoc) Dab(p image.Point, dm int, id uint8) image.Rectangle {
	c.begin()
	return c.d.BrushTo(p, dm, id)
}

// Segment continues the brush stroke to b (the canvas remembers a).
func (c *canvasDoc) Segment(a, b image.Point, dm int, id uint8) image.Rectangle {
	if !c.inStroke {
		c.begin()
		c.d.BrushTo(a, dm, id)
	}
	return c.d.BrushTo(b, dm, id)
}

// takeBackShape undoes the previous rubber-band shape of this drag.
func (c *canvasDoc) takeBackShape() image.Rectangle {
	if !c.shapeStep {
		return image.Rectangle{}
	}
	c.shapeStep = false
	return c.d.Undo()
}

// shape draws one rubber-band shape as its own undo step.
func (c *canvasDoc) shape(draw func() image.Rectangle) image.Rectangle {
	if c.inStroke {
		c.d.EndStroke()
		c.inStroke = false
	}
	old := c.takeBackShape()
	n := c.d.UndoSteps()
	r := draw()
	c.shapeStep = c.d.UndoSteps() > n
	return old.Union(r)
}

func (c *canvasDoc) Line(a, b image.Point, dm int, id uint8) image.Rectangle {
	return c.shape(func() image.Rectangle { return c.d.Line(a, b, dm, id) })
}

func (c *canvasDoc) Rect(a, b image.Point, id uint8) image.Rectangle {
	r := image.Rectangle{Min: a, Max: b}.Canon()
	r.Max = r.Max.Add(image.Pt(1, 1)) // both corners are inside
	return c.shape(func() image.Rectangle { return c.d.Rect(r, id) })
}

func (c *canvasDoc) Fill(p image.Point, id uint8) image.Rectangle {
	c.EndStroke()
	return c.d.Fill(p, id)
}

func (c *canvasDoc) At(p image.Point) (uint8, bool) { return c.d.Pick(p) }

func (c *canvasDoc) EraseID() uint8 { return c.d.Background }

func (c *canvasDoc) EndStroke() {
	if c.inStroke {
		c.d.EndStroke()
		c.inStroke = false
	}
	c.shapeStep = false
}

func (c *canvasDoc) Undo() (image.Rectangle, bool) {
	c.EndStroke()
	r := c.d.Undo()
	return r, !r.Empty()
}

func (c *canvasDoc) Redo() (image.Rectangle, bool) {
	c.EndStroke()
	r := c.d.Redo()
	return r, !r.Empty()
}

func (c *canvasDoc) CanUndo() bool { return c.d.CanUndo() }
func (c *canvasDoc) CanRedo() bool { return c.d.CanRedo() }
