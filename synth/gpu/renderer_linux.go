//go:build linux && cgo

package gpu

/*
#cgo LDFLAGS: -lEGL -ldl
#include <stdlib.h>
#include "egl_linux.h"
*/
import "C"

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"image"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"spadework/synth"
)

//go:embed shaders/*.glsl
var shaderFS embed.FS

// GL enums the Go side needs (values from glcorearb.h).
const (
	glNoError            = 0
	glOutOfMemory        = 0x0505
	glContextLost        = 0x0507
	glVendor             = 0x1F00
	glRenderer           = 0x1F01
	glVersion            = 0x1F02
	glMajorVersion       = 0x821B
	glMinorVersion       = 0x821C
	glMaxSSBOSize        = 0x90DE
	glMaxComputeSSBOs    = 0x90DB
	glMaxComputeShared   = 0x8262
	glMaxWorkGroupCountX = 0x91BE
)

// glContext is a current EGL/GL context on the calling (locked) thread.
type glContext struct {
	c    C.spw_ctx
	info string
}

// firstPlatform lets tests start at a later display path (1 surfaceless,
// 2 EGL device, 3 default display) to exercise the fallbacks.
var firstPlatform = 1

var platformNames = map[C.int]string{1: "EGL surfaceless", 2: "EGL device", 3: "EGL default display"}

// openContext makes a GL 4.3 core context current on this thread and checks
// that it can run the backend's compute shaders.
func openContext() (*glContext, error) {
	if fault == faultContext {
		return nil, fmt.Errorf("%w: injected context failure", ErrUnavailable)
	}
	g := &glContext{}
	var cerr [512]C.char
	if C.spw_open(&g.c, C.int(max(firstPlatform, 1)), &cerr[0], C.int(len(cerr))) != 0 {
		return nil, fmt.Errorf("%w: no OpenGL 4.3 core context: %s", ErrUnavailable, C.GoString(&cerr[0]))
	}
	if C.spw_load(&cerr[0], C.int(len(cerr))) != 0 {
		g.close()
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, C.GoString(&cerr[0]))
	}
	str := func(name C.uint) string {
		s := C.spw_string(name)
		if s == nil {
			return "?"
		}
		return C.GoString(s)
	}
	g.info = fmt.Sprintf("%s; %s; OpenGL %s; %s", str(glVendor), str(glRenderer), str(glVersion), platformNames[g.c.platform])
	major, minor := int(C.spw_get_int(glMajorVersion)), int(C.spw_get_int(glMinorVersion))
	compute := major > 4 || (major == 4 && minor >= 3)
	if !compute {
		compute = g.hasExtension("GL_ARB_compute_shader") && g.hasExtension("GL_ARB_shader_storage_buffer_object")
	}
	if fault == faultExtension {
		compute = false
	}
	if !compute {
		g.close()
		return nil, fmt.Errorf("%w: %s: OpenGL %d.%d without GL_ARB_compute_shader", ErrUnavailable, g.info, major, minor)
	}
	if n := int(C.spw_get_int(glMaxComputeSSBOs)); n < 8 {
		g.close()
		return nil, fmt.Errorf("%w: %s: %d storage buffers per compute shader, need 8", ErrUnavailable, g.info, n)
	}
	return g, nil
}

func (g *glContext) hasExtension(name string) bool {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.spw_has_extension(cs) != 0
}

func (g *glContext) close() {
	C.spw_close(&g.c)
}

// check turns a pending GL error or a reset into an error.
func (g *glContext) check(what string) error {
	if s := C.spw_reset_status(); s != 0 {
		return fmt.Errorf("%w: %s: graphics reset status 0x%x", ErrContextLost, what, uint32(s))
	}
	switch e := C.spw_error(); e {
	case glNoError:
		return nil
	case glOutOfMemory:
		return fmt.Errorf("%w: %s: GL_OUT_OF_MEMORY", ErrOutOfMemory, what)
	case glContextLost:
		return fmt.Errorf("%w: %s: GL_CONTEXT_LOST", ErrContextLost, what)
	default:
		return fmt.Errorf("%w: %s: GL error 0x%x", ErrDriver, what, uint32(e))
	}
}

