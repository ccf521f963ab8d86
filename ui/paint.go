package ui

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	fynecanvas "fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

var (
	_ fyne.Draggable         = (*paintWidget)(nil)
	_ fyne.Tappable          = (*paintWidget)(nil)
	_ fyne.SecondaryTappable = (*paintWidget)(nil)
	_ fyne.Scrollable        = (*paintWidget)(nil)
	_ desktop.Hoverable      = (*paintWidget)(nil)
	_ desktop.Cursorable     = (*paintWidget)(nil)
	_ fyne.WidgetRenderer    = (*paintRenderer)(nil)
)

// paintWidget shows the label map in its label colours and paints on it with
// the current tool. It keeps an RGBA display buffer and, after each edit,
// recolours only the rectangle the edit changed, so painting costs the same
// at 1024² as at 256². It never waits for the generator: every edit is
// reported through OnEdit and the app submits a snapshot to the worker.
type paintWidget struct {
	widget.BaseWidget

	// Tool, Diameter (1..256 document pixels) and Label say what a stroke
	// does; the app sets them from the toolbar and palette.
	Tool     Tool
	Diameter int
	Label    uint8

	// OnEdit is called after every change to the label map (each drag
	// event, tap, undo or redo).
	OnEdit func()
	// OnStrokeEnd is called when an undo step was closed.
	OnStrokeEnd func()
	// OnPick is called with the label under an eyedropper tap or drag.
	OnPick func(id uint8)
	// OnHover reports the label under the pointer ("" when outside).
	OnHover func(text string)
	// OnResize asks for another brush diameter (mouse wheel).
	OnResize func(d int)

	doc     document
	lut     [256]color.RGBA
	display *image.RGBA
	raster  *fynecanvas.Image
	cursor  *fynecanvas.Circle

	dragging bool
	anchor   image.Point // where the stroke started (line, rectangle)
	last     image.Point // previous drag point (brush)
}

// newPaintWidget returns a paint widget editing doc.
func newPaintWidget(doc document) *paintWidget {
	p := &paintWidget{Diameter: 16}
	p.raster = &fynecanvas.Image{FillMode: fynecanvas.ImageFillStretch, ScaleMode: fynecanvas.ImageScalePixels}
	p.cursor = &fynecanvas.Circle{StrokeColor: color.NRGBA{255, 255, 255, 200}, StrokeWidth: 1.5}
	p.cursor.Hide()
	p.SetDocument(doc)
	p.ExtendBaseWidget(p)
	return p
}

// SetDocument replaces the document being edited and redraws everything.
func (p *paintWidget) SetDocument(doc document) {
	p.doc = doc
	p.dragging = false
	set := doc.Set()
	for i := range p.lut {
		p.lut[i] = set.Color(uint8(i))
	}
	b := doc.Labels().Rect
	if p.display == nil || p.display.Rect != b {
		p.display = image.NewRGBA(b)
		p.raster.Image = p.display
	}
	p.redraw(b)
	p.Refresh()
}

// Display returns the RGBA picture of the label map the widget shows.
func (p *paintWidget) Display() *image.RGBA { return p.display }

// redraw recolours r of the display buffer from the label map and asks the
// raster to be repainted.
func (p *paintWidget) redraw(r image.Rectangle) {
	lab := p.doc.Labels()
	r = r.Intersect(lab.Rect)
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		src := lab.Pix[lab.PixOffset(r.Min.X, y):lab.PixOffset(r.Max.X, y)]
		dst := p.display.Pix[p.display.PixOffset(r.Min.X, y):p.display.PixOffset(r.Max.X, y)]
		for i, id := range src {
			c := p.lut[id]
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = c.R, c.G, c.B, 255
		}
	}
	p.raster.Refresh()
}

// Changed redraws r after the document changed outside the widget (undo,
// redo) and reports the edit.
func (p *paintWidget) Changed(r image.Rectangle) {
	p.redraw(r)
	if p.OnEdit != nil {
		p.OnEdit()
	}
}

// imageRect is where the label map is drawn inside the widget: as large as
// fits, centred, aspect kept.
func (p *paintWidget) imageRect(size fyne.Size) (pos fyne.Position, sz fyne.Size, scale float32) {
	b := p.doc.Labels().Rect
	iw, ih := float32(b.Dx()), float32(b.Dy())
	scale = float32(math.Min(float64(size.Width/iw), float64(size.Height/ih)))
	if scale <= 0 {
		scale = 1
	}
	sz = fyne.NewSize(iw*scale, ih*scale)
	pos = fyne.NewPos((size.Width-sz.Width)/2, (size.Height-sz.Height)/2)
	return pos, sz, scale
}

// toDoc maps a widget position to a document pixel.
func (p *paintWidget) toDoc(pos fyne.Position) image.Point {
	off, _, scale := p.imageRect(p.Size())
	b := p.doc.Labels().Rect
	x := int(math.Floor(float64((pos.X - off.X) / scale)))
	y := int(math.Floor(float64((pos.Y - off.Y) / scale)))
	return image.Pt(b.Min.X+x, b.Min.Y+y)
}

func (p *paintWidget) paintID() uint8 {
	if p.Tool == ToolEraser {
		return p.doc.EraseID()
	}
	return p.Label
}

