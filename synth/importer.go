package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"spadework/palette"
	"spadework/synth/internal/pth"
	"spadework/synth/internal/safetensors"
)

// Preset is one of the reference's dataset configurations: the options its
// data loader sets, the label set and the id → input channel mapping its
// loader applies.
type Preset struct {
	Name   string // "ade20k", "coco", "cityscapes"
	Config Config
	Set    *palette.Set
	// Channels lists every accepted dataset id and its input channel.
	Channels [][2]int
}

// The reference's dataset options (data/<name>_dataset.py with
// SPADEGenerator's norm_G default spectralspadesyncbatch3x3, ngf 64, and
// SPADE's hard-coded nhidden 128):
//   - ade20k: label_nc 150, contain_dontcare_label, no_instance, crop 256,
//     aspect 1; the loader does label-1 and sends 0 (unlabeled) to 150.
//   - coco: label_nc 182, contain_dontcare_label, instance maps, crop 256;
//     the loader sends 255 to label_nc (182).
//   - cityscapes: label_nc 35, no don't-care, instance maps, crop 512, aspect
//     2, num_upsampling_layers more; labelIds go in unchanged.
func presetFor(name string) (Preset, error) {
	cfg := DefaultConfig()
	cfg.NormG = "spectralspadesyncbatch3x3"
	cfg.NGF, cfg.NHidden, cfg.ZDim = 64, 128, 256
	cfg.CropSize, cfg.AspectRatio, cfg.NumUpsamplingLayers = 256, 1, "normal"
	p := Preset{Name: name}
	switch name {
	case "ade20k":
		cfg.LabelNC, cfg.ContainDontcareLabel, cfg.NoInstance = 150, true, true
		p.Set = palette.ADE20K
		p.Channels = append(p.Channels, [2]int{0, 150})
		for id := 1; id <= 150; id++ {
			p.Channels = append(p.Channels, [2]int{id, id - 1})
		}
	case "coco":
		cfg.LabelNC, cfg.ContainDontcareLabel, cfg.NoInstance = 182, true, false
		p.Set = palette.COCO
		for id := 0; id < 182; id++ {
			p.Channels = append(p.Channels, [2]int{id, id})
		}
		p.Channels = append(p.Channels, [2]int{255, 182})
	case "cityscapes":
		cfg.LabelNC, cfg.ContainDontcareLabel, cfg.NoInstance = 35, false, false
		cfg.CropSize, cfg.AspectRatio, cfg.NumUpsamplingLayers = 512, 2, "more"
		p.Set = palette.Cityscapes
		for id := 0; id <= 33; id++ {
			p.Channels = append(p.Channels, [2]int{id, id})
		}
	default:
		return p, fmt.Errorf("unknown preset %q (want one of %s)", name, strings.Join(Presets(), ", "))
	}
	p.Config = cfg
	return p, nil
}

// Presets lists the preset names Import accepts.
func Presets() []string { return []string{"ade20k", "coco", "cityscapes"} }

// LookupPreset returns a preset by name.
func LookupPreset(name string) (Preset, error) { return presetFor(name) }

// ImportOptions are the inputs of Import; zero values mean "as the preset".
type ImportOptions struct {
	Preset string // ade20k, coco or cityscapes
	NetG   string // latest_net_G.pth (required)
	NetE   string // latest_net_E.pth (optional; needs VAE)
	Out    string // the .safetensors file to write
	FP16   bool   // store F16 instead of F32

	NGF           int     // reference --ngf
	NumUpsampling string  // reference --num_upsampling_layers: normal, more, most
	Crop          int     // reference --crop_size
	Aspect        float64 // reference --aspect_ratio
	VAE           bool    // reference --use_vae
	// NormG is the reference's --norm_G, e.g. spectralspadeinstance3x3 for a
	// model trained with instance norm.
	NormG string
	// NHidden and ZDim are fixed in the reference (128 and 256); they exist
	// for forks and small test checkpoints.
	NHidden int
	ZDim    int

	Name    string // human model name; default derived from the preset
	ID      string // stable model id; default derived from preset and checksum
	License string // default: the SPADE weights' CC BY-NC-SA 4.0 note
}

