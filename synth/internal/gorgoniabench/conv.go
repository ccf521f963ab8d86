// Package gorgoniabench compares one 3×3 same-padded convolution forward
// pass in gorgonia.org/gorgonia (im2col + gonum Sgemm + transpose, NCHW)
// with spadework's own (channels-last im2col + packed AVX2 GEMM from
// synth/internal/gemm, the two paths synth's renderer uses). It is a
// separate module so that the main module never depends on gorgonia; see
// README.md for the command and the numbers.
package gorgoniabench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"

	G "gorgonia.org/gorgonia"
	nnops "gorgonia.org/gorgonia/ops/nn"
	"gorgonia.org/tensor"

	"spadework/synth/internal/gemm"
)

// Shape is one K×K (3 or 1), stride 1, same-padded convolution without
// bias on a cin×h×w map.
type Shape struct {
	Cin, Cout, H, W, K int
}

func (s Shape) String() string {
	return fmt.Sprintf("%d-%d_%dx%d", s.Cin, s.Cout, s.H, s.W)
}

// MACs is the shape's multiply-accumulate count.
func (s Shape) MACs() int64 { return int64(s.H*s.W) * int64(s.K*s.K*s.Cin) * int64(s.Cout) }

// Shapes are layers of the default model (ngf 16, 256×256): the deep
// low-resolution blocks, a 128×128 up block and the last 256×256 block.
var Shapes = []Shape{
	{256, 256, 16, 16, 3},
	{64, 32, 128, 128, 3},
	{32, 16, 256, 256, 3},
}

// Data is one shape's input x (NCHW, 1×cin×h×w) and weight (cout×cin×K×K,
// PyTorch's layout), uniform in [-1, 1) and scaled by 1/sqrt(K·K·cin).
type Data struct {
	Shape
	X, Weight []float32
}

// NewData returns deterministic data for s.
func NewData(s Shape, seed uint64) *Data {
	rng := rand.New(rand.NewPCG(seed, uint64(s.Cin*s.Cout*s.H)))
	d := &Data{Shape: s, X: make([]float32, s.Cin*s.H*s.W), Weight: make([]float32, s.Cout*s.Cin*s.K*s.K)}
	for i := range d.X {
		d.X[i] = 2*rng.Float32() - 1
	}
	scale := float32(1 / (float64(s.K) * math.Sqrt(float64(s.Cin))))
	for i := range d.Weight {
		d.Weight[i] = (2*rng.Float32() - 1) * scale
	}
	return d
}

// Reference is the convolution in float64, NCHW out (cout×h×w).
func Reference(d *Data) []float64 {
	s := d.Shape
	out := make([]float64, s.Cout*s.H*s.W)
	k, pad := s.K, s.K/2
	for co := 0; co < s.Cout; co++ {
		o := out[co*s.H*s.W : (co+1)*s.H*s.W]
		for ci := 0; ci < s.Cin; ci++ {
			x := d.X[ci*s.H*s.W : (ci+1)*s.H*s.W]
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					w := float64(d.Weight[((co*s.Cin+ci)*k+ky)*k+kx])
					for y := 0; y < s.H; y++ {
						iy := y + ky - pad
						if iy < 0 || iy >= s.H {
							continue
						}
						for xx := 0; xx < s.W; xx++ {
							ix := xx + kx - pad
							if ix < 0 || ix >= s.W {
								continue
							}
							o[y*s.W+xx] += w * float64(x[iy*s.W+ix])
						}
					}
				}
			}
		}
	}
	return out
}

// Gorgonia is the convolution as a gorgonia graph (nnops.Conv2d, which
// without the cuda tag is gorgonia.Conv2d) on a tape machine, built once.
type Gorgonia struct {
	out *G.Node
	vm  G.VM
}

// NewGorgonia builds the graph over copies of d's input and weight.
func NewGorgonia(d *Data) (*Gorgonia, error) {
	s := d.Shape
	g := G.NewGraph()
	k, pad := s.K, s.K/2
	xt := tensor.New(tensor.WithShape(1, s.Cin, s.H, s.W), tensor.WithBacking(append([]float32(nil), d.X...)))
	wt := tensor.New(tensor.WithShape(s.Cout, s.Cin, k, k), tensor.WithBacking(append([]float32(nil), d.Weight...)))
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, s.Cin, s.H, s.W), G.WithName("x"), G.WithValue(xt))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(s.Cout, s.Cin, k, k), G.WithName("w"), G.WithValue(wt))
	out, err := nnops.Conv2d(x, w, tensor.Shape{k, k}, []int{pad, pad}, []int{1, 1}, []int{1, 1})
	if err != nil {
		return nil, err
	}
	return &Gorgonia{out: out, vm: G.NewTapeMachine(g)}, nil
}

