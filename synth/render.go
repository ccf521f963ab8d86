package synth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"

	"spadework/synth/internal/gemm"
)

// Feature maps are channels-last (HWC): a pixel's channels are contiguous,
// so im2col copies whole channel vectors, the SPADE modulation of a pixel
// reads one γ|β row, and the band path can compute γ|β for a list of
// pixels as the rows of one GEMM.

// level is one resolution of the generator with the label map at that size
// and the band/interior split of its pixels.
type level struct {
	w, h int
	ch   []int32 // input channel per pixel
	edge []bool  // instance-edge flag per pixel (nil without the edge channel)
	// idx is, per pixel, the row of the band γ|β buffer (>= 0), or
	// -(class+1) where the pixel's neighbourhood is one class and γ|β are
	// that class's constants.
	idx  []int32
	band []int32 // pixels needing dense γ|β, in raster order
	act  []int32 // pixels needing mlp_shared activations (band dilated by k/2)
	srcX []int32 // nearest source column in the full-size map
	srcY []int32
	key  []int32 // channel, or -1 on instance edges
	// border: pixels near the map's edge whose clipped window is one class
	// also take constants (per class and position), for up to
	// maxBorderClasses classes per frame: blist lists them, bslot maps a
	// class to its place in blist (-1: none).
	border bool
	bslot  []int32
	blist  []int32
	uniR   []int32 // key where the (4r+1)² window is uniform, else -1
	uniK   []int32 // key where the (2r+1)² window is uniform, else -1
	tmpA   []int32
	tmpB   []int32
	mark   []bool
}

// TraceFunc receives an intermediate feature map in CHW order (a copy).
type TraceFunc func(name string, c, h, w int, chw []float32)

// SegMap is the generator's semantic input in compact form: the input
// channel of each pixel (a one-hot map) and, for models with the
// instance-edge channel, the edge flags (nil: derived from Channel).
type SegMap struct {
	W, H    int
	Channel []int32
	Edge    []bool
}

// Renderer runs one model at one output size. It owns its buffers; calls
// to Render, Forward and EncodeStyle from several goroutines are serialised
// (a photo encoded from the UI waits for the frame in flight), so use one
// Renderer per goroutine for parallel frames.
type Renderer struct {
	mu      sync.Mutex
	m       *Model
	w, h    int
	pool    *gemm.Pool
	ownPool bool
	threads int
	levels  []level
	lw, lh  int
	ids     []uint8
	x, y    []float32 // block input/output, swapped by upsampling
	t, d, s []float32 // modulated input, conv_0 output, learned shortcut
	actv    []float32 // mlp_shared activations [HW, nhidden]
	gbuf    []float32 // γ|β rows [band pixels, 2C]
	cls     []float32 // per-class modulation A|B [class][2C] for this frame
	scale   []float32
	shift   []float32
	cols    [][]float32 // im2col scratch per worker
	part    [][]float64 // per-worker partial sums
	// gatherRows[worker] holds one pixel's weight-row pointers in gather.
	gatherRows [][]*float32
	onehot     []float32 // dense path only, allocated on first use
	colsSize   int

	// Job dispatch: the parameters live here and the functions are method
	// values made once, so a frame allocates nothing.
	job        func(worker, tile int)
	ntiles     int64
	next       atomic.Int64
	workFn     func(lo, hi int)
	convFn     func(int, int)
	convRowFn  func(int, int)
	gathFn     func(int, int)
	modFn      func(int, int)
	statFn     func(int, int)
	upFn       func(int, int)
	leakyFn    func(int, int)
	leakyPadFn func(int, int)
	fcFn       func(int, int)
	imgFn      func(int, int)
	levelFn    func(int, int)
	dense      bool
	// unpacked multiplies by unpacked weights with Sgemm instead of the
	// packed ones: the second opinion of tests (it allocates per layer).
	unpacked bool
	// prevIDs is the id map the levels were last prepared from by Render.
	prevIDs  []uint8
	levelsOK bool
	done     <-chan struct{} // the current frame's ctx.Done()
	// The VAE fc output depends on z alone: it is kept for the next frame,
	// which usually has the same style.
	fcZ     []float32
	fcOut   []float32
	fcValid bool
	cj      convJob
	gj      gatherJob
	mj      modJob
	sj      statJob
	uj      upJob
	fj      fcJob
	ij      imgJob

	enc *encState
	// borderTab[spade][class] is γ|β per border position class, computed on
	// first use (weights never change, so once per renderer).
	borderTab [][][]float32
	macs      int64 // multiply-accumulates of the last frame
}

// LastMACs is the number of multiply-accumulates the last frame's
// convolutions and linear layers performed (the band path skips most of
// the SPADE convolutions; compare with Model.MACs).
func (r *Renderer) LastMACs() int64 { return r.macs }

// NewRenderer prepares a renderer for m at w×h using threads goroutines
// (threads < 1 means runtime.GOMAXPROCS(0)). The size must be the model's native size or, for
// models without VAE, any multiple of 2^Upsamplings() with the native
// aspect ratio. With VAE the fc layer produces a fixed sh×sw first feature
// map, so only the native size is valid.
func NewRenderer(m *Model, w, h, threads int) (*Renderer, error) {
	if threads < 1 {
		threads = runtime.GOMAXPROCS(0)
	}
	r := &Renderer{m: m, w: w, h: h, threads: threads, pool: gemm.NewPool(threads), ownPool: true}
	if err := r.init(); err != nil {
		r.pool.Close()
		return nil, err
	}
	return r, nil
}

