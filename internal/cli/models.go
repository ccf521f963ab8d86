package cli

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"spadework/synth"
)

// frameRenderer is what render and bench need of an engine.
type frameRenderer interface {
	Render(ctx context.Context, labels *image.Paletted, z []float32, dst *image.RGBA) error
	Close()
	styleRenderer
}

// styleRenderer encodes style photos.
type styleRenderer interface {
	EncodeStyle(ctx context.Context, photo image.Image) ([]float32, error)
}

// loadModel opens a model file, or the embedded default model for "default".
func loadModel(env *Env, path string) (*synth.Model, error) {
	if path == "default" || path == "" {
		if env.DefaultModel == nil {
			return nil, fmt.Errorf("no default model is embedded in this build")
		}
		data, err := env.DefaultModel()
		if err != nil {
			return nil, err
		}
		return synth.Decode(data, "default model")
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".pth" || ext == ".pt" {
		return nil, fmt.Errorf("%s is a PyTorch checkpoint: convert it first with 'spadework import -netG %s -preset ade20k|coco|cityscapes -out model.safetensors'", path, path)
	}
	return synth.Load(path)
}

// loadModelSized opens a model and resolves a -size flag ("" = the model's
// native size).
func loadModelSized(env *Env, path, size string) (m *synth.Model, w, h int, err error) {
	if w, h, err = parseSize(size); err != nil {
		return nil, 0, 0, err
	}
	if m, err = loadModel(env, path); err != nil {
		return nil, 0, 0, err
	}
	if w == 0 {
		w, h = m.Size()
	}
	return m, w, h, nil
}

// modelLabelLookup finds ids by label name in a model's label set.
func modelLabelLookup(m *synth.Model) labelLookup {
	set := m.LabelSet()
	return func(name string) (uint8, bool) {
		for _, l := range set.Labels {
			if strings.EqualFold(l.Name, name) {
				if _, ok := m.Channel(l.ID); ok && l.ID >= 0 && l.ID < 256 {
					return uint8(l.ID), true
				}
			}
		}
		return 0, false
	}
}

// modelOnlyCommand parses the flags of a subcommand whose only flag is
// -model and opens that model.
func modelOnlyCommand(env *Env, name string, args []string) (*synth.Model, error) {
	fs := newFlags(env, name)
	modelPath := fs.String("model", "default", "model file (.safetensors) or 'default'")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return loadModel(env, *modelPath)
}

func runStyles(ctx context.Context, env *Env, args []string) error {
	m, err := modelOnlyCommand(env, "styles", args)
	if err != nil {
		return err
	}
	if len(m.Styles()) == 0 {
		fmt.Fprintf(env.Stdout, "%s has no style presets\n", m.Name())
		return nil
	}
	for _, s := range m.Styles() {
		fmt.Fprintln(env.Stdout, s.Name)
	}
	return nil
}

func runInfo(ctx context.Context, env *Env, args []string) error {
	m, err := modelOnlyCommand(env, "info", args)
	if err != nil {
		return err
	}
	cfg := m.Config()
	w, h := m.Size()
	set := m.LabelSet()
	fmt.Fprintf(env.Stdout, "name:      %s\nid:        %s\n", m.Name(), m.ID())
	fmt.Fprintf(env.Stdout, "size:      %dx%d\nlabels:    %s, %d labels\n", w, h, set.Set, len(set.Labels))
	fmt.Fprintf(env.Stdout, "generator: ngf %d, nhidden %d, %s, %s upsampling, VAE %v, z %d\n",
		cfg.NGF, cfg.NHidden, cfg.NormG, cfg.NumUpsamplingLayers, cfg.UseVAE, cfg.ZDim)
	fmt.Fprintf(env.Stdout, "encoder:   %v\nstyles:    %d presets\n", m.HasEncoder(), len(m.Styles()))
	fmt.Fprintf(env.Stdout, "cost:      %.2f GMACs per %dx%d frame (dense)\n", float64(m.MACs(w, h))/1e9, w, h)
	meta := m.Metadata()
	for _, k := range []string{"provenance", "license"} {
		if v, ok := meta[k]; ok {
			fmt.Fprintf(env.Stdout, "%-10s %s\n", k+":", v)
		}
	}
	return nil
}