// Run does one forward pass.
func (m *Gorgonia) Run() error {
	defer m.vm.Reset()
	return m.vm.RunAll()
}

// Output returns the last pass's output, NCHW (1×cout×h×w), as a new slice.
func (m *Gorgonia) Output() ([]float32, error) {
	t, ok := m.out.Value().(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("output is %T", m.out.Value())
	}
	if v, ok := t.(tensor.View); ok && v.IsMaterializable() {
		t = v.Materialize()
	}
	return append([]float32(nil), t.Data().([]float32)...), nil
}

// Close releases the tape machine.
func (m *Gorgonia) Close() error { return m.vm.Close() }

// Ours is the convolution as synth's renderer runs it: channels-last maps,
// weights packed once, tiles claimed by the pool's threads from an atomic
// counter. Implicit reads the zero-padded input in place, three GEMMs per
// output row (the renderer's path for 3×3 convs on maps at least 32 wide);
// otherwise each tile of pixels is copied into an im2col buffer and
// multiplied by the packed (9·cin)×cout weights (its path on narrower
// maps). A 1×1 conv multiplies the input in place.
type Ours struct {
	Shape
	Implicit bool
	pool     *gemm.Pool
	pb       *gemm.PackedB
	rows     [3]*gemm.PackedB
	in       []float32 // HWC, or (h+2)×(w+2)×cin zero-padded when Implicit
	Out      []float32 // HWC, h×w×cout
	cols     [][]float32
	tileRows int
	nb, nbs  int
	ntiles   int
	next     atomic.Int64
	work     func(lo, hi int)
}

// Tile sizes as in synth's renderer (render.go).
const (
	colsTarget  = 1 << 18
	minTileRows = 32
	maxTileRows = 256
)

// NewOurs packs d's weight and lays out d's input for pool. implicit is
// ignored for 1×1 convs.
func NewOurs(d *Data, pool *gemm.Pool, implicit bool) *Ours {
	s := d.Shape
	implicit = implicit && s.K == 3
	o := &Ours{Shape: s, Implicit: implicit, pool: pool, Out: make([]float32, s.H*s.W*s.Cout)}
	// wt rows are (ky, kx, cin), columns cout, as in synth's Conv.
	kk := s.K * s.K
	K := kk * s.Cin
	wt := make([]float32, K*s.Cout)
	for co := 0; co < s.Cout; co++ {
		for ci := 0; ci < s.Cin; ci++ {
			for k := 0; k < kk; k++ {
				wt[(k*s.Cin+ci)*s.Cout+co] = d.Weight[(co*s.Cin+ci)*kk+k]
			}
		}
	}
	threads := pool.Threads()
	if implicit {
		for ky := range o.rows {
			o.rows[ky] = gemm.PackB(3*s.Cin, s.Cout, wt[ky*3*s.Cin*s.Cout:], s.Cout)
		}
		o.in = make([]float32, (s.H+2)*(s.W+2)*s.Cin)
		o.tileRows = s.W
		o.nb, o.nbs = colBlocks(s.H, s.Cout, threads)
		o.ntiles = s.H * o.nb
	} else {
		o.pb = gemm.PackB(K, s.Cout, wt, s.Cout)
		o.in = make([]float32, s.H*s.W*s.Cin)
		npix := s.H * s.W
		o.tileRows = max(minTileRows, min(maxTileRows, colsTarget/K, (npix+threads-1)/threads))
		ptiles := (npix + o.tileRows - 1) / o.tileRows
		o.nb, o.nbs = colBlocks(ptiles, s.Cout, threads)
		o.ntiles = ptiles * o.nb
		if s.K != 1 {
			o.cols = make([][]float32, threads)
			for i := range o.cols {
				o.cols[i] = make([]float32, o.tileRows*K)
			}
		}
	}
	o.SetInput(d.X)
	o.work = o.worker
	return o
}

// colBlocks is the renderer's split of cout into column blocks (multiples
// of the panel width) so that there are at least 4 tiles per thread.
func colBlocks(ptiles, cout, threads int) (nb, nbs int) {
	nb = 1
	for ptiles*nb < 4*threads && cout/(nb*2) >= 16 {
		nb *= 2
	}
	nbs = ((cout+nb-1)/nb + gemm.PanelWidth - 1) &^ (gemm.PanelWidth - 1)
	return (cout + nbs - 1) / nbs, nbs
}