func (r *Renderer) init() error {
	m := r.m
	cfg := m.cfg
	w, h := r.w, r.h
	nw, nh := m.Size()
	n := cfg.Upsamplings()
	if w != nw || h != nh {
		if cfg.UseVAE {
			return fmt.Errorf("synth: model %s uses a VAE, whose fc layer fixes the size: it renders only %dx%d, not %dx%d", m.ID(), nw, nh, w, h)
		}
		if w <= 0 || h <= 0 || w%(1<<n) != 0 || h%(1<<n) != 0 || w*nh != h*nw || w > 8192 || h > 8192 {
			return fmt.Errorf("synth: model %s cannot render %dx%d: the size must be %dx%d or a multiple of %d with the same aspect ratio", m.ID(), w, h, nw, nh, 1<<n)
		}
	}
	r.lw, r.lh = w>>n, h>>n
	edges := !cfg.NoInstance
	r.levels = make([]level, n+1)
	for l := range r.levels {
		lv := &r.levels[l]
		lv.w, lv.h = r.lw<<l, r.lh<<l
		np := lv.w * lv.h
		lv.ch = make([]int32, np)
		if edges {
			lv.edge = make([]bool, np)
		}
		lv.idx = make([]int32, np)
		lv.band = make([]int32, 0, np)
		lv.act = make([]int32, 0, np)
		lv.key = make([]int32, np)
		// Border position classes pay off where the border ring is a
		// noticeable part of the band and the map is larger than the
		// (4r+1)² pattern they are computed on.
		lv.border = lv.w >= borderMinSize && lv.h >= borderMinSize && lv.w >= 2*(m.ks-1)+1 && lv.h >= 2*(m.ks-1)+1
		lv.bslot = make([]int32, cfg.labelChannels())
		for i := range lv.bslot {
			lv.bslot[i] = -1
		}
		lv.blist = make([]int32, 0, maxBorderClasses)
		lv.uniR = make([]int32, np)
		lv.uniK = make([]int32, np)
		lv.tmpA = make([]int32, np)
		lv.tmpB = make([]int32, np)
		lv.mark = make([]bool, np)
		lv.srcX = nearestIndex(lv.w, w)
		lv.srcY = nearestIndex(lv.h, h)
	}
	r.ids = make([]uint8, w*h)
	r.prevIDs = make([]uint8, w*h)

	// Buffer sizes: the largest feature map, activation and γ|β buffer.
	g := m.G
	maxFeat := r.lw * r.lh * 16 * cfg.NGF
	maxGB := 0
	maxK := 0
	maxC := 0
	note := func(cv *Conv) { maxK = max(maxK, cv.K*cv.K*cv.Cin) }
	for _, b := range g.Blocks {
		lv := &r.levels[b.level]
		hw := lv.w * lv.h
		// Inputs of implicit-im2col convs carry a zero border.
		maxFeat = max(maxFeat, (lv.w+2)*(lv.h+2)*max(b.Fin, b.Fout))
		for _, s := range []*SPADE{&b.Norm0, &b.Norm1, b.NormS} {
			if s != nil {
				S := 2*(m.ks-1) + 1
				if S*S*m.ks*m.ks*s.Gamma.Cin*2*s.C > borderBudget {
					lv.border = false
				}
				maxGB = max(maxGB, hw*2*s.C)
				maxC = max(maxC, s.C)
				note(&s.Gamma)
				note(&s.Shared)
			}
		}
		note(&b.Conv0)
		note(&b.Conv1)
	}
	note(&g.ConvImg)
	maxFeat = max(maxFeat, (w+2)*(h+2)*max(3, g.ConvImg.Cin))
	r.x = make([]float32, maxFeat)
	r.y = make([]float32, maxFeat)
	r.t = make([]float32, maxFeat)
	r.d = make([]float32, maxFeat)
	r.s = make([]float32, maxFeat)
	r.actv = make([]float32, w*h*cfg.NHidden)
	r.gbuf = make([]float32, maxGB)
	R := m.ks - 1
	r.cls = make([]float32, (cfg.labelChannels()+maxBorderClasses*(2*R+1)*(2*R+1))*2*maxC)
	r.borderTab = make([][][]float32, len(m.spades))
	for i := range r.borderTab {
		r.borderTab[i] = make([][]float32, cfg.labelChannels())
	}
	r.scale = make([]float32, maxC)
	r.shift = make([]float32, maxC)
	r.colsSize = max(colsTarget, minTileRows*maxK)
	if m.E != nil {
		for i := range m.E.Layers {
			r.colsSize = max(r.colsSize, minTileRows*9*m.E.Layers[i].Cin)
		}
	}
	r.cols = make([][]float32, r.threads)
	r.part = make([][]float64, r.threads)
	r.gatherRows = make([][]*float32, r.threads)
	for i := range r.cols {
		r.gatherRows[i] = make([]*float32, 0, 2*m.ks*m.ks)
		r.cols[i] = make([]float32, r.colsSize)
		r.part[i] = make([]float64, max(maxC, 16*cfg.NGF, 8*cfg.NGF))
	}
	r.workFn = r.workers
	r.convFn = r.convTile
	r.convRowFn = r.convRowTile
	r.gathFn = r.gatherTile
	r.modFn = r.modTile
	r.statFn = r.statTile
	r.upFn = r.upTile
	r.leakyFn = r.leakyTile
	r.leakyPadFn = r.leakyPadTile
	r.fcFn = r.fcTile
	r.imgFn = r.imgTile
	r.levelFn = r.levelTile
	r.fcZ = make([]float32, cfg.ZDim)
	r.fcOut = make([]float32, r.lw*r.lh*16*cfg.NGF)
	return nil
}

// nearestIndex maps out positions to in positions like torch's nearest
// interpolation: floor(dst · (in/out)) with the scale in float32.
func nearestIndex(out, in int) []int32 {
	idx := make([]int32, out)
	scale := float32(in) / float32(out)
	for i := range idx {
		s := int(float32(math.Floor(float64(float32(i) * scale))))
		idx[i] = int32(min(s, in-1))
	}
	return idx
}

// Close releases the renderer's worker pool; the renderer must not be used
// afterwards.
func (r *Renderer) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ownPool && r.pool != nil {
		r.pool.Close()
		r.pool = nil
	}
}

// Size is the output size the renderer was made for.
func (r *Renderer) Size() (w, h int) { return r.w, r.h }

// Model is the renderer's model.
func (r *Renderer) Model() *Model { return r.m }

