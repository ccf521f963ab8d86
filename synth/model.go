package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"spadework/synth/internal/gemm"
	"spadework/synth/internal/safetensors"
)

// Conv is a 2-D convolution (zero padding, square kernel) as stored in the
// reference's state_dict, plus the weight laid out for the engine's GEMM.
type Conv struct {
	Name                      string // state_dict prefix, e.g. "netG.head_0.conv_0"
	Cin, Cout, K, Stride, Pad int
	Weight                    []float32 // [Cout, Cin, K, K]
	Bias                      []float32 // [Cout], nil when the layer has none

	// wt is the weight as the B operand of out[pixels, Cout] = cols·wt,
	// with rows ordered (ky, kx, cin) to match the channels-last im2col.
	// Only convs that are also gathered over a one-hot map keep it; the
	// others hold pb alone (pb.Unpack gives wt back for checks).
	wt []float32
	// pb is wt packed once for the GEMM micro-kernel, so the per-tile
	// products skip repacking the weights.
	pb *gemm.PackedB
	// rows replaces pb for 3×3 stride-1 convs on wide maps: kernel row ky's
	// (3·Cin)×Cout slice of wt, packed. The renderer then reads its A
	// operand straight from a zero-padded input (an implicit im2col).
	rows [3]*gemm.PackedB
}

// implicitMinWidth is the narrowest map whose 3×3 convs run as implicit
// im2col (rows): each product covers one image row, which on narrower
// maps is too few rows of A per pass over the weights.
const implicitMinWidth = 32

// prepareRows packs c as rows where it is a 3×3 stride-1 conv on maps of
// width w (at the model's native size), else as pb.
func (c *Conv) prepareRows(w int) {
	if c.K != 3 || c.Stride != 1 || c.Pad != 1 || w < implicitMinWidth {
		c.prepare(false)
		return
	}
	wt := c.gemmB()
	k := 3 * c.Cin
	for ky := range c.rows {
		c.rows[ky] = gemm.PackB(k, c.Cout, wt[ky*k*c.Cout:], c.Cout)
	}
}

// unpacked returns wt from the packed form (allocates; for checks).
func (c *Conv) unpacked() []float32 {
	if c.pb != nil {
		return c.pb.Unpack()
	}
	var wt []float32
	for _, pb := range c.rows {
		wt = append(wt, pb.Unpack()...)
	}
	return wt
}

// prepare builds pb and, with keep, the unpacked wt.
func (c *Conv) prepare(keep bool) {
	wt := c.gemmB()
	c.pb = gemm.PackB(c.K*c.K*c.Cin, c.Cout, wt, c.Cout)
	if keep {
		c.wt = wt
	}
}

// gemmB is the weight as the B operand, rows ordered (ky, kx, cin).
func (c *Conv) gemmB() []float32 {
	kk := c.K * c.K
	wt := make([]float32, kk*c.Cin*c.Cout)
	for o := 0; o < c.Cout; o++ {
		for i := 0; i < c.Cin; i++ {
			for t := 0; t < kk; t++ {
				wt[(t*c.Cin+i)*c.Cout+o] = c.Weight[(o*c.Cin+i)*kk+t]
			}
		}
	}
	return wt
}

// Linear is a fully connected layer: out = W·x + b, W is [Out, In].
type Linear struct {
	Name    string
	In, Out int
	Weight  []float32
	Bias    []float32
}

