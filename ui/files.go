package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	xdraw "golang.org/x/image/draw"

	"spadework/canvas"
	"spadework/synth"
)

// maxRecent is how many recent files the File menu lists.
const maxRecent = 8

// setDocument makes d the painting being edited. path is its project file
// ("" for a new or imported painting).
func (a *App) setDocument(d *canvas.Document, path string) {
	a.doc = wrapDoc(d)
	a.docPath = path
	a.recovered = false
	a.paint.SetDocument(a.doc)
	a.updateUndo()
	a.previewPane.Refresh() // the painting's shape may have changed
	if a.auto != nil {
		a.auto.setDocument(d)
	}
	if d.Style.Z != nil && len(d.Style.Z) == a.gen.ZDim() {
		c := styleChoice{Kind: d.Style.Kind, Seed: uint64(d.Style.Seed), Z: d.Style.Z, Name: d.Style.Preset}
		if c.Kind == canvas.StyleSeed {
			c.Name = fmt.Sprintf("seed %d", d.Style.Seed)
		}
		if len(d.Style.Photo) > 0 {
			if img, _, err := image.Decode(bytes.NewReader(d.Style.Photo)); err == nil {
				c.Thumb = img
			}
		}
		a.style.pick(c)
	}
	a.updateTitle()
	a.pendingEdit = true
	a.maybeSubmit()
}

// confirmDiscard runs then, after asking when the painting has unsaved
// changes.
func (a *App) confirmDiscard(then func()) {
	if !a.modified() {
		then()
		return
	}
	dialog.ShowConfirm("Unsaved changes", "The current painting has unsaved changes. Discard them?", func(ok bool) {
		if ok {
			then()
		}
	}, a.win)
}

// newPainting starts a blank w×h painting of the model's labels.
func (a *App) newPainting(w, h int) {
	a.confirmDiscard(func() {
		set := a.gen.LabelSet()
		d, err := canvas.New(set, w, h, defaultFill(set))
		if err != nil {
			a.showError(err)
			return
		}
		a.setDocument(d, "")
	})
}

func (a *App) newCustom() {
	we, he := widget.NewEntry(), widget.NewEntry()
	we.SetText("768")
	he.SetText("512")
	dialog.ShowForm("New painting", "Create", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Width", we), widget.NewFormItem("Height", he),
	}, func(ok bool) {
		if !ok {
			return
		}
		var w, h int
		if _, err := fmt.Sscan(we.Text, &w); err != nil {
			a.showError(fmt.Errorf("width %q is not a number", we.Text))
			return
		}
		if _, err := fmt.Sscan(he.Text, &h); err != nil {
			a.showError(fmt.Errorf("height %q is not a number", he.Text))
			return
		}
		a.newPainting(w, h)
	}, a.win)
}

func (a *App) openDialog() {
	a.openFile("Open project or label map", fileFilter{"Spadework project or label map", []string{"spw", "png"}}, a.openPath)
}

// openPath opens a project (.spw) or imports a label-map PNG. On any error
// it shows why and leaves the current painting as it is.
func (a *App) openPath(path string) {
	if strings.EqualFold(filepath.Ext(path), ".png") {
		a.importLabelPNG(path)
		return
	}
	a.confirmDiscard(func() {
		d, fbs, err := openProject(path, a.gen)
		if err != nil {
			a.showError(err)
			return
		}
		a.setDocument(d, path)
		a.addRecent(path)
		if len(fbs) > 0 {
			a.notice("Labels translated", fallbackText(path, fbs))
		}
	})
}

func openProject(path string, g Generator) (*canvas.Document, []fallbackItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	d, fbs, err := canvas.LoadWith(f, path, canvas.LoadOptions{Target: g.LabelSet()})
	if err != nil {
		return nil, nil, err
	}
	var out []fallbackItem
	for _, fb := range fbs {
		out = append(out, fallbackItem(fb.String()))
	}
	return d, out, nil
}

type fallbackItem string

