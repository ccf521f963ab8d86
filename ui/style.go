package ui

import (
	"image"
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	fynecanvas "fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// styleChoice is one style the user picked: a preset, a seed or a photo.
type styleChoice struct {
	Kind   string // "preset", "seed" or "photo"
	Name   string // preset name, "seed N" or the photo's file name
	Seed   uint64
	Z      []float32
	Thumb  image.Image
	Source string // photo path
}

// stylePanel picks the generator style: random seeds, presets, a style
// photo, and a blend between two picks (A and B).
type stylePanel struct {
	slots    [2]styleChoice
	active   int // the slot a new pick goes to
	mix      float64
	variety  float64 // scale of seed styles (synth.RandomStyleVariety)
	onChange func()

	seedEntry     *widget.Entry
	slotBtns      [2]*widget.Button
	slotThumbs    [2]*fynecanvas.Image
	mixSlider     *widget.Slider
	varietySlider *widget.Slider
	gallery       *fyne.Container
	photoThumb    *fynecanvas.Image
	photoBtn      *widget.Button
	content       fyne.CanvasObject

	zdim       int
	onRandom   func()
	onPhoto    func()
	presetBtns []*thumbButton
}

func newStylePanel(onChange, onRandom, onPhoto func()) *stylePanel {
	s := &stylePanel{onChange: onChange, onRandom: onRandom, onPhoto: onPhoto, variety: 1}
	s.seedEntry = widget.NewEntry()
	s.seedEntry.SetPlaceHolder("seed")
	s.seedEntry.OnSubmitted = func(text string) {
		if seed, err := strconv.ParseUint(text, 10, 64); err == nil {
			s.pickSeed(seed)
		}
	}
	random := widget.NewButtonWithIcon("Random (R)", theme.ViewRefreshIcon(), func() {
		if s.onRandom != nil {
			s.onRandom()
		}
	})
	for i := range s.slotBtns {
		i := i
		s.slotThumbs[i] = &fynecanvas.Image{FillMode: fynecanvas.ImageFillContain}
		s.slotThumbs[i].SetMinSize(fyne.NewSquareSize(36))
		s.slotBtns[i] = widget.NewButton(string(rune('A'+i)), func() { s.setActive(i) })
	}
	s.mixSlider = widget.NewSlider(0, 1)
	s.mixSlider.Step = 0.01
	s.mixSlider.OnChanged = func(v float64) {
		s.mix = v
		s.changed()
	}
	// Variety is the truncation trick for seed styles: lower gives
	// tamer styles that differ less between seeds, higher makes them differ more.
	s.varietySlider = widget.NewSlider(0, 1.5)
	s.varietySlider.Step = 0.05
	s.varietySlider.SetValue(s.variety)
	s.varietySlider.OnChanged = s.setVariety
	s.photoThumb = &fynecanvas.Image{FillMode: fynecanvas.ImageFillContain}
	s.photoThumb.SetMinSize(fyne.NewSquareSize(36))
	s.photoBtn = widget.NewButtonWithIcon("Style photo…", theme.FileImageIcon(), func() {
		if s.onPhoto != nil {
			s.onPhoto()
		}
	})
	s.gallery = container.New(layout.NewGridWrapLayout(fyne.NewSize(thumbW, thumbH)))

	slots := container.NewHBox(s.slotBtns[0], s.slotThumbs[0], layout.NewSpacer(), s.slotThumbs[1], s.slotBtns[1])
	s.content = container.NewVBox(
		widget.NewLabelWithStyle("Style", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, random, s.seedEntry),
		container.NewBorder(nil, nil, widget.NewLabel("Variety"), nil, s.varietySlider),
		container.NewBorder(nil, nil, s.photoThumb, nil, s.photoBtn),
		widget.NewLabel("Presets"),
		s.gallery,
		widget.NewSeparator(),
		widget.NewLabel("Blend between A and B"),
		blendHelp(),
		slots,
		s.mixSlider,
	)
	s.setActive(0)
	return s
}

// setPresets fills the gallery with a model's presets.
func (s *stylePanel) setPresets(presets []StylePreset, zdim int) {
	s.zdim = zdim
	s.gallery.RemoveAll()
	s.presetBtns = nil
	for _, p := range presets {
		p := p
		if p.Thumbnail == nil {
			p.Thumbnail = zThumb(p.Z)
		}
		b := newThumbButton(p.Name, p.Thumbnail, func() {
			s.pick(styleChoice{Kind: "preset", Name: p.Name, Z: p.Z, Thumb: p.Thumbnail})
		})
		s.presetBtns = append(s.presetBtns, b)
		s.gallery.Add(b)
	}
	s.gallery.Refresh()
}

// setThumb replaces a preset's placeholder thumbnail with a rendering.
func (s *stylePanel) setThumb(name string, img image.Image) {
	for _, b := range s.presetBtns {
		if b.name == name {
			b.img = img
			b.Refresh()
		}
	}
	for i := range s.slots {
		if s.slots[i].Kind == "preset" && s.slots[i].Name == name {
			s.slots[i].Thumb = img
			s.slotThumbs[i].Image = img
			s.slotThumbs[i].Refresh()
		}
	}
}

func (s *stylePanel) setActive(i int) {
	s.active = i
	for j, b := range s.slotBtns {
		if j == i {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
}

func (s *stylePanel) pickSeed(seed uint64) {
	s.seedEntry.SetText(strconv.FormatUint(seed, 10))
	s.pick(styleChoice{Kind: "seed", Name: "seed " + strconv.FormatUint(seed, 10), Seed: seed, Z: RandomStyleVariety(seed, s.zdim, s.variety)})
}

// setVariety rescales the seed styles in both slots; presets and photos are
// styles someone chose and stay as they are.
func (s *stylePanel) setVariety(v float64) {
	if v == s.variety {
		return
	}
	s.variety = v
	for i := range s.slots {
		if s.slots[i].Kind == "seed" && s.slots[i].Z != nil {
			s.slots[i].Z = RandomStyleVariety(s.slots[i].Seed, len(s.slots[i].Z), v)
		}
	}
	s.changed()
}

// pick puts c in the active slot. The first pick fills both slots so that
// the blend slider starts as a no-op.
func (s *stylePanel) pick(c styleChoice) {
	if c.Thumb == nil {
		c.Thumb = seedThumb(c.Seed)
	}
	if s.slots[0].Z == nil && s.slots[1].Z == nil {
		s.slots[1] = c
		s.slotThumbs[1].Image = c.Thumb
		s.slotThumbs[1].Refresh()
	}
	s.slots[s.active] = c
	s.slotThumbs[s.active].Image = c.Thumb
	s.slotThumbs[s.active].Refresh()
	for _, b := range s.presetBtns {
		b.setSelected(c.Kind == "preset" && b.name == c.Name)
	}
	s.changed()
}

func (s *stylePanel) changed() {
	if s.onChange != nil {
		s.onChange()
	}
}

// z returns the style vector to render with: A and B mixed by the slider.
func (s *stylePanel) z() []float32 {
	a, b := s.slots[0].Z, s.slots[1].Z
	switch {
	case a == nil && b == nil:
		return make([]float32, s.zdim)
	case a == nil:
		return b
	case b == nil || len(a) != len(b):
		return a
	}
	t := float32(s.mix)
	z := make([]float32, len(a))
	for i := range z {
		z[i] = a[i]*(1-t) + b[i]*t
	}
	return z
}

// current returns the choice the blend is closest to (what a project saves).
func (s *stylePanel) current() styleChoice {
	if s.mix > 0.5 {
		return s.slots[1]
	}
	return s.slots[0]
}

// seedThumb is a small colour chip standing for a random style.
func seedThumb(seed uint64) image.Image {
	return zThumb(RandomStyle(seed, 6))
}

// zThumb is a colour chip made from a style vector's first values: a
// placeholder until a real thumbnail is rendered.
func zThumb(z []float32) image.Image {
	for len(z) < 6 {
		z = append(z, 0)
	}
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i := 0; i < 4; i++ {
		c := func(v float32) uint8 { return uint8(min(max(128+50*v, 0), 255)) }
		img.Set(i%2, i/2, color.RGBA{c(z[i%6]), c(z[(i+2)%6]), c(z[(i+4)%6]), 255})
	}
	return img
}

// thumbButton is a preset: its thumbnail over its name.
type thumbButton struct {
	widget.BaseWidget
	name     string
	img      image.Image
	onTap    func()
	selected bool
}

func newThumbButton(name string, img image.Image, onTap func()) *thumbButton {
	b := &thumbButton{name: name, img: img, onTap: onTap}
	b.ExtendBaseWidget(b)
	return b
}

func (b *thumbButton) Tapped(*fyne.PointEvent) {
	if b.onTap != nil {
		b.onTap()
	}
}

func (b *thumbButton) setSelected(v bool) {
	if b.selected != v {
		b.selected = v
		b.Refresh()
	}
}

func (b *thumbButton) CreateRenderer() fyne.WidgetRenderer {
	frame := fynecanvas.NewRectangle(color.Transparent)
	frame.CornerRadius = 4
	pic := &fynecanvas.Image{Image: b.img, FillMode: fynecanvas.ImageFillContain}
	if b.img == nil {
		pic.Resource = theme.BrokenImageIcon()
	}
	text := fynecanvas.NewText(b.name, theme.Color(theme.ColorNameForeground))
	text.TextSize = theme.CaptionTextSize()
	text.Alignment = fyne.TextAlignCenter
	r := &thumbRenderer{b: b, frame: frame, pic: pic, text: text}
	r.Refresh()
	return r
}

type thumbRenderer struct {
	b     *thumbButton
	frame *fynecanvas.Rectangle
	pic   *fynecanvas.Image
	text  *fynecanvas.Text
}

// Preset cells: four to a row in the style panel.
const thumbW, thumbH = 62, 78

func (r *thumbRenderer) Layout(size fyne.Size) {
	r.frame.Resize(size)
	// Long names are shortened to the cell's width.
	r.text.Text = r.b.name
	for len([]rune(r.text.Text)) > 3 && r.text.MinSize().Width > size.Width {
		rs := []rune(r.text.Text)
		r.text.Text = string(rs[:len(rs)-2]) + "…"
	}
	th := r.text.MinSize().Height
	r.pic.Move(fyne.NewPos(3, 3))
	r.pic.Resize(fyne.NewSize(size.Width-6, size.Height-th-6))
	r.text.Move(fyne.NewPos(0, size.Height-th-2))
	r.text.Resize(fyne.NewSize(size.Width, th))
}

func (r *thumbRenderer) MinSize() fyne.Size { return fyne.NewSize(thumbW, thumbH) }

func (r *thumbRenderer) Refresh() {
	if r.b.img != nil {
		r.pic.Image, r.pic.Resource = r.b.img, nil
	}
	if r.b.selected {
		r.frame.StrokeColor = theme.Color(theme.ColorNamePrimary)
		r.frame.StrokeWidth = 2
		r.frame.FillColor = theme.Color(theme.ColorNameSelection)
	} else {
		r.frame.StrokeWidth = 0
		r.frame.FillColor = color.Transparent
	}
	r.frame.Refresh()
	r.pic.Refresh()
	r.text.Refresh()
}

func (r *thumbRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.frame, r.pic, r.text}
}

func (r *thumbRenderer) Destroy() {}

func blendHelp() fyne.CanvasObject {
	l := widget.NewLabel("A pick goes to the highlighted slot; the slider mixes the two.")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.LowImportance
	l.SizeName = theme.SizeNameCaptionText
	return l
}
