package ui

import (
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

func ctrl(k fyne.KeyName) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
}

func ctrlShift(k fyne.KeyName) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
}

func (a *App) buildMenu() *fyne.MainMenu {
	item := func(label string, sc fyne.Shortcut, f func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, f)
		it.Shortcut = sc
		return it
	}
	newMenu := fyne.NewMenu("",
		fyne.NewMenuItem("256 × 256", func() { a.newPainting(256, 256) }),
		fyne.NewMenuItem("512 × 512", func() { a.newPainting(512, 512) }),
		fyne.NewMenuItem("1024 × 1024", func() { a.newPainting(1024, 1024) }),
		fyne.NewMenuItem("Custom…", a.newCustom),
	)
	newItem := fyne.NewMenuItem("New", nil)
	newItem.ChildMenu = newMenu

	var recent []*fyne.MenuItem
	for _, p := range a.recent() {
		p := p
		recent = append(recent, fyne.NewMenuItem(filepath.Base(p)+"  —  "+filepath.Dir(p), func() { a.openPath(p) }))
	}
	if len(recent) == 0 {
		none := fyne.NewMenuItem("(none)", nil)
		none.Disabled = true
		recent = append(recent, none)
	}
	recentItem := fyne.NewMenuItem("Open Recent", nil)
	recentItem.ChildMenu = fyne.NewMenu("", recent...)

	export := fyne.NewMenuItem("Export Image", nil)
	export.ChildMenu = fyne.NewMenu("",
		item("×1 (native size)", ctrl(fyne.KeyE), func() { a.exportImageDialog(1) }),
		fyne.NewMenuItem("×2 (Catmull-Rom)", func() { a.exportImageDialog(2) }),
		fyne.NewMenuItem("×4 (Catmull-Rom)", func() { a.exportImageDialog(4) }),
	)

	quit := fyne.NewMenuItem("Quit", a.quit)
	quit.IsQuit = true
	file := fyne.NewMenu("File",
		newItem,
		item("Open…", ctrl(fyne.KeyO), a.openDialog),
		recentItem,
		fyne.NewMenuItemSeparator(),
		item("Save", ctrl(fyne.KeyS), a.save),
		item("Save As…", ctrlShift(fyne.KeyS), a.saveAs),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Import Label Map (PNG)…", a.importDialog),
		export,
		fyne.NewMenuItem("Export Label Map (PNG)…", a.exportLabelDialog),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Open Model…", a.openModelDialog),
		fyne.NewMenuItemSeparator(),
		quit,
	)
	edit := fyne.NewMenu("Edit",
		// Fyne reports Ctrl+Z as its own ShortcutUndo, not as a custom
		// shortcut.
		item("Undo", &fyne.ShortcutUndo{}, a.undo),
		item("Redo", ctrlShift(fyne.KeyZ), a.redo),
	)
	var tools []*fyne.MenuItem
	toolKeys := map[Tool]string{ToolBrush: "B", ToolLine: "L", ToolRect: "R", ToolFill: "F", ToolEyedropper: "I", ToolEraser: "E"}
	for t := Tool(0); t < numTools; t++ {
		t := t
		label := t.String()
		if k, ok := toolKeys[t]; ok && t != ToolRect {
			label += "  (" + k + ")"
		}
		tools = append(tools, fyne.NewMenuItem(label, func() { a.setTool(t) }))
	}
	tools = append(tools, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Smaller brush  ([)", func() { a.setBrushSize(a.paint.Diameter * 4 / 5) }),
		fyne.NewMenuItem("Larger brush  (])", func() { a.setBrushSize(a.paint.Diameter*5/4 + 1) }),
	)
	style := fyne.NewMenu("Style",
		fyne.NewMenuItem("Random Style  (R)", a.randomStyle),
		fyne.NewMenuItem("Style From Photo…", a.loadStylePhoto),
	)
	device := fyne.NewMenuItem("Render On", nil)
	device.ChildMenu = fyne.NewMenu("",
		fyne.NewMenuItem("Auto (GPU when there is one)", func() { a.setDevice("auto") }),
		fyne.NewMenuItem("CPU", func() { a.setDevice("cpu") }),
		fyne.NewMenuItem("GPU (OpenGL 4.3 compute)", func() { a.setDevice("gpu") }),
	)
	view := fyne.NewMenu("View",
		fyne.NewMenuItem("Cycle Layout (side by side / painting / photo)", a.toggleView),
		device,
	)
	return fyne.NewMainMenu(file, edit, fyne.NewMenu("Tools", tools...), style, view)
}

// bindKeys installs the shortcuts and the single-key tool switches. Single
// keys are runes typed on the canvas, so they do not fire while an entry
// (the seed) has the focus.
func (a *App) bindKeys() {
	c := a.win.Canvas()
	c.AddShortcut(&fyne.ShortcutUndo{}, func(fyne.Shortcut) { a.undo() })
	c.AddShortcut(&fyne.ShortcutRedo{}, func(fyne.Shortcut) { a.redo() })
	c.AddShortcut(ctrlShift(fyne.KeyZ), func(fyne.Shortcut) { a.redo() })
	c.AddShortcut(ctrl(fyne.KeyS), func(fyne.Shortcut) { a.save() })
	c.AddShortcut(ctrlShift(fyne.KeyS), func(fyne.Shortcut) { a.saveAs() })
	c.AddShortcut(ctrl(fyne.KeyO), func(fyne.Shortcut) { a.openDialog() })
	c.AddShortcut(ctrl(fyne.KeyE), func(fyne.Shortcut) { a.exportImageDialog(1) })
	c.SetOnTypedRune(a.typedRune)
}

func (a *App) typedRune(r rune) {
	switch r {
	case '[':
		a.setBrushSize(a.paint.Diameter * 4 / 5)
	case ']':
		a.setBrushSize(a.paint.Diameter*5/4 + 1)
	case 'b', 'B':
		a.setTool(ToolBrush)
	case 'f', 'F':
		a.setTool(ToolFill)
	case 'l', 'L':
		a.setTool(ToolLine)
	case 'i', 'I':
		a.setTool(ToolEyedropper)
	case 'e', 'E':
		a.setTool(ToolEraser)
	case 'r', 'R':
		a.randomStyle()
	case 'v', 'V':
		a.toggleView()
	}
}