// ImportConfig is the configuration Import builds for opts (the preset
// with the overrides applied), validated.
func ImportConfig(opts ImportOptions) (Preset, error) {
	p, err := presetFor(opts.Preset)
	if err != nil {
		return p, err
	}
	c := &p.Config
	if opts.NGF != 0 {
		c.NGF = opts.NGF
	}
	if opts.NumUpsampling != "" {
		c.NumUpsamplingLayers = opts.NumUpsampling
	}
	if opts.Crop != 0 {
		c.CropSize = opts.Crop
	}
	if opts.Aspect != 0 {
		c.AspectRatio = opts.Aspect
	}
	if opts.VAE {
		c.UseVAE = true
	}
	if opts.NormG != "" {
		c.NormG = opts.NormG
	}
	if opts.NHidden != 0 {
		c.NHidden = opts.NHidden
	}
	if opts.ZDim != 0 {
		c.ZDim = opts.ZDim
	}
	if opts.NetE != "" && !c.UseVAE {
		return p, errors.New("an encoder (netE) needs a VAE generator: add --vae")
	}
	return p, c.Validate()
}

const defaultLicense = "Converted from NVIDIA SPADE pretrained weights (NVlabs/SPADE), licensed CC BY-NC-SA 4.0: non-commercial use only, with attribution."

// Import converts an official SPADE checkpoint (latest_net_G.pth and
// optionally latest_net_E.pth, either torch serialization format) to the
// native .safetensors model at opts.Out: spectral norm folded, batch-norm
// statistics kept, num_batches_tracked dropped, every tensor name and shape
// checked against the configuration. The written file is loaded back and
// returned, so a model that Import accepts is one the engine can run.
func Import(opts ImportOptions) (*Model, error) {
	if opts.NetG == "" || opts.Out == "" {
		return nil, errors.New("import: netG and out are required")
	}
	p, err := ImportConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("import: %v", err)
	}
	cfg := p.Config
	gsd, err := pth.Open(opts.NetG)
	if err != nil {
		return nil, err
	}
	var tensors []safetensors.Tensor
	gname := filepath.Base(opts.NetG)
	if tensors, err = convertG(gsd, cfg, gname); err != nil {
		return nil, err
	}
	gsum, err := fileSHA256(opts.NetG)
	if err != nil {
		return nil, err
	}
	prov := map[string]any{
		"source": "NVlabs/SPADE checkpoint", "importer": "spadework import", "preset": p.Name,
		"netG": gname, "netG_sha256": gsum, "netG_format": gsd.Format,
		"date": time.Now().UTC().Format(time.RFC3339),
	}
	gsd = nil
	if opts.NetE != "" {
		esd, err := pth.Open(opts.NetE)
		if err != nil {
			return nil, err
		}
		et, err := convertE(esd, cfg, filepath.Base(opts.NetE))
		if err != nil {
			return nil, err
		}
		tensors = append(tensors, et...)
		esum, err := fileSHA256(opts.NetE)
		if err != nil {
			return nil, err
		}
		prov["netE"], prov["netE_sha256"], prov["netE_format"] = filepath.Base(opts.NetE), esum, esd.Format
	}
	meta, err := importMetadata(p, opts, gsum, prov)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(opts.Out), "."+filepath.Base(opts.Out)+".tmp*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := safetensors.Write(tmp, tensors, meta, opts.FP16); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("%s: %v", opts.Out, err)
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp's 0600 is for secrets, not models
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	tensors = nil
	m, err := Load(tmp.Name())
	if err != nil {
		return nil, fmt.Errorf("import: the converted model does not load: %v", err)
	}
	m.file = opts.Out
	if err := os.Rename(tmp.Name(), opts.Out); err != nil {
		return nil, err
	}
	return m, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func importMetadata(p Preset, opts ImportOptions, gsum string, prov map[string]any) (map[string]string, error) {
	cfg := p.Config
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	type labelJSON struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Color string `json:"color"`
	}
	accepted := map[int]bool{}
	for _, c := range p.Channels {
		accepted[c[0]] = true
	}
	var labels []labelJSON
	for _, l := range p.Set.All() {
		if accepted[int(l.ID)] {
			labels = append(labels, labelJSON{int(l.ID), l.Name, fmt.Sprintf("#%02x%02x%02x", l.Color.R, l.Color.G, l.Color.B)})
		}
	}
	lj := map[string]any{"set": p.Name, "labels": labels, "channels": p.Channels}
	if u, ok := p.Set.Unlabeled(); ok {
		lj["unlabeled"] = int(u)
	}
	ljs, err := json.Marshal(lj)
	if err != nil {
		return nil, err
	}
	pj, err := json.Marshal(prov)
	if err != nil {
		return nil, err
	}
	sw, sh := cfg.LatentSize()
	w, h := sw<<cfg.Upsamplings(), sh<<cfg.Upsamplings()
	name := opts.Name
	if name == "" {
		name = fmt.Sprintf("SPADE %s (imported, %dx%d)", p.Set.Title, w, h)
	}
	id := opts.ID
	if id == "" {
		id = fmt.Sprintf("spade-%s-%d-%s", p.Name, cfg.CropSize, gsum[:12])
	}
	lic := opts.License
	if lic == "" {
		lic = defaultLicense
	}
	return map[string]string{
		"format": "spadework-model", "format_version": "1", "name": name, "id": id,
		"config": string(cj), "labels": string(ljs), "provenance": string(pj), "license": lic,
	}, nil
}

