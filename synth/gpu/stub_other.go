//go:build !linux || !cgo

package gpu

import (
	"context"
	"fmt"
	"image"
	"runtime"

	"spadework/synth"
)

// whyUnavailable explains, per platform, why this build has no GPU path.
func whyUnavailable() string {
	switch {
	case runtime.GOOS == "darwin":
		return "macOS offers OpenGL 4.1 only, which has no compute shaders"
	case runtime.GOOS == "linux":
		return "built without cgo (CGO_ENABLED=0): no EGL"
	default:
		return fmt.Sprintf("no EGL/OpenGL 4.3 context code for %s in this build", runtime.GOOS)
	}
}

// Renderer is the GPU renderer; on this platform it cannot be created.
type Renderer struct{}

// New always fails here with an error wrapping ErrUnavailable.
func New(ctx context.Context, m *synth.Model, w, h int) (*Renderer, error) {
	return nil, fmt.Errorf("%w: %s", ErrUnavailable, whyUnavailable())
}

// Probe reports why OpenGL 4.3 compute is unavailable on this platform.
func Probe() (info string, err error) {
	return "", fmt.Errorf("%w: %s", ErrUnavailable, whyUnavailable())
}

// Render is never reached: New returns no Renderer on this platform.
func (r *Renderer) Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error {
	return ErrClosed
}

// Info is empty on this platform.
func (r *Renderer) Info() string { return "" }

// Size is zero on this platform.
func (r *Renderer) Size() (w, h int) { return 0, 0 }

// Close does nothing on this platform.
func (r *Renderer) Close() {}
