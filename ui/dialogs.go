package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	native "github.com/sqweek/dialog"
)

// fileFilter is one "kind of file" of a file dialog.
type fileFilter struct {
	Desc string
	Exts []string // without dots
}

var (
	projectFilter = fileFilter{"Spadework project", []string{"spw"}}
	pngFilter     = fileFilter{"PNG image", []string{"png"}}
	imageFilter   = fileFilter{"Image", []string{"png", "jpg", "jpeg"}}
	modelFilter   = fileFilter{"SPADE model", []string{"safetensors", "pth", "pt"}}
)

// nativeAvailable reports whether native (GTK) dialogs may be tried: not
// under tests or CI, and only with a display to show them on.
func (a *App) nativeAvailable() bool {
	if a.opts.FyneDialogs {
		return false
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// openFile asks for a file to read and calls cb with its path on the UI
// goroutine; cb is not called when the user cancels.
func (a *App) openFile(title string, f fileFilter, cb func(path string)) {
	a.fileDialog(false, title, f, "", cb)
}

// saveFile asks for a file to write; name is the suggested file name.
func (a *App) saveFile(title string, f fileFilter, name string, cb func(path string)) {
	a.fileDialog(true, title, f, name, func(p string) {
		if filepath.Ext(p) == "" && len(f.Exts) > 0 {
			p += "." + f.Exts[0]
		}
		cb(p)
	})
}

func (a *App) fileDialog(save bool, title string, f fileFilter, name string, cb func(string)) {
	if a.nativeAvailable() {
		go func() {
			path, err := nativeFile(save, title, f, a.lastDir(), name)
			a.do(func() {
				switch {
				case err == nil:
					a.rememberDir(path)
					cb(path)
				case errors.Is(err, native.ErrCancelled):
				default:
					// No usable GTK after all: Fyne's dialog does the job.
					a.fyneFileDialog(save, title, f, name, cb)
				}
			})
		}()
		return
	}
	a.fyneFileDialog(save, title, f, name, cb)
}

// nativeFile runs the GTK dialog; a panic (GTK failed to initialise) is an
// error so that the caller falls back to Fyne's dialog.
func nativeFile(save bool, title string, f fileFilter, dir, name string) (path string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("native dialog: %v", p)
		}
	}()
	b := native.File().Title(title).Filter(f.Desc, f.Exts...)
	if dir != "" {
		b = b.SetStartDir(dir)
	}
	if save {
		if name != "" {
			b = b.SetStartFile(name)
		}
		return b.Save()
	}
	return b.Load()
}

func (a *App) fyneFileDialog(save bool, title string, f fileFilter, name string, cb func(string)) {
	var exts []string
	for _, e := range f.Exts {
		exts = append(exts, "."+e)
	}
	var d *dialog.FileDialog
	if save {
		d = dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil {
				a.showError(err)
				return
			}
			if w == nil {
				return
			}
			p := w.URI().Path()
			w.Close()
			a.rememberDir(p)
			cb(p)
		}, a.win)
		if name != "" {
			d.SetFileName(name)
		}
	} else {
		d = dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil {
				a.showError(err)
				return
			}
			if r == nil {
				return
			}
			p := r.URI().Path()
			r.Close()
			a.rememberDir(p)
			cb(p)
		}, a.win)
	}
	d.SetTitleText(title)
	if len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	if dir := a.lastDir(); dir != "" {
		if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}

func (a *App) lastDir() string {
	return a.fa.Preferences().String("lastDir")
}

func (a *App) rememberDir(path string) {
	a.fa.Preferences().SetString("lastDir", filepath.Dir(path))
}

// showError shows err in a dialog. Errors name the file and the problem;
// the painting on screen is never touched by a failed operation.
func (a *App) showError(err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	if len(msg) > 600 {
		msg = msg[:600] + "…"
	}
	dialog.ShowError(errors.New(wrapText(msg, 80)), a.win)
}

// wrapText breaks long lines at spaces so that error dialogs stay readable.
func wrapText(s string, width int) string {
	var b strings.Builder
	for li, line := range strings.Split(s, "\n") {
		if li > 0 {
			b.WriteByte('\n')
		}
		n := 0
		for wi, w := range strings.Fields(line) {
			if wi > 0 {
				if n+1+len(w) > width {
					b.WriteByte('\n')
					n = 0
				} else {
					b.WriteByte(' ')
					n++
				}
			}
			b.WriteString(w)
			n += len(w)
		}
	}
	return b.String()
}