func fallbackText(path string, fbs []fallbackItem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s was painted with labels this model lacks; they were replaced:\n", filepath.Base(path))
	for i, f := range fbs {
		if i == 12 {
			fmt.Fprintf(&b, "… and %d more", len(fbs)-i)
			break
		}
		b.WriteString("• " + string(f) + "\n")
	}
	return b.String()
}

func (a *App) notice(title, text string) {
	dialog.ShowInformation(title, wrapText(text, 80), a.win)
}

func (a *App) importDialog() {
	a.openFile("Import label map", pngFilter, a.importLabelPNG)
}

// importLabelPNG reads a label map. Values that are not labels of the
// model's set are named in a dialog that offers to paint them unlabeled.
func (a *App) importLabelPNG(path string) {
	a.confirmDiscard(func() {
		data, err := os.ReadFile(path)
		if err != nil {
			a.showError(err)
			return
		}
		set := a.gen.LabelSet()
		d, _, err := canvas.ImportLabelPNG(bytes.NewReader(data), path, set)
		var unk *canvas.UnknownLabelsError
		if errors.As(err, &unk) {
			msg := wrapText(err.Error(), 80) + "\n\nImport anyway, painting those pixels as unlabeled?"
			dialog.ShowConfirm("Unknown labels", msg, func(ok bool) {
				if !ok {
					return
				}
				d, _, err := canvas.ImportLabelPNGWith(bytes.NewReader(data), path, set, canvas.ImportOptions{ReplaceUnknown: true})
				if err != nil {
					a.showError(err)
					return
				}
				a.setDocument(d, "")
			}, a.win)
			return
		}
		if err != nil {
			a.showError(err)
			return
		}
		a.setDocument(d, "")
		a.addRecent(path)
	})
}

// storeStyle writes the current style into the document for saving.
func (a *App) storeStyle() {
	c := a.style.current()
	st := canvas.Style{Kind: c.Kind, Seed: int64(c.Seed), Z: a.style.z()}
	switch c.Kind {
	case "preset":
		st.Kind, st.Preset = canvas.StylePreset, c.Name
	case "photo":
		st.Kind = canvas.StylePhoto
		if c.Thumb != nil {
			var buf bytes.Buffer
			if jpeg.Encode(&buf, c.Thumb, &jpeg.Options{Quality: 85}) == nil {
				st.Photo = buf.Bytes()
			}
		}
	default:
		st.Kind = canvas.StyleSeed
	}
	d := a.doc.d
	if !sameStyle(d.Style, st) || d.ModelID != a.gen.ID() {
		// A style change alone is an edit: autosave and the unsaved-changes
		// prompt must see it.
		d.Style = st
		d.ModelID = a.gen.ID()
		d.MetaChanged()
	}
}

// sameStyle reports whether two stored styles render alike.
func sameStyle(a, b canvas.Style) bool {
	if a.Kind != b.Kind || a.Seed != b.Seed || a.Preset != b.Preset || len(a.Z) != len(b.Z) || !bytes.Equal(a.Photo, b.Photo) {
		return false
	}
	for i := range a.Z {
		if a.Z[i] != b.Z[i] {
			return false
		}
	}
	return true
}

func (a *App) save() {
	if a.docPath == "" {
		a.saveAs()
		return
	}
	a.saveTo(a.docPath)
}

func (a *App) saveAs() {
	name := "painting.spw"
	if a.docPath != "" {
		name = filepath.Base(a.docPath)
	}
	a.saveFile("Save project", projectFilter, name, a.saveTo)
}

func (a *App) saveTo(path string) {
	a.storeStyle()
	if err := a.doc.d.SaveFile(path); err != nil {
		a.showError(err)
		return
	}
	a.docPath = path
	a.recovered = false
	a.addRecent(path)
	if a.auto != nil {
		a.auto.discard()
	}
	a.updateTitle()
	a.hint("Saved " + path)
}

