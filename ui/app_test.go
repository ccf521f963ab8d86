package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"spadework/canvas"
	"spadework/palette"
	"spadework/synth"
)

// testApp is an App on Fyne's test driver whose UI-goroutine callbacks are
// queued and run by the test goroutine (pump), so the race detector sees
// the same single UI goroutine as in the real app.
type testApp struct {
	*App
	t     *testing.T
	queue chan func()
}

func newTestApp(t *testing.T, docSize int) *testApp {
	t.Helper()
	fa := test.NewTempApp(t)
	gen := NewDemoGenerator(palette.SIFTFlow, 64, 64)
	a, err := New(fa, Options{Generator: gen, DocSize: docSize, DataDir: t.TempDir(), FyneDialogs: true, Seed: 7, Blank: true})
	if err != nil {
		t.Fatal(err)
	}
	ta := &testApp{App: a, t: t, queue: make(chan func(), 1000)}
	a.do = func(f func()) { ta.queue <- f }
	a.win.Resize(fyne.NewSize(1280, 720))
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	t.Cleanup(func() {
		cancel()
		a.Stop()
	})
	ta.settle()
	return ta
}

// settle runs queued UI callbacks until the preview shows the newest
// submitted frame.
func (ta *testApp) settle() {
	ta.t.Helper()
	deadline := time.After(10 * time.Second)
	for ta.inflight || ta.pendingEdit || ta.frameShown != ta.submitted {
		select {
		case f := <-ta.queue:
			f()
		case <-deadline:
			ta.t.Fatalf("preview did not settle: submitted %d shown %d inflight %v", ta.submitted, ta.frameShown, ta.inflight)
		}
	}
}

// stroke drags the paint widget through pts (widget coordinates) as Fyne
// does: a sequence of Dragged events, then DragEnd.
func (ta *testApp) stroke(pts ...fyne.Position) {
	prev := pts[0]
	for _, p := range pts[1:] {
		ta.paint.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(p.X-prev.X, p.Y-prev.Y)})
		prev = p
	}
	ta.paint.DragEnd()
}

// docPos is the widget position of the centre of document pixel (x, y).
func (ta *testApp) docPos(x, y int) fyne.Position {
	off, _, scale := ta.paint.imageRect(ta.paint.Size())
	return fyne.NewPos(off.X+(float32(x)+0.5)*scale, off.Y+(float32(y)+0.5)*scale)
}

func (ta *testApp) label(name string) uint8 {
	l, ok := ta.doc.Set().ByName(name)
	if !ok {
		ta.t.Fatalf("no label %q", name)
	}
	return l.ID
}

func (ta *testApp) at(x, y int) uint8 {
	id, _ := ta.doc.At(image.Pt(x, y))
	return id
}

func count(img *image.Paletted, id uint8) int {
	n := 0
	for _, v := range img.Pix {
		if v == id {
			n++
		}
	}
	return n
}

func TestPaletteSelection(t *testing.T) {
	ta := newTestApp(t, 64)
	sea := ta.label("sea")
	sw := ta.pal.swatches[sea]
	if sw == nil {
		t.Fatal("no swatch for sea")
	}
	test.Tap(sw)
	if ta.paint.Label != sea {
		t.Fatalf("brush label %d after tapping sea (%d)", ta.paint.Label, sea)
	}
	if !sw.selected {
		t.Fatal("tapped swatch not highlighted")
	}
	for id, s := range ta.pal.swatches {
		if id != sea && s.selected {
			t.Fatalf("swatch %d still highlighted", id)
		}
	}
	// Every group heading the landscape needs is there.
	var heads []string
	for _, o := range ta.pal.box.Objects {
		if l, ok := o.(*widget.Label); ok {
			heads = append(heads, l.Text)
		}
	}
	for _, want := range []string{"sky & weather", "water", "terrain", "plants", "built"} {
		found := false
		for _, h := range heads {
			found = found || h == want
		}
		if !found {
			t.Errorf("group %q missing from the palette (have %v)", want, heads)
		}
	}
}

