package ui

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"

	"spadework/palette"
	"spadework/synth"
)

// DemoGenerator is a stand-in model with no weights: it renders each label
// as its palette colour, shaded with a vertical light gradient, per-label
// texture and a tint taken from the style vector. It is fast and
// deterministic, which is what UI tests and the window test need.
type DemoGenerator struct {
	Set *palette.Set
	W   int
	H   int
	// Delay is added to every frame (to exercise cancellation).
	Delay func(ctx context.Context) error
}

// NewDemoGenerator returns a DemoGenerator for set with a w×h output.
func NewDemoGenerator(set *palette.Set, w, h int) *DemoGenerator {
	return &DemoGenerator{Set: set, W: w, H: h}
}

// Name implements Generator.
func (g *DemoGenerator) Name() string { return "Demo (flat shading, no model)" }

// ID implements Generator.
func (g *DemoGenerator) ID() string { return "spadework-demo" }

// Size implements Generator.
func (g *DemoGenerator) Size() (int, int) { return g.W, g.H }

// LabelSet implements Generator.
func (g *DemoGenerator) LabelSet() *palette.Set { return g.Set }

// ZDim implements Generator.
func (g *DemoGenerator) ZDim() int { return 8 }

// Styles implements Generator: a few tints.
func (g *DemoGenerator) Styles() []StylePreset {
	mk := func(name string, r, gr, b float32) StylePreset {
		z := make([]float32, g.ZDim())
		z[0], z[1], z[2] = r, gr, b
		return StylePreset{Name: name, Z: z, Thumbnail: tintThumb(r, gr, b)}
	}
	return []StylePreset{mk("noon", 0, 0, 0), mk("sunset", 1.2, 0.2, -0.8), mk("dusk", -0.6, -0.4, 0.8), mk("overcast", -0.3, -0.3, -0.3)}
}

func tintThumb(r, g, b float32) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 48; x++ {
			base := color.RGBA{135, 206, 235, 255}
			if y > 30 {
				base = color.RGBA{60, 180, 60, 255}
			} else if y > 20+int(6*math.Sin(float64(x)/6)) {
				base = color.RGBA{125, 100, 80, 255}
			}
			img.SetRGBA(x, y, tint(base, r, g, b, float32(y)/48))
		}
	}
	return img
}

func tint(c color.RGBA, r, g, b, shade float32) color.RGBA {
	f := func(v uint8, t float32) uint8 {
		x := float32(v)*(1.1-0.35*shade) + 40*t
		return uint8(min(max(x, 0), 255))
	}
	return color.RGBA{f(c.R, r), f(c.G, g), f(c.B, b), 255}
}

// EncodeStyle implements Generator from the photo's mean colour.
func (g *DemoGenerator) EncodeStyle(ctx context.Context, photo image.Image) ([]float32, error) {
	b := photo.Bounds()
	if b.Empty() {
		return nil, errors.New("empty photo")
	}
	var sr, sg, sb, n float64
	for y := b.Min.Y; y < b.Max.Y; y += max(1, b.Dy()/64) {
		for x := b.Min.X; x < b.Max.X; x += max(1, b.Dx()/64) {
			r, g, bb, _ := photo.At(x, y).RGBA()
			sr, sg, sb, n = sr+float64(r), sg+float64(g), sb+float64(bb), n+1
		}
	}
	z := make([]float32, g.ZDim())
	z[0] = float32(sr/n/65535*2 - 1)
	z[1] = float32(sg/n/65535*2 - 1)
	z[2] = float32(sb/n/65535*2 - 1)
	return z, ctx.Err()
}

// NewRenderer implements Generator.
func (g *DemoGenerator) NewRenderer(w, h, threads int) (synth.FrameRenderer, error) {
	return &demoRenderer{g: g}, nil
}

type demoRenderer struct{ g *DemoGenerator }

// Render scales labels to dst nearest-neighbour and shades each label.
func (r *demoRenderer) Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error {
	if r.g.Delay != nil {
		if err := r.g.Delay(ctx); err != nil {
			return err
		}
	}
	var zr, zg, zb float32
	if len(z) >= 3 {
		zr, zg, zb = z[0], z[1], z[2]
	}
	set := r.g.Set
	var lut [256]color.RGBA
	for i := range lut {
		lut[i] = set.Color(uint8(i))
	}
	sb, db := labels.Rect, dst.Rect
	dw, dh := db.Dx(), db.Dy()
	for y := 0; y < dh; y++ {
		if y%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		sy := sb.Min.Y + y*sb.Dy()/dh
		shade := float32(y) / float32(dh)
		for x := 0; x < dw; x++ {
			sx := sb.Min.X + x*sb.Dx()/dw
			id := labels.Pix[labels.PixOffset(sx, sy)]
			c := tint(lut[id], zr, zg, zb, shade)
			// A little per-label texture so the preview reads as a render,
			// not the label map.
			n := float32(((x*7+y*13+int(id)*31)%17)-8) * 1.5
			o := dst.PixOffset(db.Min.X+x, db.Min.Y+y)
			dst.Pix[o] = uint8(min(max(float32(c.R)+n, 0), 255))
			dst.Pix[o+1] = uint8(min(max(float32(c.G)+n, 0), 255))
			dst.Pix[o+2] = uint8(min(max(float32(c.B)+n, 0), 255))
			dst.Pix[o+3] = 255
		}
	}
	return nil
}