// Probe reports the GL vendor, renderer and version of the context a
// Renderer would use, or why OpenGL 4.3 compute is unavailable. It creates
// and destroys a context on a thread of its own.
func Probe() (info string, err error) {
	type res struct {
		info string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // the thread exits with the goroutine: EGL state goes with it
		g, err := openContext()
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer g.close()
		ch <- res{info: g.info}
	}()
	r := <-ch
	return r.info, r.err
}

// profile, when a test sets it, receives the time of each dispatch by
// kernel (each followed by glFinish, so frames get slower).
var profile map[string]time.Duration

// frame is one request to the GL thread.
type frame struct {
	ctx    context.Context
	labels *image.Paletted
	z      []float32
	dst    *image.RGBA
	trace  string    // tests: stop after this stage and read its output
	out    []float32 // tests: where the traced stage goes
}

// Renderer renders one model at one output size on its own GL context. It
// implements synth.FrameRenderer. Methods are safe for concurrent use;
// frames are rendered one at a time.
type Renderer struct {
	w, h int
	info string
	p    *plan // read-only after New; the GL thread owns the GL objects

	mu     sync.Mutex // one frame in flight; guards closed
	closed bool
	req    chan frame
	reply  chan error
	quit   chan struct{}
	done   chan struct{}
}

// glState is everything owned by the GL thread.
type glState struct {
	g      *glContext
	p      *plan
	progs  map[kernel]C.uint
	bufs   []C.uint
	cmds   *C.spw_cmd // C array of len(p.ops)
	lm     *labelMapper
	rgba   []byte // readback when dst is not contiguous
	lost   error
	nframe int
}

// New uploads m's generator to a new GL context and prepares it to render
// w×h frames. The context lives on a goroutine locked to its own OS thread
// until Close. Errors wrap ErrUnavailable, ErrShader, ErrOutOfMemory or
// ErrContextLost when the GPU path cannot be used.
func New(ctx context.Context, m *synth.Model, w, h int) (*Renderer, error) {
	if m == nil {
		return nil, errors.New("gpu: nil model")
	}
	p, err := newPlan(m, w, h)
	if err != nil {
		return nil, err
	}
	return start(ctx, p, m.Channel)
}

// start runs the GL thread for plan p; chanOf maps label ids to channels.
func start(ctx context.Context, p *plan, chanOf func(int) (int, bool)) (*Renderer, error) {
	w, h := p.w, p.h
	r := &Renderer{w: w, h: h, p: p, req: make(chan frame), reply: make(chan error, 1),
		quit: make(chan struct{}), done: make(chan struct{})}
	initErr := make(chan error, 1)
	go r.loop(ctx, chanOf, p, initErr)
	if err := <-initErr; err != nil {
		<-r.done
		return nil, err
	}
	return r, nil
}

// Info describes the GL implementation the renderer runs on.
func (r *Renderer) Info() string { return r.info }

// Size is the output size the renderer was made for.
func (r *Renderer) Size() (w, h int) { return r.w, r.h }

// loop is the GL thread: it owns the context from creation to destruction.
func (r *Renderer) loop(ctx context.Context, chanOf func(int) (int, bool), p *plan, initErr chan<- error) {
	defer close(r.done)
	runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
	g, err := openContext()
	if err != nil {
		initErr <- err
		return
	}
	s := &glState{g: g, p: p, progs: map[kernel]C.uint{}}
	defer s.release()
	if err := s.init(ctx, chanOf); err != nil {
		initErr <- err
		return
	}
	r.info = g.info
	initErr <- nil
	for {
		select {
		case <-r.quit:
			return
		case f := <-r.req:
			r.reply <- s.render(f)
		}
	}
}

