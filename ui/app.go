// Package ui is Spadework's desktop application: a label-map painting on the
// left, the generator's live photo on the right, with tools, a palette of
// labels, styles, files and menus around them. It wires the canvas (the
// document), palette (label sets) and synth (the generator and its render
// worker) packages together with Fyne; none of them knows about Fyne.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	fynecanvas "fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spadework/canvas"
	"spadework/palette"
	"spadework/synth"
)

// AppID is the application id (preferences, autosave folder, desktop file).
const AppID = "io.github.spadework"

// EnvFyneDialogs, when set to a non-empty value other than "0", makes the
// app use Fyne's own file dialogs instead of the native (GTK) ones, so that
// tests and CI never block on a native dialog. CI=true has the same effect.
const EnvFyneDialogs = "SPADEWORK_FYNE_DIALOGS"

// Options configures the app.
type Options struct {
	// Model is the generator to paint for (main.go passes the embedded
	// default model). Ignored when Generator is set.
	Model *synth.Model
	// Generator renders the preview in place of Model (main.go adapts the
	// embedded model with NewModelGenerator; tests pass a fake).
	Generator Generator
	// Icon is the window icon (PNG bytes); optional.
	Icon []byte
	// Thumbnails holds preset thumbnails named "<preset>.jpg" or ".png";
	// optional.
	Thumbnails fs.FS
	// DocSize is the side of a new painting; 0 means 512.
	DocSize int
	// Open is a project (.spw) or label-map PNG to open at start; optional.
	Open string
	// DataDir holds the autosave and crash-recovery files; "" means the
	// user's config directory + "/spadework".
	DataDir string
	// Threads bounds the generator's CPU threads; 0 means all cores.
	Threads int
	// FyneDialogs forces Fyne's file dialogs (see EnvFyneDialogs).
	FyneDialogs bool
	// Seed is the first random style's seed; 0 starts with the model's
	// first preset (or a random seed when it has none).
	Seed uint64
	// NoThumbnails skips rendering thumbnails for presets that have none.
	NoThumbnails bool
	// Blank starts with an empty (all sky) painting instead of the starter
	// landscape.
	Blank bool
}

// Run starts the application and blocks until its window is closed or ctx
// ends. It must be called from the main goroutine (a Fyne requirement).
func Run(ctx context.Context, opts Options) error {
	fa := app.NewWithID(AppID)
	a, err := New(fa, opts)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.Start(runCtx)
	closed := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			// Interrupted (SIGINT, SIGTERM): keep unsaved work for recovery.
			fyne.Do(func() {
				if a.auto != nil {
					a.auto.saveNow()
				}
				fa.Quit()
			})
		case <-closed:
		}
	}()
	a.win.ShowAndRun()
	close(closed)
	cancel()
	a.Stop()
	a.closeRenderer()
	return nil
}

// closeRenderer releases the current renderer's threads or GPU context.
func (a *App) closeRenderer() {
	if c, ok := a.renderer.(interface{ Close() }); ok {
		c.Close()
	}
	a.renderer = nil
}

// setDevice re-creates the renderer on another device (auto, cpu or gpu).
func (a *App) setDevice(device string) {
	mg, ok := a.gen.(*modelGenerator)
	if !ok {
		return
	}
	mg.setDevice(device)
	if err := a.setGenerator(a.gen); err != nil {
		a.showError(err)
	}
}

// App is one Spadework window and everything it edits.
type App struct {
	fa   fyne.App
	win  fyne.Window
	opts Options
	gen  Generator

	doc     *canvasDoc
	docPath string // project file of doc, "" when never saved
	// recovered marks a painting restored from an autosave: unsaved work
	// even though the canvas loaded it from a file.
	recovered bool

	paint       *paintWidget
	preview     *fynecanvas.Image
	previewPane *fyne.Container
	previewImg  *image.RGBA
	pal         *palettePanel
	style       *stylePanel

	toolBtns   [numTools]*widget.Button
	undoBtn    *widget.Button
	redoBtn    *widget.Button
	sizeSlider *widget.Slider
	sizeLabel  *widget.Label
	viewMode   int // 0 both, 1 painting only, 2 preview only
	split      *container.Split
	center     *fyne.Container

	modelLabel *widget.Label
	frameLabel *widget.Label
	hintLabel  *widget.Label
	progress   *widget.ProgressBarInfinite

	// Render pipeline. worker runs on a goroutine started by Start; every
	// field below is touched only on the UI goroutine.
	renderer    synth.FrameRenderer // the worker's; closed when replaced
	worker      *synth.Worker
	stopWorker  context.CancelFunc
	workerDone  chan struct{}
	renderSize  image.Point
	submitted   uint64 // last version submitted
	frameShown  uint64 // version of the preview on screen
	inflight    bool   // a submitted frame has not come back yet
	pendingEdit bool   // the painting or style changed since the last submit
	lastErr     string
	lastElapsed time.Duration

	ctx context.Context // what Start was given; a model switch restarts with it
	bg  sync.WaitGroup  // background jobs (thumbnails) that Stop waits for

	// do runs f on the UI goroutine; fyne.Do, replaced in tests.
	do func(f func())

	auto *autosaver

	mu      sync.Mutex // guards closing
	closing bool
}

