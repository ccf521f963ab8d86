package canvas

import (
	"bytes"
	"image"
	"math"
)

// The painting tools work on an *image.Paletted whose pixel values are label
// ids. They never blend: every pixel a tool covers gets exactly the id, so a
// label map stays a label map. Each returns the rectangle it wrote (empty when
// it wrote nothing), which is what the caller must redraw and what undo
// records. They allocate nothing except FloodFill's reusable stack.

// MinBrush and MaxBrush bound the brush diameter in pixels.
const (
	MinBrush = 1
	MaxBrush = 256
)

// coordLimit bounds the coordinates a segment is computed with, so that the
// exact integer inside test cannot overflow (see inCapsule). Points farther
// than this outside a 4096² canvas are moved onto the limit.
const coordLimit = 8192

func clampBrush(d int) int {
	if d < MinBrush {
		return MinBrush
	}
	if d > MaxBrush {
		return MaxBrush
	}
	return d
}

func clampCoord(v int) int64 {
	if v < -coordLimit {
		return -coordLimit
	}
	if v > coordLimit {
		return coordLimit
	}
	return int64(v)
}

// Dab stamps one round brush mark of the given diameter at p: the pixels
// whose centres lie inside the circle of that diameter. An odd diameter
// centres the circle on pixel p; an even one on p's top-left corner, so a
// dab always spans p.X-d/2 … p.X-d/2+d-1.
func Dab(img *image.Paletted, p image.Point, diameter int, id uint8) image.Rectangle {
	return Segment(img, p, p, diameter, id)
}

// Segment paints the round brush swept from a to b: every pixel whose centre
// is within diameter/2 of the segment between the two dab centres. It is the
// brush stroke between two successive drag points (no gaps however far the
// pointer jumped) and the line tool with a brush width. Ends are round and
// identical to Dab.
func Segment(img *image.Paletted, a, b image.Point, diameter int, id uint8) image.Rectangle {
	d := int64(clampBrush(diameter))
	// Work in doubled coordinates so that pixel centres (2x+1) and both kinds
	// of dab centre are integers; the radius is then d.
	odd := d & 1
	ax, ay := 2*clampCoord(a.X)+odd, 2*clampCoord(a.Y)+odd
	bx, by := 2*clampCoord(b.X)+odd, 2*clampCoord(b.Y)+odd
	r := d
	r2 := r * r
	bounds := img.Rect
	// Rows whose centre 2y+1 lies within [min-r, max+r].
	y0 := floorDiv(min(ay, by)-r, 2) // ceil((min-r-1)/2)
	y1 := floorDiv(max(ay, by)+r-1, 2)
	y0 = max(y0, int64(bounds.Min.Y))
	y1 = min(y1, int64(bounds.Max.Y-1))
	cs := newCapsule(ax, ay, bx, by, r)
	dirty := image.Rectangle{}
	for y := y0; y <= y1; y++ {
		lo, hi, ok := cs.row(2*y + 1)
		if !ok {
			continue
		}
		// Pixel x with centre 2x+1 in [lo, hi].
		x0 := int64(math.Ceil((lo - 1) / 2))
		x1 := int64(math.Floor((hi - 1) / 2))
		// The float interval is exact to ~1e-12; only when a pixel centre
		// sits within rounding distance of an end does the exact integer
		// test settle it.
		py := 2*y + 1
		if gap := float64(2*x0+1) - lo; gap < rimEps || gap > 2-rimEps {
			for x0 <= x1 && !inCapsule(2*x0+1, py, ax, ay, bx, by, r2) {
				x0++
			}
			for inCapsule(2*(x0-1)+1, py, ax, ay, bx, by, r2) {
				x0--
			}
		}
		if gap := hi - float64(2*x1+1); gap < rimEps || gap > 2-rimEps {
			for x1 >= x0 && !inCapsule(2*x1+1, py, ax, ay, bx, by, r2) {
				x1--
			}
			for x1 >= x0 && inCapsule(2*(x1+1)+1, py, ax, ay, bx, by, r2) {
				x1++
			}
		}
		x0 = max(x0, int64(bounds.Min.X))
		x1 = min(x1, int64(bounds.Max.X-1))
		if x0 > x1 {
			continue
		}
		fillRow(img, int(x0), int(x1)+1, int(y), id)
		dirty = dirty.Union(image.Rect(int(x0), int(y), int(x1)+1, int(y)+1))
	}
	return dirty
}

