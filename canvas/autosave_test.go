package canvas

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func TestAutosaver(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "autosave")
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	d := newDoc(t, 32, 32, sky)
	a := NewAutosaver(dir, d, 30*time.Second)
	a.Now = clock.Now
	a.SetDocument(d)

	tick := func(want bool) {
		t.Helper()
		saved, err := a.Tick()
		if err != nil {
			t.Fatal(err)
		}
		if saved != want {
			t.Fatalf("Tick saved = %v, want %v", saved, want)
		}
	}
	clock.Advance(time.Minute)
	tick(false) // unchanged document: nothing to save
	d.BrushTo(pt(5, 5), 3, sea)
	tick(true) // changed and the interval has passed
	d.BrushTo(pt(9, 9), 3, sea)
	clock.Advance(10 * time.Second)
	tick(false) // too soon
	clock.Advance(25 * time.Second)
	tick(true)
	clock.Advance(time.Minute)
	tick(false) // nothing new

	recs, err := Recover(dir)
	if err != nil || len(recs) != 1 || recs[0].Err != nil || recs[0].Path != a.Path() ||
		recs[0].LabelSet != "siftflow" || recs[0].Width != 32 || recs[0].Height != 32 {
		t.Fatalf("Recover = %+v, %v", recs, err)
	}
	got, _, err := LoadFile(recs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Image().Pix, d.Image().Pix) {
		t.Error("recovered document differs")
	}

	// A style change alone is autosaved too.
	d.Style.Seed = 7
	d.MetaChanged()
	if !d.Modified() {
		t.Error("style change not counted as modified")
	}
	clock.Advance(time.Minute)
	tick(true)
	clock.Advance(time.Minute)
	tick(false)

	// Saved by the user: no autosave needed.
	d.BrushTo(pt(20, 20), 3, tree)
	d.MarkSaved()
	clock.Advance(time.Minute)
	tick(false)

	// A broken file in the directory is listed with its error; other files
	// are ignored; newest first.
	broken := filepath.Join(dir, "autosave-broken.spw")
	os.WriteFile(broken, []byte("junk"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(a.Path(), old, old)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	recs, err = Recover(dir)
	if err != nil || len(recs) != 2 {
		t.Fatalf("Recover = %+v, %v", recs, err)
	}
	if recs[0].Path != broken || recs[0].Err == nil || recs[1].Err != nil {
		t.Errorf("Recover order/errors: %+v", recs)
	}

	if err := a.Discard(); err != nil {
		t.Fatal(err)
	}
	if err := a.Discard(); err != nil {
		t.Errorf("second Discard: %v", err)
	}
	if recs, _ := Recover(filepath.Join(dir, "none")); len(recs) != 0 {
		t.Error("missing dir has autosaves")
	}
}