func TestStrokeUndoRedo(t *testing.T) {
	ta := newTestApp(t, 64)
	sky, grass := ta.label("sky"), ta.label("grass")
	test.Tap(ta.pal.swatches[grass])
	ta.setBrushSize(5)
	before := append([]uint8(nil), ta.doc.Labels().Pix...)
	prevFrame := cloneRGBA(ta.PreviewImage())

	var pts []fyne.Position
	for x := 8; x <= 56; x += 4 {
		pts = append(pts, ta.docPos(x, 20+x/4))
	}
	ta.stroke(pts...)
	ta.settle()

	lab := ta.doc.Labels()
	if ta.at(8, 22) != grass || ta.at(32, 28) != grass || ta.at(56, 34) != grass {
		t.Fatalf("stroke did not paint grass along its path: %d %d %d", ta.at(8, 22), ta.at(32, 28), ta.at(56, 34))
	}
	if ta.at(32, 5) != sky {
		t.Fatal("stroke painted far from its path")
	}
	// Interpolated: no gaps between drag points 4 px apart with a 5 px brush.
	for x := 8; x <= 56; x++ {
		if ta.at(x, 20+x/4) != grass {
			t.Fatalf("gap in the stroke at x=%d", x)
		}
	}
	assertGolden(t, "stroke_labels.png", ta.paint.Display())
	assertGolden(t, "stroke_preview.png", ta.PreviewImage())
	if bytes.Equal(prevFrame.Pix, ta.PreviewImage().Pix) {
		t.Fatal("preview did not change after the stroke")
	}
	if !ta.doc.CanUndo() || ta.undoBtn.Disabled() || !ta.redoBtn.Disabled() {
		t.Fatal("no undo step (or button) after a stroke")
	}
	painted := append([]uint8(nil), lab.Pix...)

	ta.undo()
	ta.settle()
	if !bytes.Equal(lab.Pix, before) {
		t.Fatal("undo did not restore the label map")
	}
	if ta.doc.CanUndo() || !ta.undoBtn.Disabled() || ta.redoBtn.Disabled() {
		t.Fatal("one stroke made more than one undo step (or the buttons disagree)")
	}
	assertGolden(t, "undo_labels.png", ta.paint.Display())

	ta.redo()
	ta.settle()
	if !bytes.Equal(lab.Pix, painted) {
		t.Fatal("redo did not repeat the stroke")
	}
	assertGolden(t, "stroke_labels.png", ta.paint.Display())
}

// TestDisplayMatchesLabels checks the dirty-rectangle redraw: after many
// edits the display buffer equals a full recolouring of the label map.
func TestDisplayMatchesLabels(t *testing.T) {
	ta := newTestApp(t, 96)
	tools := []Tool{ToolBrush, ToolLine, ToolRect, ToolEraser, ToolBrush}
	names := []string{"sea", "mountain", "tree", "", "sand"}
	for i, tool := range tools {
		ta.setTool(tool)
		if names[i] != "" {
			ta.selectLabel(ta.label(names[i]))
			ta.setTool(tool)
		}
		ta.setBrushSize(3 + 4*i)
		ta.stroke(ta.docPos(10+i*7, 10), ta.docPos(40, 30+i*9), ta.docPos(80-i*5, 85))
	}
	ta.setTool(ToolFill)
	ta.selectLabel(ta.label("river"))
	ta.setTool(ToolFill)
	test.TapAt(ta.paint, ta.docPos(1, 1))
	ta.settle()

	lab, disp := ta.doc.Labels(), ta.paint.Display()
	set := ta.doc.Set()
	for y := 0; y < 96; y++ {
		for x := 0; x < 96; x++ {
			c := set.Color(lab.Pix[lab.PixOffset(x, y)])
			o := disp.PixOffset(x, y)
			if disp.Pix[o] != c.R || disp.Pix[o+1] != c.G || disp.Pix[o+2] != c.B {
				t.Fatalf("display pixel (%d,%d) is %v, label colour %v", x, y, disp.Pix[o:o+3], c)
			}
		}
	}
}