// SPADE is spatially-adaptive normalization: a parameter-free norm of x,
// then a per-pixel scale (1+γ) and shift β predicted from the label map by
// mlp_shared → ReLU → mlp_gamma / mlp_beta.
type SPADE struct {
	Name     string
	C        int  // channels normalised
	Instance bool // instance norm; otherwise batch norm with running stats
	Shared   Conv // mlp_shared.0: semantic_nc → nhidden
	Gamma    Conv
	Beta     Conv
	// Batch norm running statistics (nil for instance norm).
	RunningMean, RunningVar []float32

	bnScale, bnShift []float32 // batch norm folded: norm(x) = x·scale + shift
	shared           []float32 // gather table of Shared [tap][channel][nhidden]
	// Gamma|Beta as one GEMM operand [K·K·nhidden, 2C], packed. The
	// unpacked form is not kept: for the reference ADE20K shape it is
	// another 100 MB, and only the first use of a border table needs it.
	gbPacked  *gemm.PackedB
	gbBias    []float32 // [2C]
	classGB   []float32 // [class][2C]: γ|β where the neighbourhood is one class
	classActv []float32 // [class][nhidden]: mlp_shared→ReLU over one class
	id        int       // index in Model.spades
}

// ResBlock is the reference's SPADEResnetBlock.
type ResBlock struct {
	Name            string
	Fin, Fout, Fmid int
	Conv0, Conv1    Conv
	ConvS           *Conv // learned shortcut (fin != fout), no bias
	Norm0, Norm1    SPADE
	NormS           *SPADE
	upBefore        bool // a ×2 nearest upsampling precedes this block
	level           int  // resolution level: 0 is the first feature map
}

// Generator is the reference's SPADEGenerator.
type Generator struct {
	FCLinear *Linear // with VAE: z → 16·ngf·sh·sw
	FCConv   *Conv   // without VAE: 3×3 conv over the downsampled label map
	Blocks   []*ResBlock
	ConvImg  Conv
}

// Encoder is the reference's ConvEncoder (style encoder of the VAE): six
// stride-2 convs for crop_size >= 256, five below. The photo is always
// resized to 256×256, so S is 4 with six layers and 8 with five; fc_mu and
// fc_var take ndf·8·S·S inputs. (The reference sizes them for 4×4 in both
// cases and so cannot run with five layers; such encoders are our own.)
type Encoder struct {
	Layers      []Conv // stride 2, pad 1, no bias; instance norm and leaky ReLU follow
	FCMu, FCVar Linear
	S           int // spatial size of the last feature map (input is 256×256)
}

// Label is one class a model accepts, as described by its `labels` metadata.
type Label struct {
	ID    int
	Name  string
	Color color.RGBA
}

// LabelSet is a model's label vocabulary: dataset ids, names and colours,
// and the id → input channel table.
type LabelSet struct {
	Set       string
	Unlabeled int // id of the unlabeled / void class, -1 if none
	Labels    []Label
	Channels  [][2]int // [id, channel] for every accepted id
}

// Style is a named style preset (a z vector) shipped with a model.
type Style struct {
	Name string
	Z    []float32
}

// Model is a loaded generator with its optional encoder, label table,
// metadata and style presets. It is immutable after loading and may be
// shared by several Renderers.
type Model struct {
	file    string
	cfg     Config
	G       *Generator
	E       *Encoder
	labels  LabelSet
	chanOf  [256]int16 // id → channel, -1 for ids the model does not accept
	meta    map[string]string
	styles  []Style
	tensors []safetensors.Tensor // as read, for WriteFile
	ks      int                  // SPADE kernel size
	spades  []*SPADE
	nLevels int // Upsamplings()+1 resolution levels
}

// Config returns the model's options.
func (m *Model) Config() Config { return m.cfg }

// ID is the stable model id from the metadata (file name if absent).
func (m *Model) ID() string {
	if s := m.meta["id"]; s != "" {
		return s
	}
	return strings.TrimSuffix(filepath.Base(m.file), filepath.Ext(m.file))
}

// Name is the human name from the metadata (the ID if absent).
func (m *Model) Name() string {
	if s := m.meta["name"]; s != "" {
		return s
	}
	return m.ID()
}

// Size is the native output size (width, height).
func (m *Model) Size() (w, h int) {
	sw, sh := m.cfg.LatentSize()
	n := m.cfg.Upsamplings()
	return sw << n, sh << n
}

