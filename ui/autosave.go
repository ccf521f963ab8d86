package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2/dialog"

	"spadework/canvas"
)

// autosaver drives canvas.Autosaver from a ticker: the ticker goroutine
// only posts a tick to the UI goroutine, which owns the document.
type autosaver struct {
	a     *App
	as    *canvas.Autosaver
	dir   string
	wg    sync.WaitGroup
	stopT context.CancelFunc
}

// autosaveTick is how often the autosaver looks at the document; it writes
// at most every canvas.DefaultAutosaveInterval.
const autosaveTick = 5 * time.Second

func newAutosaver(a *App) *autosaver {
	dir := a.opts.DataDir
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "spadework")
	}
	dir = filepath.Join(dir, "autosave")
	return &autosaver{a: a, dir: dir, as: canvas.NewAutosaver(dir, a.doc.d, 0)}
}

func (s *autosaver) setDocument(d *canvas.Document) { s.as.SetDocument(d) }

func (s *autosaver) start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	s.stopT = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(autosaveTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.a.do(s.tick)
			}
		}
	}()
}

func (s *autosaver) stop() {
	if s.stopT != nil {
		s.stopT()
		s.wg.Wait()
		s.stopT = nil
	}
}

func (s *autosaver) tick() {
	s.a.storeStyle()
	if _, err := s.as.Tick(); err != nil {
		s.a.hint("Autosave failed: " + err.Error())
	}
}

// poke is called at the end of each stroke; Tick decides whether to write.
func (s *autosaver) poke() {}

// saveNow writes the autosave at once when there are unsaved changes (on
// quit with unsaved changes), and removes it otherwise.
func (s *autosaver) saveNow() {
	if s.a.modified() {
		s.a.storeStyle()
		if err := s.as.Save(); err != nil {
			s.a.hint("Autosave failed: " + err.Error())
		}
		return
	}
	s.discard()
}

func (s *autosaver) discard() { _ = s.as.Discard() }

// offerRecovery looks for autosaves left by a crash and offers the newest.
func (s *autosaver) offerRecovery() {
	recs, err := canvas.Recover(s.dir)
	if err != nil || len(recs) == 0 {
		return
	}
	var good *canvas.Recoverable
	for i := range recs {
		if recs[i].Err == nil {
			good = &recs[i]
			break
		}
	}
	if good == nil {
		return
	}
	msg := fmt.Sprintf("Spadework did not close cleanly. Recover the painting autosaved at %s?", good.ModTime.Format("2006-01-02 15:04"))
	dialog.ShowConfirm("Recover painting", msg, func(ok bool) {
		if !ok {
			return
		}
		d, _, err := canvas.LoadFile(good.Path)
		if err != nil {
			s.a.showError(err)
			return
		}
		// The recovered file stays until the painting is saved; remove it
		// now under the document's own id so it is not offered twice.
		_ = os.Remove(good.Path)
		s.a.setDocument(d, "")
		// It is unsaved work: keep it marked modified.
		s.a.recovered = true
		s.a.updateTitle()
	}, s.a.win)
}