func TestToolsAndKeys(t *testing.T) {
	ta := newTestApp(t, 64)
	sky, sea, rock := ta.label("sky"), ta.label("sea"), ta.label("rock")

	// Rectangle: rubber band leaves only the final rectangle, one undo step.
	ta.selectLabel(rock)
	ta.setTool(ToolRect)
	ta.stroke(ta.docPos(10, 10), ta.docPos(50, 50), ta.docPos(20, 20))
	if ta.at(10, 10) != rock || ta.at(20, 20) != rock || ta.at(21, 21) != sky || ta.at(45, 45) != sky {
		t.Fatal("rectangle rubber band left the wrong pixels")
	}
	if n := count(ta.doc.Labels(), rock); n != 11*11 {
		t.Fatalf("rectangle covers %d pixels, want 121", n)
	}
	ta.undo()
	if count(ta.doc.Labels(), rock) != 0 || ta.doc.CanUndo() {
		t.Fatal("rectangle was not a single undo step")
	}

	// Line: only the last line of the drag remains.
	ta.setTool(ToolLine)
	ta.setBrushSize(1)
	ta.stroke(ta.docPos(0, 0), ta.docPos(63, 0), ta.docPos(0, 63), ta.docPos(63, 63))
	if ta.at(30, 0) == rock || ta.at(30, 30) != rock || ta.at(5, 5) != rock {
		t.Fatal("line rubber band wrong")
	}

	// Fill and eyedropper.
	ta.selectLabel(sea)
	ta.setTool(ToolFill)
	test.TapAt(ta.paint, ta.docPos(50, 5))
	if ta.at(50, 5) != sea || ta.at(5, 50) != sea {
		// (5,50) is across the diagonal line: a separate region.
		if ta.at(5, 50) == sea {
			t.Fatal("fill leaked across the line")
		}
	}
	if ta.at(50, 5) != sea {
		t.Fatal("fill did not fill")
	}
	ta.setTool(ToolEyedropper)
	test.TapAt(ta.paint, ta.docPos(5, 50))
	if ta.paint.Label != sky {
		t.Fatalf("eyedropper picked %d, want sky %d", ta.paint.Label, sky)
	}
	if ta.paint.Tool != ToolBrush {
		t.Fatal("picking a label did not go back to the brush")
	}

	// Right click picks whatever the tool; the wheel sizes the brush.
	ta.setTool(ToolLine)
	ta.paint.TappedSecondary(&fyne.PointEvent{Position: ta.docPos(50, 5)})
	if ta.paint.Label != sea {
		t.Fatalf("right click picked %d, want sea %d", ta.paint.Label, sea)
	}
	ta.setBrushSize(10)
	ta.paint.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: ta.docPos(5, 5)}, Scrolled: fyne.NewDelta(0, 1)})
	if ta.paint.Diameter != 13 {
		t.Fatalf("wheel up made the brush %d, want 13", ta.paint.Diameter)
	}

	// Keys.
	ta.setBrushSize(50)
	ta.typedRune('[')
	if ta.paint.Diameter != 40 || ta.sizeSlider.Value != 40 {
		t.Fatalf("[ made the brush %d (slider %v)", ta.paint.Diameter, ta.sizeSlider.Value)
	}
	ta.typedRune(']')
	if ta.paint.Diameter != 51 {
		t.Fatalf("] made the brush %d", ta.paint.Diameter)
	}
	for r, want := range map[rune]Tool{'f': ToolFill, 'l': ToolLine, 'i': ToolEyedropper, 'b': ToolBrush, 'e': ToolEraser} {
		ta.typedRune(r)
		if ta.paint.Tool != want {
			t.Errorf("key %q: tool %v, want %v", r, ta.paint.Tool, want)
		}
	}
	z := ta.style.z()
	ta.typedRune('r')
	ta.settle()
	if equalF(z, ta.style.z()) {
		t.Fatal("R did not change the style")
	}
}

