package gpu

import (
	"fmt"
	"image"
	"math"

	"spadework/synth"
)

// pilNearest returns, for each of out destination pixels along one axis, the
// source index Pillow's Image.resize(NEAREST) reads for an in-pixel axis. It
// reproduces Pillow's 16.16 fixed-point affine walk (affine_fixed in
// Geometry.c), which is what the reference's data loader and the fixtures
// use, so that label maps of another size resample identically.
func pilNearest(dst []int32, in, out int) {
	if in == out {
		for i := range dst {
			dst[i] = int32(i)
		}
		return
	}
	fix := func(v float64) int64 { return int64(math.Floor(v*65536 + 0.5)) }
	a := float64(in) / float64(out)
	step := fix(a)
	xx := fix(a * 0.5)
	for i := range dst {
		s := xx >> 16
		if s >= int64(in) {
			s = int64(in) - 1
		}
		dst[i] = int32(s)
		xx += step
	}
}

// labelMapper turns a label map of any size into the generator input the
// kernels read: one uint32 per output pixel holding the input channel and,
// in bit 16, whether the pixel is an instance edge. Its buffers are reused
// while the label map keeps its size.
type labelMapper struct {
	w, h   int
	chanOf [256]int16
	edges  bool
	out    []uint32
	ids    []uint8
	cols   []int32
	rows   []int32
	lw, lh int // label-map size the tables are for
}

func newLabelMapper(w, h int, chanOf func(id int) (int, bool), edges bool) *labelMapper {
	lm := &labelMapper{w: w, h: h, edges: edges, out: make([]uint32, w*h), ids: make([]uint8, w*h),
		cols: make([]int32, w), rows: make([]int32, h)}
	for id := range lm.chanOf {
		lm.chanOf[id] = -1
		if c, ok := chanOf(id); ok {
			lm.chanOf[id] = int16(c)
		}
	}
	return lm
}

// mapLabels fills lm.out from labels; ids are palette indices, which are
// the dataset's label ids. An id the model does not accept is an error.
func (lm *labelMapper) mapLabels(labels *image.Paletted) error {
	if labels == nil {
		return fmt.Errorf("gpu: labels: nil label map")
	}
	b := labels.Rect
	lw, lh := b.Dx(), b.Dy()
	if lw <= 0 || lh <= 0 {
		return fmt.Errorf("gpu: labels: empty label map %v", b)
	}
	if len(labels.Pix) < (lh-1)*labels.Stride+lw {
		return fmt.Errorf("gpu: labels: %d pixel bytes for a %dx%d map with stride %d", len(labels.Pix), lw, lh, labels.Stride)
	}
	if lw != lm.lw || lh != lm.lh {
		pilNearest(lm.cols, lw, lm.w)
		pilNearest(lm.rows, lh, lm.h)
		lm.lw, lm.lh = lw, lh
	}
	w, h := lm.w, lm.h
	for y := 0; y < h; y++ {
		src := labels.Pix[int(lm.rows[y])*labels.Stride:]
		ids := lm.ids[y*w : (y+1)*w]
		out := lm.out[y*w : (y+1)*w]
		for x := range ids {
			id := src[lm.cols[x]]
			c := lm.chanOf[id]
			if c < 0 {
				return fmt.Errorf("gpu: labels: %w: id %d at (%d, %d)",
					synth.ErrUnknownLabel, id, b.Min.X+int(lm.cols[x]), b.Min.Y+int(lm.rows[y]))
			}
			ids[x] = id
			out[x] = uint32(c)
		}
	}
	if !lm.edges {
		return nil
	}
	// The reference's get_edges on the (resized) id map: a pixel is an edge
	// when any 4-neighbour has another id.
	for y := 0; y < h; y++ {
		row := lm.ids[y*w : (y+1)*w]
		out := lm.out[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			v := row[x]
			e := (x > 0 && row[x-1] != v) || (x+1 < w && row[x+1] != v) ||
				(y > 0 && lm.ids[(y-1)*w+x] != v) || (y+1 < h && lm.ids[(y+1)*w+x] != v)
			if e {
				out[x] |= 1 << 16
			}
		}
	}
	return nil
}
