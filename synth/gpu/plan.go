package gpu

import (
	"fmt"
	"math"

	"spadework/synth"
)

// kernel names a compute program variant: a shader file and its defines.
type kernel struct {
	file  string // shaders/<file>.glsl
	ks    int    // KS define (conv, gather); 0 when unused
	spade bool   // SPADE define (conv)
}

func (k kernel) String() string {
	s := k.file
	if k.ks > 0 {
		s += fmt.Sprintf(" %dx%d", k.ks, k.ks)
	}
	if k.spade {
		s += " spade"
	}
	return s
}

// Work-group geometry shared with the shaders (conv.glsl, gather.glsl, ...).
const (
	convLocal   = 64 // invocations per conv work group
	convPX      = 4  // pixels along x per conv invocation (PX)
	convOCB     = 8  // output channels per conv invocation
	gatherLocal = 64
	gatherHB    = 16
	flatLocal   = 256
)

// bufKind tells the backend how to fill a buffer.
type bufKind int

const (
	bufConst   bufKind = iota // weights: data uploaded once
	bufScratch                // activations: written by kernels
	bufLabels                 // per frame: channel | edge<<16 per output pixel
	bufZ                      // per frame: the style vector
	bufImage                  // the packed RGBA output read back each frame
)

// buffer is one storage buffer of the plan.
type buffer struct {
	name string
	kind bufKind
	n    int       // 4-byte elements
	data []float32 // bufConst: contents (float32 or int32 bits)
}

// op is one dispatch.
type op struct {
	k      kernel
	bufs   []int // plan buffer index bound at binding point i; -1: unused
	p      [16]int32
	groups [3]uint32
}

// stage ends after a block; Render checks for cancellation between stages
// and tests read a stage's output buffer to compare with the reference trace.
type stage struct {
	name    string
	end     int // ops[:end] produce it
	out     int // buffer holding the stage's output
	c, h, w int
}

// plan is the whole generator pass at one output size, as buffers and
// dispatches. It is built once by New; Render only replays it.
type plan struct {
	w, h     int
	bufs     []buffer
	ops      []op
	stages   []stage
	kernels  []kernel // distinct kernels, in first-use order
	labels   int      // index of the labels buffer
	z        int      // index of the z buffer, -1 without VAE
	image    int      // index of the RGBA buffer
	float    int      // index of the tanh output [3][h][w]
	edges    bool     // the labels buffer must carry instance edges
	zdim     int
	maxBytes int // largest buffer, checked against the driver's limit
}

func (p *plan) add(b buffer) int {
	p.bufs = append(p.bufs, b)
	if b.n*4 > p.maxBytes {
		p.maxBytes = b.n * 4
	}
	return len(p.bufs) - 1
}

func (p *plan) konst(name string, data []float32) int {
	if len(data) == 0 {
		data = []float32{0}
	}
	return p.add(buffer{name: name, kind: bufConst, n: len(data), data: data})
}

func (p *plan) emit(o op) {
	for _, k := range p.kernels {
		if k == o.k {
			p.ops = append(p.ops, o)
			return
		}
	}
	p.kernels = append(p.kernels, o.k)
	p.ops = append(p.ops, o)
}

func ceilDiv(a, b int) uint32 { return uint32((a + b - 1) / b) }

// nearestIndex is F.interpolate(mode='nearest') as torch 1.13 computes it:
// the scale in float32, the source index floored and clamped.
func nearestIndex(dst, in, out int) int {
	switch {
	case in == out:
		return dst
	case out == 2*in:
		return dst >> 1
	}
	scale := float32(in) / float32(out)
	return min(int(math.Floor(float64(float32(dst)*scale))), in-1)
}

// gatherTable lays a conv weight [Cout][Cin][K][K] out as [Cin][K*K][Cout]:
// the column one one-hot channel and tap contribute is contiguous.
func gatherTable(c *synth.Conv) []float32 {
	kk := c.K * c.K
	g := make([]float32, len(c.Weight))
	for o := 0; o < c.Cout; o++ {
		for i := 0; i < c.Cin; i++ {
			for t := 0; t < kk; t++ {
				g[(i*kk+t)*c.Cout+o] = c.Weight[(o*c.Cin+i)*kk+t]
			}
		}
	}
	return g
}