func equalF(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStyleChangesPreview(t *testing.T) {
	ta := newTestApp(t, 64)
	before := cloneRGBA(ta.PreviewImage())
	ta.style.presetBtns[1].Tapped(&fyne.PointEvent{})
	ta.settle()
	if bytes.Equal(before.Pix, ta.PreviewImage().Pix) {
		t.Fatal("picking a preset did not change the preview")
	}
	if !ta.style.presetBtns[1].selected {
		t.Fatal("picked preset not highlighted")
	}
	// Blend: B = sunset, A = seed; the slider moves between them.
	ta.style.setActive(1)
	ta.style.presetBtns[2].Tapped(&fyne.PointEvent{})
	ta.style.mixSlider.SetValue(0.5)
	ta.settle()
	a, b, z := ta.style.slots[0].Z, ta.style.slots[1].Z, ta.style.z()
	if z[0] != (a[0]+b[0])/2 {
		t.Fatalf("blend at 0.5 gives %v, want the mean of %v and %v", z[0], a[0], b[0])
	}
}

func TestVarietyScalesSeedStyles(t *testing.T) {
	ta := newTestApp(t, 64)
	ta.style.pickSeed(42)
	ta.settle()
	full := append([]float32(nil), ta.style.z()...)
	before := cloneRGBA(ta.PreviewImage())
	ta.style.varietySlider.SetValue(0.5)
	ta.settle()
	z := ta.style.z()
	for i := range z {
		if z[i] != full[i]*0.5 {
			t.Fatalf("variety 0.5: z[%d] = %v, want %v", i, z[i], full[i]*0.5)
		}
	}
	if bytes.Equal(before.Pix, ta.PreviewImage().Pix) {
		t.Fatal("changing the variety did not change the preview")
	}
	// A preset is a chosen style: variety leaves it alone.
	ta.style.presetBtns[0].Tapped(&fyne.PointEvent{})
	preset := append([]float32(nil), ta.style.z()...)
	ta.style.varietySlider.SetValue(1.2)
	if !equalF(preset, ta.style.z()) {
		t.Fatal("variety changed a preset's style")
	}
	ta.settle()
}

func TestSaveOpenRoundTrip(t *testing.T) {
	ta := newTestApp(t, 64)
	ta.selectLabel(ta.label("tree"))
	ta.stroke(ta.docPos(10, 10), ta.docPos(50, 40))
	painted := append([]uint8(nil), ta.doc.Labels().Pix...)
	path := filepath.Join(t.TempDir(), "p.spw")
	ta.saveTo(path)
	if ta.modified() {
		t.Fatal("modified after save")
	}
	ta.newPainting(32, 32)
	if ta.doc.Labels().Rect.Dx() != 32 {
		t.Fatal("New 32×32 did not make a 32×32 painting")
	}
	ta.openPath(path)
	if !bytes.Equal(ta.doc.Labels().Pix, painted) {
		t.Fatal("reopened project differs")
	}
	if ta.recent()[0] != path {
		t.Fatalf("recent files %v do not start with %s", ta.recent(), path)
	}
	ta.settle()
}

func TestCorruptFilesOpenNothing(t *testing.T) {
	ta := newTestApp(t, 64)
	ta.selectLabel(ta.label("sand"))
	ta.stroke(ta.docPos(10, 10), ta.docPos(50, 40))
	painted := append([]uint8(nil), ta.doc.Labels().Pix...)
	dir := t.TempDir()
	for _, f := range []struct{ name, data string }{
		{"bad.spw", "PK\x03\x04 this is not a zip"},
		{"bad.png", "\x89PNG\r\n\x1a\n garbage"},
		{"missing.spw", ""},
	} {
		p := filepath.Join(dir, f.name)
		if f.data != "" {
			if err := os.WriteFile(p, []byte(f.data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ta.openPath(p)
		// openPath asks before discarding unsaved changes; say yes.
		confirmTop(t, ta.win)
		if !bytes.Equal(ta.doc.Labels().Pix, painted) {
			t.Fatalf("%s: a failed open changed the painting", f.name)
		}
		ov := ta.win.Canvas().Overlays().Top()
		if ov == nil {
			t.Fatalf("%s: no error dialog", f.name)
		}
		ta.win.Canvas().Overlays().Remove(ov)
	}
}

// confirmTop presses the confirm button of the dialog on top, if any.
func confirmTop(t *testing.T, w fyne.Window) {
	t.Helper()
	ov := w.Canvas().Overlays().Top()
	if ov == nil {
		return
	}
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && (b.Text == "Yes" || b.Text == "OK") {
			found = b
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
		if wd, ok := o.(fyne.Widget); ok {
			for _, ch := range test.TempWidgetRenderer(t, wd).Objects() {
				walk(ch)
			}
		}
	}
	walk(ov)
	if found != nil {
		test.Tap(found)
	}
}

func TestExportImageScales(t *testing.T) {
	ta := newTestApp(t, 64)
	dir := t.TempDir()
	for _, s := range []int{1, 2, 4} {
		p := filepath.Join(dir, "x.png")
		if err := exportImage(p, ta.PreviewImage(), s); err != nil {
			t.Fatal(err)
		}
		f, _ := os.Open(p)
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 64*s {
			t.Fatalf("×%d export is %v", s, img.Bounds())
		}
	}
	if err := exportImage(filepath.Join(dir, "x.jpg"), ta.PreviewImage(), 2); err != nil {
		t.Fatal(err)
	}
}

func TestViewToggle(t *testing.T) {
	ta := newTestApp(t, 64)
	for i, want := range []fyne.CanvasObject{ta.paint, nil, ta.split} {
		ta.toggleView()
		got := ta.center.Objects[0]
		switch i {
		case 0:
			if got != want {
				t.Fatal("first toggle should show the painting only")
			}
		case 1:
			if _, ok := got.(*fyne.Container); !ok {
				t.Fatal("second toggle should show the preview only")
			}
		case 2:
			if got != want {
				t.Fatal("third toggle should go back to side by side")
			}
		}
	}
}

func TestAutosaveRecovery(t *testing.T) {
	dir := t.TempDir()
	fa := test.NewTempApp(t)
	gen := NewDemoGenerator(palette.SIFTFlow, 64, 64)
	a, err := New(fa, Options{Generator: gen, DocSize: 64, DataDir: dir, FyneDialogs: true, Seed: 7, Blank: true})
	if err != nil {
		t.Fatal(err)
	}
	rock, _ := palette.SIFTFlow.ByName("rock")
	a.selectLabel(rock.ID)
	a.setTool(ToolRect)
	test.TapAt(a.paint, fyne.NewPos(a.paint.Size().Width/2, a.paint.Size().Height/2))
	a.paint.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(200, 200)}, Dragged: fyne.NewDelta(150, 150)})
	a.paint.DragEnd()
	painted := append([]uint8(nil), a.doc.Labels().Pix...)
	if count(a.doc.Labels(), rock.ID) == 0 {
		t.Fatal("nothing painted")
	}
	// The process "crashes" after an autosave: no clean quit.
	a.auto.saveNow()

	b, err := New(fa, Options{Generator: gen, DocSize: 64, DataDir: dir, FyneDialogs: true, Seed: 7, Blank: true})
	if err != nil {
		t.Fatal(err)
	}
	if count(b.doc.Labels(), rock.ID) != 0 {
		t.Fatal("recovered without asking")
	}
	confirmTop(t, b.win)
	if !bytes.Equal(b.doc.Labels().Pix, painted) {
		t.Fatal("recovered painting differs from the autosaved one")
	}
	if !b.modified() {
		t.Fatal("a recovered painting must count as unsaved")
	}
}

// errGen is a generator whose renderer fails every frame.
type errGen struct{ *DemoGenerator }

type failingRenderer struct{}

func (failingRenderer) Render(ctx context.Context, _ *image.Paletted, _ []float32, _ *image.RGBA) error {
	return os.ErrPermission
}

func (g errGen) NewRenderer(w, h, threads int) (synth.FrameRenderer, error) {
	return failingRenderer{}, nil
}

func TestRenderErrorShown(t *testing.T) {
	fa := test.NewTempApp(t)
	a, err := New(fa, Options{Generator: errGen{NewDemoGenerator(palette.SIFTFlow, 32, 32)}, DocSize: 32, DataDir: t.TempDir(), FyneDialogs: true, Seed: 1, Blank: true})
	if err != nil {
		t.Fatal(err)
	}
	ta := &testApp{App: a, t: t, queue: make(chan func(), 100)}
	a.do = func(f func()) { ta.queue <- f }
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	defer func() { cancel(); a.Stop() }()
	select {
	case f := <-ta.queue:
		f()
	case <-time.After(5 * time.Second):
		t.Fatal("no result")
	}
	if a.win.Canvas().Overlays().Top() == nil {
		t.Fatal("a failed frame showed no error dialog")
	}
	if a.frameLabel.Text != "render failed" {
		t.Fatalf("status says %q", a.frameLabel.Text)
	}
}

// BenchmarkPaintDrag is one drag event of a 32 px brush: the paint
// widget's whole cost per event (tool, dirty-rect recolouring), without GL.
// The 1024² case should cost about what the 256² one does: only the dirty
// rectangle is redrawn.
func BenchmarkPaintDrag(b *testing.B) {
	for _, size := range []int{256, 1024} {
		b.Run(fmt.Sprintf("%d", size), func(b *testing.B) { benchPaintDrag(b, size) })
	}
}

func benchPaintDrag(b *testing.B, size int) {
	fa := test.NewTempApp(b)
	a, err := New(fa, Options{Generator: NewDemoGenerator(palette.SIFTFlow, 64, 64), DocSize: size, DataDir: b.TempDir(), FyneDialogs: true, Seed: 1, Blank: true, NoThumbnails: true})
	if err != nil {
		b.Fatal(err)
	}
	a.do = func(func()) {}
	a.win.Resize(fyne.NewSize(1280, 720))
	// The same 32 document pixels at both sizes.
	a.setBrushSize(32)
	sz := a.paint.Size()
	_, _, scale := a.paint.imageRect(sz)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := float32(i%200) / 200 * sz.Width
		a.paint.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, sz.Height/2)}, Dragged: fyne.NewDelta(3*scale, 0)})
		if i%200 == 199 {
			a.paint.DragEnd()
		}
	}
}