func (s *glState) init(ctx context.Context, chanOf func(int) (int, bool)) error {
	p := s.p
	if limit := int(C.spw_get_int(glMaxSSBOSize)); limit > 0 && p.maxBytes > limit {
		return fmt.Errorf("%w: %s: a %d-byte buffer exceeds GL_MAX_SHADER_STORAGE_BLOCK_SIZE %d",
			ErrUnavailable, s.g.info, p.maxBytes, limit)
	}
	if mx := int(C.spw_get_int(glMaxWorkGroupCountX)); mx > 0 {
		for _, o := range p.ops {
			if int(o.groups[0]) > mx || int(o.groups[1]) > 65535 || int(o.groups[2]) > 65535 {
				return fmt.Errorf("%w: %s: dispatch of %v work groups exceeds the driver's limit", ErrUnavailable, s.g.info, o.groups)
			}
		}
	}
	for i, k := range p.kernels {
		if err := ctx.Err(); err != nil {
			return err
		}
		src, err := shaderSource(k)
		if err != nil {
			return err
		}
		if fault == faultCompile && i == len(p.kernels)-1 {
			src = strings.Replace(src, "void main() {", "void main() { injected syntax error", 1)
		}
		cs := C.CString(src)
		var log [4096]C.char
		prog := C.spw_program(cs, &log[0], C.int(len(log)))
		C.free(unsafe.Pointer(cs))
		if prog == 0 {
			return fmt.Errorf("%w: %s (%s): %s", ErrShader, k, s.g.info, strings.TrimSpace(C.GoString(&log[0])))
		}
		s.progs[k] = prog
	}
	s.bufs = make([]C.uint, len(p.bufs))
	for i, b := range p.bufs {
		if err := ctx.Err(); err != nil {
			return err
		}
		size := C.int64_t(4 * b.n)
		if fault == faultOOM && b.kind == bufScratch {
			size = 1 << 46 // more than any machine has: the driver's own GL_OUT_OF_MEMORY path
		}
		var data unsafe.Pointer
		if b.kind == bufConst {
			data = unsafe.Pointer(&b.data[0])
		}
		var glerr C.uint
		buf := C.spw_buffer(size, data, &glerr)
		if buf == 0 {
			if glerr == glOutOfMemory || fault == faultOOM {
				return fmt.Errorf("%w: %s: allocating %s (%d bytes)", ErrOutOfMemory, s.g.info, b.name, int64(size))
			}
			if glerr == glContextLost {
				return fmt.Errorf("%w: allocating %s", ErrContextLost, b.name)
			}
			return fmt.Errorf("%w: %s: allocating %s (%d bytes): GL error 0x%x", ErrDriver, s.g.info, b.name, int64(size), uint32(glerr))
		}
		s.bufs[i] = buf
	}
	if err := s.g.check("uploading weights"); err != nil {
		return err
	}
	s.cmds = (*C.spw_cmd)(C.calloc(C.size_t(len(p.ops)), C.size_t(unsafe.Sizeof(C.spw_cmd{}))))
	cmds := unsafe.Slice(s.cmds, len(p.ops))
	for i, o := range p.ops {
		c := &cmds[i]
		c.prog = s.progs[o.k]
		c.nbuf = C.int(len(o.bufs))
		for j, b := range o.bufs {
			c.buf[j] = s.bufs[b]
		}
		for j, v := range o.p {
			c.p[j] = C.int(v)
		}
		c.gx, c.gy, c.gz = C.uint(o.groups[0]), C.uint(o.groups[1]), C.uint(o.groups[2])
	}
	s.lm = newLabelMapper(p.w, p.h, chanOf, p.edges)
	s.rgba = make([]byte, 4*p.w*p.h)
	return nil
}

// shaderSource is a shader file with the version line, its defines and the
// parameter uniform in front.
func shaderSource(k kernel) (string, error) {
	body, err := shaderFS.ReadFile("shaders/" + k.file + ".glsl")
	if err != nil {
		return "", fmt.Errorf("gpu: %v", err)
	}
	var b strings.Builder
	b.WriteString("#version 430\n")
	fmt.Fprintf(&b, "#define KS %d\n#define SPADE %d\n", max(k.ks, 1), b2i(k.spade))
	b.WriteString("layout(location = 0) uniform int P[16];\n#line 1\n")
	b.Write(body)
	return b.String(), nil
}

func (s *glState) release() {
	for _, b := range s.bufs {
		if b != 0 {
			C.spw_delete_buffer(b)
		}
	}
	for _, p := range s.progs {
		C.spw_delete_program(p)
	}
	if s.cmds != nil {
		C.free(unsafe.Pointer(s.cmds))
	}
	s.g.close()
}