func (a *App) exportLabelDialog() {
	a.saveFile("Export label map", pngFilter, stem(a.docPath)+"-labels.png", a.exportLabelTo)
}

// exportLabelTo writes the label map as an indexed PNG (ids as indices).
func (a *App) exportLabelTo(p string) {
	err := canvas.WriteFileAtomic(p, func(w io.Writer) error { return canvas.ExportLabelPNG(w, a.doc.d) })
	if err != nil {
		a.showError(err)
		return
	}
	a.hint("Exported " + p)
}

func (a *App) exportImageDialog(scale int) {
	if a.previewImg == nil {
		a.showError(errors.New("there is no picture to export yet: the generator has not finished a frame"))
		return
	}
	// The frame on screen may be recycled by the worker once a newer one is
	// shown: export a copy.
	src := cloneRGBA(a.previewImg)
	a.saveFile(fmt.Sprintf("Export image ×%d", scale), imageFilter, fmt.Sprintf("%s-x%d.png", stem(a.docPath), scale), func(p string) {
		a.hint("Exporting " + p + "…")
		go func() {
			err := exportImage(p, src, scale)
			a.do(func() {
				if err != nil {
					a.showError(err)
					return
				}
				a.hint("Exported " + p)
			})
		}()
	})
}

// exportImage writes img scaled by scale (Catmull-Rom) as PNG, or JPEG when
// path ends in .jpg/.jpeg, atomically.
func exportImage(path string, img *image.RGBA, scale int) error {
	out := upscale(img, scale)
	ext := strings.ToLower(filepath.Ext(path))
	return canvas.WriteFileAtomic(path, func(w io.Writer) error {
		if ext == ".jpg" || ext == ".jpeg" {
			return jpeg.Encode(w, out, &jpeg.Options{Quality: 92})
		}
		return png.Encode(w, out)
	})
}

// upscale resizes img by an integer factor with Catmull-Rom, which keeps
// edges sharp without the blockiness of nearest or the blur of bilinear.
func upscale(img *image.RGBA, scale int) *image.RGBA {
	if scale <= 1 {
		return img
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale))
	xdraw.CatmullRom.Scale(out, out.Bounds(), img, b, xdraw.Src, nil)
	return out
}

func cloneRGBA(img *image.RGBA) *image.RGBA {
	c := *img
	c.Pix = append([]uint8(nil), img.Pix...)
	return &c
}

func stem(path string) string {
	if path == "" {
		return "painting"
	}
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// recent returns the recent files, newest first.
func (a *App) recent() []string {
	return a.fa.Preferences().StringList("recent")
}

func (a *App) addRecent(path string) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	list := []string{path}
	for _, p := range a.recent() {
		if p != path && len(list) < maxRecent {
			list = append(list, p)
		}
	}
	a.fa.Preferences().SetStringList("recent", list)
	a.win.SetMainMenu(a.buildMenu())
}

func (a *App) openModelDialog() {
	a.openFile("Open model", modelFilter, a.openModel)
}

// ModelLoader turns a model file into a Generator. The default reads
// .safetensors with synth.Load; main.go may install one that also imports
// PyTorch checkpoints.
var ModelLoader = func(path string) (Generator, error) {
	if !strings.EqualFold(filepath.Ext(path), ".safetensors") {
		return nil, fmt.Errorf("%s: only .safetensors models can be opened by this build", path)
	}
	m, err := synth.Load(path)
	if err != nil {
		return nil, err
	}
	return NewModelGenerator(m)
}

// openModel loads a model off the UI goroutine and switches to it. A
// PyTorch checkpoint is first converted to the native format, after asking
// which dataset it was trained on.
func (a *App) openModel(path string) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".pth" || ext == ".pt" {
		a.importCheckpoint(path)
		return
	}
	a.loadModel(path, func() (Generator, error) { return ModelLoader(path) })
}

