package ui

import (
	"context"
	"image"
	"time"

	xdraw "golang.org/x/image/draw"

	"spadework/palette"
	"spadework/synth"
)

// thumbScene is the little landscape preset thumbnails are rendered from:
// sky, a mountain ridge, sea and a grassy shore, in the set's ids.
func thumbScene(set *palette.Set, w, h int) *image.Paletted {
	id := func(names ...string) (uint8, bool) {
		for _, n := range names {
			if l, ok := set.ByName(n); ok {
				return l.ID, true
			}
		}
		return 0, false
	}
	sky, okSky := id("sky")
	mountain, okM := id("mountain", "rock", "hill")
	sea, okSea := id("sea", "water", "river")
	grass, okG := id("grass", "field", "tree")
	img := image.NewPaletted(image.Rect(0, 0, w, h), set.Palette())
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			ridge := 0.5 - 0.18*max(0, 1-abs64(fx-0.35)/0.3) - 0.1*max(0, 1-abs64(fx-0.75)/0.25)
			v := sky
			switch {
			case fy > 0.78 && okG:
				v = grass
			case fy > 0.58 && okSea:
				v = sea
			case fy > ridge && okM:
				v = mountain
			case !okSky:
				v = set.Labels()[0].ID
			}
			img.Pix[y*img.Stride+x] = v
		}
	}
	return img
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// renderThumbs renders the presets that came without a thumbnail, one at a
// time on one thread, yielding to the live preview: it waits while the
// worker is busy. It runs on its own goroutine until done or ctx ends.
func (a *App) renderThumbs(ctx context.Context, g Generator, worker *synth.Worker, presets []StylePreset) {
	w, h := g.Size()
	r, err := g.NewRenderer(w, h, 1)
	if err != nil {
		return
	}
	if c, ok := r.(interface{ Close() }); ok {
		defer c.Close()
	}
	labels := thumbScene(g.LabelSet(), w, h)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for _, p := range presets {
		if p.Thumbnail != nil || len(p.Z) != g.ZDim() {
			continue
		}
		for worker.Busy() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		if err := r.Render(ctx, labels, p.Z, dst); err != nil {
			return
		}
		thumb := image.NewRGBA(image.Rect(0, 0, 96, 96))
		xdraw.CatmullRom.Scale(thumb, thumb.Bounds(), dst, dst.Bounds(), xdraw.Src, nil)
		name := p.Name
		a.do(func() {
			if a.gen == g {
				a.style.setThumb(name, thumb)
			}
		})
	}
}