func TestStylePhoto(t *testing.T) {
	ta := newTestApp(t, 64)
	photo := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := 0; i < len(photo.Pix); i += 4 {
		photo.Pix[i], photo.Pix[i+1], photo.Pix[i+2], photo.Pix[i+3] = 250, 120, 30, 255
	}
	p := filepath.Join(t.TempDir(), "sunset.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, photo); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	before := cloneRGBA(ta.PreviewImage())
	ta.useStylePhoto(p)
	deadline := time.After(5 * time.Second)
	for ta.style.current().Kind != "photo" {
		select {
		case f := <-ta.queue:
			f()
		case <-deadline:
			t.Fatal("style photo never applied")
		}
	}
	ta.settle()
	if ta.style.photoThumb.Image == nil {
		t.Fatal("no style photo thumbnail")
	}
	if b := ta.style.photoThumb.Image.Bounds(); max(b.Dx(), b.Dy()) > 128 {
		t.Fatalf("thumbnail is %v, want at most 128 px", b)
	}
	if bytes.Equal(before.Pix, ta.PreviewImage().Pix) {
		t.Fatal("the photo's style did not change the preview")
	}
	// A file that is not an image is refused with a dialog.
	bad := filepath.Join(t.TempDir(), "bad.jpg")
	os.WriteFile(bad, []byte("not a jpeg"), 0o644)
	ta.useStylePhoto(bad)
	if ta.win.Canvas().Overlays().Top() == nil {
		t.Fatal("no error for a broken photo")
	}
}

func TestPreviewKeepsPaintingShape(t *testing.T) {
	ta := newTestApp(t, 64)
	ta.newPainting(128, 64)
	ta.settle()
	ta.previewPane.Resize(fyne.NewSize(400, 400))
	if s := ta.preview.Size(); s.Width != 400 || s.Height != 200 {
		t.Fatalf("preview of a 2:1 painting laid out %v, want 400×200", s)
	}
}

// TestWindowGolden renders the whole window (Fyne's test theme) after a
// stroke: the layout of toolbar, palette, painting, preview, styles and
// status bar at 1280×720.
func TestWindowGolden(t *testing.T) {
	ta := newTestApp(t, 64)
	test.Tap(ta.pal.swatches[ta.label("tree")])
	ta.setBrushSize(9)
	ta.stroke(ta.docPos(8, 40), ta.docPos(30, 34), ta.docPos(56, 30))
	ta.settle()
	ta.frameLabel.SetText("") // frame times vary
	ta.hint("")
	assertGolden(t, "window.png", ta.win.Canvas().Capture())
}

// TestSlowModelKeepsUpDuringDrag: with a frame in flight, drag events do
// not cancel it by submitting again (the preview would never update during a
// long stroke); the newest painting is submitted as soon as the frame is
// back, and at once at the end of the stroke.
func TestSlowModelKeepsUpDuringDrag(t *testing.T) {
	fa := test.NewTempApp(t)
	gate := make(chan struct{})
	gen := NewDemoGenerator(palette.SIFTFlow, 32, 32)
	gen.Delay = func(ctx context.Context) error {
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	a, err := New(fa, Options{Generator: gen, DocSize: 64, DataDir: t.TempDir(), FyneDialogs: true, Seed: 1, Blank: true})
	if err != nil {
		t.Fatal(err)
	}
	queue := make(chan func(), 100)
	a.do = func(f func()) { queue <- f }
	a.win.Resize(fyne.NewSize(1280, 720))
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	defer func() { cancel(); a.Stop() }()
	release := func() {
		t.Helper()
		gate <- struct{}{}
		select {
		case f := <-queue:
			f()
		case <-time.After(5 * time.Second):
			t.Fatal("no frame")
		}
	}
	release() // the first frame
	if a.inflight {
		t.Fatal("still in flight after the first frame")
	}
	sz := a.paint.Size()
	drag := func(x float32) {
		a.paint.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, sz.Height/2)}, Dragged: fyne.NewDelta(5, 0)})
	}
	drag(sz.Width * 0.3)
	first := a.submitted
	for i := 1; i < 20; i++ {
		drag(sz.Width * (0.3 + float32(i)/50))
	}
	if a.submitted != first {
		t.Fatalf("drag events submitted %d frames while one was in flight", a.submitted-first)
	}
	release() // the frame of the stroke's start comes back…
	if a.frameShown != first {
		t.Fatalf("shown frame %d, want %d", a.frameShown, first)
	}
	if a.submitted != first+1 || !a.inflight {
		t.Fatal("the painting changed meanwhile but was not submitted when the frame came back")
	}
	drag(sz.Width * 0.8)
	a.paint.DragEnd()
	if a.submitted != first+2 {
		t.Fatal("the end of the stroke was not submitted at once")
	}
	release()
	if a.frameShown != first+2 || a.inflight {
		t.Fatalf("final frame %d (inflight %v), want %d", a.frameShown, a.inflight, first+2)
	}
}