// ckptSpec is one tensor the reference's state_dict holds for a config.
type ckptSpec struct {
	name  string // state_dict name without the weight suffix for convs
	shape []int
	// kind: "conv" (may be spectral: weight_orig/u/v, the pre-1.1 layout
	// weight_orig/u/weight, or a plain weight), "plain" (a tensor taken as
	// is), "bn" (running_mean, running_var, optional num_batches_tracked).
	kind string
}

// gSpecs lists the generator's tensors as the reference names them.
func gSpecs(cfg Config) []ckptSpec {
	nf := cfg.NGF
	sw, sh := cfg.LatentSize()
	_, ks, _ := cfg.spadeNorm()
	inst := strings.Contains(cfg.NormG, "instance")
	snc := cfg.SemanticNC()
	var s []ckptSpec
	add := func(name, kind string, shape ...int) { s = append(s, ckptSpec{name, shape, kind}) }
	if cfg.UseVAE {
		add("fc.weight", "plain", 16*nf*sw*sh, cfg.ZDim)
		add("fc.bias", "plain", 16*nf*sw*sh)
	} else {
		add("fc.weight", "conv", 16*nf, snc, 3, 3)
		add("fc.bias", "plain", 16*nf)
	}
	spade := func(p string, c int) {
		add(p+".mlp_shared.0.weight", "plain", cfg.NHidden, snc, ks, ks)
		add(p+".mlp_shared.0.bias", "plain", cfg.NHidden)
		add(p+".mlp_gamma.weight", "plain", c, cfg.NHidden, ks, ks)
		add(p+".mlp_gamma.bias", "plain", c)
		add(p+".mlp_beta.weight", "plain", c, cfg.NHidden, ks, ks)
		add(p+".mlp_beta.bias", "plain", c)
		if !inst {
			add(p+".param_free_norm", "bn", c)
		}
	}
	block := func(name string, fin, fout int) {
		fm := min(fin, fout)
		add(name+".conv_0.weight", "conv", fm, fin, 3, 3)
		add(name+".conv_0.bias", "plain", fm)
		add(name+".conv_1.weight", "conv", fout, fm, 3, 3)
		add(name+".conv_1.bias", "plain", fout)
		if fin != fout {
			add(name+".conv_s.weight", "conv", fout, fin, 1, 1)
		}
		spade(name+".norm_0", fin)
		spade(name+".norm_1", fm)
		if fin != fout {
			spade(name+".norm_s", fin)
		}
	}
	block("head_0", 16*nf, 16*nf)
	block("G_middle_0", 16*nf, 16*nf)
	block("G_middle_1", 16*nf, 16*nf)
	block("up_0", 16*nf, 8*nf)
	block("up_1", 8*nf, 4*nf)
	block("up_2", 4*nf, 2*nf)
	block("up_3", 2*nf, nf)
	final := nf
	if cfg.NumUpsamplingLayers == "most" {
		block("up_4", nf, nf/2)
		final = nf / 2
	}
	add("conv_img.weight", "conv", 3, final, 3, 3)
	add("conv_img.bias", "plain", 3)
	return s
}

// eSpecs lists the encoder's tensors (ConvEncoder with norm_E
// spectralinstance: convs without bias, then fc_mu and fc_var).
func eSpecs(cfg Config) []ckptSpec {
	ndf := cfg.NGF
	chans := []int{3, ndf, ndf * 2, ndf * 4, ndf * 8, ndf * 8, ndf * 8}
	nl := 5
	if cfg.CropSize >= 256 {
		nl = 6
	}
	var s []ckptSpec
	for i := 0; i < nl; i++ {
		s = append(s, ckptSpec{fmt.Sprintf("layer%d.0.weight", i+1), []int{chans[i+1], chans[i], 3, 3}, "conv"})
	}
	in := ndf * 8 * (256 >> nl) * (256 >> nl)
	for _, fc := range []string{"fc_mu", "fc_var"} {
		s = append(s, ckptSpec{fc + ".weight", []int{cfg.ZDim, in}, "plain"},
			ckptSpec{fc + ".bias", []int{cfg.ZDim}, "plain"})
	}
	return s
}