// Dragged paints: the brush and eraser sweep from the previous point, the
// line and rectangle tools rubber-band from the stroke's start.
func (p *paintWidget) Dragged(e *fyne.DragEvent) {
	cur := p.toDoc(e.Position)
	if !p.dragging {
		p.dragging = true
		start := p.toDoc(e.Position.Subtract(e.Dragged))
		p.anchor, p.last = start, start
		if p.Tool == ToolBrush || p.Tool == ToolEraser {
			p.apply(p.doc.Dab(start, p.Diameter, p.paintID()))
		}
	}
	p.moveCursor(e.Position)
	switch p.Tool {
	case ToolBrush, ToolEraser:
		if cur != p.last {
			p.apply(p.doc.Segment(p.last, cur, p.Diameter, p.paintID()))
		}
	case ToolLine:
		p.apply(p.doc.Line(p.anchor, cur, p.Diameter, p.paintID()))
	case ToolRect:
		p.apply(p.doc.Rect(p.anchor, cur, p.paintID()))
	case ToolEyedropper:
		p.pick(cur)
	case ToolFill:
		// A fill happens on tap only; dragging the bucket does nothing.
	}
	p.last = cur
}

// DragEnd closes the stroke into one undo step.
func (p *paintWidget) DragEnd() {
	if !p.dragging {
		return
	}
	p.dragging = false
	p.endStroke()
}

func (p *paintWidget) endStroke() {
	p.doc.EndStroke()
	if p.OnStrokeEnd != nil {
		p.OnStrokeEnd()
	}
}

// Tapped fills, picks, or paints a single dab.
func (p *paintWidget) Tapped(e *fyne.PointEvent) {
	pt := p.toDoc(e.Position)
	switch p.Tool {
	case ToolBrush, ToolEraser, ToolLine:
		p.apply(p.doc.Dab(pt, p.Diameter, p.paintID()))
	case ToolRect:
		p.apply(p.doc.Rect(pt, pt, p.paintID()))
	case ToolFill:
		p.apply(p.doc.Fill(pt, p.paintID()))
	case ToolEyedropper:
		p.pick(pt)
		return
	}
	p.endStroke()
}

// TappedSecondary picks the label under the pointer whatever the tool: the
// painter's quick eyedropper (right click).
func (p *paintWidget) TappedSecondary(e *fyne.PointEvent) {
	p.pick(p.toDoc(e.Position))
}

// Scrolled resizes the brush with the mouse wheel.
func (p *paintWidget) Scrolled(e *fyne.ScrollEvent) {
	if p.OnResize == nil || e.Scrolled.DY == 0 {
		return
	}
	if e.Scrolled.DY > 0 {
		p.OnResize(p.Diameter*5/4 + 1)
	} else {
		p.OnResize(p.Diameter * 4 / 5)
	}
	p.moveCursor(e.Position)
}

func (p *paintWidget) pick(pt image.Point) {
	if id, ok := p.doc.At(pt); ok && p.OnPick != nil {
		p.OnPick(id)
	}
}

func (p *paintWidget) apply(r image.Rectangle) {
	if r.Empty() {
		return
	}
	p.redraw(r)
	if p.OnEdit != nil {
		p.OnEdit()
	}
}

// Cursor shows a crosshair over the painting.
func (p *paintWidget) Cursor() desktop.Cursor { return desktop.CrosshairCursor }

// MouseIn shows the brush outline.
func (p *paintWidget) MouseIn(e *desktop.MouseEvent) { p.MouseMoved(e) }

// MouseMoved moves the brush outline and reports the label under it.
func (p *paintWidget) MouseMoved(e *desktop.MouseEvent) {
	p.moveCursor(e.Position)
	if p.OnHover != nil {
		pt := p.toDoc(e.Position)
		if id, ok := p.doc.At(pt); ok {
			p.OnHover(p.doc.Set().LabelName(id) + "  (" + strconv.Itoa(pt.X) + ", " + strconv.Itoa(pt.Y) + ")")
		} else {
			p.OnHover("")
		}
	}
}

// MouseOut hides the brush outline.
func (p *paintWidget) MouseOut() {
	p.cursor.Hide()
	p.cursor.Refresh()
	if p.OnHover != nil {
		p.OnHover("")
	}
}

func (p *paintWidget) moveCursor(pos fyne.Position) {
	if p.Tool == ToolFill || p.Tool == ToolEyedropper || p.Tool == ToolRect {
		p.cursor.Hide()
		return
	}
	_, _, scale := p.imageRect(p.Size())
	d := float32(p.Diameter) * scale
	if d < 4 {
		d = 4
	}
	p.cursor.Move(fyne.NewPos(pos.X-d/2, pos.Y-d/2))
	p.cursor.Resize(fyne.NewSquareSize(d))
	p.cursor.Show()
	p.cursor.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (p *paintWidget) CreateRenderer() fyne.WidgetRenderer {
	bg := fynecanvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	return &paintRenderer{p: p, bg: bg}
}

// MinSize keeps the painting usable when the window is small.
func (p *paintWidget) MinSize() fyne.Size {
	p.ExtendBaseWidget(p)
	return fyne.NewSquareSize(160)
}

type paintRenderer struct {
	p  *paintWidget
	bg *fynecanvas.Rectangle
}

func (r *paintRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	pos, sz, _ := r.p.imageRect(size)
	r.p.raster.Move(pos)
	r.p.raster.Resize(sz)
}

func (r *paintRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(160) }

func (r *paintRenderer) Refresh() {
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.bg.Refresh()
	r.Layout(r.p.Size())
	r.p.raster.Refresh()
}

func (r *paintRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.p.raster, r.p.cursor}
}

func (r *paintRenderer) Destroy() {}
