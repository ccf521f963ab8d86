package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Tool icons: small SVGs drawn in the foreground colour (themed, so they
// follow light and dark themes).
func svgIcon(name, body string) fyne.Resource {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="#000000" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">` + body + `</svg>`
	return theme.NewThemedResource(fyne.NewStaticResource(name+".svg", []byte(svg)))
}

var (
	brushIcon  = svgIcon("brush", `<path d="M18.4 2.6a2 2 0 0 1 2.9 2.9L11 15.8l-2.9-2.9z"/><path d="M7.1 14.1c-1.7 0-3.1 1.4-3.1 3.1 0 1.3-1 2.3-2 2.8 1 .7 2.4 1 3.7 1 2.6 0 4.4-1.9 4.4-4.1z" fill="#000000"/>`)
	lineIcon   = svgIcon("line", `<line x1="4" y1="20" x2="20" y2="4"/><circle cx="4" cy="20" r="1.5" fill="#000000"/><circle cx="20" cy="4" r="1.5" fill="#000000"/>`)
	rectIcon   = svgIcon("rect", `<rect x="4" y="6" width="16" height="12" rx="1" fill="#000000" fill-opacity="0.35"/>`)
	fillIcon   = svgIcon("fill", `<path d="M5 11l7-7 7 7-7 7z" fill="#000000" fill-opacity="0.35"/><path d="M20 15s2 2.5 2 3.8a2 2 0 0 1-4 0c0-1.3 2-3.8 2-3.8z" fill="#000000"/>`)
	pickIcon   = svgIcon("pick", `<path d="M2 22l2-1 9.5-9.5-1-1L3 20z"/><path d="M14.5 5.5l4-4 4 4-4 4"/><path d="M12 8l4 4"/>`)
	eraserIcon = svgIcon("eraser", `<path d="M7 21l-4.3-4.3a1 1 0 0 1 0-1.4l10-10a1 1 0 0 1 1.4 0l5.6 5.6a1 1 0 0 1 0 1.4L11 21z"/><path d="M22 21H7"/><path d="M5 11l9 9"/>`)
)
