package canvas

import (
	"image"
	"testing"

	"spadework/palette"
)

func TestColorize(t *testing.T) {
	d := newDoc(t, 16, 8, sky)
	d.Rect(image.Rect(4, 2, 9, 6), sea)
	dst := image.NewRGBA(image.Rect(0, 0, 16, 8))
	Colorize(dst, d.Image(), image.Rect(2, 1, 12, 7))
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			got := dst.RGBAAt(x, y)
			var want = palette.SIFTFlow.Color(sky)
			if image.Pt(x, y).In(image.Rect(4, 2, 9, 6)) {
				want = palette.SIFTFlow.Color(sea)
			}
			if !image.Pt(x, y).In(image.Rect(2, 1, 12, 7)) {
				want.R, want.G, want.B, want.A = 0, 0, 0, 0
			}
			if got != want {
				t.Fatalf("pixel %d,%d = %v, want %v", x, y, got, want)
			}
		}
	}
	if n := testing.AllocsPerRun(10, func() { Colorize(dst, d.Image(), dst.Rect) }); n != 0 {
		t.Errorf("Colorize allocates %v", n)
	}
}

func BenchmarkColorize1024(b *testing.B) {
	d := newDoc(b, 1024, 1024, sky)
	dst := image.NewRGBA(d.Bounds())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Colorize(dst, d.Image(), dst.Rect)
	}
}
