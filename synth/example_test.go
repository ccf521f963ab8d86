package synth_test

import (
	"context"
	"fmt"
	"image"

	"spadework/synth"
)

func Example() {
	m, err := synth.Load("testdata/fixture_a.safetensors")
	if err != nil {
		panic(err)
	}
	w, h := m.Size()
	r, err := synth.NewRenderer(m, w, h, 2)
	if err != nil {
		panic(err)
	}
	defer r.Close()

	// A label map holds dataset ids: here sky (1) above field (3).
	labels := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	for y := h / 2; y < h; y++ {
		for x := 0; x < w; x++ {
			labels.Pix[y*labels.Stride+x] = 3
		}
	}
	for i := 0; i < w*h/2; i++ {
		labels.Pix[i] = 1
	}
	z := synth.RandomStyle(42, m.Config().ZDim) // or m.Styles()[i].Z, or r.EncodeStyle(ctx, photo)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if err := r.Render(context.Background(), labels, z, dst); err != nil {
		panic(err)
	}
	fmt.Println(m.ID(), w, h, len(m.LabelSet().Labels), "labels")
	// Output: fixture-a 64 64 5 labels
}
