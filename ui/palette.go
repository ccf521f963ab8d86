package ui

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	fynecanvas "fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spadework/palette"
)

// swatch is one label of the palette: its colour, its name, highlighted
// when it is the brush's label.
type swatch struct {
	widget.BaseWidget
	label    palette.Label
	selected bool
	hovered  bool
	onTap    func(id uint8)
	onHover  func(text string)
}

var (
	_ fyne.Tappable     = (*swatch)(nil)
	_ desktop.Hoverable = (*swatch)(nil)
)

func newSwatch(l palette.Label, onTap func(uint8), onHover func(string)) *swatch {
	s := &swatch{label: l, onTap: onTap, onHover: onHover}
	s.ExtendBaseWidget(s)
	return s
}

func (s *swatch) Tapped(*fyne.PointEvent) {
	if s.onTap != nil {
		s.onTap(s.label.ID)
	}
}

// MouseIn shows the label's id and group where Fyne has no tooltips: in the
// status bar.
func (s *swatch) MouseIn(*desktop.MouseEvent) {
	s.hovered = true
	s.Refresh()
	if s.onHover != nil {
		s.onHover(fmt.Sprintf("%s — id %d, %s", s.label.Name, s.label.ID, s.label.Group))
	}
}

func (s *swatch) MouseMoved(*desktop.MouseEvent) {}

func (s *swatch) MouseOut() {
	s.hovered = false
	s.Refresh()
	if s.onHover != nil {
		s.onHover("")
	}
}

func (s *swatch) setSelected(v bool) {
	if s.selected != v {
		s.selected = v
		s.Refresh()
	}
}

func (s *swatch) CreateRenderer() fyne.WidgetRenderer {
	bg := fynecanvas.NewRectangle(color.Transparent)
	bg.CornerRadius = theme.InputRadiusSize()
	chip := fynecanvas.NewRectangle(s.label.Color)
	chip.StrokeColor = color.NRGBA{0, 0, 0, 90}
	chip.StrokeWidth = 1
	chip.CornerRadius = 3
	text := fynecanvas.NewText(s.label.Name, theme.Color(theme.ColorNameForeground))
	text.TextSize = theme.TextSize() * 0.95
	r := &swatchRenderer{s: s, bg: bg, chip: chip, text: text}
	r.Refresh()
	return r
}

type swatchRenderer struct {
	s        *swatch
	bg, chip *fynecanvas.Rectangle
	text     *fynecanvas.Text
}

const swatchChip = 18

func (r *swatchRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	pad := theme.InnerPadding() / 2
	r.chip.Move(fyne.NewPos(pad, (size.Height-swatchChip)/2))
	r.chip.Resize(fyne.NewSquareSize(swatchChip))
	ts := r.text.MinSize()
	r.text.Move(fyne.NewPos(pad*2+swatchChip, (size.Height-ts.Height)/2))
	r.text.Resize(ts)
}

func (r *swatchRenderer) MinSize() fyne.Size {
	pad := theme.InnerPadding() / 2
	ts := r.text.MinSize()
	return fyne.NewSize(pad*3+swatchChip+ts.Width, max(ts.Height, swatchChip)+pad*2)
}

func (r *swatchRenderer) Refresh() {
	switch {
	case r.s.selected:
		r.bg.FillColor = theme.Color(theme.ColorNameSelection)
		r.bg.StrokeColor = theme.Color(theme.ColorNamePrimary)
		r.bg.StrokeWidth = 2
		r.text.TextStyle.Bold = true
	case r.s.hovered:
		r.bg.FillColor = theme.Color(theme.ColorNameHover)
		r.bg.StrokeWidth = 0
		r.text.TextStyle.Bold = false
	default:
		r.bg.FillColor = color.Transparent
		r.bg.StrokeWidth = 0
		r.text.TextStyle.Bold = false
	}
	r.text.Color = theme.Color(theme.ColorNameForeground)
	r.bg.Refresh()
	r.chip.Refresh()
	r.text.Refresh()
}

func (r *swatchRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.chip, r.text}
}

func (r *swatchRenderer) Destroy() {}

// palettePanel lists a label set's labels by group.
type palettePanel struct {
	set      *palette.Set
	selected uint8
	swatches map[uint8]*swatch
	onSelect func(id uint8)
	onHover  func(string)
	box      *fyne.Container
	scroll   *container.Scroll
	// search filters big label sets (ADE20K's 150, COCO-Stuff's 182) by
	// name; it is shown only for those.
	search  *widget.Entry
	content *fyne.Container
	filter  string
}

// searchFrom is the label count from which the palette offers a search box.
const searchFrom = 40

func newPalettePanel(onSelect func(uint8), onHover func(string)) *palettePanel {
	p := &palettePanel{onSelect: onSelect, onHover: onHover, box: container.NewVBox()}
	p.scroll = container.NewVScroll(p.box)
	p.scroll.SetMinSize(fyne.NewSize(170, 200))
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Find a label")
	p.search.OnChanged = func(text string) {
		p.filter = strings.ToLower(strings.TrimSpace(text))
		p.rebuild()
	}
	title := widget.NewLabelWithStyle("Labels", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.content = container.NewBorder(container.NewVBox(title, p.search), nil, nil, nil, p.scroll)
	return p
}

// setLabels rebuilds the panel for set.
func (p *palettePanel) setLabels(set *palette.Set) {
	p.set = set
	p.filter = ""
	p.search.SetText("")
	if len(set.Labels()) >= searchFrom {
		p.search.Show()
	} else {
		p.search.Hide()
	}
	p.rebuild()
}

func (p *palettePanel) rebuild() {
	set := p.set
	p.swatches = map[uint8]*swatch{}
	p.box.RemoveAll()
	labels := set.Labels()
	for _, g := range palette.Groups() {
		var items []fyne.CanvasObject
		for _, l := range labels {
			if l.Group != g {
				continue
			}
			if p.filter != "" && !strings.Contains(strings.ToLower(l.Name), p.filter) {
				continue
			}
			s := newSwatch(l, p.tap, p.onHover)
			p.swatches[l.ID] = s
			items = append(items, s)
		}
		if len(items) == 0 {
			continue
		}
		head := widget.NewLabelWithStyle(g.String(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Italic: true})
		p.box.Add(head)
		p.box.Add(container.New(layout.NewGridLayoutWithColumns(1), items...))
	}
	if s, ok := p.swatches[p.selected]; ok {
		s.setSelected(true)
	}
	p.box.Refresh()
}

func (p *palettePanel) tap(id uint8) {
	p.setSelected(id)
	if p.onSelect != nil {
		p.onSelect(id)
	}
}

// setSelected highlights id without reporting it.
func (p *palettePanel) setSelected(id uint8) {
	if s, ok := p.swatches[p.selected]; ok {
		s.setSelected(false)
	}
	p.selected = id
	if s, ok := p.swatches[id]; ok {
		s.setSelected(true)
	}
}
