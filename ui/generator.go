package ui

import (
	"context"
	"image"

	"spadework/palette"
	"spadework/synth"
)

// StylePreset is a named style vector a model ships with.
type StylePreset struct {
	Name string
	Z    []float32
	// Thumbnail is an example photo in this style; nil when there is none.
	Thumbnail image.Image
}

// Generator is what the UI needs of a model: its identity, the label set it
// paints with, its style space, and renderers. A *synth.Model is adapted to
// it by the app; tests use a fake, DemoGenerator (demo_test.go).
type Generator interface {
	Name() string
	ID() string
	// Size is the generator's native output size.
	Size() (w, h int)
	LabelSet() *palette.Set
	// ZDim is the length of a style vector.
	ZDim() int
	Styles() []StylePreset
	// NewRenderer returns a renderer for label maps of w×h; the worker owns
	// it. threads bounds the CPU threads it may use.
	NewRenderer(w, h, threads int) (synth.FrameRenderer, error)
	// EncodeStyle returns the style of a photo, or an error when the model
	// has no encoder.
	EncodeStyle(ctx context.Context, photo image.Image) ([]float32, error)
}

// RandomStyle draws a style vector z ~ N(0, I) from seed with synth's
// generator, so a seed saved in a project gives the same style again.
func RandomStyle(seed uint64, zdim int) []float32 {
	return synth.RandomStyle(int64(seed), zdim)
}

// RandomStyleVariety is RandomStyle scaled by variety (see
// synth.RandomStyleVariety): below 1, closer to the labels, less varied.
func RandomStyleVariety(seed uint64, zdim int, variety float64) []float32 {
	return synth.RandomStyleVariety(int64(seed), zdim, variety)
}
