// Package gpu renders the SPADE generator with OpenGL 4.3 compute shaders,
// so that laptops with Intel, AMD or NVIDIA graphics (and Mesa's llvmpipe
// on a CPU) can run the same graph as the CPU engine in package synth.
//
// A Renderer owns an EGL context without a window, current on one OS
// thread that only it uses, so it never touches the UI's GL context. Weights
// are uploaded once; activations are allocated once per output size. Every
// failure (no GL 4.3, a shader that does not compile, GPU memory exhausted,
// a lost context) is returned as an error wrapping one of the Err values
// below, so that the caller can fall back to the CPU renderer; see Open.
package gpu

import "errors"

// Errors a caller can test with errors.Is to decide on falling back.
var (
	// ErrUnavailable: no OpenGL 4.3 context with compute shaders could be
	// made (no EGL, no driver, an old GPU, macOS, a build without cgo).
	ErrUnavailable = errors.New("gpu: OpenGL 4.3 compute unavailable")
	// ErrShader: a compute shader failed to compile or link on this driver.
	ErrShader = errors.New("gpu: shader build failed")
	// ErrOutOfMemory: the driver could not allocate a buffer.
	ErrOutOfMemory = errors.New("gpu: out of GPU memory")
	// ErrContextLost: the GPU was reset or the context became unusable; the
	// Renderer is dead and must be closed.
	ErrContextLost = errors.New("gpu: OpenGL context lost")
	// ErrDriver: the driver reported an unexpected GL error; the GPU
	// results cannot be trusted.
	ErrDriver = errors.New("gpu: OpenGL error")
	// ErrClosed: the Renderer was closed.
	ErrClosed = errors.New("gpu: renderer closed")
)

// fault names a failure injected by tests (see faults_test.go); empty in
// production builds. It is read on the GL thread at the point it names.
var fault string

const (
	faultContext   = "context"   // context creation fails
	faultExtension = "extension" // the context lacks compute shaders
	faultCompile   = "compile"   // a shader fails to compile
	faultOOM       = "oom"       // a buffer allocation fails
	faultLost      = "lost"      // the context is lost during a frame
)
