package ui

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
)

// EnvLayoutFile names a file the app writes, once its first frame is on
// screen, with where its parts are in window pixels, as shell assignments
// (PAINT_X=…, PREVIEW_W=…, SWATCH_sea_X=…). The real-window test
// (.ci/window_test.sh) reads it to know where to click and paint without
// hard-coding a layout.
const EnvLayoutFile = "SPADEWORK_LAYOUT_FILE"

func (a *App) dumpLayout() {
	path := os.Getenv(EnvLayoutFile)
	if path == "" {
		return
	}
	c := a.win.Canvas()
	scale := c.Scale()
	drv := a.fa.Driver()
	var lines []string
	put := func(name string, o fyne.CanvasObject, pos fyne.Position, size fyne.Size) {
		abs := drv.AbsolutePositionForObject(o).Add(pos)
		lines = append(lines, fmt.Sprintf("%s_X=%d\n%s_Y=%d\n%s_W=%d\n%s_H=%d",
			name, int(abs.X*scale), name, int(abs.Y*scale), name, int(size.Width*scale), name, int(size.Height*scale)))
	}
	off, sz, _ := a.paint.imageRect(a.paint.Size())
	put("PAINT", a.paint, off, sz)
	put("SIZE_SLIDER", a.sizeSlider, fyne.Position{}, a.sizeSlider.Size())
	// The preview image is laid out in the painting's shape and stretched.
	put("PREVIEW", a.preview, fyne.Position{}, a.preview.Size())
	ids := make([]int, 0, len(a.pal.swatches))
	for id := range a.pal.swatches {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	for _, id := range ids {
		s := a.pal.swatches[uint8(id)]
		name := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				return r
			}
			return '_'
		}, s.label.Name)
		// Only swatches scrolled into view can be clicked.
		pos := drv.AbsolutePositionForObject(s)
		top := drv.AbsolutePositionForObject(a.pal.scroll)
		if pos.Y < top.Y || pos.Y+s.Size().Height > top.Y+a.pal.scroll.Size().Height {
			continue
		}
		put("SWATCH_"+name, s, fyne.Position{}, s.Size())
	}
	lines = append(lines, fmt.Sprintf("SCALE=%g", scale))
	_ = os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