// New builds the app's window on fa without showing it. Call Start to begin
// rendering.
func New(fa fyne.App, opts Options) (*App, error) {
	if opts.Generator == nil {
		if opts.Model == nil {
			return nil, errors.New("ui: no model")
		}
		g, err := NewModelGenerator(opts.Model)
		if err != nil {
			return nil, err
		}
		opts.Generator = g
	}
	if opts.DocSize <= 0 {
		opts.DocSize = 512
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.NumCPU()
	}
	if v := os.Getenv(EnvFyneDialogs); v != "" && v != "0" {
		opts.FyneDialogs = true
	}
	if os.Getenv("CI") == "true" {
		opts.FyneDialogs = true
	}
	a := &App{fa: fa, opts: opts, gen: opts.Generator, do: fyne.Do}
	a.win = fa.NewWindow("Spadework")
	if len(opts.Icon) > 0 {
		a.win.SetIcon(fyne.NewStaticResource("icon.png", opts.Icon))
	}
	set := a.gen.LabelSet()
	d, err := canvas.New(set, opts.DocSize, opts.DocSize, defaultFill(set))
	if err != nil {
		return nil, err
	}
	if !opts.Blank {
		// A starter landscape shows what the app does before the first
		// stroke; it is not unsaved work.
		if sd, err := canvas.FromImage(set, thumbScene(set, opts.DocSize, opts.DocSize)); err == nil {
			d = sd
		}
	}
	a.doc = wrapDoc(d)
	a.build()
	if err := a.setGenerator(a.gen); err != nil {
		return nil, err
	}
	a.win.Resize(fyne.NewSize(1280, 720))
	a.win.SetCloseIntercept(a.quit)
	a.win.SetOnDropped(a.dropped)
	a.auto = newAutosaver(a)
	if opts.Open != "" {
		a.openPath(opts.Open)
	} else {
		a.auto.offerRecovery()
	}
	a.updateTitle()
	return a, nil
}

// Window returns the app's window.
func (a *App) Window() fyne.Window { return a.win }

// defaultFill is what a new painting is filled with: sky, so that a person
// starts by painting the ground, as on paper.
func defaultFill(set *palette.Set) uint8 {
	if l, ok := set.ByName("sky"); ok {
		return l.ID
	}
	ls := set.Labels()
	if len(ls) > 0 {
		return ls[0].ID
	}
	return 0
}

// defaultBrush is the label selected at start.
func defaultBrush(set *palette.Set) uint8 {
	for _, n := range []string{"mountain", "grass", "tree"} {
		if l, ok := set.ByName(n); ok {
			return l.ID
		}
	}
	return defaultFill(set)
}