var (
	gKeyRe = regexp.MustCompile(`^(fc|head_0|G_middle_[01]|up_[0-4]|conv_img)\.`)
	eKeyRe = regexp.MustCompile(`^(layer[1-6]|fc_mu|fc_var)\.`)
)

func convertG(sd *pth.StateDict, cfg Config, file string) ([]safetensors.Tensor, error) {
	return convert(subNet(sd, "netG.", "head_0.conv_0."), cfg, file, "netG.", "generator", gKeyRe, gSpecs(cfg), "head_0.conv_0.")
}

func convertE(sd *pth.StateDict, cfg Config, file string) ([]safetensors.Tensor, error) {
	return convert(subNet(sd, "netE.", "layer1.0."), cfg, file, "netE.", "encoder", eKeyRe, eSpecs(cfg), "layer1.0.")
}

// subNet picks one network out of a whole Pix2PixModel state_dict (netG.*,
// netD.*, netE.* side by side), dropping the prefix; other checkpoints are
// returned as they are.
func subNet(sd *pth.StateDict, prefix, marker string) *pth.StateDict {
	has := false
	for _, n := range sd.Names {
		if strings.HasPrefix(n, marker) {
			return sd
		}
		if strings.HasPrefix(n, prefix+marker) {
			has = true
		}
	}
	if !has {
		return sd
	}
	out := *sd
	out.Names, out.Tensors = nil, map[string]*pth.Tensor{}
	for _, n := range sd.Names {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			out.Names = append(out.Names, rest)
			out.Tensors[rest] = sd.Tensors[n]
		}
	}
	return &out
}

// convert checks sd against specs and returns the native tensors. Every
// problem is collected so one run reports them all.
func convert(sd *pth.StateDict, cfg Config, file, prefix, what string, keyRe *regexp.Regexp, specs []ckptSpec, marker string) ([]safetensors.Tensor, error) {
	// Another architecture: most names do not look like SPADE's.
	var foreign []string
	hasMarker := false
	for _, n := range sd.Names {
		if !keyRe.MatchString(n) {
			foreign = append(foreign, n)
		}
		if strings.HasPrefix(n, marker) {
			hasMarker = true
		}
	}
	if !hasMarker || 2*len(foreign) > len(sd.Names) {
		return nil, fmt.Errorf("%s: not a SPADE %s: unexpected tensors %s", file, what, listNames(foreign, 6))
	}

	used := map[string]bool{}
	var errs []string
	problem := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s: ", file)+fmt.Sprintf(format, args...))
	}
	get := func(name string, shape []int) *pth.Tensor {
		t, ok := sd.Tensors[name]
		if !ok {
			problem("tensor %s: missing (want shape %s)", name, shapeStr(shape))
			return nil
		}
		used[name] = true
		if !sameShape(t.Shape, shape) {
			problem("tensor %s: want shape %s, found %s", name, shapeStr(shape), shapeStr(t.Shape))
			return nil
		}
		if !t.DType.IsFloat() {
			problem("tensor %s: dtype %s, want a float", name, t.DType)
			return nil
		}
		return t
	}
	var out []safetensors.Tensor
	emit := func(name string, shape []int, data []float32) {
		out = append(out, safetensors.Tensor{Name: prefix + name, DType: "F32", Shape: shape, Data: data})
	}
	for _, s := range specs {
		switch s.kind {
		case "plain":
			if t := get(s.name, s.shape); t != nil {
				emit(s.name, s.shape, t.Data)
			}
		case "bn":
			c := s.shape
			m, v := get(s.name+".running_mean", c), get(s.name+".running_var", c)
			if nb, ok := sd.Tensors[s.name+".num_batches_tracked"]; ok && nb.NumEl() <= 1 {
				used[s.name+".num_batches_tracked"] = true
			}
			if m != nil && v != nil {
				emit(s.name+".running_mean", c, m.Data)
				emit(s.name+".running_var", c, v.Data)
			}
		case "conv":
			base := strings.TrimSuffix(s.name, ".weight")
			if _, ok := sd.Tensors[base+".weight_orig"]; !ok {
				// Plain (non-spectral or already folded) weight.
				if t := get(s.name, s.shape); t != nil {
					emit(s.name, s.shape, t.Data)
				}
				continue
			}
			rows, cols := s.shape[0], prod(s.shape[1:])
			orig := get(base+".weight_orig", s.shape)
			u := get(base+".weight_u", []int{rows})
			_, hasV := sd.Tensors[base+".weight_v"]
			_, hasW := sd.Tensors[base+".weight"]
			switch {
			case hasV:
				v := get(base+".weight_v", []int{cols})
				if hasW {
					used[s.name] = true // a stale copy some savers add; u and v define it
				}
				if orig == nil || u == nil || v == nil {
					continue
				}
				w, err := FoldSpectral(orig.Data, u.Data, v.Data)
				if err != nil {
					problem("tensor %s: %v", base+".weight_orig", err)
					continue
				}
				emit(s.name, s.shape, w)
			case hasW:
				// torch < 1.1 saved the normalized weight itself and no v;
				// loading solves v so that the eval weight is this weight.
				if w := get(s.name, s.shape); w != nil && orig != nil && u != nil {
					emit(s.name, s.shape, w.Data)
				}
			default:
				problem("tensor %s: missing (want shape %s; spectral norm needs weight_v, or weight in checkpoints before torch 1.1)", base+".weight_v", shapeStr([]int{cols}))
			}
		}
	}
	var extra []string
	for _, n := range sd.Names {
		if !used[n] {
			extra = append(extra, fmt.Sprintf("%s %s", n, shapeStr(sd.Tensors[n].Shape)))
		}
	}
	if len(extra) > 0 {
		problem("unexpected tensors %s", listNames(extra, 8))
	}
	if len(errs) > 0 {
		if len(errs) > 12 {
			errs = append(errs[:12], fmt.Sprintf("... and %d more problems", len(errs)-12))
		}
		if hint := guessConfig(sd, cfg, what); hint != "" {
			errs = append(errs, hint)
		}
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	return out, nil
}

