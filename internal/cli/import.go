package cli

import (
	"context"
	"fmt"
	"strings"

	"spadework/synth"
)

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "import")
	var o synth.ImportOptions
	fs.StringVar(&o.Preset, "preset", "", "the checkpoint's dataset configuration: "+strings.Join(synth.Presets(), ", "))
	fs.StringVar(&o.NetG, "netG", "", "generator checkpoint (latest_net_G.pth), legacy or zip format")
	fs.StringVar(&o.NetE, "netE", "", "optional encoder checkpoint (latest_net_E.pth); needs -vae")
	fs.StringVar(&o.Out, "out", "", "native model file to write (.safetensors)")
	fs.BoolVar(&o.FP16, "fp16", false, "store weights as float16 (half the size)")
	fs.IntVar(&o.NGF, "ngf", 0, "override the preset's --ngf")
	fs.StringVar(&o.NumUpsampling, "num-upsampling", "", "override --num_upsampling_layers: normal, more or most")
	fs.IntVar(&o.Crop, "crop", 0, "override --crop_size")
	fs.Float64Var(&o.Aspect, "aspect", 0, "override --aspect_ratio")
	fs.BoolVar(&o.VAE, "vae", false, "the generator was trained with --use_vae")
	fs.IntVar(&o.NHidden, "nhidden", 0, "override SPADE's hidden width (128 in the reference; for forks that changed it)")
	fs.StringVar(&o.Name, "name", "", "human-readable model name to store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.Preset == "" || o.NetG == "" || o.Out == "" {
		return fmt.Errorf("need -preset, -netG and -out")
	}
	m, err := synth.Import(o)
	if err != nil {
		return err
	}
	w, h := m.Size()
	fmt.Fprintf(env.Stdout, "wrote %s: %s, %dx%d, %d labels, encoder %v\n", o.Out, m.Name(), w, h, len(m.LabelSet().Labels), m.HasEncoder())
	return nil
}
