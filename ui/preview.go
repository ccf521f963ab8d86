package ui

import (
	"fyne.io/fyne/v2"
	fynecanvas "fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// aspectLayout lays out its first object full size (the background) and the
// second as large as fits with the painting's aspect ratio, centred: the
// generator renders at its own size, and the photo is shown in the shape of
// the painting it was made from.
type aspectLayout struct{ aspect func() float32 }

func (l aspectLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	objs[0].Move(fyne.Position{})
	objs[0].Resize(size)
	if len(objs) < 2 {
		return
	}
	a := l.aspect()
	w, h := size.Width, size.Width/a
	if h > size.Height {
		w, h = size.Height*a, size.Height
	}
	objs[1].Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
	objs[1].Resize(fyne.NewSize(w, h))
}

func (l aspectLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSquareSize(160)
}

// newPreviewPane holds the preview image on a background, shaped like the
// painting.
func (a *App) newPreviewPane() *fyne.Container {
	bg := fynecanvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	return container.New(aspectLayout{aspect: func() float32 {
		b := a.doc.Labels().Rect
		if b.Dy() == 0 {
			return 1
		}
		return float32(b.Dx()) / float32(b.Dy())
	}}, bg, a.preview)
}