// guessConfig reads the options a generator checkpoint was built with from
// its shapes, to suggest what to change when they do not match.
func guessConfig(sd *pth.StateDict, cfg Config, what string) string {
	if what != "generator" {
		return ""
	}
	shared, ok := sd.Tensors["head_0.norm_0.mlp_shared.0.weight"]
	conv, ok2 := sd.Tensors["head_0.conv_0.weight_orig"]
	if !ok2 {
		conv, ok2 = sd.Tensors["head_0.conv_0.weight"]
	}
	if !ok || !ok2 || len(shared.Shape) != 4 || len(conv.Shape) != 4 {
		return ""
	}
	snc, nh, ngf := shared.Shape[1], shared.Shape[0], conv.Shape[0]/16
	var hints []string
	if snc != cfg.SemanticNC() {
		h := fmt.Sprintf("semantic_nc %d (the preset gives %d)", snc, cfg.SemanticNC())
		for _, name := range Presets() {
			if p, _ := presetFor(name); p.Config.SemanticNC() == snc {
				h += ": try --preset " + name
			}
		}
		hints = append(hints, h)
	}
	if ngf != cfg.NGF {
		hints = append(hints, fmt.Sprintf("ngf %d (try --ngf %d)", ngf, ngf))
	}
	if nh != cfg.NHidden {
		hints = append(hints, fmt.Sprintf("nhidden %d", nh))
	}
	if _, ok := sd.Tensors["up_4.conv_0.bias"]; ok && cfg.NumUpsamplingLayers != "most" {
		hints = append(hints, "an up_4 block (try --num-upsampling most)")
	}
	if fc, ok := sd.Tensors["fc.weight"]; ok && len(fc.Shape) == 2 && !cfg.UseVAE {
		hints = append(hints, "a Linear fc (try --vae)")
	}
	if len(hints) == 0 {
		return ""
	}
	return "the checkpoint looks like it has " + strings.Join(hints, ", ")
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func listNames(names []string, n int) string {
	s := append([]string(nil), names...)
	sort.Strings(s)
	if len(s) > n {
		return strings.Join(s[:n], ", ") + fmt.Sprintf(", … (%d in all)", len(s))
	}
	return strings.Join(s, ", ")
}