func (a *App) build() {
	a.paint = newPaintWidget(a.doc)
	a.paint.OnEdit = a.edited
	a.paint.OnStrokeEnd = a.strokeEnded
	a.paint.OnPick = a.selectLabel
	a.paint.OnHover = a.hint
	a.paint.OnResize = a.setBrushSize

	// Fastest is bilinear on the GPU; Smooth would run a Catmull-Rom pass
	// and allocate a texture-sized image on the CPU for every frame.
	a.preview = &fynecanvas.Image{FillMode: fynecanvas.ImageFillStretch, ScaleMode: fynecanvas.ImageScaleFastest}
	a.previewPane = a.newPreviewPane()

	a.pal = newPalettePanel(a.selectLabel, a.hint)
	a.style = newStylePanel(a.styleChanged, a.randomStyle, a.loadStylePhoto)

	a.modelLabel = widget.NewLabel("")
	a.frameLabel = widget.NewLabel("")
	a.hintLabel = widget.NewLabel("")
	a.hintLabel.Truncation = fyne.TextTruncateEllipsis
	a.progress = widget.NewProgressBarInfinite()
	a.progress.Hide()
	status := container.NewBorder(nil, nil,
		container.NewHBox(a.modelLabel, widget.NewSeparator()),
		container.NewHBox(a.progress, widget.NewSeparator(), a.frameLabel),
		a.hintLabel)

	a.split = container.NewHSplit(a.paint, a.previewPane)
	a.split.Offset = 0.5
	a.center = container.NewStack(a.split)

	left := a.pal.content
	right := container.NewVScroll(a.style.content)
	right.SetMinSize(fyne.NewSize(4*thumbW+3*theme.Padding()+2*theme.Padding()+12, 200))
	body := container.NewBorder(nil, nil, left, right, a.center)
	a.win.SetContent(container.NewBorder(a.buildToolbar(), status, nil, nil, body))
	a.win.SetMainMenu(a.buildMenu())
	a.bindKeys()
	a.setTool(ToolBrush)
	a.updateUndo()
}

func (a *App) buildToolbar() fyne.CanvasObject {
	icons := [numTools]fyne.Resource{brushIcon, lineIcon, rectIcon, fillIcon, pickIcon, eraserIcon}
	hints := [numTools]string{
		"Brush (B): drag to paint the selected label; [ ] or the wheel size it; right click picks a label",
		"Line (L): drag a straight line of the brush's width",
		"Rectangle: drag a filled rectangle",
		"Fill (F): click to fill a connected region with the selected label",
		"Eyedropper (I): click to pick the label under the pointer",
		"Eraser (E): paint the unlabeled class",
	}
	var tools []fyne.CanvasObject
	for t := Tool(0); t < numTools; t++ {
		t := t
		b := newHintButton(t.String(), icons[t], hints[t], a.hint, func() { a.setTool(t) })
		a.toolBtns[t] = &b.Button
		tools = append(tools, b)
	}
	a.sizeLabel = widget.NewLabel("16 px")
	a.sizeSlider = widget.NewSlider(1, 256)
	a.sizeSlider.Step = 1
	a.sizeSlider.Value = 16
	a.sizeSlider.OnChanged = func(v float64) { a.setBrushSize(int(v)) }
	sizeBox := container.NewBorder(nil, nil, widget.NewLabel("Size"), a.sizeLabel, a.sizeSlider)
	viewBtn := newHintButton("", theme.ViewFullScreenIcon(), "Layout (V): side by side, painting only, photo only", a.hint, a.toggleView)
	undoBtn := newHintButton("", theme.ContentUndoIcon(), "Undo (Ctrl+Z)", a.hint, a.undo)
	redoBtn := newHintButton("", theme.ContentRedoIcon(), "Redo (Ctrl+Shift+Z)", a.hint, a.redo)
	a.undoBtn, a.redoBtn = &undoBtn.Button, &redoBtn.Button
	left := container.NewHBox(append(tools, widget.NewSeparator(), undoBtn, redoBtn)...)
	right := container.NewHBox(widget.NewSeparator(), viewBtn)
	sizeWrap := container.NewGridWrap(fyne.NewSize(260, sizeBox.MinSize().Height), sizeBox)
	return container.NewBorder(nil, nil, left, right, container.NewHBox(sizeWrap))
}

