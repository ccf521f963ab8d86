//go:build ignore

// gen_icon draws the Spadework application icon: a rounded tile holding a
// painted landscape (sky, sun, mountains, sea, grass) in flat label colours on
// the left half and a soft "photo" rendering of it on the right, split by a
// diagonal brush stroke. Run from the repository root:
//
//	go run assets/icons/gen_icon.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 512

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4 // supersampling per axis for smooth edges
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					fx := (float64(x) + (float64(sx)+0.5)/ss) / size
					fy := (float64(y) + (float64(sy)+0.5)/ss) / size
					c, alpha := sample(fx, fy)
					r += c[0] * alpha
					g += c[1] * alpha
					b += c[2] * alpha
					a += alpha
				}
			}
			n := float64(ss * ss)
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{
				R: clamp8(r / a), G: clamp8(g / a), B: clamp8(b / a), A: clamp8(a / n * 255),
			})
		}
	}
	f, err := os.Create("assets/icons/icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func clamp8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

type rgb [3]float64

func hex(v uint32) rgb { return rgb{float64(v >> 16 & 255), float64(v >> 8 & 255), float64(v & 255)} }

func mix(a, b rgb, t float64) rgb {
	return rgb{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

// inRoundRect reports whether (x, y) lies in the icon's rounded tile.
func inRoundRect(x, y float64) bool {
	const m, rad = 0.04, 0.18
	if x < m || y < m || x > 1-m || y > 1-m {
		return false
	}
	cx := math.Min(math.Max(x, m+rad), 1-m-rad)
	cy := math.Min(math.Max(y, m+rad), 1-m-rad)
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad
}

func sample(x, y float64) (rgb, float64) {
	if !inRoundRect(x, y) {
		return rgb{}, 0
	}
	// The scene, as labels.
	ridge := 0.52 - 0.16*math.Max(0, 1-math.Abs(x-0.36)/0.28) - 0.10*math.Max(0, 1-math.Abs(x-0.72)/0.22)
	sea := 0.62
	grass := 0.80 - 0.05*math.Sin(x*5)
	sunDist := math.Hypot(x-0.74, y-0.26)

	// "photo" side: right of a diagonal stroke.
	photo := y < 1.25-1.1*x
	photo = !photo
	stroke := math.Abs((y-(1.25-1.1*x))/math.Hypot(1, 1.1)) < 0.028

	var c rgb
	switch {
	case stroke:
		return hex(0xfafafa), 1
	case sunDist < 0.075:
		if photo {
			c = mix(hex(0xfff3c4), hex(0xffc861), sunDist/0.075)
		} else {
			c = hex(0xf2c94c)
		}
	case y < ridge:
		if photo {
			c = mix(hex(0x3d7fd6), hex(0xbfe0f7), y/ridge)
		} else {
			c = hex(0x87ceeb)
		}
	case y < sea:
		if photo {
			t := (y - ridge) / (sea - ridge)
			c = mix(hex(0x5b6472), hex(0x39404a), t)
			// snow caps
			if y-ridge < 0.035 {
				c = mix(hex(0xf4f6f8), c, (y-ridge)/0.035)
			}
		} else {
			c = hex(0x8b5a2b)
		}
	case y < grass:
		if photo {
			t := (y - sea) / (grass - sea)
			c = mix(hex(0x1f5f8b), hex(0x2a86a8), t)
			if int((y-sea)*160)%5 == 0 {
				c = mix(c, hex(0xffffff), 0.25)
			}
		} else {
			c = hex(0x1e90ff)
		}
	default:
		if photo {
			t := (y - grass) / (1 - grass)
			c = mix(hex(0x5f9e3a), hex(0x2f5e1f), t)
		} else {
			c = hex(0x32cd32)
		}
	}
	return c, 1
}