// rimEps is how close (in doubled pixel units) a pixel centre must be to the
// float rim of the capsule for the exact test to be consulted.
const rimEps = 1e-6

// segmentReach is a rectangle holding everything Segment(a, b, diameter)
// may paint, with a pixel to spare.
func segmentReach(a, b image.Point, diameter int) image.Rectangle {
	d := clampBrush(diameter)
	ax, ay, bx, by := int(clampCoord(a.X)), int(clampCoord(a.Y)), int(clampCoord(b.X)), int(clampCoord(b.Y))
	return image.Rect(min(ax, bx)-d/2-1, min(ay, by)-d/2-1, max(ax, bx)+d/2+2, max(ay, by)+d/2+2)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// inCapsule is the exact test: is the point (px, py) within distance r
// (r2 = r²) of the segment A–B? All values are doubled coordinates bounded by
// coordLimit, so every product fits in an int64.
func inCapsule(px, py, ax, ay, bx, by, r2 int64) bool {
	qx, qy := px-ax, py-ay
	dx, dy := bx-ax, by-ay
	dot := qx*dx + qy*dy
	if dot <= 0 {
		return qx*qx+qy*qy <= r2
	}
	l2 := dx*dx + dy*dy
	if dot >= l2 {
		sx, sy := px-bx, py-by
		return sx*sx+sy*sy <= r2
	}
	c := qx*dy - qy*dx
	return c*c <= r2*l2
}

// capsule is the segment A–B widened by r, in doubled coordinates, set up
// once per segment for row queries.
type capsule struct {
	ax, ay, bx, by float64
	r              float64
	band           bool
	cx, cy         [4]float64 // the middle band's corners, in order around it
}

func newCapsule(ax, ay, bx, by, r int64) capsule {
	c := capsule{ax: float64(ax), ay: float64(ay), bx: float64(bx), by: float64(by), r: float64(r)}
	if ax != bx || ay != by {
		dx, dy := c.bx-c.ax, c.by-c.ay
		l := math.Hypot(dx, dy)
		nx, ny := -dy/l*c.r, dx/l*c.r
		c.band = true
		c.cx = [4]float64{c.ax + nx, c.bx + nx, c.bx - nx, c.ax - nx}
		c.cy = [4]float64{c.ay + ny, c.by + ny, c.by - ny, c.ay - ny}
	}
	return c
}

// row returns the x interval where the horizontal line y meets the capsule.
// The capsule is convex, so the union of what its two end discs and its
// middle band cut from the line is one interval.
func (c *capsule) row(y int64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	fy := float64(y)
	if dy := fy - c.ay; dy*dy <= c.r*c.r {
		h := math.Sqrt(c.r*c.r - dy*dy)
		lo, hi = min(lo, c.ax-h), max(hi, c.ax+h)
	}
	if dy := fy - c.by; dy*dy <= c.r*c.r {
		h := math.Sqrt(c.r*c.r - dy*dy)
		lo, hi = min(lo, c.bx-h), max(hi, c.bx+h)
	}
	if c.band {
		for i := 0; i < 4; i++ {
			j := (i + 1) & 3
			y0, y1 := c.cy[i], c.cy[j]
			if (fy < y0 && fy < y1) || (fy > y0 && fy > y1) {
				continue
			}
			if y0 == y1 {
				lo, hi = min(lo, c.cx[i], c.cx[j]), max(hi, c.cx[i], c.cx[j])
				continue
			}
			x := c.cx[i] + (fy-y0)*(c.cx[j]-c.cx[i])/(y1-y0)
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	return lo, hi, lo <= hi
}

func fillRow(img *image.Paletted, x0, x1, y int, id uint8) {
	off := img.PixOffset(x0, y)
	fillBytes(img.Pix[off:off+(x1-x0)], id)
}

// fillBytes sets every byte of b to v. Long runs double a filled prefix with
// copy (memmove), which beats a byte loop several times over.
func fillBytes(b []uint8, v uint8) {
	if len(b) < 32 {
		for i := range b {
			b[i] = v
		}
		return
	}
	for i := 0; i < 16; i++ {
		b[i] = v
	}
	for n := 16; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// Stroke follows a drag on an image with the round brush: the first point
// stamps a dab, every later one paints the segment from the previous point,
// so however fast the pointer moves the stroke has no gaps. Document.BrushTo
// does the same with undo.
type Stroke struct {
	Diameter int   // brush diameter in pixels, MinBrush…MaxBrush
	ID       uint8 // label painted
	last     image.Point
	started  bool
}

// To extends the stroke to p and returns the rectangle painted.
func (s *Stroke) To(img *image.Paletted, p image.Point) image.Rectangle {
	a := p
	if s.started {
		a = s.last
	}
	s.last, s.started = p, true
	return Segment(img, a, p, s.Diameter, s.ID)
}

// Reset starts a new drag.
func (s *Stroke) Reset() { s.started = false }

// FillRect fills r (clipped to the image) with id: the rectangle tool.
func FillRect(img *image.Paletted, r image.Rectangle, id uint8) image.Rectangle {
	r = r.Canon().Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		fillRow(img, r.Min.X, r.Max.X, y, id)
	}
	return r
}

// Pick returns the id at p: the eyedropper. ok is false outside the image.
func Pick(img *image.Paletted, p image.Point) (id uint8, ok bool) {
	if !p.In(img.Rect) {
		return 0, false
	}
	return img.Pix[img.PixOffset(p.X, p.Y)], true
}

// FillStack is the reusable work stack of FloodFill. Keep one per document so
// that repeated fills allocate nothing once it has grown to the largest fill.
type FillStack struct{ seeds []int32 }

// FloodFill replaces the 4-connected region of p's id with id: the bucket
// tool. It is a scanline fill driven by an explicit stack of seed pixels (no
// recursion, so no stack overflow on a 4096² region); stack may be nil.
func FloodFill(img *image.Paletted, p image.Point, id uint8, stack *FillStack) image.Rectangle {
	if !p.In(img.Rect) {
		return image.Rectangle{}
	}
	if stack == nil {
		stack = &FillStack{}
	}
	// Index pixels relative to the image rectangle: i = y*w + x.
	b := img.Rect
	w, h := b.Dx(), b.Dy()
	if int64(w)*int64(h) > math.MaxInt32 {
		return image.Rectangle{} // seeds are int32 pixel indices
	}
	pix := img.Pix
	x, y := p.X-b.Min.X, p.Y-b.Min.Y
	old := pix[y*img.Stride+x]
	if old == id {
		return image.Rectangle{}
	}
	minX, minY, maxX, maxY := w, h, -1, -1
	seeds := append(stack.seeds[:0], int32(y*w+x))
	for len(seeds) > 0 {
		s := int(seeds[len(seeds)-1])
		seeds = seeds[:len(seeds)-1]
		sx, sy := s%w, s/w
		row := pix[sy*img.Stride : sy*img.Stride+w]
		if row[sx] != old {
			continue
		}
		l, r := sx, sx
		for l > 0 && row[l-1] == old {
			l--
		}
		for r < w-1 && row[r+1] == old {
			r++
		}
		fillBytes(row[l:r+1], id)
		minX, maxX = min(minX, l), max(maxX, r)
		minY, maxY = min(minY, sy), max(maxY, sy)
		for _, ny := range [2]int{sy - 1, sy + 1} {
			if ny < 0 || ny >= h {
				continue
			}
			nrow := pix[ny*img.Stride : ny*img.Stride+w]
			in := false
			for i := l; i <= r; i++ {
				if nrow[i] == old {
					if !in {
						seeds = append(seeds, int32(ny*w+i))
						in = true
					}
				} else {
					in = false
				}
			}
		}
	}
	stack.seeds = seeds[:0]
	return image.Rect(minX+b.Min.X, minY+b.Min.Y, maxX+b.Min.X+1, maxY+b.Min.Y+1)
}

// ReplaceID turns every pixel of id from into id to, everywhere (not only a
// connected region): "make all the grass a field".
func ReplaceID(img *image.Paletted, from, to uint8) image.Rectangle {
	if from == to {
		return image.Rectangle{}
	}
	b := img.Rect
	w := b.Dx()
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, b.Min.X-1, b.Min.Y-1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[(y-b.Min.Y)*img.Stride:][:w]
		l := bytes.IndexByte(row, from)
		if l < 0 {
			continue
		}
		h := bytes.LastIndexByte(row, from)
		for i := l; i <= h; i++ {
			if row[i] == from {
				row[i] = to
			}
		}
		minX, maxX = min(minX, b.Min.X+l), max(maxX, b.Min.X+h)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	if maxX < minX {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}