func TestLabelMapExportImport(t *testing.T) {
	ta := newTestApp(t, 64)
	ta.selectLabel(ta.label("river"))
	ta.stroke(ta.docPos(5, 60), ta.docPos(60, 5))
	painted := append([]uint8(nil), ta.doc.Labels().Pix...)
	p := filepath.Join(t.TempDir(), "labels.png")
	ta.exportLabelTo(p)
	ta.newPainting(64, 64)
	confirmTop(t, ta.win) // discard the unsaved stroke
	if bytes.Equal(ta.doc.Labels().Pix, painted) {
		t.Fatal("New kept the painting")
	}
	ta.openPath(p)
	if !bytes.Equal(ta.doc.Labels().Pix, painted) {
		t.Fatal("imported label map differs from the exported one")
	}
	ta.settle()

	// A PNG with values that are not labels asks before replacing them.
	bad := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range bad.Pix {
		bad.Pix[i] = 200 // SIFT Flow has ids 0..33
	}
	bp := filepath.Join(t.TempDir(), "bad.png")
	f, _ := os.Create(bp)
	png.Encode(f, bad)
	f.Close()
	ta.openPath(bp)
	if ta.doc.Labels().Rect.Dx() != 64 {
		t.Fatal("a map with unknown labels opened without asking")
	}
	confirmTop(t, ta.win) // "Import anyway?"
	if ta.doc.Labels().Rect.Dx() != 8 {
		t.Fatal("accepting the replacement did not import the map")
	}
	ta.settle()
}

