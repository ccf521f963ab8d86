package cli

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
)

func runScene(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "scene")
	modelPath := fs.String("model", "default", "model file (.safetensors) or 'default': whose label ids to use")
	out := fs.String("out", "", "output label-map PNG (indexed, the model's ids)")
	size := fs.String("size", "", "WxH (default: the model's native size)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("need -out")
	}
	m, w, h, err := loadModelSized(env, *modelPath, *size)
	if err != nil {
		return err
	}
	img, err := landscapeScene(modelLabelLookup(m), w, h)
	if err != nil {
		return err
	}
	// Show the label colours, keeping the indices as ids.
	pal := make(color.Palette, 256)
	copy(pal, img.Palette)
	for _, l := range m.LabelSet().Labels {
		if l.ID >= 0 && l.ID < 256 {
			pal[l.ID] = l.Color
		}
	}
	p := &image.Paletted{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect, Palette: pal}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, p); err != nil {
		f.Close()
		return fmt.Errorf("%s: %v", *out, err)
	}
	return f.Close()
}