// RandomStyle draws a style vector z ~ N(0, I) of length zdim from seed; the
// same seed always gives the same vector.
func RandomStyle(seed int64, zdim int) []float32 {
	rng := rand.New(rand.NewSource(seed))
	z := make([]float32, zdim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return z
}

// RandomStyleVariety draws z ~ N(0, variety²·I): RandomStyle(seed, zdim)
// scaled by variety. Below 1 this is the truncation trick (Brock et al.,
// BigGAN): styles nearer the mean of the prior, which look tamer and
// differ less between seeds; early in training they also followed the
// labels more faithfully, an advantage that later checkpoints lost. The
// direction is the seed's, so a seed keeps its look as variety changes.
// The measured trade-off is in assets/MODEL.md.
func RandomStyleVariety(seed int64, zdim int, variety float64) []float32 {
	z := RandomStyle(seed, zdim)
	for i := range z {
		z[i] *= float32(variety)
	}
	return z
}

// ErrUnknownLabel is wrapped by Render's error for ids the model does not accept.
var ErrUnknownLabel = errors.New("label id not in the model's label set")

// Render draws labels (dataset label ids, one per pixel) in style z into
// dst, which must be the renderer's size. A label map of another size is
// resized with nearest-neighbour sampling at pixel centres, as the
// reference's PIL transform does. z is ignored by models without VAE.
// Cancelling ctx stops the frame between layers with ctx.Err().
func (r *Renderer) Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error {
	if labels == nil || dst == nil {
		return errors.New("synth: Render needs a label map and a destination image")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := dst.Bounds(); b.Dx() != r.w || b.Dy() != r.h {
		return fmt.Errorf("synth: destination is %dx%d, renderer renders %dx%d", b.Dx(), b.Dy(), r.w, r.h)
	}
	if err := r.checkZ(z); err != nil {
		return err
	}
	if err := r.loadLabels(labels); err != nil {
		r.levelsOK = false
		return err
	}
	// A new style on the same painting reuses the levels and bands.
	if !r.levelsOK || !bytes.Equal(r.ids, r.prevIDs) {
		if err := r.prepareLevels(false); err != nil {
			return err
		}
		copy(r.prevIDs, r.ids)
		r.levelsOK = true
	}
	if err := r.forward(ctx, z, false, nil); err != nil {
		return err
	}
	r.writeImage(dst)
	return nil
}

func (r *Renderer) checkZ(z []float32) error {
	if r.m.cfg.UseVAE && len(z) != r.m.cfg.ZDim {
		return fmt.Errorf("synth: style z has %d values, model %s wants %d", len(z), r.m.ID(), r.m.cfg.ZDim)
	}
	return nil
}

// loadLabels resizes the id map to the render size and maps ids to channels.
func (r *Renderer) loadLabels(labels *image.Paletted) error {
	b := labels.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw <= 0 || sh <= 0 {
		return errors.New("synth: empty label map")
	}
	full := &r.levels[len(r.levels)-1]
	for y := 0; y < r.h; y++ {
		sy := y
		if sh != r.h {
			sy = min(int((float64(y)+0.5)*float64(sh)/float64(r.h)), sh-1)
		}
		row := labels.Pix[sy*labels.Stride : sy*labels.Stride+sw]
		out := r.ids[y*r.w : (y+1)*r.w]
		if sw == r.w {
			copy(out, row)
		} else {
			for x := range out {
				out[x] = row[min(int((float64(x)+0.5)*float64(sw)/float64(r.w)), sw-1)]
			}
		}
	}
	var bad [256]int
	nbad := 0
	for i, id := range r.ids {
		c := r.m.chanOf[id]
		if c < 0 {
			bad[id]++
			nbad++
			c = 0
		}
		full.ch[i] = int32(c)
	}
	if nbad > 0 {
		for id, n := range bad {
			if n > 0 {
				return fmt.Errorf("synth: %w: id %d on %d pixels (model %s, %d unknown pixels in all)", ErrUnknownLabel, id, n, r.m.ID(), nbad)
			}
		}
	}
	if full.edge != nil {
		edgesOf(r.ids, r.w, r.h, full.edge)
	}
	return nil
}

// edgesOf is the reference's get_edges: a pixel is an edge where any
// 4-neighbour has another value.
func edgesOf[T comparable](v []T, w, h int, e []bool) {
	for i := range e[:w*h] {
		e[i] = false
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := y*w + x
			if x+1 < w && v[p] != v[p+1] {
				e[p], e[p+1] = true, true
			}
			if y+1 < h && v[p] != v[p+w] {
				e[p], e[p+w] = true, true
			}
		}
	}
}

// Forward runs the generator on a segmentation map at the renderer's size
// and returns the tanh output as CHW float32 [3, H, W]. dense selects the
// plain path (every SPADE conv computed densely) instead of the band path;
// trace, if not nil, receives every block's output. It allocates its result
// and is meant for tests and tools.
func (r *Renderer) Forward(ctx context.Context, seg SegMap, z []float32, dense bool, trace TraceFunc) ([]float32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if seg.W != r.w || seg.H != r.h || len(seg.Channel) != r.w*r.h {
		return nil, fmt.Errorf("synth: segmentation map is %dx%d (%d values), renderer renders %dx%d", seg.W, seg.H, len(seg.Channel), r.w, r.h)
	}
	if err := r.checkZ(z); err != nil {
		return nil, err
	}
	r.levelsOK = false
	full := &r.levels[len(r.levels)-1]
	nc := int32(r.m.cfg.labelChannels())
	for i, c := range seg.Channel {
		if c < 0 || c >= nc {
			return nil, fmt.Errorf("synth: segmentation channel %d at pixel %d outside 0..%d", c, i, nc-1)
		}
	}
	copy(full.ch, seg.Channel)
	if full.edge != nil {
		if seg.Edge != nil {
			if len(seg.Edge) != len(full.edge) {
				return nil, fmt.Errorf("synth: edge map has %d values, want %d", len(seg.Edge), len(full.edge))
			}
			copy(full.edge, seg.Edge)
		} else {
			edgesOf(seg.Channel, r.w, r.h, full.edge)
		}
	}
	if err := r.prepareLevels(dense); err != nil {
		return nil, err
	}
	if err := r.forward(ctx, z, dense, trace); err != nil {
		return nil, err
	}
	hw := r.w * r.h
	out := make([]float32, 3*hw)
	for p := 0; p < hw; p++ {
		for c := 0; c < 3; c++ {
			out[c*hw+p] = float32(math.Tanh(float64(r.d[p*3+c])))
		}
	}
	return out, nil
}

// prepareLevels downsamples the full-size map to every level and splits
// each level into band and interior pixels.
func (r *Renderer) prepareLevels(dense bool) error {
	r.levelsOK = false // Render re-validates after a band-mode prepare
	r.dense = dense
	// Levels are independent; the largest (last) goes first.
	r.run(len(r.levels), r.levelFn)
	return nil
}

func (r *Renderer) levelTile(_, tile int) {
	l := len(r.levels) - 1 - tile
	lv := &r.levels[l]
	full := &r.levels[len(r.levels)-1]
	if l < len(r.levels)-1 {
		for y := 0; y < lv.h; y++ {
			srow := int(lv.srcY[y]) * r.w
			for x := 0; x < lv.w; x++ {
				s := srow + int(lv.srcX[x])
				lv.ch[y*lv.w+x] = full.ch[s]
				if lv.edge != nil {
					lv.edge[y*lv.w+x] = full.edge[s]
				}
			}
		}
	}
	lv.split(r.m.ks/2, r.dense)
}

// split fills idx, band and act. A pixel is interior when the
// (4r+1)×(4r+1) window around it (the receptive field of mlp_shared
// followed by mlp_gamma, both k×k with k = 2r+1) lies inside the map and
// holds one class and no instance edge: there γ, β equal the class's
// constants exactly. Every other pixel is in the band, and mlp_shared is
// needed on the band dilated by r.
func (lv *level) split(r int, dense bool) {
	w, h := lv.w, lv.h
	n := w * h
	lv.band = lv.band[:0]
	lv.act = lv.act[:0]
	if dense {
		for p := 0; p < n; p++ {
			lv.idx[p] = int32(p)
			lv.band = append(lv.band, int32(p))
			lv.act = append(lv.act, int32(p))
		}
		return
	}
	R := 2 * r
	key := lv.key // class, or -1 on edges
	for p := 0; p < n; p++ {
		k := lv.ch[p]
		if lv.edge != nil && lv.edge[p] {
			k = -1
		}
		key[p] = k
	}
	uniform(key, R, lv.uniR, lv.tmpA, lv.tmpB, w, h, lv.border)
	uniform(key, r, lv.uniK, lv.tmpA, lv.tmpB, w, h, false)
	S := 2*R + 1
	P := int32(S * S)
	center := int32(R*S + R)
	for _, c := range lv.blist {
		lv.bslot[c] = -1
	}
	lv.blist = lv.blist[:0]
	nclass := int32(len(lv.bslot))
	for p := 0; p < n; p++ {
		k := lv.uniR[p]
		e := k // slot in the renderer's class table: the class for the interior
		if k >= 0 && lv.border {
			y := p / w
			if x := p - y*w; x < R || x > w-1-R || y < R || y > h-1-R {
				// Position class along each axis: distance to a near edge,
				// or R in the middle (see borderGB).
				xi, yi := min(x, R), min(y, R)
				if x > w-1-R {
					xi = 2*R - (w - 1 - x)
				}
				if y > h-1-R {
					yi = 2*R - (h - 1 - y)
				}
				if cfg := int32(yi*S + xi); cfg != center {
					sl := lv.bslot[k]
					if sl < 0 && len(lv.blist) < maxBorderClasses {
						sl = int32(len(lv.blist))
						lv.bslot[k] = sl
						lv.blist = append(lv.blist, k)
					}
					if sl >= 0 {
						e = nclass + sl*P + cfg
					} else {
						e = -1 // too many classes on the edge: dense
					}
				}
			}
		}
		if e >= 0 {
			lv.idx[p] = -(e + 1)
			lv.mark[p] = false
		} else {
			lv.idx[p] = int32(len(lv.band))
			lv.band = append(lv.band, int32(p))
			lv.mark[p] = true
		}
	}
	// act = band dilated by r (Chebyshev): horizontal then vertical.
	hd := lv.tmpA
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := int32(0)
			for dx := max(x-r, 0); dx <= min(x+r, w-1); dx++ {
				if lv.mark[y*w+dx] {
					v = 1
					break
				}
			}
			hd[y*w+x] = v
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for dy := max(y-r, 0); dy <= min(y+r, h-1); dy++ {
				if hd[dy*w+x] != 0 {
					lv.act = append(lv.act, int32(y*w+x))
					break
				}
			}
		}
	}
}

