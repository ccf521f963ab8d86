// Package assets embeds what Spadework needs to work offline out of the box:
// the default landscape model (trained by us, see train/ and MODEL.md) and the
// style presets' thumbnails.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed models/default.safetensors
var defaultModel []byte

//go:embed styles
var styles embed.FS

//go:embed icons/icon.png
var icon []byte

// Icon is the application icon, a 512×512 PNG.
func Icon() []byte { return icon }

// DefaultModelName is the name errors use for the embedded model.
const DefaultModelName = "default (embedded)"

// DefaultModel returns the embedded default model file (a .safetensors in the
// format of docs/ARCHITECTURE.md). The slice is shared: do not modify it.
func DefaultModel() []byte { return defaultModel }

// StyleThumbnails holds one JPEG per style preset of the default model,
// named after the preset ("sunset.jpg").
func StyleThumbnails() fs.FS {
	sub, err := fs.Sub(styles, "styles")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