// LabelSet returns the label vocabulary (shared; do not modify).
func (m *Model) LabelSet() LabelSet { return m.labels }

// Styles returns the style presets (shared; do not modify).
func (m *Model) Styles() []Style { return m.styles }

// HasEncoder reports whether the model can encode a photo into a style.
func (m *Model) HasEncoder() bool { return m.E != nil }

// Metadata returns a copy of the file's metadata.
func (m *Model) Metadata() map[string]string {
	out := make(map[string]string, len(m.meta))
	for k, v := range m.meta {
		out[k] = v
	}
	return out
}

// Channel returns the generator input channel of a dataset label id.
func (m *Model) Channel(id int) (int, bool) {
	if id < 0 || id > 255 || m.chanOf[id] < 0 {
		return 0, false
	}
	return int(m.chanOf[id]), true
}

// MACs counts the multiply-accumulates of one dense generator pass at w×h,
// as the reference computes it (every conv and linear layer).
func (m *Model) MACs(w, h int) int64 {
	c := m.cfg
	n := c.Upsamplings()
	lw, lh := w>>n, h>>n
	snc := int64(c.SemanticNC())
	var t int64
	conv := func(cv *Conv, hw int64) { t += int64(cv.K*cv.K*cv.Cin*cv.Cout) * hw }
	g := m.G
	if g.FCLinear != nil {
		t += int64(g.FCLinear.In * g.FCLinear.Out)
	} else {
		conv(g.FCConv, int64(lw*lh))
	}
	_ = snc
	for _, b := range g.Blocks {
		hw := int64((lw << b.level) * (lh << b.level))
		for _, s := range []*SPADE{&b.Norm0, &b.Norm1, b.NormS} {
			if s != nil {
				conv(&s.Shared, hw)
				conv(&s.Gamma, hw)
				conv(&s.Beta, hw)
			}
		}
		conv(&b.Conv0, hw)
		conv(&b.Conv1, hw)
		if b.ConvS != nil {
			conv(b.ConvS, hw)
		}
	}
	conv(&g.ConvImg, int64(w*h))
	return t
}

// Load reads a native model file (.safetensors).
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(data, path)
}

// Decode parses a native model file held in memory; name is used in errors.
func Decode(data []byte, name string) (*Model, error) {
	f, err := safetensors.Read(bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		return nil, err
	}
	return fromFile(f)
}

// FromTensors builds a model from tensors named as in the native format and
// its metadata (as an importer produces them), checking them as Load does.
func FromTensors(name string, tensors []safetensors.Tensor, meta map[string]string) (*Model, error) {
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, tensors, meta, false); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return Decode(buf.Bytes(), name)
}