// setGenerator switches the model: new renderer and worker, the model's
// label set in the palette (translating the painting if the set differs),
// its presets in the style panel.
func (a *App) setGenerator(g Generator) error {
	w, h := g.Size()
	r, err := g.NewRenderer(w, h, a.opts.Threads)
	if err != nil {
		return fmt.Errorf("model %s: %w", g.Name(), err)
	}
	running := a.worker != nil && a.stopWorker != nil
	if running {
		a.Stop()
	}
	a.closeRenderer()
	a.renderer = r
	a.gen = g
	a.renderSize = image.Pt(w, h)
	a.worker = synth.NewWorker(r, synth.WorkerOptions{Size: a.renderSize, OnResult: a.onResult})
	a.inflight = false

	set := g.LabelSet()
	if a.doc.Set() != set {
		// Remap in place: the painting keeps its undo history across models.
		fbs := a.doc.d.Remap(set)
		a.paint.SetDocument(a.doc)
		if len(fbs) > 0 {
			var items []fallbackItem
			for _, f := range fbs {
				items = append(items, fallbackItem(f.String()))
			}
			a.notice("Labels translated", fallbackText("The painting", items))
		}
	}
	a.pal.setLabels(set)
	a.selectLabel(defaultBrush(set))
	presetList := presetsWithThumbs(g.Styles(), a.opts.Thumbnails)
	a.style.setPresets(presetList, g.ZDim())
	seed := a.opts.Seed
	if seed == 0 {
		seed = rand.Uint64() % 100000
	}
	presets := g.Styles()
	if len(presets) > 0 && a.opts.Seed == 0 {
		p := presetsWithThumbs(presets[:1], a.opts.Thumbnails)[0]
		a.style.pick(styleChoice{Kind: "preset", Name: p.Name, Z: p.Z, Thumb: p.Thumbnail})
	} else {
		a.style.pickSeed(seed)
	}
	a.modelLabel.SetText(fmt.Sprintf("%s · %d×%d", g.Name(), w, h))
	if mg, ok := g.(*modelGenerator); ok {
		used, reason := mg.deviceUsed()
		a.modelLabel.SetText(fmt.Sprintf("%s · %d×%d · %s", g.Name(), w, h, strings.ToUpper(used)))
		log.Printf("spadework: rendering on the %s: %s", strings.ToUpper(used), reason)
	}
	if running {
		a.Start(a.ctx)
	}
	a.pendingEdit = true
	a.maybeSubmit()
	return nil
}

// Start runs the render worker until ctx ends or Stop is called, and
// renders the painting.
func (a *App) Start(ctx context.Context) {
	a.ctx = ctx
	ctx, cancel := context.WithCancel(ctx)
	a.stopWorker = cancel
	done := make(chan struct{})
	a.workerDone = done
	w, g := a.worker, a.gen
	presets := presetsWithThumbs(g.Styles(), a.opts.Thumbnails)
	go func() {
		defer close(done)
		_ = w.Run(ctx)
	}()
	if !a.opts.NoThumbnails {
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			a.renderThumbs(ctx, g, w, presets)
		}()
	}
	a.pendingEdit = true
	a.inflight = false
	a.maybeSubmit()
	if a.auto != nil {
		a.auto.start(ctx)
	}
}

// Stop ends the render worker and waits for it.
func (a *App) Stop() {
	if a.stopWorker != nil {
		a.stopWorker()
		<-a.workerDone
		a.bg.Wait()
		a.stopWorker = nil
	}
	if a.auto != nil {
		a.auto.stop()
	}
}

// edited is called after every change to the painting.
func (a *App) edited() {
	a.pendingEdit = true
	a.maybeSubmit()
	a.updateTitle()
}

// updateUndo enables the undo and redo buttons when there is a step.
func (a *App) updateUndo() {
	if a.undoBtn == nil {
		return
	}
	for _, x := range []struct {
		b  *widget.Button
		ok bool
	}{{a.undoBtn, a.doc.CanUndo()}, {a.redoBtn, a.doc.CanRedo()}} {
		if x.ok {
			x.b.Enable()
		} else {
			x.b.Disable()
		}
	}
}

func (a *App) strokeEnded() {
	a.updateUndo()
	a.maybeSubmit()
	if a.auto != nil {
		a.auto.poke()
	}
}

func (a *App) styleChanged() {
	a.pendingEdit = true
	a.maybeSubmit()
}

// maybeSubmit sends the current painting to the worker. While a stroke is
// being dragged and a frame is still rendering it waits for that frame:
// submitting on every drag event would cancel each frame before it is done
// and the preview would stand still until the pointer stops. Outside a drag
// (a tap, the end of a stroke, a style change) it submits at once and the
// frame in flight is cancelled.
func (a *App) maybeSubmit() {
	if !a.pendingEdit || a.worker == nil {
		return
	}
	if a.inflight && a.paint.dragging {
		return
	}
	img, _ := a.doc.Snapshot()
	a.submitted++
	a.worker.Submit(synth.Request{Version: a.submitted, Labels: img, Style: a.style.z()})
	a.inflight = true
	a.pendingEdit = false
	// Only slow frames get a progress indicator; a bar flashing for 10 ms
	// frames is noise.
	if a.lastElapsed > 120*time.Millisecond {
		a.progress.Show()
		a.progress.Start()
	}
}

