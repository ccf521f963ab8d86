package cli

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// labelLookup finds a label id by name in a model's label set.
type labelLookup func(name string) (uint8, bool)

// landscapeScene paints a w×h landscape (sky, mountains, a lake with a sandy
// shore, trees and grass) in the given label set, as a person would in the app.
// It serves as the default input of `bench` and of the style thumbnails, so
// neither needs dataset files. Names the set lacks fall back along
// alternatives ("sea" → "water"); a set with none of them is an error.
func landscapeScene(find labelLookup, w, h int) (*image.Paletted, error) {
	pick := func(names ...string) (uint8, error) {
		for _, n := range names {
			if id, ok := find(n); ok {
				return id, nil
			}
		}
		return 0, fmt.Errorf("the model's label set has none of %q", names)
	}
	var ids [6]uint8
	for i, alts := range [][]string{
		{"sky"}, {"mountain", "hill", "rock"}, {"sea", "water", "lake", "river"},
		{"sand", "beach", "ground"}, {"tree", "vegetation", "plant"}, {"grass", "field", "terrain"},
	} {
		id, err := pick(alts...)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	sky, mountain, sea, sand, tree, grass := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{Y: uint8(i)}
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	fw, fh := float64(w), float64(h)
	for y := 0; y < h; y++ {
		fy := float64(y) / fh
		for x := 0; x < w; x++ {
			fx := float64(x) / fw
			ridge := 0.42 - 0.16*math.Abs(math.Sin(fx*3.1+0.4)) - 0.05*math.Sin(fx*17) - 0.02*math.Sin(fx*41)
			shore := 0.72 + 0.04*math.Sin(fx*5)
			treeLine := 0.55 + 0.05*math.Sin(fx*23) + 0.03*math.Sin(fx*61)
			var id uint8
			switch {
			case fy < ridge:
				id = sky
			case fy < 0.58 && fx > 0.62 && fy > treeLine-0.12:
				id = tree
			case fy < 0.58:
				id = mountain
			case fy < shore:
				id = sea
			case fy < shore+0.06:
				id = sand
			case fx < 0.3 && fy < 0.9:
				id = tree
			default:
				id = grass
			}
			img.Pix[y*img.Stride+x] = id
		}
	}
	return img, nil
}