// TestRealModelThroughTheApp runs a small random SPADE model (SIFT Flow
// labels) through Options.Model: the adapter finds the palette set, the
// worker renders with synth's Renderer, and a stroke changes the preview.
func TestRealModelThroughTheApp(t *testing.T) {
	type lab struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Color string `json:"color"`
	}
	var ls []lab
	ch := [][2]int{{0, 33}}
	for _, l := range palette.SIFTFlow.All() {
		if l.ID == 0 {
			continue
		}
		ls = append(ls, lab{int(l.ID), l.Name, fmt.Sprintf("#%02x%02x%02x", l.Color.R, l.Color.G, l.Color.B)})
		ch = append(ch, [2]int{int(l.ID), int(l.ID) - 1})
	}
	js, _ := json.Marshal(map[string]any{"set": "siftflow", "unlabeled": 0, "labels": ls, "channels": ch})
	cfg := synth.Config{LabelNC: 33, ContainDontcareLabel: true, NoInstance: true, NGF: 2, NHidden: 4,
		NormG: "spectralspadebatch3x3", NormE: "spectralinstance", NumUpsamplingLayers: "normal",
		CropSize: 64, AspectRatio: 1, UseVAE: true, ZDim: 8}
	m, err := synth.RandomModel(cfg, false, map[string]string{"labels": string(js), "name": "tiny"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	fa := test.NewTempApp(t)
	a, err := New(fa, Options{Model: m, DocSize: 64, DataDir: t.TempDir(), FyneDialogs: true, Seed: 3, Blank: true, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if a.gen.LabelSet() != palette.SIFTFlow {
		t.Fatalf("model labels resolved to %v, want the SIFT Flow palette", a.gen.LabelSet())
	}
	ta := &testApp{App: a, t: t, queue: make(chan func(), 1000)}
	a.do = func(f func()) { ta.queue <- f }
	a.win.Resize(fyne.NewSize(1280, 720))
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	defer func() { cancel(); a.Stop() }()
	ta.settle()
	before := cloneRGBA(a.PreviewImage())
	if before.Bounds().Dx() != 64 {
		t.Fatalf("preview is %v, want the model's 64×64", before.Bounds())
	}
	ta.selectLabel(ta.label("sea"))
	ta.setBrushSize(30)
	ta.stroke(ta.docPos(5, 40), ta.docPos(60, 40))
	ta.settle()
	if bytes.Equal(before.Pix, a.PreviewImage().Pix) {
		t.Fatal("a broad stroke did not change the model's picture")
	}
}

func TestMenus(t *testing.T) {
	ta := newTestApp(t, 64)
	labels := func(m *fyne.Menu) []string {
		var out []string
		for _, it := range m.Items {
			if !it.IsSeparator {
				out = append(out, it.Label)
			}
		}
		return out
	}
	menu := ta.buildMenu()
	want := map[string][]string{
		"File": {"New", "Open…", "Open Recent", "Save", "Save As…", "Import Label Map (PNG)…", "Export Image", "Export Label Map (PNG)…", "Open Model…", "Quit"},
		"Edit": {"Undo", "Redo"},
	}
	for _, m := range menu.Items {
		if w, ok := want[m.Label]; ok {
			if got := labels(m); fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s menu: %v, want %v", m.Label, got, w)
			}
			delete(want, m.Label)
		}
	}
	if len(want) > 0 {
		t.Fatalf("missing menus: %v", want)
	}
	file := menu.Items[0]
	for _, it := range file.Items {
		switch it.Label {
		case "New":
			if got := labels(it.ChildMenu); fmt.Sprint(got) != "[256 × 256 512 × 512 1024 × 1024 Custom…]" {
				t.Errorf("New submenu %v", got)
			}
		case "Export Image":
			if len(it.ChildMenu.Items) != 3 {
				t.Errorf("Export Image has %d scales, want ×1 ×2 ×4", len(it.ChildMenu.Items))
			}
		case "Save":
			if it.Shortcut == nil {
				t.Error("Save has no shortcut")
			}
		}
	}
	// New 1024 from the menu.
	file.Items[0].ChildMenu.Items[2].Action()
	if ta.doc.Labels().Rect.Dx() != 1024 {
		t.Fatal("File ▸ New ▸ 1024 did not make a 1024² painting")
	}
	ta.settle()
}

func TestDropProject(t *testing.T) {
	ta := newTestApp(t, 64)
	ta.selectLabel(ta.label("sand"))
	ta.stroke(ta.docPos(10, 10), ta.docPos(50, 40))
	painted := append([]uint8(nil), ta.doc.Labels().Pix...)
	p := filepath.Join(t.TempDir(), "drop.spw")
	ta.saveTo(p)
	ta.newPainting(64, 64)
	ta.dropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(p)})
	if !bytes.Equal(ta.doc.Labels().Pix, painted) {
		t.Fatal("dropping a project did not open it")
	}
	ta.dropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(filepath.Join(t.TempDir(), "notes.txt"))})
	if ta.win.Canvas().Overlays().Top() == nil {
		t.Fatal("dropping an unknown file said nothing")
	}
	ta.settle()
}

