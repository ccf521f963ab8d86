package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// hintButton is a button that explains itself in the status bar while the
// pointer is over it: Fyne 2.7 has no tooltips, and a status-bar hint is the
// desktop convention they would copy.
type hintButton struct {
	widget.Button
	hint   string
	onHint func(string)
}

func newHintButton(label string, icon fyne.Resource, hint string, onHint func(string), tapped func()) *hintButton {
	b := &hintButton{hint: hint, onHint: onHint}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// MouseIn shows the hint.
func (b *hintButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	if b.onHint != nil {
		b.onHint(b.hint)
	}
}

// MouseOut clears the hint.
func (b *hintButton) MouseOut() {
	b.Button.MouseOut()
	if b.onHint != nil {
		b.onHint("")
	}
}