func (s *glState) render(f frame) error {
	if s.lost != nil {
		return s.lost
	}
	p := s.p
	if f.dst == nil || f.dst.Rect.Dx() != p.w || f.dst.Rect.Dy() != p.h {
		var got image.Rectangle
		if f.dst != nil {
			got = f.dst.Rect
		}
		return fmt.Errorf("gpu: destination is %v, renderer is %dx%d", got, p.w, p.h)
	}
	if f.dst.Stride < 4*p.w || len(f.dst.Pix) < (p.h-1)*f.dst.Stride+4*p.w {
		return fmt.Errorf("gpu: destination has %d pixel bytes with stride %d, %dx%d needs more", len(f.dst.Pix), f.dst.Stride, p.w, p.h)
	}
	if p.z >= 0 && len(f.z) != p.zdim {
		return fmt.Errorf("gpu: style vector has %d values, model wants z_dim %d", len(f.z), p.zdim)
	}
	if err := s.lm.mapLabels(f.labels); err != nil {
		return err
	}
	C.spw_upload(s.bufs[p.labels], 0, C.int64_t(4*len(s.lm.out)), unsafe.Pointer(&s.lm.out[0]))
	if p.z >= 0 {
		C.spw_upload(s.bufs[p.z], 0, C.int64_t(4*len(f.z)), unsafe.Pointer(&f.z[0]))
	}
	cmds := unsafe.Slice(s.cmds, len(p.ops))
	start := 0
	for si, st := range p.stages {
		// Cancellation is checked before every dispatch: on llvmpipe one
		// block can take seconds, and a stale frame should stop at once.
		for i := start; i < st.end; i++ {
			if err := f.ctx.Err(); err != nil {
				return err
			}
			if profile != nil {
				t0 := time.Now()
				C.spw_run(&cmds[i], 1)
				C.spw_finish()
				profile[p.ops[i].k.String()] += time.Since(t0)
			} else {
				C.spw_run(&cmds[i], 1)
			}
		}
		start = st.end
		if fault == faultLost && si == 1 {
			s.lost = fmt.Errorf("%w: injected reset after stage %s", ErrContextLost, st.name)
			return s.lost
		}
		if f.trace == st.name {
			n := st.c * st.h * st.w
			C.spw_download(s.bufs[st.out], 0, C.int64_t(4*n), unsafe.Pointer(&f.out[0]))
			return s.checkFrame()
		}
	}
	C.spw_run(&cmds[start], C.int(len(cmds)-start))
	dst := f.dst
	if dst.Stride == 4*p.w {
		C.spw_download(s.bufs[p.image], 0, C.int64_t(4*p.w*p.h), unsafe.Pointer(&dst.Pix[0]))
	} else {
		C.spw_download(s.bufs[p.image], 0, C.int64_t(len(s.rgba)), unsafe.Pointer(&s.rgba[0]))
		for y := 0; y < p.h; y++ {
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+4*p.w], s.rgba[y*4*p.w:])
		}
	}
	s.nframe++
	return s.checkFrame()
}

func (s *glState) checkFrame() error {
	if err := s.g.check("rendering"); err != nil {
		if errors.Is(err, ErrContextLost) {
			s.lost = err
		}
		return err
	}
	return nil
}

// Render draws labels with style z into dst, which must be the renderer's
// size. It has the signature of synth's CPU renderer: labels are dataset
// ids (resized nearest, as Pillow does, when not w×h), z is ignored by
// models without a VAE. It returns ctx.Err() between blocks once ctx is
// cancelled. An error wrapping ErrContextLost means the renderer is dead.
func (r *Renderer) Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error {
	return r.do(frame{ctx: ctx, labels: labels, z: z, dst: dst})
}

// traceStage renders up to the named stage ("fc", a block name or "out")
// and returns its float output [C][H][W]: the tests' window into the graph.
func (r *Renderer) traceStage(ctx context.Context, labels *image.Paletted, z []float32, name string) ([]float32, []int, error) {
	for _, st := range r.p.stages {
		if st.name == name {
			out := make([]float32, st.c*st.h*st.w)
			dst := image.NewRGBA(image.Rect(0, 0, r.w, r.h))
			err := r.do(frame{ctx: ctx, labels: labels, z: z, dst: dst, trace: name, out: out})
			return out, []int{st.c, st.h, st.w}, err
		}
	}
	return nil, nil, fmt.Errorf("gpu: no stage %q", name)
}

func (r *Renderer) do(f frame) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if f.ctx == nil {
		f.ctx = context.Background()
	}
	r.req <- f
	return <-r.reply
}

// Close releases the context and every GPU buffer. It is safe to call more
// than once; Render after Close returns ErrClosed.
func (r *Renderer) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	close(r.quit)
	<-r.done
}