func TestPaletteSearchForBigSets(t *testing.T) {
	fa := test.NewTempApp(t)
	a, err := New(fa, Options{Generator: NewDemoGenerator(palette.ADE20K, 32, 32), DocSize: 32, DataDir: t.TempDir(), FyneDialogs: true, Seed: 1, Blank: true})
	if err != nil {
		t.Fatal(err)
	}
	if !a.pal.search.Visible() {
		t.Fatal("no search box for ADE20K's 150 labels")
	}
	all := len(a.pal.swatches)
	test.Type(a.pal.search, "tree")
	if n := len(a.pal.swatches); n == 0 || n >= all {
		t.Fatalf("searching 'tree' left %d of %d swatches", n, all)
	}
	for _, s := range a.pal.swatches {
		if !strings.Contains(strings.ToLower(s.label.Name), "tree") {
			t.Fatalf("%q does not match 'tree'", s.label.Name)
		}
	}
	sift := newTestApp(t, 32)
	if sift.pal.search.Visible() {
		t.Fatal("SIFT Flow's 33 labels need no search box")
	}
}

func TestSameStyle(t *testing.T) {
	base := canvas.Style{Kind: canvas.StyleSeed, Seed: 3, Z: []float32{1, 2}}
	for _, tc := range []struct {
		name string
		b    canvas.Style
		want bool
	}{
		{"same", canvas.Style{Kind: canvas.StyleSeed, Seed: 3, Z: []float32{1, 2}}, true},
		{"seed", canvas.Style{Kind: canvas.StyleSeed, Seed: 4, Z: []float32{1, 2}}, false},
		{"z", canvas.Style{Kind: canvas.StyleSeed, Seed: 3, Z: []float32{1, 2.5}}, false},
		{"kind", canvas.Style{Kind: canvas.StylePreset, Seed: 3, Z: []float32{1, 2}}, false},
		{"photo", canvas.Style{Kind: canvas.StyleSeed, Seed: 3, Z: []float32{1, 2}, Photo: []byte{1}}, false},
	} {
		if got := sameStyle(base, tc.b); got != tc.want {
			t.Errorf("%s: sameStyle = %v, want %v", tc.name, got, tc.want)
		}
	}
}
