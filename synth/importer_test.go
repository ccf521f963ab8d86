package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fixturefile "spadework/synth/internal/fixture"
	"spadework/synth/internal/pth"
	"spadework/synth/internal/safetensors"
)

const pthDir = "testdata/pth/"

func readSafetensors(t *testing.T, path string) *safetensors.File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Read(bytes.NewReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tiny applies the overrides the fixtures were built with
// (train/make_pth_fixtures.py: ngf 1, nhidden 1).
func tiny(o ImportOptions) ImportOptions {
	o.NGF, o.NHidden = 1, 1
	return o
}

// TestImport imports the checkpoints of train/make_pth_fixtures.py and
// checks every tensor of the result against the checkpoint: each spectral
// conv against torch's eval weight, weight_orig / sigma with torch's sigma
// (<preset>_sigma.pth; for torch < 1.1's layout, torch's after it solved
// for v), every other tensor unchanged.
func TestImport(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     ImportOptions
		sigma    string // torch's spectral-norm sigma by netG./netE. conv name
		channels [][2]int
		w, h     int
	}{
		{"ade20k zip float16", tiny(ImportOptions{Preset: "ade20k", NetG: "ade20k_G.pth"}), "ade20k_sigma.pth", [][2]int{{0, 150}, {1, 0}, {150, 149}}, 256, 256},
		{"cityscapes zip float32", tiny(ImportOptions{Preset: "cityscapes", NetG: "cityscapes_G.pth"}), "cityscapes_sigma.pth", [][2]int{{0, 0}, {33, 33}}, 512, 256},
		{"cityscapes zip float32 to -fp16", tiny(ImportOptions{Preset: "cityscapes", NetG: "cityscapes_G.pth", FP16: true}), "cityscapes_sigma.pth", nil, 512, 256},
		{"coco legacy float16 vae + encoder in torch<1.1 layout", tiny(ImportOptions{Preset: "coco", NetG: "coco_vae_G_legacy.pth", NetE: "coco_vae_E_legacy.pth", VAE: true, ZDim: 2}), "coco_vae_sigma.pth", [][2]int{{0, 0}, {181, 181}, {255, 182}}, 256, 256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.NetG = pthDir + o.NetG
			if o.NetE != "" {
				o.NetE = pthDir + o.NetE
			}
			o.Out = filepath.Join(t.TempDir(), "model.safetensors")
			m, err := Import(o)
			if err != nil {
				t.Fatal(err)
			}
			if w, h := m.Size(); w != tc.w || h != tc.h {
				t.Errorf("size %dx%d, want %dx%d", w, h, tc.w, tc.h)
			}
			if m.HasEncoder() != (o.NetE != "") {
				t.Errorf("HasEncoder %v", m.HasEncoder())
			}
			for _, c := range tc.channels {
				if ch, ok := m.Channel(c[0]); !ok || ch != c[1] {
					t.Errorf("id %d → channel %d %v, want %d", c[0], ch, ok, c[1])
				}
			}
			out := readSafetensors(t, o.Out)
			ckpt := map[string]*pth.StateDict{}
			for prefix, path := range map[string]string{"netG.": o.NetG, "netE.": o.NetE} {
				if path == "" {
					continue
				}
				if ckpt[prefix], err = pth.Open(path); err != nil {
					t.Fatal(err)
				}
			}
			tol := 2e-6
			if o.FP16 {
				tol = 1e-3
			}
			sig, err := pth.Open(pthDir + tc.sigma)
			if err != nil {
				t.Fatal(err)
			}
			checked, spectral := map[string]bool{}, 0
			for _, name := range sig.Names {
				prefix, conv := name[:5], strings.TrimSuffix(name[5:], ".sigma")
				sd := ckpt[prefix]
				wo, s := sd.Tensors[conv+".weight_orig"], sig.Tensors[name]
				got, ok := out.Get(prefix + conv + ".weight")
				if sd == nil || wo == nil || s == nil || len(s.Data) != 1 || !ok || len(got.Data) != len(wo.Data) {
					t.Errorf("%s: no weight_orig, sigma or output weight", name)
					continue
				}
				tl := tol
				if _, v0 := sd.Tensors[conv+".weight"]; v0 {
					// torch < 1.1's layout: the importer keeps the stored
					// float16 weight, torch solves v for it: equal up to
					// float16 rounding.
					tl = 1e-3
				}
				checked[prefix+conv+".weight"] = true
				for i, v := range wo.Data {
					want := v / s.Data[0] // float32, as torch divides
					if d := math.Abs(float64(got.Data[i] - want)); d > tl*math.Abs(float64(want))+1e-7 {
						t.Errorf("%s[%d] = %v, torch eval weight %v", conv+".weight", i, got.Data[i], want)
						break
					}
				}
			}
			// Every other tensor (batch-norm statistics, SPADE convs, fc,
			// biases, the encoder's linear layers) passes through unchanged.
			passed := 0
			for prefix, sd := range ckpt {
				for _, n := range sd.Names {
					if strings.HasSuffix(n, ".weight_orig") {
						spectral++
					}
					if strings.HasSuffix(n, "num_batches_tracked") {
						if _, ok := out.Get(prefix + n); ok {
							t.Errorf("%s kept", n)
						}
						continue
					}
					if strings.HasSuffix(n, ".weight_orig") || strings.HasSuffix(n, ".weight_u") || strings.HasSuffix(n, ".weight_v") || checked[prefix+n] {
						continue
					}
					got, ok := out.Get(prefix + n)
					want := sd.Tensors[n]
					if !ok || !sameShape(got.Shape, want.Shape) || !closeTo(got.Data, want.Data, tol) {
						t.Errorf("%s differs from the checkpoint", prefix+n)
					}
					passed++
				}
			}
			if len(checked) != spectral || len(checked) == 0 {
				t.Errorf("%d spectral convs checked against torch's sigma, the checkpoints have %d", len(checked), spectral)
			}
			if want := len(checked) + passed; len(out.Tensors) != want {
				t.Errorf("output has %d tensors, %d checked", len(out.Tensors), want)
			}
			var cfg Config
			if err := json.Unmarshal([]byte(out.Metadata["config"]), &cfg); err != nil || cfg.NGF != 1 || cfg.NHidden != 1 {
				t.Errorf("config %s (%v)", out.Metadata["config"], err)
			}
			var labels struct {
				Labels   []map[string]any `json:"labels"`
				Channels [][2]int         `json:"channels"`
			}
			if err := json.Unmarshal([]byte(out.Metadata["labels"]), &labels); err != nil || len(labels.Labels) == 0 || len(labels.Channels) == 0 {
				t.Errorf("labels %.200s (%v)", out.Metadata["labels"], err)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts ImportOptions
		want []string
	}{
		{"shape mismatch", ImportOptions{Preset: "ade20k", NetG: "ade20k_G.pth", NGF: 2, NHidden: 1}, []string{
			"ade20k_G.pth: tensor fc.weight: want shape [32 151 3 3], found [16 151 3 3]",
			"ade20k_G.pth: tensor head_0.conv_0.weight_orig: want shape [32 32 3 3], found [16 16 3 3]",
			"try --ngf 1",
		}},
		{"wrong preset", tiny(ImportOptions{Preset: "coco", NetG: "ade20k_G.pth"}), []string{
			"ade20k_G.pth: tensor fc.weight: want shape [16 184 3 3], found [16 151 3 3]",
			"semantic_nc 151 (the preset gives 184): try --preset ade20k",
		}},
		{"nhidden", ImportOptions{Preset: "ade20k", NetG: "ade20k_G.pth", NGF: 1}, []string{
			"tensor head_0.norm_0.mlp_shared.0.weight: want shape [128 151 3 3], found [1 151 3 3]",
			"nhidden 1",
		}},
		{"other architecture", ImportOptions{Preset: "coco", NetG: "pix2pixhd_G.pth"}, []string{
			"pix2pixhd_G.pth: not a SPADE generator: unexpected tensors model.1.bias, model.1.weight, model.11.bias",
		}},
		{"encoder as generator", tiny(ImportOptions{Preset: "coco", NetG: "coco_vae_E_legacy.pth"}), []string{
			"coco_vae_E_legacy.pth: not a SPADE generator: unexpected tensors fc_mu.bias, fc_mu.weight",
		}},
		{"truncated legacy", tiny(ImportOptions{Preset: "coco", NetG: "coco_vae_G_legacy.pth", NetE: "truncated_E_legacy.pth", VAE: true, ZDim: 2}), []string{
			"truncated_E_legacy.pth: storage ", " bytes, file has ",
		}},
		{"truncated zip", tiny(ImportOptions{Preset: "cityscapes", NetG: "truncated_G.pth"}), []string{
			"truncated_G.pth: truncated or corrupt zip archive",
		}},
		{"encoder without vae", tiny(ImportOptions{Preset: "coco", NetG: "coco_vae_G_legacy.pth", NetE: "coco_vae_E_legacy.pth"}), []string{
			"needs a VAE generator",
		}},
		{"vae expected", tiny(ImportOptions{Preset: "coco", NetG: "coco_vae_G_legacy.pth"}), []string{
			"tensor fc.weight: want shape [16 184 3 3], found [1024 2]", "a Linear fc (try --vae)",
		}},
		{"unknown preset", ImportOptions{Preset: "siftflow", NetG: "x.pth"}, []string{`unknown preset "siftflow"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.NetG = pthDir + o.NetG
			if o.NetE != "" {
				o.NetE = pthDir + o.NetE
			}
			o.Out = filepath.Join(t.TempDir(), "model.safetensors")
			_, err := Import(o)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
			if _, serr := os.Stat(o.Out); serr == nil {
				t.Error("output written despite the error")
			}
		})
	}
}

// TestConvertMissingExtra edits a loaded checkpoint: a missing tensor and an
// unexpected one are both reported by name.
func TestConvertMissingExtra(t *testing.T) {
	sd, err := pth.Open(pthDir + "cityscapes_G.pth")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ImportConfig(tiny(ImportOptions{Preset: "cityscapes"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convertG(sd, p.Config, "g.pth"); err != nil {
		t.Fatal(err)
	}
	delete(sd.Tensors, "up_2.norm_s.mlp_beta.bias")
	delete(sd.Tensors, "up_0.conv_1.weight_v")
	var names []string
	for _, n := range sd.Names {
		if _, ok := sd.Tensors[n]; ok {
			names = append(names, n)
		}
	}
	sd.Names = append(names, "up_9.conv_0.weight")
	sd.Tensors["up_9.conv_0.weight"] = &pth.Tensor{Shape: []int{2, 2}, DType: pth.Float32, Data: make([]float32, 4)}
	_, err = convertG(sd, p.Config, "g.pth")
	for _, w := range []string{
		"g.pth: tensor up_2.norm_s.mlp_beta.bias: missing (want shape [4])",
		"g.pth: tensor up_0.conv_1.weight_v: missing (want shape [72]",
		"g.pth: unexpected tensors up_9.conv_0.weight [2 2]",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v\ndoes not contain %q", err, w)
		}
	}
}

func TestPresets(t *testing.T) {
	for _, tc := range []struct {
		name        string
		snc, sw, sh int
		up          string
	}{
		{"ade20k", 151, 8, 8, "normal"},
		{"coco", 184, 8, 8, "normal"},
		{"cityscapes", 36, 8, 4, "more"},
	} {
		p, err := LookupPreset(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		c := p.Config
		sw, sh := c.LatentSize()
		if c.SemanticNC() != tc.snc || sw != tc.sw || sh != tc.sh || c.NumUpsamplingLayers != tc.up ||
			c.NGF != 64 || c.NHidden != 128 || c.NormG != "spectralspadesyncbatch3x3" || c.UseVAE {
			t.Errorf("%s: %+v", tc.name, c)
		}
		seen := map[int]bool{}
		for _, ch := range p.Channels {
			if ch[1] < 0 || ch[1] >= c.labelChannels() || !p.Set.Has(uint8(ch[0])) {
				t.Errorf("%s: channel pair %v", tc.name, ch)
			}
			seen[ch[1]] = true
		}
		if len(seen) != c.labelChannels() && tc.name != "cityscapes" {
			t.Errorf("%s: %d channels reachable, want %d", tc.name, len(seen), c.labelChannels())
		}
	}
}

// TestImportRenderParity: the importer and the Go generator reproduce the
// PyTorch generator's image (train/make_pth_fixtures.py, tensor2im) on the
// same checkpoint and label map, within 2/255 per channel, at the crop the
// fixtures were made with (ade20k 64: 64x64; cityscapes 128: 128x64). The
// cityscapes case adds the instance-edge channel (derived from the label
// map), a 2:1 aspect and the extra upsampling.
func TestImportRenderParity(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts ImportOptions
	}{
		{"ade20k", tiny(ImportOptions{Preset: "ade20k", NetG: "ade20k_G.pth", Crop: 64})},
		{"cityscapes", tiny(ImportOptions{Preset: "cityscapes", NetG: "cityscapes_G.pth", Crop: 128})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.NetG = pthDir + o.NetG
			o.Out = filepath.Join(t.TempDir(), "m.safetensors")
			m, err := Import(o)
			if err != nil {
				t.Fatal(err)
			}
			labels := readPNG(t, pthDir+tc.name+"_label.png")
			ref := readPNG(t, pthDir+tc.name+"_ref.png")
			b := labels.Bounds()
			if w, h := m.Size(); w != b.Dx() || h != b.Dy() {
				t.Fatalf("model renders %dx%d, reference is %dx%d", w, h, b.Dx(), b.Dy())
			}
			ids := image.NewPaletted(b, nil)
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, _, _, _ := labels.At(x, y).RGBA()
					ids.Pix[ids.PixOffset(x, y)] = uint8(r >> 8)
				}
			}
			r, err := NewRenderer(m, b.Dx(), b.Dy(), 2)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			dst := image.NewRGBA(b)
			if err := r.Render(context.Background(), ids, nil, dst); err != nil {
				t.Fatal(err)
			}
			worst, over := 0, 0
			distinct := map[[3]uint32]bool{}
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					rr, gg, bb, _ := ref.At(x, y).RGBA()
					distinct[[3]uint32{rr, gg, bb}] = true
					o := dst.PixOffset(x, y)
					for c, want := range []uint32{rr >> 8, gg >> 8, bb >> 8} {
						d := int(dst.Pix[o+c]) - int(want)
						d = max(d, -d)
						worst = max(worst, d)
						if d > 2 {
							over++
						}
					}
				}
			}
			if len(distinct) < 1000 {
				t.Errorf("reference image has %d colours: too flat for a parity test", len(distinct))
			}
			if over > 0 {
				t.Errorf("%d channel values differ by more than 2/255 (worst %d)", over, worst)
			}
			t.Logf("worst difference %d/255", worst)
		})
	}
}

func readPNG(t testing.TB, path string) image.Image {
	t.Helper()
	img, err := fixturefile.ReadPNG(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func closeTo(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol*math.Abs(float64(b[i]))+1e-7 {
			return false
		}
	}
	return true
}

// TestImportSpecsMatchModel builds checkpoints in memory for many
// configurations (spectral layout, random values) and checks that what the
// importer expects and emits is exactly what the engine's loader binds.
func TestImportSpecsMatchModel(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, o := range []ImportOptions{
		{Preset: "ade20k", NGF: 2, NHidden: 3},
		{Preset: "ade20k", NGF: 2, NHidden: 3, NumUpsampling: "most", Crop: 512},
		{Preset: "coco", NGF: 1, NHidden: 2, VAE: true, ZDim: 4, NetE: "e"},
		{Preset: "cityscapes", NGF: 1, NHidden: 2, VAE: true, ZDim: 4, Crop: 128, NetE: "e"},
		{Preset: "cityscapes", NGF: 2, NHidden: 2, NormG: "spectralspadeinstance3x3", NumUpsampling: "normal", Aspect: 1},
		{Preset: "coco", NGF: 1, NHidden: 2, NormG: "spadebatch5x5"},
	} {
		p, err := ImportConfig(o)
		if err != nil {
			t.Fatal(err)
		}
		cfg := p.Config
		build := func(specs []ckptSpec, spectral bool) *pth.StateDict {
			sd := &pth.StateDict{Tensors: map[string]*pth.Tensor{}}
			put := func(name string, shape ...int) {
				d := make([]float32, prod(shape))
				for i := range d {
					d[i] = float32(math.Abs(rng.NormFloat64()) + 0.5) // positive: σ and variances stay away from 0
				}
				sd.Names = append(sd.Names, name)
				sd.Tensors[name] = &pth.Tensor{Shape: shape, DType: pth.Float32, Data: d}
			}
			for _, s := range specs {
				switch {
				case s.kind == "bn":
					put(s.name+".running_mean", s.shape...)
					put(s.name+".running_var", s.shape...)
					sd.Names = append(sd.Names, s.name+".num_batches_tracked")
					sd.Tensors[s.name+".num_batches_tracked"] = &pth.Tensor{DType: pth.Int64, Ints: []int64{7}}
				case s.kind == "conv" && spectral:
					base := strings.TrimSuffix(s.name, ".weight")
					put(base+".weight_orig", s.shape...)
					put(base+".weight_u", s.shape[0])
					put(base+".weight_v", prod(s.shape[1:]))
				default:
					put(s.name, s.shape...)
				}
			}
			return sd
		}
		spectral := strings.HasPrefix(cfg.NormG, "spectral")
		tensors, err := convertG(build(gSpecs(cfg), spectral), cfg, "g.pth")
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if o.NetE != "" {
			et, err := convertE(build(eSpecs(cfg), true), cfg, "e.pth")
			if err != nil {
				t.Fatalf("%+v: %v", o, err)
			}
			tensors = append(tensors, et...)
		}
		meta, err := importMetadata(p, o, strings.Repeat("0", 64), map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := FromTensors("m.safetensors", tensors, meta)
		if err != nil {
			t.Fatalf("%+v: the engine does not load the import: %v", o, err)
		}
		if m.HasEncoder() != (o.NetE != "") {
			t.Errorf("%+v: encoder %v", o, m.HasEncoder())
		}
	}
}

// TestImportWholeModelStateDict: a Pix2PixModel state_dict holds netG.* and
// netD.* side by side; the generator is picked out by its prefix.
func TestImportWholeModelStateDict(t *testing.T) {
	sd, err := pth.Open(pthDir + "cityscapes_G.pth")
	if err != nil {
		t.Fatal(err)
	}
	whole := &pth.StateDict{Tensors: map[string]*pth.Tensor{}}
	for _, n := range sd.Names {
		whole.Names = append(whole.Names, "netG."+n)
		whole.Tensors["netG."+n] = sd.Tensors[n]
	}
	whole.Names = append(whole.Names, "netD.discriminator_0.model0.0.weight")
	whole.Tensors["netD.discriminator_0.model0.0.weight"] = &pth.Tensor{Shape: []int{1}, DType: pth.Float32, Data: []float32{1}}
	p, err := ImportConfig(tiny(ImportOptions{Preset: "cityscapes"}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := convertG(whole, p.Config, "model.pth")
	if err != nil {
		t.Fatal(err)
	}
	b, err := convertG(sd, p.Config, "g.pth")
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) || a[0].Name != b[0].Name {
		t.Errorf("%d tensors (%s), want %d (%s)", len(a), a[0].Name, len(b), b[0].Name)
	}
}