// onResult runs on the worker's goroutine.
func (a *App) onResult(r synth.Result) {
	a.do(func() { a.showResult(r) })
}

func (a *App) showResult(r synth.Result) {
	if r.Version == a.submitted {
		a.inflight = false
		a.progress.Stop()
		a.progress.Hide()
	}
	if r.Err != nil {
		msg := r.Err.Error()
		a.frameLabel.SetText("render failed")
		a.hint("Render failed: " + msg)
		if msg != a.lastErr {
			a.lastErr = msg
			dialog.ShowError(fmt.Errorf("the generator failed: %w", r.Err), a.win)
		}
	} else if r.Version >= a.frameShown {
		old := a.previewImg
		a.previewImg = r.Image
		a.preview.Image = r.Image
		a.preview.Refresh()
		a.frameShown = r.Version
		a.worker.Release(old)
		a.lastElapsed = r.Elapsed
		a.frameLabel.SetText(fmt.Sprintf("%d ms / frame", r.Elapsed.Milliseconds()))
		a.dumpLayout()
	} else {
		a.worker.Release(r.Image)
	}
	a.maybeSubmit()
}

// PreviewImage returns the frame on screen (nil before the first one). The
// image belongs to the app; copy it to keep it.
func (a *App) PreviewImage() *image.RGBA { return a.previewImg }

func (a *App) hint(text string) { a.hintLabel.SetText(text) }

func (a *App) selectLabel(id uint8) {
	a.paint.Label = id
	a.pal.setSelected(id)
	if a.paint.Tool == ToolEyedropper || a.paint.Tool == ToolEraser {
		a.setTool(ToolBrush)
	}
	a.hint("Label: " + a.doc.Set().LabelName(id))
}

func (a *App) setTool(t Tool) {
	a.paint.Tool = t
	for i, b := range a.toolBtns {
		if b == nil {
			continue
		}
		if Tool(i) == t {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
}

func (a *App) setBrushSize(d int) {
	d = min(max(d, 1), 256)
	a.paint.Diameter = d
	a.sizeLabel.SetText(fmt.Sprintf("%d px", d))
	if int(a.sizeSlider.Value) != d {
		a.sizeSlider.SetValue(float64(d))
	}
}

func (a *App) randomStyle() {
	a.style.pickSeed(rand.Uint64() % 1000000)
}

func (a *App) undo() {
	if r, ok := a.doc.Undo(); ok {
		a.paint.Changed(r)
		a.strokeEnded()
	}
}

func (a *App) redo() {
	if r, ok := a.doc.Redo(); ok {
		a.paint.Changed(r)
		a.strokeEnded()
	}
}

// toggleView cycles side by side → painting only → preview only, for small
// screens.
func (a *App) toggleView() {
	a.viewMode = (a.viewMode + 1) % 3
	switch a.viewMode {
	case 0:
		a.center.Objects = []fyne.CanvasObject{a.split}
		a.split.Leading, a.split.Trailing = a.paint, a.previewPane
	case 1:
		a.center.Objects = []fyne.CanvasObject{a.paint}
	case 2:
		a.center.Objects = []fyne.CanvasObject{a.previewPane}
	}
	a.split.Refresh()
	a.center.Refresh()
}

func (a *App) updateTitle() {
	name := "Untitled"
	if a.docPath != "" {
		name = baseName(a.docPath)
	}
	mod := ""
	if a.modified() {
		mod = "• "
	}
	a.win.SetTitle(mod + name + " — Spadework")
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// modified reports unsaved changes.
func (a *App) modified() bool { return a.recovered || a.doc.d.Modified() }

// quit asks before throwing away unsaved changes.
func (a *App) quit() {
	if !a.modified() {
		a.close()
		return
	}
	dialog.ShowConfirm("Quit Spadework?", "The painting has unsaved changes. Quit anyway? (The autosave keeps them until the next start.)", func(ok bool) {
		if ok {
			a.close()
		}
	}, a.win)
}

func (a *App) close() {
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	if a.auto != nil {
		a.auto.saveNow()
	}
	a.win.Close()
}