// WriteFile writes the model in the native format, as F16 when fp16 is set.
// The file is written beside path and renamed into place.
func (m *Model) WriteFile(path string, fp16 bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := safetensors.Write(tmp, m.tensors, m.meta, fp16); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// binder hands out the file's tensors by expected name and shape and
// collects every mismatch, so one load reports all problems at once.
type binder struct {
	f    *safetensors.File
	used map[string]bool
	errs []string

	// Without a file the binder invents parameters (RandomModel).
	rng     *rand.Rand
	encoder bool
	made    []safetensors.Tensor
}

func (b *binder) has(name string) bool {
	if b.f == nil {
		return b.encoder
	}
	_, ok := b.f.Get(name)
	return ok
}

// random makes a plausible parameter: weights with fan-in scaling so
// activations stay O(1), small biases and means, variances near 1.
func (b *binder) random(name string, shape []int) []float32 {
	d := make([]float32, prod(shape))
	fan := 1
	if len(shape) > 1 {
		fan = prod(shape[1:])
	}
	for i := range d {
		g := float32(b.rng.NormFloat64())
		switch {
		case strings.HasSuffix(name, "running_var"):
			d[i] = 0.5 + b.rng.Float32()
		case len(shape) == 1:
			d[i] = 0.1 * g
		default:
			d[i] = g / float32(math.Sqrt(float64(fan)))
		}
	}
	b.made = append(b.made, safetensors.Tensor{Name: name, DType: "F32", Shape: append([]int(nil), shape...), Data: d})
	return d
}

func shapeStr(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (b *binder) get(name string, shape ...int) []float32 {
	if b.f == nil {
		return b.random(name, shape)
	}
	t, ok := b.f.Get(name)
	if !ok {
		b.errs = append(b.errs, fmt.Sprintf("%s: tensor %s: missing (want shape %s)", b.f.Name, name, shapeStr(shape)))
		return make([]float32, prod(shape))
	}
	b.used[name] = true
	same := len(t.Shape) == len(shape)
	for i := 0; same && i < len(shape); i++ {
		same = t.Shape[i] == shape[i]
	}
	if !same {
		b.errs = append(b.errs, fmt.Sprintf("%s: tensor %s: want shape %s, found %s", b.f.Name, name, shapeStr(shape), shapeStr(t.Shape)))
		return make([]float32, prod(shape))
	}
	for _, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			b.errs = append(b.errs, fmt.Sprintf("%s: tensor %s: holds NaN or Inf", b.f.Name, name))
			break
		}
	}
	return t.Data
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func (b *binder) conv(name string, cin, cout, k, stride int, bias bool) Conv {
	c := Conv{Name: name, Cin: cin, Cout: cout, K: k, Stride: stride, Pad: k / 2}
	c.Weight = b.get(name+".weight", cout, cin, k, k)
	if bias {
		c.Bias = b.get(name+".bias", cout)
	}
	return c
}

func (b *binder) linear(name string, in, out int) Linear {
	return Linear{Name: name, In: in, Out: out, Weight: b.get(name+".weight", out, in), Bias: b.get(name+".bias", out)}
}

func (b *binder) spade(name string, c int, cfg Config) SPADE {
	inst, ks, _ := cfg.spadeNorm()
	s := SPADE{Name: name, C: c, Instance: inst}
	s.Shared = b.conv(name+".mlp_shared.0", cfg.SemanticNC(), cfg.NHidden, ks, 1, true)
	s.Gamma = b.conv(name+".mlp_gamma", cfg.NHidden, c, ks, 1, true)
	s.Beta = b.conv(name+".mlp_beta", cfg.NHidden, c, ks, 1, true)
	if !inst {
		s.RunningMean = b.get(name+".param_free_norm.running_mean", c)
		s.RunningVar = b.get(name+".param_free_norm.running_var", c)
		for i, v := range s.RunningVar {
			if v < 0 {
				b.errs = append(b.errs, fmt.Sprintf("%s: tensor %s.param_free_norm.running_var: negative variance %v at %d", b.f.Name, name, v, i))
				break
			}
		}
	}
	return s
}

func (b *binder) block(name string, fin, fout int, cfg Config) *ResBlock {
	fmid := min(fin, fout)
	r := &ResBlock{Name: name, Fin: fin, Fout: fout, Fmid: fmid}
	p := "netG." + name
	r.Conv0 = b.conv(p+".conv_0", fin, fmid, 3, 1, true)
	r.Conv1 = b.conv(p+".conv_1", fmid, fout, 3, 1, true)
	if fin != fout {
		cs := b.conv(p+".conv_s", fin, fout, 1, 1, false)
		r.ConvS = &cs
		ns := b.spade(p+".norm_s", fin, cfg)
		r.NormS = &ns
	}
	r.Norm0 = b.spade(p+".norm_0", fin, cfg)
	r.Norm1 = b.spade(p+".norm_1", fmid, cfg)
	return r
}

func fromFile(f *safetensors.File) (*Model, error) {
	name := f.Name
	meta := f.Metadata
	if meta["format"] != "spadework-model" {
		return nil, fmt.Errorf("%s: metadata format is %q, want spadework-model", name, meta["format"])
	}
	if v := meta["format_version"]; v != "1" {
		return nil, fmt.Errorf("%s: format_version %q not supported (want 1)", name, v)
	}
	cfg, err := ParseConfig(meta["config"])
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	_, ks, _ := cfg.spadeNorm()
	m := &Model{file: name, cfg: cfg, meta: meta, tensors: f.Tensors, ks: ks, nLevels: cfg.Upsamplings() + 1}
	b := &binder{f: f, used: map[string]bool{}}

	m.build(b)

	if t, ok := f.Get("styles"); ok {
		b.used["styles"] = true
		zd := cfg.ZDim
		if !cfg.UseVAE || len(t.Shape) != 2 || t.Shape[1] != zd {
			b.errs = append(b.errs, fmt.Sprintf("%s: tensor styles: want shape [n %d] on a VAE model, found %s", name, zd, shapeStr(t.Shape)))
		} else {
			var names []string
			if s := meta["style_names"]; s != "" {
				if err := json.Unmarshal([]byte(s), &names); err != nil {
					return nil, fmt.Errorf("%s: metadata style_names: %v", name, err)
				}
			}
			for i := 0; i < t.Shape[0]; i++ {
				n := fmt.Sprintf("style %d", i+1)
				if i < len(names) {
					n = names[i]
				}
				m.styles = append(m.styles, Style{Name: n, Z: t.Data[i*zd : (i+1)*zd : (i+1)*zd]})
			}
		}
	}
	var extra []string
	for _, t := range f.Tensors {
		if !b.used[t.Name] {
			extra = append(extra, fmt.Sprintf("%s: unexpected tensor %s %s", name, t.Name, shapeStr(t.Shape)))
		}
	}
	sort.Strings(extra)
	b.errs = append(b.errs, extra...)
	if len(b.errs) > 0 {
		if len(b.errs) > 8 {
			b.errs = append(b.errs[:8], fmt.Sprintf("... and %d more problems", len(b.errs)-8))
		}
		return nil, fmt.Errorf("%s", strings.Join(b.errs, "\n"))
	}
	if err := m.parseLabels(); err != nil {
		return nil, fmt.Errorf("%s: metadata labels: %v", name, err)
	}
	m.prepare()
	return m, nil
}

// build constructs the networks of m.cfg, taking every parameter from b.
func (m *Model) build(b *binder) {
	cfg := m.cfg
	nf := cfg.NGF
	sw, sh := cfg.LatentSize()
	g := &Generator{}
	if cfg.UseVAE {
		l := b.linear("netG.fc", cfg.ZDim, 16*nf*sw*sh)
		g.FCLinear = &l
	} else {
		c := b.conv("netG.fc", cfg.SemanticNC(), 16*nf, 3, 1, true)
		g.FCConv = &c
	}
	type spec struct {
		name      string
		fin, fout int
		up        bool
	}
	more := cfg.NumUpsamplingLayers != "normal"
	specs := []spec{
		{"head_0", 16 * nf, 16 * nf, false},
		{"G_middle_0", 16 * nf, 16 * nf, true},
		{"G_middle_1", 16 * nf, 16 * nf, more},
		{"up_0", 16 * nf, 8 * nf, true},
		{"up_1", 8 * nf, 4 * nf, true},
		{"up_2", 4 * nf, 2 * nf, true},
		{"up_3", 2 * nf, nf, true},
	}
	finalNC := nf
	if cfg.NumUpsamplingLayers == "most" {
		specs = append(specs, spec{"up_4", nf, nf / 2, true})
		finalNC = nf / 2
	}
	level := 0
	for _, s := range specs {
		blk := b.block(s.name, s.fin, s.fout, cfg)
		if s.up {
			level++
		}
		blk.upBefore, blk.level = s.up, level
		g.Blocks = append(g.Blocks, blk)
	}
	g.ConvImg = b.conv("netG.conv_img", finalNC, 3, 3, 1, true)
	m.G = g

	if b.has("netE.layer1.0.weight") {
		e := &Encoder{}
		ndf := nf
		chans := []int{3, ndf, ndf * 2, ndf * 4, ndf * 8, ndf * 8, ndf * 8}
		nl := 5
		if cfg.CropSize >= 256 {
			nl = 6
		}
		for i := 0; i < nl; i++ {
			e.Layers = append(e.Layers, b.conv(fmt.Sprintf("netE.layer%d.0", i+1), chans[i], chans[i+1], 3, 2, false))
		}
		e.S = 256 >> nl
		zd := cfg.ZDim
		e.FCMu = b.linear("netE.fc_mu", ndf*8*e.S*e.S, zd)
		e.FCVar = b.linear("netE.fc_var", ndf*8*e.S*e.S, zd)
		m.E = e
	}
}

type labelsJSON struct {
	Set       string `json:"set"`
	Unlabeled *int   `json:"unlabeled"`
	Labels    []struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Color string `json:"color"`
	} `json:"labels"`
	Channels [][2]int `json:"channels"`
}

