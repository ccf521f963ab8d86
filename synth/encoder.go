package synth

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
)

// encState holds the style encoder's buffers, made on the first
// EncodeStyle so renderers that never encode do not pay for them.
type encState struct {
	in   []float32 // 256×256×3 photo in [-1, 1]
	a, b []float32
	feat []float32
}

const encSize = 256

// EncodeStyle returns the style vector of a photo: the encoder's mu (the
// reference's "style from a photo" uses z = mu). The photo is resized to
// 256×256 bilinearly (align_corners=False) and mapped to [-1, 1].
func (r *Renderer) EncodeStyle(ctx context.Context, photo image.Image) ([]float32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	mu, _, err := r.encode(ctx, photo, nil)
	return mu, err
}

func (r *Renderer) encode(ctx context.Context, photo image.Image, trace TraceFunc) (mu, logvar []float32, err error) {
	e := r.m.E
	if e == nil {
		return nil, nil, fmt.Errorf("synth: model %s has no style encoder", r.m.ID())
	}
	if photo == nil || photo.Bounds().Empty() {
		return nil, nil, errors.New("synth: empty photo")
	}
	if r.enc == nil {
		n := encSize / 2 * encSize / 2 * e.Layers[0].Cout
		for _, l := range e.Layers[1:] {
			n = max(n, l.Cout*(encSize>>1)*(encSize>>1)/4)
		}
		r.enc = &encState{in: make([]float32, encSize*encSize*3), a: make([]float32, n), b: make([]float32, n),
			feat: make([]float32, e.FCMu.In)}
	}
	st := r.enc
	photoTensor(photo, st.in)
	in, iw, ih := st.in, encSize, encSize
	cur, other := st.a, st.b
	for i := range e.Layers {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		l := &e.Layers[i]
		ow, oh := iw/2, ih/2
		r.convS(l.pb, nil, l.K, l.Stride, l.Pad, l.Cin, l.Cout, in, iw, ih, cur, nil, ow*oh, false, false)
		hw := ow * oh
		r.instanceStats(cur, hw, l.Cout)
		r.affine(cur, hw, l.Cout)
		r.traceOut(trace, fmt.Sprintf("layer%d", i+1), cur, l.Cout, oh, ow)
		r.affineAct(cur, hw*l.Cout)
		in, iw, ih = cur, ow, oh
		cur, other = other, cur
	}
	// Flatten in the reference's CHW order.
	C := e.Layers[len(e.Layers)-1].Cout
	hw := iw * ih
	for p := 0; p < hw; p++ {
		for c := 0; c < C; c++ {
			st.feat[c*hw+p] = in[p*C+c]
		}
	}
	return linear(&e.FCMu, st.feat), linear(&e.FCVar, st.feat), nil
}

func linear(l *Linear, x []float32) []float32 {
	out := make([]float32, l.Out)
	for o := range out {
		s := l.Bias[o]
		for i, w := range l.Weight[o*l.In : (o+1)*l.In] {
			s += w * x[i]
		}
		out[o] = s
	}
	return out
}

// affine applies x·scale + shift per channel in place (instance norm).
func (r *Renderer) affine(x []float32, hw, C int) {
	for p := 0; p < hw; p++ {
		row := x[p*C : (p+1)*C]
		for c, v := range row {
			row[c] = v*r.scale[c] + r.shift[c]
		}
	}
}

func (r *Renderer) affineAct(x []float32, n int) {
	r.uj = upJob{in: x, out: x, n: n}
	r.run((n+4095)/4096, r.leakyFn)
}

// photoTensor samples photo at 256×256 like F.interpolate(mode='bilinear',
// align_corners=False) of the normalised photo, channels-last.
func photoTensor(photo image.Image, dst []float32) {
	b := photo.Bounds()
	var px func(x, y int) (r, g, bl uint8)
	switch im := photo.(type) {
	case *image.RGBA:
		px = func(x, y int) (uint8, uint8, uint8) {
			i := im.PixOffset(b.Min.X+x, b.Min.Y+y)
			return im.Pix[i], im.Pix[i+1], im.Pix[i+2]
		}
	case *image.NRGBA:
		px = func(x, y int) (uint8, uint8, uint8) {
			i := im.PixOffset(b.Min.X+x, b.Min.Y+y)
			return im.Pix[i], im.Pix[i+1], im.Pix[i+2]
		}
	case *image.YCbCr: // decoded JPEG
		px = func(x, y int) (uint8, uint8, uint8) {
			c := im.YCbCrAt(b.Min.X+x, b.Min.Y+y)
			return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
		}
	default:
		// Sample the ≤4 source pixels of each output pixel; a nil colour
		// (a Paletted image with a short palette) reads as black.
		px = func(x, y int) (uint8, uint8, uint8) {
			c, ok := photo.At(b.Min.X+x, b.Min.Y+y).(color.Color)
			if !ok || c == nil {
				return 0, 0, 0
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			return n.R, n.G, n.B
		}
	}
	sw, sh := b.Dx(), b.Dy()
	norm := func(v uint8) float32 { return float32(v)/127.5 - 1 }
	if sw == encSize && sh == encSize {
		for y := 0; y < encSize; y++ {
			for x := 0; x < encSize; x++ {
				r, g, bl := px(x, y)
				o := (y*encSize + x) * 3
				dst[o], dst[o+1], dst[o+2] = norm(r), norm(g), norm(bl)
			}
		}
		return
	}
	type tap struct {
		i0, i1 int
		l      float32
	}
	taps := func(in int) [encSize]tap {
		var t [encSize]tap
		scale := float32(in) / float32(encSize)
		for o := range t {
			s := scale*(float32(o)+0.5) - 0.5
			if s < 0 {
				s = 0
			}
			i0 := int(s)
			i1 := i0
			if i0 < in-1 {
				i1++
			}
			t[o] = tap{i0, i1, s - float32(i0)}
		}
		return t
	}
	tx, ty := taps(sw), taps(sh)
	for y := 0; y < encSize; y++ {
		vy := ty[y]
		for x := 0; x < encSize; x++ {
			vx := tx[x]
			r00, g00, b00 := px(vx.i0, vy.i0)
			r01, g01, b01 := px(vx.i1, vy.i0)
			r10, g10, b10 := px(vx.i0, vy.i1)
			r11, g11, b11 := px(vx.i1, vy.i1)
			mix := func(a, b, c, d uint8) float32 {
				top := (1-vx.l)*norm(a) + vx.l*norm(b)
				bot := (1-vx.l)*norm(c) + vx.l*norm(d)
				return (1-vy.l)*top + vy.l*bot
			}
			o := (y*encSize + x) * 3
			dst[o] = mix(r00, r01, r10, r11)
			dst[o+1] = mix(g00, g01, g10, g11)
			dst[o+2] = mix(b00, b01, b10, b11)
		}
	}
}