// convTable lays a conv weight [Cout][Cin][K][K] out as [Cin][K*K][C8],
// C8 = Cout rounded up to 8 and zero padded: the order conv.glsl reads, two
// vec4s of output channels per input channel and tap.
func convTable(wt []float32, cin, cout, k int) []float32 {
	kk := k * k
	c8 := (cout + 7) / 8 * 8
	g := make([]float32, cin*kk*c8)
	for o := 0; o < cout; o++ {
		for i := 0; i < cin; i++ {
			for t := 0; t < kk; t++ {
				g[(i*kk+t)*c8+o] = wt[(o*cin+i)*kk+t]
			}
		}
	}
	return g
}

func convGroups(h, w, cout int) [3]uint32 {
	return [3]uint32{ceilDiv(h*int(ceilDiv(w, convPX)), convLocal), ceilDiv(cout, convOCB), 1}
}

// batchStats folds batch-norm running statistics into (mean, 1/sqrt(var+eps))
// pairs, the layout the conv kernel's SPADE epilogue reads.
func batchStats(s *synth.SPADE) []float32 {
	st := make([]float32, 2*s.C)
	for c := 0; c < s.C; c++ {
		st[2*c] = s.RunningMean[c]
		st[2*c+1] = float32(1 / math.Sqrt(float64(s.RunningVar[c])+1e-5))
	}
	return st
}

// blockUp reports whether a ×2 upsampling precedes the named block, as in
// SPADEGenerator.forward.
func blockUp(name string, cfg synth.Config) bool {
	switch name {
	case "head_0":
		return false
	case "G_middle_1":
		return cfg.NumUpsamplingLayers != "normal"
	}
	return true
}