// SetInput converts an NCHW input into o's channels-last layout. The
// renderer's producers write that layout directly, so Run excludes it.
func (o *Ours) SetInput(x []float32) {
	s := o.Shape
	pad, wp := 0, s.W
	if o.Implicit {
		pad, wp = 1, s.W+2
	}
	for c := 0; c < s.Cin; c++ {
		for y := 0; y < s.H; y++ {
			src := x[(c*s.H+y)*s.W : (c*s.H+y+1)*s.W]
			dst := o.in[((y+pad)*wp+pad)*s.Cin+c:]
			for xx, v := range src {
				dst[xx*s.Cin] = v
			}
		}
	}
}

// OutputNCHW returns the last pass's output transposed to NCHW.
func (o *Ours) OutputNCHW() []float32 {
	s := o.Shape
	out := make([]float32, len(o.Out))
	for p := 0; p < s.H*s.W; p++ {
		for c := 0; c < s.Cout; c++ {
			out[c*s.H*s.W+p] = o.Out[p*s.Cout+c]
		}
	}
	return out
}

// Run does one forward pass on the pool's threads.
func (o *Ours) Run() {
	o.next.Store(0)
	o.pool.For(min(o.pool.Threads(), o.ntiles), o.work)
}

func (o *Ours) worker(lo, hi int) {
	for w := lo; w < hi; w++ {
		for {
			t := int(o.next.Add(1) - 1)
			if t >= o.ntiles {
				break
			}
			if o.Implicit {
				o.rowTile(t)
			} else {
				o.colsTile(w, t)
			}
		}
	}
}

// rowTile is one output row × column block: three GEMMs whose A rows are
// the padded input's pixels (3·cin values, overlapping by 2·cin) in place.
func (o *Ours) rowTile(t int) {
	y, bt := t/o.nb, t%o.nb
	n0 := bt * o.nbs
	n1 := min(n0+o.nbs, o.Cout)
	m := o.W
	out := o.Out[y*m*o.Cout:]
	for i := 0; i < m; i++ {
		clear(out[i*o.Cout+n0 : i*o.Cout+n1])
	}
	wp := (o.W + 2) * o.Cin
	for ky, pb := range o.rows {
		if yy := y + ky; yy > 0 && yy <= o.H { // padded rows 0 and h+1 are zero
			gemm.SgemmPacked(m, o.in[yy*wp:(yy+1)*wp], o.Cin, pb, n0, n1, out[n0:], o.Cout, true)
		}
	}
}

// colsTile is one run of pixels × column block: im2col (not for 1×1),
// then one GEMM.
func (o *Ours) colsTile(w, t int) {
	pt, bt := t/o.nb, t%o.nb
	p0 := pt * o.tileRows
	p1 := min(p0+o.tileRows, o.H*o.W)
	n0 := bt * o.nbs
	n1 := min(n0+o.nbs, o.Cout)
	K := o.K * o.K * o.Cin
	var a []float32
	if o.K == 1 {
		a = o.in[p0*K : p1*K]
	} else {
		a = o.cols[w][:(p1-p0)*K]
		o.im2col(a, p0, p1)
	}
	gemm.SgemmPacked(p1-p0, a, K, o.pb, n0, n1, o.Out[p0*o.Cout+n0:], o.Cout, false)
}

// im2col writes pixels p0..p1's 3×3 patches as rows (ky, kx, cin), zeros
// outside the map.
func (o *Ours) im2col(dst []float32, p0, p1 int) {
	cin := o.Cin
	K := 9 * cin
	for p := p0; p < p1; p++ {
		oy, ox := p/o.W, p%o.W
		row := dst[(p-p0)*K : (p-p0+1)*K]
		for ky := 0; ky < 3; ky++ {
			seg := row[ky*3*cin : (ky+1)*3*cin]
			iy := oy + ky - 1
			if iy < 0 || iy >= o.H {
				clear(seg)
				continue
			}
			src := o.in[iy*o.W*cin:]
			if ox >= 1 && ox+2 <= o.W {
				copy(seg, src[(ox-1)*cin:(ox+2)*cin])
				continue
			}
			for kx := 0; kx < 3; kx++ {
				ix := ox + kx - 1
				d := seg[kx*cin : (kx+1)*cin]
				if ix < 0 || ix >= o.W {
					clear(d)
				} else {
					copy(d, src[ix*cin:(ix+1)*cin])
				}
			}
		}
	}
}
