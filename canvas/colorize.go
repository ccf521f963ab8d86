package canvas

import (
	"encoding/binary"
	"image"
	"image/color"
)

// Colorize writes the display colours of src's ids into dst over r (clipped
// to both images): how the UI turns a dirty rectangle of the label map into
// pixels to show. Ids beyond the palette are drawn black. It allocates
// nothing.
func Colorize(dst *image.RGBA, src *image.Paletted, r image.Rectangle) {
	r = r.Intersect(src.Rect).Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	// One 32-bit store per pixel: R, G, B, A in memory order.
	var lut [256]uint32
	for i := range lut {
		lut[i] = 0xff << 24
	}
	for i, c := range src.Palette {
		if i >= 256 {
			break
		}
		rgba := color.RGBAModel.Convert(c).(color.RGBA)
		lut[i] = uint32(rgba.R) | uint32(rgba.G)<<8 | uint32(rgba.B)<<16 | uint32(rgba.A)<<24
	}
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s := src.Pix[src.PixOffset(r.Min.X, y):][:w]
		o := dst.PixOffset(r.Min.X, y)
		d := dst.Pix[o : o+4*w]
		for x, v := range s {
			binary.LittleEndian.PutUint32(d[4*x:], lut[v])
		}
	}
}