// uniform sets out[p] to key[p] where the (2·rad+1)² window around p lies
// inside the map and holds that one key (>= 0), else to -1. With clip the
// window is clipped to the map instead of having to lie inside it. Runs of
// equal keys are counted left/right, then up/down over the row-uniform result.
func uniform(key []int32, rad int, out, t1, t2 []int32, w, h int, clip bool) {
	// need(d) is how far the run must reach on a side with d pixels left.
	need := func(d int) int {
		if clip {
			return min(rad, d)
		}
		return rad
	}
	n := w * h
	for y := 0; y < h; y++ {
		row := key[y*w : (y+1)*w]
		left := t1[y*w : (y+1)*w]
		o := out[y*w : (y+1)*w]
		run := 0
		for x := 0; x < w; x++ {
			if x > 0 && row[x] == row[x-1] {
				run++
			} else {
				run = 1
			}
			left[x] = int32(run)
		}
		run = 0
		for x := w - 1; x >= 0; x-- {
			if x < w-1 && row[x] == row[x+1] {
				run++
			} else {
				run = 1
			}
			if row[x] >= 0 && int(left[x]) > need(x) && run > need(w-1-x) {
				o[x] = row[x]
			} else {
				o[x] = -1
			}
		}
	}
	up, down := t1, t2
	for p := 0; p < n; p++ {
		if p >= w && out[p] >= 0 && out[p] == out[p-w] {
			up[p] = up[p-w] + 1
		} else {
			up[p] = 1
		}
	}
	for p := n - 1; p >= 0; p-- {
		if p+w < n && out[p] >= 0 && out[p] == out[p+w] {
			down[p] = down[p+w] + 1
		} else {
			down[p] = 1
		}
	}
	for y := 0; y < h; y++ {
		nu, nd := int32(need(y)), int32(need(h-1-y))
		for p := y * w; p < (y+1)*w; p++ {
			if up[p] <= nu || down[p] <= nd {
				out[p] = -1
			}
		}
	}
}