// newPlan builds the generator pass of m at w×h. w and h must be the first
// feature map's size times 2^upsamplings; with a VAE the first feature map
// is fixed by the fc layer, so only the native size is possible.
func newPlan(m *synth.Model, w, h int) (*plan, error) {
	cfg := m.Config()
	g := m.G
	if g == nil || len(g.Blocks) == 0 {
		return nil, fmt.Errorf("gpu: model %s has no generator", m.ID())
	}
	n := cfg.Upsamplings()
	if w <= 0 || h <= 0 || w%(1<<n) != 0 || h%(1<<n) != 0 {
		return nil, fmt.Errorf("gpu: output size %dx%d: model %s needs multiples of %d", w, h, m.ID(), 1<<n)
	}
	sw, sh := w>>n, h>>n
	if cfg.UseVAE {
		nw, nh := m.Size()
		if w != nw || h != nh {
			return nil, fmt.Errorf("gpu: output size %dx%d: model %s has a VAE fc layer and renders only at %dx%d", w, h, m.ID(), nw, nh)
		}
	}
	if _, _, err := spadeKS(cfg.NormG); err != nil {
		return nil, err
	}
	p := &plan{w: w, h: h, z: -1, zdim: cfg.ZDim, edges: !cfg.NoInstance}
	edgeCh := int32(-1)
	if !cfg.NoInstance {
		edgeCh = int32(cfg.SemanticNC() - 1)
	}

	// Nearest index tables for every level: rows then columns.
	var idx []float32
	type tables struct{ ro, co int32 }
	levelTab := map[[2]int]tables{}
	table := func(lh, lw int) tables {
		if t, ok := levelTab[[2]int{lh, lw}]; ok {
			return t
		}
		t := tables{ro: int32(len(idx)), co: int32(len(idx) + lh)}
		for y := 0; y < lh; y++ {
			idx = append(idx, math.Float32frombits(uint32(nearestIndex(y, h, lh))))
		}
		for x := 0; x < lw; x++ {
			idx = append(idx, math.Float32frombits(uint32(nearestIndex(x, w, lw))))
		}
		levelTab[[2]int{lh, lw}] = t
		return t
	}
	for l := 0; l <= n; l++ {
		table(sh<<l, sw<<l)
	}
	// Scratch sizes: the largest C*H*W any block sees.
	maxAct, maxC, maxHid := 16*cfg.NGF*sw*sh, 16*cfg.NGF, 0
	level := 0
	for _, b := range g.Blocks {
		if blockUp(b.Name, cfg) {
			level++
		}
		hw := (sw << level) * (sh << level)
		maxAct = max(maxAct, b.Fin*hw, b.Fout*hw)
		maxC = max(maxC, b.Fin, b.Fout)
		maxHid = max(maxHid, b.Norm0.Shared.Cout*hw)
	}
	if level != n {
		return nil, fmt.Errorf("gpu: model %s: %d upsamplings in the blocks, config says %d", m.ID(), level, n)
	}
	p.labels = p.add(buffer{name: "labels", kind: bufLabels, n: w * h})
	idxBuf := p.konst("nearest tables", idx)
	A := p.add(buffer{name: "x", kind: bufScratch, n: maxAct})
	B := p.add(buffer{name: "y", kind: bufScratch, n: maxAct})
	T := p.add(buffer{name: "modulated", kind: bufScratch, n: maxAct})
	D := p.add(buffer{name: "dx", kind: bufScratch, n: maxAct})
	XS := p.add(buffer{name: "shortcut", kind: bufScratch, n: maxAct})
	ACT := p.add(buffer{name: "actv", kind: bufScratch, n: max(maxHid, 1)})
	ST := p.add(buffer{name: "instance stats", kind: bufScratch, n: 2 * maxC})
	p.float = p.add(buffer{name: "tanh", kind: bufScratch, n: 3 * w * h})
	p.image = p.add(buffer{name: "rgba", kind: bufImage, n: w * h})
	dummy := p.konst("unused", nil)

	bind := func(bs ...int) []int {
		out := make([]int, 8)
		for i := range out {
			out[i] = dummy
		}
		copy(out, bs)
		return out
	}
	gather := func(c *synth.Conv, name string, out, lh, lw int, relu bool) {
		t := table(lh, lw)
		wt := p.konst(name+".weight (gather)", gatherTable(c))
		bias := p.konst(name+".bias", c.Bias)
		o := op{k: kernel{file: "gather", ks: c.K}, bufs: bind(p.labels, idxBuf, wt, bias, out)}
		o.p = [16]int32{int32(lh), int32(lw), int32(c.Cout), int32(w), t.ro, t.co, b2i(relu), edgeCh}
		o.groups = [3]uint32{ceilDiv(lh*lw, gatherLocal), ceilDiv(c.Cout, gatherHB), 1}
		p.emit(o)
	}
	const (
		actNone = iota
		actRelu
		actLrelu
		actTanh
	)
	conv := func(c *synth.Conv, in, out, res, lh, lw int, act int32, inLrelu bool) {
		wt := p.konst(c.Name+".weight", convTable(c.Weight, c.Cin, c.Cout, c.K))
		bias := dummy
		if c.Bias != nil {
			bias = p.konst(c.Name+".bias", c.Bias)
		}
		aux := dummy
		if res >= 0 {
			aux = res
		}
		o := op{k: kernel{file: "conv", ks: c.K}, bufs: bind(in, wt, bias, out, aux)}
		o.p = [16]int32{int32(c.Cin), int32(c.Cout), int32(lh), int32(lw), b2i(c.Bias != nil), b2i(res >= 0), act, b2i(inLrelu)}
		o.groups = convGroups(lh, lw, c.Cout)
		p.emit(o)
	}
	stats := func(x, c, lh, lw int) {
		o := op{k: kernel{file: "stats"}, bufs: bind(x, ST)}
		o.p[0] = int32(lh * lw)
		o.groups = [3]uint32{uint32(c), 1, 1}
		p.emit(o)
	}
	// spade emits mlp_shared (gather) and the fused gamma/beta conv with the
	// norm and modulation epilogue: out = act(norm(x)·(1+γ)+β).
	spade := func(s *synth.SPADE, x, out, lh, lw int, act int32) {
		gather(&s.Shared, s.Shared.Name, ACT, lh, lw, true)
		stBuf := ST
		if !s.Instance {
			stBuf = p.konst(s.Name+".param_free_norm (folded)", batchStats(s))
		}
		wa := p.konst(s.Gamma.Name+".weight", convTable(s.Gamma.Weight, s.Gamma.Cin, s.C, s.Gamma.K))
		ba := p.konst(s.Gamma.Name+".bias", s.Gamma.Bias)
		wb := p.konst(s.Beta.Name+".weight", convTable(s.Beta.Weight, s.Beta.Cin, s.C, s.Beta.K))
		bb := p.konst(s.Beta.Name+".bias", s.Beta.Bias)
		o := op{k: kernel{file: "conv", ks: s.Gamma.K, spade: true}, bufs: bind(ACT, wa, ba, out, x, wb, bb, stBuf)}
		o.p = [16]int32{int32(s.Gamma.Cin), int32(s.C), int32(lh), int32(lw), 1, 0, act, 0}
		o.groups = convGroups(lh, lw, s.C)
		p.emit(o)
	}
	up := func(in, out, c, lh, lw int) {
		o := op{k: kernel{file: "up"}, bufs: bind(in, out)}
		o.p = [16]int32{int32(c), int32(lh), int32(lw)}
		o.groups = [3]uint32{ceilDiv(4*c*lh*lw, flatLocal), 1, 1}
		p.emit(o)
	}

	// fc → A at (sh, sw).
	c0 := 16 * cfg.NGF
	if g.FCLinear != nil {
		l := g.FCLinear
		p.z = p.add(buffer{name: "z", kind: bufZ, n: l.In})
		wt := p.konst(l.Name+".weight", l.Weight)
		bias := p.konst(l.Name+".bias", l.Bias)
		o := op{k: kernel{file: "linear"}, bufs: bind(p.z, wt, bias, A)}
		o.p = [16]int32{int32(l.Out), int32(l.In)}
		o.groups = [3]uint32{ceilDiv(l.Out, gatherLocal), 1, 1}
		p.emit(o)
	} else if g.FCConv != nil {
		gather(g.FCConv, g.FCConv.Name, A, sh, sw, false)
	} else {
		return nil, fmt.Errorf("gpu: model %s has no fc layer", m.ID())
	}
	p.stages = append(p.stages, stage{name: "fc", end: len(p.ops), out: A, c: c0, h: sh, w: sw})

	x := A
	cur := c0
	level = 0
	for _, b := range g.Blocks {
		if blockUp(b.Name, cfg) {
			other := B
			if x == B {
				other = A
			}
			up(x, other, cur, sh<<level, sw<<level)
			x = other
			level++
		}
		lh, lw := sh<<level, sw<<level
		y := B
		if x == B {
			y = A
		}
		inst := b.Norm0.Instance
		if inst {
			stats(x, b.Fin, lh, lw)
		}
		res := x
		if b.ConvS != nil {
			spade(b.NormS, x, T, lh, lw, actNone)
			conv(b.ConvS, T, XS, -1, lh, lw, actNone, false)
			res = XS
		}
		spade(&b.Norm0, x, T, lh, lw, actLrelu)
		conv(&b.Conv0, T, D, -1, lh, lw, actNone, false)
		if inst {
			stats(D, b.Fmid, lh, lw)
		}
		spade(&b.Norm1, D, T, lh, lw, actLrelu)
		conv(&b.Conv1, T, y, res, lh, lw, actNone, false)
		x, cur = y, b.Fout
		p.stages = append(p.stages, stage{name: b.Name, end: len(p.ops), out: y, c: cur, h: lh, w: lw})
	}
	conv(&g.ConvImg, x, p.float, -1, h, w, actTanh, true)
	p.stages = append(p.stages, stage{name: "out", end: len(p.ops), out: p.float, c: 3, h: h, w: w})
	o := op{k: kernel{file: "pack"}, bufs: bind(p.float, p.image)}
	o.p[0] = int32(w * h)
	o.groups = [3]uint32{ceilDiv(w*h, flatLocal), 1, 1}
	p.emit(o)
	return p, nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// spadeKS reads the param-free norm kind and SPADE kernel size from norm_G.
func spadeKS(normG string) (instance bool, ks int, err error) {
	var kind string
	s := normG
	if len(s) > 8 && s[:8] == "spectral" {
		s = s[8:]
	}
	for _, k := range []string{"syncbatch", "batch", "instance"} {
		pre := "spade" + k
		if len(s) == len(pre)+3 && s[:len(pre)] == pre && s[len(pre)+1] == 'x' {
			kind = k
			ks = int(s[len(pre)] - '0')
		}
	}
	if kind == "" || ks < 1 || ks%2 == 0 {
		return false, 0, fmt.Errorf("gpu: norm_G %q is not (spectral)spade(batch|syncbatch|instance)KxK", normG)
	}
	return kind == "instance", ks, nil
}