func (a *App) importCheckpoint(path string) {
	preset := widget.NewSelect(synth.Presets(), nil)
	preset.SetSelected(synth.Presets()[0])
	vae := widget.NewCheck("Trained with --use_vae (has a style encoder)", nil)
	enc := widget.NewEntry()
	enc.SetPlaceHolder("optional: latest_net_E.pth beside it")
	if e := filepath.Join(filepath.Dir(path), "latest_net_E.pth"); fileExists(e) {
		enc.SetText(e)
		vae.SetChecked(true)
	}
	out := strings.TrimSuffix(path, filepath.Ext(path)) + ".safetensors"
	dialog.ShowForm("Import SPADE checkpoint", "Import", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Dataset", preset),
		widget.NewFormItem("", vae),
		widget.NewFormItem("Encoder", enc),
		widget.NewFormItem("Writes", widget.NewLabel(filepath.Base(out))),
	}, func(ok bool) {
		if !ok {
			return
		}
		opts := synth.ImportOptions{Preset: preset.Selected, NetG: path, NetE: enc.Text, Out: out, VAE: vae.Checked}
		a.loadModel(path, func() (Generator, error) {
			m, err := synth.Import(opts)
			if err != nil {
				return nil, err
			}
			return NewModelGenerator(m)
		})
	}, a.win)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func (a *App) loadModel(path string, load func() (Generator, error)) {
	a.hint("Loading model " + path + "…")
	go func() {
		g, err := load()
		a.do(func() {
			if err != nil {
				a.showError(err)
				a.hint("")
				return
			}
			if err := a.setGenerator(g); err != nil {
				a.showError(err)
				return
			}
			a.hint("Model: " + g.Name())
		})
	}()
}

// loadStylePhoto encodes a photo's style (off the UI goroutine).
func (a *App) loadStylePhoto() {
	a.openFile("Style photo", imageFilter, a.useStylePhoto)
}

// useStylePhoto reads the style of the photo at path and picks it.
func (a *App) useStylePhoto(path string) {
	{
		data, err := os.ReadFile(path)
		if err != nil {
			a.showError(err)
			return
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			a.showError(fmt.Errorf("%s: not a readable PNG or JPEG (%v)", path, err))
			return
		}
		g := a.gen
		a.hint("Reading the style of " + filepath.Base(path) + "…")
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			z, err := g.EncodeStyle(ctx, img)
			thumb := upscaleThumb(img)
			a.do(func() {
				if err != nil {
					a.showError(fmt.Errorf("%s: %w", path, err))
					return
				}
				if g != a.gen {
					return // the model changed meanwhile
				}
				a.style.photoThumb.Image = thumb
				a.style.photoThumb.Refresh()
				a.style.pick(styleChoice{Kind: "photo", Name: filepath.Base(path), Z: z, Thumb: thumb, Source: path})
				a.hint("Style from " + filepath.Base(path))
			})
		}()
	}
}

// upscaleThumb makes a ≤128 px thumbnail of a photo.
func upscaleThumb(img image.Image) image.Image {
	b := img.Bounds()
	s := 128.0 / float64(max(b.Dx(), b.Dy()))
	if s >= 1 {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(b.Dx())*s)), max(1, int(float64(b.Dy())*s))))
	xdraw.ApproxBiLinear.Scale(out, out.Bounds(), img, b, xdraw.Src, nil)
	return out
}

// dropped opens what was dragged onto the window: a project or label map
// is opened, a photo becomes the style, a model file is loaded.
func (a *App) dropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		if u.Scheme() != "file" {
			continue
		}
		p := u.Path()
		switch strings.ToLower(filepath.Ext(p)) {
		case ".spw", ".png":
			a.openPath(p)
		case ".jpg", ".jpeg":
			a.useStylePhoto(p)
		case ".safetensors", ".pth", ".pt":
			a.openModel(p)
		default:
			a.showError(fmt.Errorf("%s: Spadework opens projects (.spw), label maps (.png), style photos (.jpg) and models (.safetensors, .pth)", p))
		}
		return // one file at a time
	}
}