// forward runs the generator on the prepared levels; the conv_img output
// (before tanh) is left in r.d as [HW, 3].
func (r *Renderer) forward(ctx context.Context, z []float32, dense bool, trace TraceFunc) error {
	m := r.m
	g := m.G
	r.macs = 0
	r.done = ctx.Done()
	defer func() { r.done = nil }()
	lv0 := &r.levels[0]
	C0 := 16 * m.cfg.NGF
	if g.FCLinear != nil {
		if !r.fcValid || !equalBits(r.fcZ, z) {
			r.macs += int64(g.FCLinear.In * g.FCLinear.Out)
			r.fcValid = false // fcOut is about to be overwritten
			r.fj = fcJob{l: g.FCLinear, z: z, out: r.fcOut, hw: lv0.w * lv0.h, c: C0}
			r.run((g.FCLinear.Out+63)/64, r.fcFn)
			if err := ctx.Err(); err != nil {
				return err
			}
			copy(r.fcZ, z)
			r.fcValid = true
		}
		copy(r.x, r.fcOut)
	} else {
		r.gather(lv0, g.FCConv, nil, r.x, false, nil)
	}
	r.traceOut(trace, "fc", r.x, C0, lv0.h, lv0.w)
	for _, b := range g.Blocks {
		if err := ctx.Err(); err != nil {
			return err
		}
		lv := &r.levels[b.level]
		if b.upBefore {
			pl := &r.levels[b.level-1]
			r.uj = upJob{in: r.x, out: r.y, w: pl.w, h: pl.h, c: b.Fin}
			r.run(lv.h, r.upFn)
			r.x, r.y = r.y, r.x
		}
		if err := r.block(ctx, b, lv, dense); err != nil {
			return err
		}
		r.traceOut(trace, b.Name, r.x, b.Fout, lv.h, lv.w)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	full := &r.levels[len(r.levels)-1]
	cin := g.ConvImg.Cin
	hw := full.w * full.h
	if r.padded(&g.ConvImg) {
		clearBorder(r.t, full.w, full.h, cin)
		r.uj = upJob{in: r.x, out: r.t, w: full.w, c: cin}
		r.run(full.h, r.leakyPadFn)
	} else {
		r.uj = upJob{in: r.x, out: r.t, n: hw * cin}
		r.run((hw*cin+4095)/4096, r.leakyFn)
	}
	r.conv(&g.ConvImg, r.t, full.w, full.h, r.d, nil, hw, false, false)
	if err := ctx.Err(); err != nil {
		return err
	}
	if trace != nil {
		tmp := make([]float32, hw*3)
		for i := range tmp {
			tmp[i] = float32(math.Tanh(float64(r.d[i])))
		}
		r.traceOut(trace, "out", tmp, 3, full.h, full.w)
	}
	return nil
}

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func (r *Renderer) traceOut(trace TraceFunc, name string, hwc []float32, c, h, w int) {
	if trace == nil {
		return
	}
	hw := h * w
	out := make([]float32, c*hw)
	for p := 0; p < hw; p++ {
		for k := 0; k < c; k++ {
			out[k*hw+p] = hwc[p*c+k]
		}
	}
	trace(name, c, h, w, out)
}

// block runs one SPADEResnetBlock on r.x (at level lv), leaving its output in r.x.
func (r *Renderer) block(ctx context.Context, b *ResBlock, lv *level, dense bool) error {
	hw := lv.w * lv.h
	if b.NormS != nil {
		r.spade(b.NormS, r.x, r.t, lv, false, dense, false)
		r.conv(b.ConvS, r.t, lv.w, lv.h, r.s, nil, hw, false, false)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	r.spade(&b.Norm0, r.x, r.t, lv, true, dense, r.padded(&b.Conv0))
	r.conv(&b.Conv0, r.t, lv.w, lv.h, r.d, nil, hw, false, false)
	if err := ctx.Err(); err != nil {
		return err
	}
	r.spade(&b.Norm1, r.d, r.t, lv, true, dense, r.padded(&b.Conv1))
	if b.ConvS != nil {
		r.conv(&b.Conv1, r.t, lv.w, lv.h, r.s, nil, hw, true, false)
		r.x, r.s = r.s, r.x
	} else {
		r.conv(&b.Conv1, r.t, lv.w, lv.h, r.x, nil, hw, true, false)
	}
	return nil
}

// spade computes out = act(norm(x)·(1+γ)+β) at level lv, zero-padded
// by one pixel with pad.
func (r *Renderer) spade(s *SPADE, x, out []float32, lv *level, act, dense, pad bool) {
	hw := lv.w * lv.h
	C := s.C
	scale, shift := s.bnScale, s.bnShift
	if s.Instance {
		r.instanceStats(x, hw, C)
		scale, shift = r.scale[:C], r.shift[:C]
	}
	nh := s.Gamma.Cin
	if dense {
		// Plain path: mlp_shared as a real conv over the one-hot map.
		snc := s.Shared.Cin
		if len(r.onehot) < hw*snc {
			r.onehot = make([]float32, r.w*r.h*snc)
		}
		oh := r.onehot[:hw*snc]
		for i := range oh {
			oh[i] = 0
		}
		for p := 0; p < hw; p++ {
			oh[p*snc+int(lv.ch[p])] = 1
			if lv.edge != nil && lv.edge[p] {
				oh[p*snc+snc-1] = 1
			}
		}
		r.conv(&s.Shared, oh, lv.w, lv.h, r.actv, nil, hw, false, true)
		r.convWith(s.gbPacked, s.gbBias, s.Gamma.K, nh, 2*C, r.actv, lv.w, lv.h, r.gbuf, nil, hw, false, false)
	} else {
		r.gather(lv, &s.Shared, lv.act, r.actv, true, s.classActv)
		nb := len(lv.band)
		if nb > 0 {
			r.convWith(s.gbPacked, s.gbBias, s.Gamma.K, nh, 2*C, r.actv, lv.w, lv.h, r.gbuf, lv.band, nb, false, false)
		}
		// Per-class affine maps: act(x·A + B) with A = scale·(1+γc), B = shift·(1+γc)+βc,
		// for the interior and, on border levels, each position class near the edge.
		ncls := r.m.cfg.labelChannels()
		R := r.m.ks - 1
		S := 2*R + 1
		P := S * S
		center := R*S + R
		for c := 0; c < ncls; c++ {
			affineAB(r.cls[c*2*C:(c+1)*2*C], s.classGB[c*2*C:(c+1)*2*C], scale, shift)
		}
		for sl, c := range lv.blist {
			tab := r.borderTab[s.id][c]
			if tab == nil {
				tab = s.borderGB(int(c), R)
				r.borderTab[s.id][c] = tab
			}
			for cfg := 0; cfg < P; cfg++ {
				if cfg != center {
					e := ncls + sl*P + cfg
					affineAB(r.cls[e*2*C:(e+1)*2*C], tab[cfg*2*C:(cfg+1)*2*C], scale, shift)
				}
			}
		}
	}
	if pad {
		clearBorder(out, lv.w, lv.h, C)
	}
	r.mj = modJob{x: x, out: out, c: C, idx: lv.idx, scale: scale, shift: shift, gb: r.gbuf, cls: r.cls, act: act, n: hw, pad: pad, w: lv.w}
	r.run((hw+modTile-1)/modTile, r.modFn)
}

// clearBorder zeroes the one-pixel border of a (h+2)×(w+2)×c map.
func clearBorder(out []float32, w, h, c int) {
	wp := (w + 2) * c
	clear(out[:wp])
	clear(out[(h+1)*wp : (h+2)*wp])
	for y := 1; y <= h; y++ {
		clear(out[y*wp : y*wp+c])
		clear(out[(y+1)*wp-c : (y+1)*wp])
	}
}

func affineAB(ab, gb, scale, shift []float32) {
	C := len(scale)
	for k := 0; k < C; k++ {
		g1 := 1 + gb[k]
		ab[k] = scale[k] * g1
		ab[C+k] = shift[k]*g1 + gb[C+k]
	}
}

func (r *Renderer) instanceStats(x []float32, hw, C int) {
	for i := range r.part {
		clear(r.part[i][:C])
	}
	ntiles := (hw + statTile - 1) / statTile
	r.sj = statJob{x: x, c: C, n: hw}
	r.run(ntiles, r.statFn)
	for k := 0; k < C; k++ {
		var s float64
		for i := range r.part {
			s += r.part[i][k]
		}
		r.scale[k] = float32(s / float64(hw)) // mean, for the variance pass
	}
	for i := range r.part {
		clear(r.part[i][:C])
	}
	r.sj.mean = r.scale[:C]
	r.sj.second = true
	r.run(ntiles, r.statFn)
	for k := 0; k < C; k++ {
		var s float64
		for i := range r.part {
			s += r.part[i][k]
		}
		mean := float64(r.scale[k])
		rstd := 1 / math.Sqrt(s/float64(hw)+normEps)
		r.scale[k] = float32(rstd)
		r.shift[k] = float32(-mean * rstd)
	}
}

// run executes job over ntiles tiles on the pool; workers take tiles from
// a shared counter so uneven tiles balance out.
func (r *Renderer) run(ntiles int, job func(worker, tile int)) {
	if ntiles <= 0 {
		return
	}
	nw := min(r.threads, ntiles)
	if nw == 1 {
		for t := 0; t < ntiles; t++ {
			if r.stopped() {
				return
			}
			job(0, t)
		}
		return
	}
	r.job = job
	r.ntiles = int64(ntiles)
	r.next.Store(0)
	r.pool.For(nw, r.workFn)
	r.job = nil
}

// stopped reports whether the frame's context is done. Workers check it
// before each tile, so a cancelled frame stops within one tile rather than
// one layer; the skipped work leaves garbage that forward never returns.
func (r *Renderer) stopped() bool {
	if r.done == nil {
		return false
	}
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *Renderer) workers(lo, hi int) {
	for w := lo; w < hi; w++ {
		for !r.stopped() {
			t := r.next.Add(1) - 1
			if t >= r.ntiles {
				break
			}
			r.job(w, int(t))
		}
	}
}

// Tile sizes: im2col tiles of at most colsTarget floats (1 MiB) and at
// least minTileRows rows.
const (
	borderMinSize = 32
	// maxBorderClasses bounds the classes per level that get border
	// constants, and so the per-frame table and the first-use cost.
	maxBorderClasses = 8
	// borderBudget bounds the multiply-adds of one border table
	// (SPADE.borderGB, float64, computed once per class and SPADE); levels
	// whose SPADEs cost more keep their edge pixels in the band.
	borderBudget = 16 << 20
	colsTarget   = 1 << 18
	minTileRows  = 32
	maxTileRows  = 256
	modTile      = 512
	statTile     = 1024
)

type convJob struct {
	wt, bias            []float32 // wt: unpacked weights (check path only)
	pb                  *gemm.PackedB
	rowsB               [3]*gemm.PackedB // convImplicit
	ks, stride, pad     int
	cin, cout           int
	in                  []float32
	iw, ih              int
	out                 []float32
	ow                  int
	list                []int32 // output pixels to compute (nil: 0..npix-1); out rows are compact
	npix                int
	rows, nblk, nbs     int
	acc, relu, onebyone bool
}

// conv runs cv over in (iw×ih×cin, HWC) into out. With list, only the
// listed output pixels are computed and written as consecutive rows.
// acc adds to out (residual); relu applies ReLU.
//
// A conv packed as rows (see Conv.rows) reads in zero-padded, as
// (ih+2)×(iw+2)×cin; its producer writes that layout when r.padded(cv).
func (r *Renderer) conv(cv *Conv, in []float32, iw, ih int, out []float32, list []int32, npix int, acc, relu bool) {
	if cv.rows[0] != nil {
		if r.unpacked {
			r.convSW(nil, cv.unpacked(), cv.Bias, cv.K, cv.Stride, cv.Pad, cv.Cin, cv.Cout, in, iw, ih, out, list, npix, acc, relu)
		} else {
			r.convImplicit(cv, in, iw, ih, out, acc, relu)
		}
		return
	}
	r.convS(cv.pb, cv.Bias, cv.K, cv.Stride, cv.Pad, cv.Cin, cv.Cout, in, iw, ih, out, list, npix, acc, relu)
}

func (r *Renderer) convWith(pb *gemm.PackedB, bias []float32, k, cin, cout int, in []float32, iw, ih int, out []float32, list []int32, npix int, acc, relu bool) {
	r.convS(pb, bias, k, 1, k/2, cin, cout, in, iw, ih, out, list, npix, acc, relu)
}

// padded reports whether cv's input is to be written zero-padded.
func (r *Renderer) padded(cv *Conv) bool { return cv.rows[0] != nil && !r.unpacked }

func (r *Renderer) convS(pb *gemm.PackedB, bias []float32, k, stride, pad, cin, cout int, in []float32, iw, ih int, out []float32, list []int32, npix int, acc, relu bool) {
	var wt []float32
	if r.unpacked {
		wt = pb.Unpack() // the check path of tests: allocates
	}
	r.convSW(pb, wt, bias, k, stride, pad, cin, cout, in, iw, ih, out, list, npix, acc, relu)
}

// colBlocks splits cout into nb blocks of nbs columns (a multiple of the
// packed weights' panel width) so that there are enough tiles for the
// threads.
func (r *Renderer) colBlocks(ptiles, cout int) (nb, nbs int) {
	nb = 1
	for ptiles*nb < 4*r.threads && cout/(nb*2) >= 16 {
		nb *= 2
	}
	nbs = ((cout+nb-1)/nb + gemm.PanelWidth - 1) &^ (gemm.PanelWidth - 1)
	return (cout + nbs - 1) / nbs, nbs
}

// convImplicit runs a rows-packed 3×3 conv over the padded in: a tile is
// one output image row and a column block, and the product is three
// GEMMs, one per kernel row, whose A rows are the padded input's pixels
// (3·cin values, overlapping by 2·cin) read in place.
func (r *Renderer) convImplicit(cv *Conv, in []float32, iw, ih int, out []float32, acc, relu bool) {
	nb, nbs := r.colBlocks(ih, cv.Cout)
	r.macs += int64(iw*ih) * int64(9*cv.Cin) * int64(cv.Cout)
	r.cj = convJob{rowsB: cv.rows, bias: cv.Bias, ks: 3, stride: 1, pad: 1, cin: cv.Cin, cout: cv.Cout,
		in: in, iw: iw, ih: ih, out: out, ow: iw, npix: iw * ih,
		rows: iw, nblk: nb, nbs: nbs, acc: acc, relu: relu}
	r.run(ih*nb, r.convRowFn)
}

func (r *Renderer) convRowTile(_, tile int) {
	j := &r.cj
	y, bt := tile/j.nblk, tile%j.nblk
	n0 := bt * j.nbs
	n1 := min(n0+j.nbs, j.cout)
	m := j.iw
	out := j.out[y*m*j.cout:]
	j.initRows(out, m, n0, n1)
	wp := (j.iw + 2) * j.cin
	for ky, pb := range j.rowsB {
		if yy := y + ky; yy > 0 && yy <= j.ih { // padded rows 0 and ih+1 are zero
			gemm.SgemmPacked(m, j.in[yy*wp:(yy+1)*wp], j.cin, pb, n0, n1, out[n0:], j.cout, true)
		}
	}
	j.finishRows(out, m, n0, n1)
}

// initRows sets columns n0..n1 of m output rows to the bias (added with
// acc), or clears them.
func (j *convJob) initRows(out []float32, m, n0, n1 int) {
	for i := 0; i < m; i++ {
		row := out[i*j.cout+n0 : i*j.cout+n1]
		switch {
		case j.bias == nil && !j.acc:
			clear(row)
		case j.bias == nil:
		case j.acc:
			for c := range row {
				row[c] += j.bias[n0+c]
			}
		default:
			copy(row, j.bias[n0:n1])
		}
	}
}

func (j *convJob) finishRows(out []float32, m, n0, n1 int) {
	if j.relu {
		for i := 0; i < m; i++ {
			row := out[i*j.cout+n0 : i*j.cout+n1]
			for c, v := range row {
				row[c] = relu(v)
			}
		}
	}
}

func (r *Renderer) convSW(pb *gemm.PackedB, wt, bias []float32, k, stride, pad, cin, cout int, in []float32, iw, ih int, out []float32, list []int32, npix int, acc, relu bool) {
	K := k * k * cin
	ow := (iw+2*pad-k)/stride + 1
	// Tall tiles amortise each tile's pass over the weight block, which
	// matters most for the wide low-resolution layers.
	rows := max(minTileRows, min(maxTileRows, colsTarget/K, (npix+r.threads-1)/r.threads))
	ptiles := (npix + rows - 1) / rows
	nb, nbs := r.colBlocks(ptiles, cout)
	r.macs += int64(npix) * int64(K) * int64(cout)
	r.cj = convJob{wt: wt, pb: pb, bias: bias, ks: k, stride: stride, pad: pad, cin: cin, cout: cout,
		in: in, iw: iw, ih: ih, out: out, ow: ow, list: list, npix: npix,
		rows: rows, nblk: nb, nbs: nbs, acc: acc, relu: relu,
		onebyone: k == 1 && stride == 1 && pad == 0 && list == nil}
	r.run(ptiles*nb, r.convFn)
}

func (r *Renderer) convTile(worker, tile int) {
	j := &r.cj
	pt, bt := tile/j.nblk, tile%j.nblk
	p0 := pt * j.rows
	p1 := min(p0+j.rows, j.npix)
	n0 := bt * j.nbs
	n1 := min(n0+j.nbs, j.cout)
	m := p1 - p0
	K := j.ks * j.ks * j.cin
	var a []float32
	if j.onebyone {
		a = j.in[p0*j.cin:]
	} else {
		a = r.cols[worker][:m*K]
		im2col(a, j, p0, p1)
	}
	out := j.out[p0*j.cout:]
	j.initRows(out, m, n0, n1)
	if j.wt != nil {
		gemm.Sgemm(m, n1-n0, K, a, K, j.wt[n0:], j.cout, out[n0:], j.cout, true)
	} else {
		gemm.SgemmPacked(m, a, K, j.pb, n0, n1, out[n0:], j.cout, true)
	}
	j.finishRows(out, m, n0, n1)
}

// im2col writes, for output pixels p0..p1 (or list[p0..p1]), their k×k
// input patches as rows ordered (ky, kx, cin), zeros outside the map.
func im2col(dst []float32, j *convJob, p0, p1 int) {
	K := j.ks * j.ks * j.cin
	cin := j.cin
	for i := p0; i < p1; i++ {
		p := i
		if j.list != nil {
			p = int(j.list[i])
		}
		oy, ox := p/j.ow, p%j.ow
		row := dst[(i-p0)*K : (i-p0+1)*K]
		iy0 := oy*j.stride - j.pad
		ix0 := ox*j.stride - j.pad
		kc := j.ks * cin
		inside := ix0 >= 0 && ix0+j.ks <= j.iw
		for ky := 0; ky < j.ks; ky++ {
			iy := iy0 + ky
			seg := row[ky*kc : (ky+1)*kc]
			if iy < 0 || iy >= j.ih {
				clear(seg)
				continue
			}
			src := j.in[iy*j.iw*cin:]
			if inside {
				// The kernel row's pixels are adjacent in HWC: one copy.
				copy(seg, src[ix0*cin:ix0*cin+kc])
				continue
			}
			for kx := 0; kx < j.ks; kx++ {
				ix := ix0 + kx
				d := seg[kx*cin : (kx+1)*cin]
				if ix < 0 || ix >= j.iw {
					clear(d)
				} else {
					copy(d, src[ix*cin:(ix+1)*cin])
				}
			}
		}
	}
}

type gatherJob struct {
	cls       []float32
	lv        *level
	table     []float32
	bias      []float32
	snc, cout int
	ks        int
	out       []float32
	list      []int32
	n         int
	relu      bool
}

const gatherTile = 256

// gather computes a conv over the one-hot (+ edge) map at lv for the listed
// pixels (nil: all): per pixel the bias plus, for each tap inside the map,
// the weight row of the channel there (and of the edge channel on edges).
//
// Where the k×k window is inside the map and one class, the result is that
// class's precomputed vector (classTab, when given) and is just copied.
func (r *Renderer) gather(lv *level, cv *Conv, list []int32, out []float32, relu bool, classTab []float32) {
	n := lv.w * lv.h
	if list != nil {
		n = len(list)
	}
	r.macs += int64(n) * int64(cv.Cout) // one add per tap, counted as one MAC per output
	r.gj = gatherJob{cls: classTab, lv: lv, table: cv.wt, bias: cv.Bias, snc: cv.Cin, cout: cv.Cout, ks: cv.K, out: out, list: list, n: n, relu: relu}
	r.run((n+gatherTile-1)/gatherTile, r.gathFn)
}

func (r *Renderer) gatherTile(worker, tile int) {
	j := &r.gj
	lv := j.lv
	w, h := lv.w, lv.h
	rad := j.ks / 2
	co := j.cout
	edgeCh := j.snc - 1
	rows := r.gatherRows[worker]
	for i := tile * gatherTile; i < min((tile+1)*gatherTile, j.n); i++ {
		p := i
		if j.list != nil {
			p = int(j.list[i])
		}
		acc := j.out[p*co : (p+1)*co]
		if j.cls != nil {
			if k := lv.uniK[p]; k >= 0 {
				copy(acc, j.cls[int(k)*co:])
				continue
			}
		}
		// The weight rows of the taps inside the map, in tap order (an
		// edge pixel's edge-channel row right after its class row): one
		// fused sum instead of a pass over acc per row.
		y, x := p/w, p%w
		rows = rows[:0]
		for ky := 0; ky < j.ks; ky++ {
			yy := y + ky - rad
			if yy < 0 || yy >= h {
				continue
			}
			for kx := 0; kx < j.ks; kx++ {
				xx := x + kx - rad
				if xx < 0 || xx >= w {
					continue
				}
				q := yy*w + xx
				t := ky*j.ks + kx
				rows = append(rows, &j.table[(t*j.snc+int(lv.ch[q]))*co:][:co][0])
				if lv.edge != nil && lv.edge[q] {
					rows = append(rows, &j.table[(t*j.snc+edgeCh)*co:][:co][0])
				}
			}
		}
		gemm.SumRows(acc, j.bias, rows, j.relu)
	}
}

type modJob struct {
	x, out       []float32
	c            int
	idx          []int32
	scale, shift []float32
	gb, cls      []float32
	act          bool
	n            int
	pad          bool // out is zero-padded, w pixels per unpadded row
	w            int
}

// modTile is the fused SPADE pass: param-free norm, modulation, leaky ReLU.
func (r *Renderer) modTile(_, tile int) {
	j := &r.mj
	C := j.c
	end := min((tile+1)*modTile, j.n)
	for p := tile * modTile; p < end; p++ {
		q := p
		if j.pad {
			q += 2*(p/j.w) + j.w + 3 // (y+1)·(w+2) + x+1
		}
		k := j.idx[p]
		// Pixels are taken in runs that are contiguous in out (so within
		// one row when it is padded): a run of one class's constants, or of
		// band pixels with consecutive γ|β rows.
		lim := end
		if j.pad {
			lim = min(end, (p/j.w+1)*j.w)
		}
		n := 1
		if k < 0 {
			for p+n < lim && j.idx[p+n] == k {
				n++
			}
			ab := j.cls[int(-k-1)*2*C:]
			gemm.AffineAct(j.out[q*C:(q+n)*C], j.x[p*C:(p+n)*C], ab[:C], ab[C:2*C], j.act)
			p += n - 1
			continue
		}
		for p+n < lim && j.idx[p+n] == k+int32(n) {
			n++
		}
		gemm.ModulateAct(j.out[q*C:(q+n)*C], j.x[p*C:(p+n)*C], j.scale[:C], j.shift[:C],
			j.gb[int(k)*2*C:(int(k)+n)*2*C], j.act)
		p += n - 1
	}
}

type statJob struct {
	x      []float32
	c, n   int
	mean   []float32
	second bool
}

func (r *Renderer) statTile(worker, tile int) {
	j := &r.sj
	C := j.c
	part := r.part[worker][:C]
	for p := tile * statTile; p < min((tile+1)*statTile, j.n); p++ {
		x := j.x[p*C : (p+1)*C]
		if j.second {
			for c, v := range x {
				d := float64(v - j.mean[c])
				part[c] += d * d
			}
		} else {
			for c, v := range x {
				part[c] += float64(v)
			}
		}
	}
}

type upJob struct {
	in, out []float32
	w, h, c int
	n       int
}

// upTile writes output row tile of the ×2 nearest upsampling.
func (r *Renderer) upTile(_, oy int) {
	j := &r.uj
	C := j.c
	src := j.in[(oy/2)*j.w*C:]
	dst := j.out[oy*2*j.w*C:]
	for x := 0; x < j.w; x++ {
		v := src[x*C : (x+1)*C]
		copy(dst[2*x*C:(2*x+1)*C], v)
		copy(dst[(2*x+1)*C:(2*x+2)*C], v)
	}
}

func (r *Renderer) leakyTile(_, tile int) {
	j := &r.uj
	lo, hi := tile*4096, min((tile+1)*4096, j.n)
	out := j.out[lo:hi]
	for i, v := range j.in[lo:hi] {
		out[i] = leaky(v)
	}
}

// leakyPadTile writes row y of leaky(in) into the zero-padded out.
func (r *Renderer) leakyPadTile(_, y int) {
	j := &r.uj
	n := j.w * j.c
	out := j.out[((y+1)*(j.w+2)+1)*j.c:]
	out = out[:n]
	for i, v := range j.in[y*n : (y+1)*n] {
		out[i] = leaky(v)
	}
}

type fcJob struct {
	l     *Linear
	z     []float32
	out   []float32
	hw, c int
}

// fcTile computes 64 outputs of the VAE fc layer, whose outputs are in the
// reference's CHW order, and stores them channels-last.
func (r *Renderer) fcTile(_, tile int) {
	j := &r.fj
	for o := tile * 64; o < min((tile+1)*64, j.l.Out); o++ {
		wrow := j.l.Weight[o*j.l.In : (o+1)*j.l.In]
		s := j.l.Bias[o]
		for i, v := range wrow {
			s += v * j.z[i]
		}
		c, p := o/j.hw, o%j.hw
		j.out[p*j.c+c] = s
	}
}

type imgJob struct {
	dst *image.RGBA
}

func (r *Renderer) writeImage(dst *image.RGBA) {
	r.ij = imgJob{dst: dst}
	r.run(r.h, r.imgFn)
}

// imgTile converts one output row: tanh, then tensor2im's
// clip((x+1)/2·255, 0, 255) truncated to 8 bits.
func (r *Renderer) imgTile(_, y int) {
	dst := r.ij.dst
	row := dst.Pix[y*dst.Stride : y*dst.Stride+4*r.w]
	src := r.d[y*r.w*3 : (y+1)*r.w*3]
	for x := 0; x < r.w; x++ {
		for c := 0; c < 3; c++ {
			row[4*x+c] = quantize(src[3*x+c])
		}
		row[4*x+3] = 255
	}
}

func quantize(v float32) uint8 {
	t := tanh32(v)
	q := (t + 1) / 2 * 255
	if q < 0 {
		q = 0
	}
	if q > 255 {
		q = 255
	}
	return uint8(q)
}

// leaky is leaky ReLU with slope 0.2, without a branch: signs of
// activations are random, and a mispredicted branch per element costs
// more than the arithmetic.
func leaky(y float32) float32 {
	const one, slope = 0x3f800000, 0x3e4ccccd // float32 bits of 1 and 0.2
	m := uint32(int32(math.Float32bits(y)) >> 31)
	return y * math.Float32frombits(one^(m&(one^slope)))
}

// relu clears negative values (to +0) without a branch.
func relu(y float32) float32 {
	b := math.Float32bits(y)
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
}

// tanh32 is a float32 tanh (a rational approximation on [-7.9, 7.9], as in
// Eigen), within 4e-7 of math.Tanh and three times faster; the image
// conversion calls it once per output value.
func tanh32(x float32) float32 {
	const clamp = 7.90531110763549805
	x = max(-clamp, min(clamp, x))
	if x < 0.0004 && x > -0.0004 {
		return x
	}
	x2 := x * x
	p := float32(-2.76076847742355e-16)
	p = p*x2 + 2.00018790482477e-13
	p = p*x2 + -8.60467152213735e-11
	p = p*x2 + 5.12229709037114e-08
	p = p*x2 + 1.48572235717979e-05
	p = p*x2 + 6.37261928875436e-04
	p = p*x2 + 4.89352455891786e-03
	p *= x
	q := float32(1.19825839466702e-06)
	q = q*x2 + 1.18534705686654e-04
	q = q*x2 + 2.26843463243900e-03
	q = q*x2 + 4.89352518554385e-03
	return p / q
}