func parseColor(s string) (color.RGBA, error) {
	if len(s) != 7 || s[0] != '#' {
		return color.RGBA{}, fmt.Errorf("colour %q is not #rrggbb", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("colour %q is not #rrggbb", s)
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}, nil
}

// parseLabels reads the `labels` metadata. Without it every id
// 0..channels-1 maps to the channel of the same number.
func (m *Model) parseLabels() error {
	for i := range m.chanOf {
		m.chanOf[i] = -1
	}
	nch := m.cfg.labelChannels()
	js := m.meta["labels"]
	if js == "" {
		m.labels = LabelSet{Set: "", Unlabeled: -1}
		for id := 0; id < nch && id < 256; id++ {
			m.chanOf[id] = int16(id)
			m.labels.Channels = append(m.labels.Channels, [2]int{id, id})
			m.labels.Labels = append(m.labels.Labels, Label{ID: id, Name: fmt.Sprintf("class %d", id), Color: color.RGBA{uint8(id * 37), uint8(id * 91), uint8(id * 53), 255}})
		}
		return nil
	}
	var lj labelsJSON
	if err := json.Unmarshal([]byte(js), &lj); err != nil {
		return err
	}
	ls := LabelSet{Set: lj.Set, Unlabeled: -1}
	if lj.Unlabeled != nil {
		ls.Unlabeled = *lj.Unlabeled
	}
	for _, l := range lj.Labels {
		c, err := parseColor(l.Color)
		if err != nil {
			return fmt.Errorf("label %d: %v", l.ID, err)
		}
		ls.Labels = append(ls.Labels, Label{ID: l.ID, Name: l.Name, Color: c})
	}
	if len(lj.Channels) == 0 {
		return fmt.Errorf("no channels")
	}
	for _, p := range lj.Channels {
		id, ch := p[0], p[1]
		if id < 0 || id > 255 {
			return fmt.Errorf("id %d outside 0..255", id)
		}
		if ch < 0 || ch >= nch {
			return fmt.Errorf("id %d maps to channel %d, model has %d label channels", id, ch, nch)
		}
		if m.chanOf[id] >= 0 {
			return fmt.Errorf("id %d listed twice", id)
		}
		m.chanOf[id] = int16(ch)
	}
	ls.Channels = lj.Channels
	m.labels = ls
	return nil
}

// prepare derives the engine's layouts from the stored weights: GEMM
// operands, gather tables, folded batch norm and per-class modulation.
func (m *Model) prepare() {
	g := m.G
	if g.FCConv != nil {
		g.FCConv.prepare(true) // gathered over the one-hot map
	}
	nw, _ := m.Size()
	lw := nw >> m.cfg.Upsamplings()
	for _, b := range g.Blocks {
		b.Conv0.prepareRows(lw << b.level)
		b.Conv1.prepareRows(lw << b.level)
		if b.ConvS != nil {
			b.ConvS.prepare(false)
		}
		for _, s := range []*SPADE{&b.Norm0, &b.Norm1, b.NormS} {
			if s != nil {
				s.prepare(m.cfg.labelChannels())
				s.id = len(m.spades)
				m.spades = append(m.spades, s)
			}
		}
	}
	g.ConvImg.prepareRows(nw)
	if m.E != nil {
		for i := range m.E.Layers {
			m.E.Layers[i].prepare(false)
		}
	}
}

const normEps = 1e-5

func (s *SPADE) prepare(classes int) {
	if !s.Instance {
		s.bnScale = make([]float32, s.C)
		s.bnShift = make([]float32, s.C)
		for c := 0; c < s.C; c++ {
			sc := 1 / math.Sqrt(float64(s.RunningVar[c])+normEps)
			s.bnScale[c] = float32(sc)
			s.bnShift[c] = float32(-float64(s.RunningMean[c]) * sc)
		}
	}
	// The GEMM layout [tap][cin][cout] doubles as the gather table: with a
	// one-hot input the conv at a pixel is a sum over taps of one row each.
	s.Shared.prepare(true)
	s.shared = s.Shared.wt
	kk := s.Gamma.K * s.Gamma.K
	nh := s.Gamma.Cin
	C2 := 2 * s.C
	gb := make([]float32, kk*nh*C2)
	for o := 0; o < s.C; o++ {
		for i := 0; i < nh; i++ {
			for t := 0; t < kk; t++ {
				gb[(t*nh+i)*C2+o] = s.Gamma.Weight[(o*nh+i)*kk+t]
				gb[(t*nh+i)*C2+s.C+o] = s.Beta.Weight[(o*nh+i)*kk+t]
			}
		}
	}
	s.gbPacked = gemm.PackB(kk*nh, C2, gb, C2)
	s.gbBias = make([]float32, C2)
	copy(s.gbBias, s.Gamma.Bias)
	copy(s.gbBias[s.C:], s.Beta.Bias)

	// γ|β of a map that is class c everywhere the kernels can see: every tap
	// of mlp_shared reads channel c, every tap of mlp_gamma/beta reads the
	// same activation vector a_c, so γ|β_c = bias + a_c·Σ_t W_t. Summing the
	// taps first makes this one nh×2C product per class (float64, so the
	// result is the direct sum's to rounding), not kk of them: seconds
	// instead of minutes of load for a 151-class ngf-64 model.
	sncIn := s.Shared.Cin
	kks := s.Shared.K * s.Shared.K
	s.classGB = make([]float32, classes*C2)
	s.classActv = make([]float32, classes*nh)
	wsum := make([]float64, nh*C2)
	for t := 0; t < kk; t++ {
		for i := 0; i < nh; i++ {
			row := gb[(t*nh+i)*C2 : (t*nh+i+1)*C2]
			sum := wsum[i*C2 : (i+1)*C2]
			for o, v := range row {
				sum[o] += float64(v)
			}
		}
	}
	acc := make([]float64, C2)
	for c := 0; c < classes; c++ {
		for o := range acc {
			acc[o] = float64(s.gbBias[o])
		}
		for j := 0; j < nh; j++ {
			a := float64(s.Shared.Bias[j])
			for t := 0; t < kks; t++ {
				a += float64(s.shared[(t*sncIn+c)*nh+j])
			}
			a = max(a, 0)
			s.classActv[c*nh+j] = float32(a)
			if a == 0 {
				continue
			}
			for o, w := range wsum[j*C2 : (j+1)*C2] {
				acc[o] += a * w
			}
		}
		out := s.classGB[c*C2 : (c+1)*C2]
		for o, v := range acc {
			out[o] = float32(v)
		}
	}
}

// borderGB returns γ|β of every pixel of a (2R+1)×(2R+1) map of class c,
// R = 2r: pixel (i, j) of it has the same zero-padding pattern in both
// convolutions as any pixel of a larger uniform region whose distances to
// the map's edges fall in the same classes (0..R-1 from one side, or R).
func (s *SPADE) borderGB(c, R int) []float32 {
	S := 2*R + 1
	k := s.Gamma.K
	r := k / 2
	nh := s.Gamma.Cin
	snc := s.Shared.Cin
	C2 := 2 * s.C
	gb := s.gbPacked.Unpack()
	actv := make([]float64, S*S*nh)
	for i := 0; i < S; i++ {
		for j := 0; j < S; j++ {
			a := actv[(i*S+j)*nh : (i*S+j+1)*nh]
			for h := range a {
				a[h] = float64(s.Shared.Bias[h])
			}
			for u := 0; u < k; u++ {
				for v := 0; v < k; v++ {
					y, x := i+u-r, j+v-r
					if y < 0 || y >= S || x < 0 || x >= S {
						continue
					}
					row := s.shared[((u*k+v)*snc+c)*nh:]
					for h := range a {
						a[h] += float64(row[h])
					}
				}
			}
			for h, v := range a {
				a[h] = max(v, 0)
			}
		}
	}
	out := make([]float32, S*S*C2)
	acc := make([]float64, C2)
	for i := 0; i < S; i++ {
		for j := 0; j < S; j++ {
			for o := range acc {
				acc[o] = float64(s.gbBias[o])
			}
			for u := 0; u < k; u++ {
				for v := 0; v < k; v++ {
					y, x := i+u-r, j+v-r
					if y < 0 || y >= S || x < 0 || x >= S {
						continue
					}
					a := actv[(y*S+x)*nh : (y*S+x+1)*nh]
					for h, av := range a {
						if av == 0 {
							continue
						}
						w := gb[((u*k+v)*nh+h)*C2 : ((u*k+v)*nh+h+1)*C2]
						for o, wv := range w {
							acc[o] += av * float64(wv)
						}
					}
				}
			}
			for o, v := range acc {
				out[(i*S+j)*C2+o] = float32(v)
			}
		}
	}
	return out
}

// RandomModel builds a model of cfg with random parameters (for timing and
// tests): an encoder when encoder is set, metadata from meta plus the
// format keys. Without `labels` in meta, ids 0..channels-1 map to
// channels of the same number.
func RandomModel(cfg Config, encoder bool, meta map[string]string, seed int64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &binder{rng: rand.New(rand.NewSource(seed)), encoder: encoder, used: map[string]bool{}}
	m := &Model{cfg: cfg}
	m.build(b)
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	md := map[string]string{"name": "Random model", "id": fmt.Sprintf("random-%d", seed)}
	for k, v := range meta {
		md[k] = v
	}
	md["format"], md["format_version"], md["config"] = "spadework-model", "1", string(js)
	return FromTensors("random.safetensors", b.made, md)
}

// FoldSpectral returns weight_orig / σ with σ = uᵀ·W·v, W = weight_orig
// viewed as [len(u), len(v)]: the weight torch's spectral_norm uses in
// eval mode (no power iteration). It is how a checkpoint's weight_orig,
// weight_u and weight_v become the native format's folded weight.
func FoldSpectral(weightOrig, u, v []float32) ([]float32, error) {
	rows, cols := len(u), len(v)
	if rows == 0 || cols == 0 || rows*cols != len(weightOrig) {
		return nil, fmt.Errorf("spectral norm: weight_orig has %d values, u %d and v %d", len(weightOrig), rows, cols)
	}
	var sigma float64
	for i := 0; i < rows; i++ {
		var wv float64
		row := weightOrig[i*cols : (i+1)*cols]
		for j, w := range row {
			wv += float64(w) * float64(v[j])
		}
		sigma += float64(u[i]) * wv
	}
	if sigma == 0 || math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("spectral norm: sigma is %v", sigma)
	}
	out := make([]float32, len(weightOrig))
	for i, w := range weightOrig {
		out[i] = float32(float64(w) / sigma)
	}
	return out, nil
}
