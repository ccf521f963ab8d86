package canvas

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs under testdata/")

// grayPalette shows ids as gray levels in golden files: 0 black, others
// spread out so a failing golden is readable in an image viewer.
func newIDs(w, h int) *image.Paletted {
	return image.NewPaletted(image.Rect(0, 0, w, h), nil)
}

// golden compares img's ids with testdata/name.png (8-bit gray, value = id),
// or writes it under -update.
func golden(t *testing.T, name string, img *image.Paletted) {
	t.Helper()
	path := filepath.Join("testdata", name+".png")
	g := image.NewGray(img.Rect)
	copy(g.Pix, img.Pix)
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, g); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	wg, ok := want.(*image.Gray)
	if !ok || wg.Rect != img.Rect {
		t.Fatalf("%s: golden is %T %v, want gray %v", path, want, want.Bounds(), img.Rect)
	}
	if !bytes.Equal(wg.Pix, img.Pix) {
		t.Errorf("%s differs:\ngot:\n%swant:\n%s", path, ascii(img.Pix, img.Rect.Dx()), ascii(wg.Pix, img.Rect.Dx()))
	}
}

func ascii(pix []uint8, w int) string {
	var b strings.Builder
	for i, v := range pix {
		if v == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte("0123456789abcdefghijklmnopqrstuvwxyz"[int(v)%36])
		}
		if i%w == w-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func pt(x, y int) image.Point { return image.Pt(x, y) }

func TestToolsGolden(t *testing.T) {
	tests := []struct {
		name  string
		paint func(img *image.Paletted) image.Rectangle
		dirty image.Rectangle
	}{
		{"dab_d1", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(5, 5), 1, 1) }, image.Rect(5, 5, 6, 6)},
		{"dab_d2", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(5, 5), 2, 1) }, image.Rect(4, 4, 6, 6)},
		{"dab_d3", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(5, 5), 3, 1) }, image.Rect(4, 4, 7, 7)},
		{"dab_d4", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(8, 8), 4, 2) }, image.Rect(6, 6, 10, 10)},
		{"dab_d5", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(8, 8), 5, 2) }, image.Rect(6, 6, 11, 11)},
		{"dab_d8", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(12, 12), 8, 3) }, image.Rect(8, 8, 16, 16)},
		{"dab_d13", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(12, 12), 13, 4) }, image.Rect(6, 6, 19, 19)},
		{"dab_clipped", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(1, 0), 9, 5) }, image.Rect(0, 0, 6, 5)},
		{"dab_outside", func(m *image.Paletted) image.Rectangle { return Dab(m, pt(-20, 5), 9, 5) }, image.Rectangle{}},
		{"segment_h_d3", func(m *image.Paletted) image.Rectangle { return Segment(m, pt(2, 5), pt(20, 5), 3, 1) }, image.Rect(1, 4, 22, 7)},
		{"segment_diag_d1", func(m *image.Paletted) image.Rectangle { return Segment(m, pt(1, 2), pt(22, 20), 1, 2) }, image.Rect(1, 2, 23, 21)},
		{"segment_shallow_d1", func(m *image.Paletted) image.Rectangle { return Segment(m, pt(0, 3), pt(23, 9), 1, 2) }, image.Rect(0, 3, 24, 10)},
		{"segment_diag_d6", func(m *image.Paletted) image.Rectangle { return Segment(m, pt(3, 20), pt(20, 4), 6, 3) }, image.Rect(0, 1, 23, 23)},
		{"segment_steep_d4", func(m *image.Paletted) image.Rectangle { return Segment(m, pt(10, 1), pt(13, 22), 4, 4) }, image.Rect(8, 0, 15, 24)},
		{"stroke_drag", func(m *image.Paletted) image.Rectangle {
			s := Stroke{Diameter: 3, ID: 5}
			var r image.Rectangle
			for _, p := range []image.Point{pt(2, 2), pt(12, 3), pt(20, 12), pt(20, 13), pt(4, 21)} {
				r = r.Union(s.To(m, p))
			}
			s.Reset()
			r = r.Union(s.To(m, pt(22, 22)))
			return r
		}, image.Rect(1, 1, 24, 24)},
		{"rect", func(m *image.Paletted) image.Rectangle { return FillRect(m, image.Rect(3, 4, 10, 8), 6) }, image.Rect(3, 4, 10, 8)},
		{"rect_reversed_clipped", func(m *image.Paletted) image.Rectangle {
			return FillRect(m, image.Rectangle{Min: pt(30, 20), Max: pt(18, -3)}, 7)
		}, image.Rect(18, 0, 24, 20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := newIDs(24, 24)
			got := tc.paint(img)
			if got != tc.dirty && !(got.Empty() && tc.dirty.Empty()) {
				t.Errorf("dirty = %v, want %v", got, tc.dirty)
			}
			// Nothing outside the dirty rectangle may change.
			for y := 0; y < 24; y++ {
				for x := 0; x < 24; x++ {
					if img.ColorIndexAt(x, y) != 0 && !pt(x, y).In(got) {
						t.Fatalf("pixel %d,%d painted outside dirty %v", x, y, got)
					}
				}
			}
			golden(t, tc.name, img)
		})
	}
}

// TestSegmentMatchesExact checks the row-interval fast path against the
// plain per-pixel test for random segments, diameters and positions.
func TestSegmentMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const w, h = 64, 48
	for i := 0; i < 3000; i++ {
		a := pt(rng.Intn(w+40)-20, rng.Intn(h+40)-20)
		b := a
		if i%5 != 0 {
			b = pt(rng.Intn(w+40)-20, rng.Intn(h+40)-20)
		}
		d := 1 + rng.Intn(40)
		if i%7 == 0 {
			d = 1 + rng.Intn(256)
		}
		fast := newIDs(w, h)
		r := Segment(fast, a, b, d, 1)
		slow := newIDs(w, h)
		segmentExact(slow, a, b, d, 1)
		if !bytes.Equal(fast.Pix, slow.Pix) {
			t.Fatalf("segment %v-%v d=%d differs:\nfast:\n%sexact:\n%s", a, b, d, ascii(fast.Pix, w), ascii(slow.Pix, w))
		}
		rev := newIDs(w, h)
		Segment(rev, b, a, d, 1)
		if !bytes.Equal(fast.Pix, rev.Pix) {
			t.Fatalf("segment %v-%v d=%d is not symmetric", a, b, d)
		}
		if bb := bboxOf(fast); bb != r && !(bb.Empty() && r.Empty()) {
			t.Fatalf("segment %v-%v d=%d: dirty %v, painted %v", a, b, d, r, bb)
		}
		if !r.In(segmentReach(a, b, d)) {
			t.Fatalf("segment %v-%v d=%d: painted %v outside its reach %v", a, b, d, r, segmentReach(a, b, d))
		}
	}
}

// segmentExact is the portable reference: test every pixel.
func segmentExact(img *image.Paletted, a, b image.Point, diameter int, id uint8) {
	d := int64(clampBrush(diameter))
	odd := d & 1
	ax, ay := 2*clampCoord(a.X)+odd, 2*clampCoord(a.Y)+odd
	bx, by := 2*clampCoord(b.X)+odd, 2*clampCoord(b.Y)+odd
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if inCapsule(int64(2*x+1), int64(2*y+1), ax, ay, bx, by, d*d) {
				img.SetColorIndex(x, y, id)
			}
		}
	}
}

func bboxOf(img *image.Paletted) image.Rectangle {
	var r image.Rectangle
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.ColorIndexAt(x, y) != 0 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestDabSizes(t *testing.T) {
	// A dab spans exactly d pixels across its middle row and column, and is
	// symmetric.
	for d := 1; d <= MaxBrush; d++ {
		img := newIDs(300, 300)
		r := Dab(img, pt(150, 150), d, 1)
		if r.Dx() != d || r.Dy() != d || r.Min.X != 150-d/2 {
			t.Fatalf("d=%d: dab rect %v", d, r)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				mx := r.Min.X + r.Max.X - 1 - x
				my := r.Min.Y + r.Max.Y - 1 - y
				if img.ColorIndexAt(x, y) != img.ColorIndexAt(mx, my) || img.ColorIndexAt(x, y) != img.ColorIndexAt(y-r.Min.Y+r.Min.X, x-r.Min.X+r.Min.Y) {
					t.Fatalf("d=%d: dab not symmetric at %d,%d", d, x, y)
				}
			}
		}
	}
	// Out-of-range diameters are clamped.
	img := newIDs(600, 600)
	if r := Dab(img, pt(300, 300), 1000, 1); r.Dx() != MaxBrush {
		t.Errorf("d=1000 painted %v", r)
	}
	if r := Dab(img, pt(10, 10), 0, 1); r.Dx() != 1 {
		t.Errorf("d=0 painted %v", r)
	}
}

func TestSegmentFarPoints(t *testing.T) {
	img := newIDs(64, 64)
	r := Segment(img, pt(-1<<30, 32), pt(1<<30, 32), 5, 1)
	if r != image.Rect(0, 30, 64, 35) {
		t.Errorf("far segment painted %v", r)
	}
}

func TestFloodFill(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *image.Paletted)
		seed  image.Point
		id    uint8
		dirty image.Rectangle
	}{
		{"fill_all", func(m *image.Paletted) {}, pt(3, 3), 2, image.Rect(0, 0, 24, 24)},
		{"fill_ring_inside", func(m *image.Paletted) {
			FillRect(m, image.Rect(4, 4, 20, 20), 1)
			FillRect(m, image.Rect(6, 6, 18, 18), 0)
			FillRect(m, image.Rect(10, 10, 12, 12), 1)
		}, pt(7, 7), 3, image.Rect(6, 6, 18, 18)},
		{"fill_diagonal_wall", func(m *image.Paletted) {
			// A 1-px diagonal line touches only at corners: 4-connected fill
			// must not cross it.
			Segment(m, pt(0, 0), pt(23, 23), 1, 1)
		}, pt(20, 2), 4, image.Rect(1, 0, 24, 23)},
		{"fill_spiral", func(m *image.Paletted) {
			Segment(m, pt(2, 2), pt(21, 2), 1, 1)
			Segment(m, pt(21, 2), pt(21, 21), 1, 1)
			Segment(m, pt(21, 21), pt(2, 21), 1, 1)
			Segment(m, pt(2, 21), pt(2, 6), 1, 1)
			Segment(m, pt(2, 6), pt(17, 6), 1, 1)
			Segment(m, pt(17, 6), pt(17, 17), 1, 1)
			Segment(m, pt(17, 17), pt(6, 17), 1, 1)
			Segment(m, pt(6, 17), pt(6, 10), 1, 1)
		}, pt(12, 12), 5, image.Rect(0, 0, 24, 24)},
		{"fill_same_id", func(m *image.Paletted) {}, pt(3, 3), 0, image.Rectangle{}},
		{"fill_outside", func(m *image.Paletted) {}, pt(-3, 3), 2, image.Rectangle{}},
	}
	var stack FillStack
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := newIDs(24, 24)
			tc.setup(img)
			before := bytes.Clone(img.Pix)
			got := FloodFill(img, tc.seed, tc.id, &stack)
			if got != tc.dirty && !(got.Empty() && tc.dirty.Empty()) {
				t.Errorf("dirty = %v, want %v", got, tc.dirty)
			}
			for i := range img.Pix {
				if img.Pix[i] != before[i] && !pt(i%24, i/24).In(got) {
					t.Fatalf("changed pixel %d outside dirty", i)
				}
			}
			golden(t, tc.name, img)
		})
	}
}

func TestFloodFillLarge(t *testing.T) {
	// A 4096² canvas filled whole, then a comb whose teeth make the worst
	// case for the seed stack.
	img := newIDs(MaxSide, MaxSide)
	var stack FillStack
	if r := FloodFill(img, pt(100, 100), 1, &stack); r != img.Rect {
		t.Fatalf("fill = %v", r)
	}
	for _, v := range img.Pix {
		if v != 1 {
			t.Fatal("pixel left unfilled")
		}
	}
	comb := newIDs(1024, 1024)
	for x := 1; x < 1024; x += 2 {
		FillRect(comb, image.Rect(x, 0, x+1, 1023), 9)
	}
	r := FloodFill(comb, pt(0, 0), 3, &stack)
	if r != comb.Rect {
		t.Errorf("comb fill = %v", r)
	}
	n := 0
	for _, v := range comb.Pix {
		if v == 0 {
			n++
		}
	}
	if n != 0 {
		t.Errorf("%d comb pixels unfilled", n)
	}
}

func TestPick(t *testing.T) {
	img := newIDs(8, 8)
	img.SetColorIndex(3, 4, 7)
	tests := []struct {
		p    image.Point
		id   uint8
		okay bool
	}{{pt(3, 4), 7, true}, {pt(0, 0), 0, true}, {pt(8, 0), 0, false}, {pt(-1, 2), 0, false}}
	for _, tc := range tests {
		id, ok := Pick(img, tc.p)
		if id != tc.id || ok != tc.okay {
			t.Errorf("Pick(%v) = %d, %v", tc.p, id, ok)
		}
	}
}

func TestToolsOnSubImage(t *testing.T) {
	// Tools work on images not at the origin (sub-images share Pix).
	img := newIDs(32, 32)
	sub := img.SubImage(image.Rect(8, 8, 24, 24)).(*image.Paletted)
	Dab(sub, pt(8, 8), 5, 1)
	FloodFill(sub, pt(20, 20), 2, nil)
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			in := pt(x, y).In(sub.Rect)
			if v := img.ColorIndexAt(x, y); in != (v != 0) {
				t.Fatalf("pixel %d,%d = %d (in sub-image: %v)", x, y, v, in)
			}
		}
	}
	if v, _ := Pick(sub, pt(8, 8)); v != 1 {
		t.Errorf("centre = %d", v)
	}
}

func TestFillBytes(t *testing.T) {
	for n := 0; n < 300; n++ {
		b := make([]uint8, n+2)
		fillBytes(b[1:n+1], 7)
		for i, v := range b {
			want := uint8(7)
			if i == 0 || i == n+1 {
				want = 0
			}
			if v != want {
				t.Fatalf("n=%d: byte %d = %d", n, i, v)
			}
		}
	}
}

func TestReplaceID(t *testing.T) {
	img := newIDs(10, 6)
	FillRect(img, image.Rect(1, 1, 3, 2), 4)
	FillRect(img, image.Rect(7, 4, 9, 5), 4)
	FillRect(img, image.Rect(5, 0, 6, 6), 2)
	if r := ReplaceID(img, 4, 9); r != image.Rect(1, 1, 9, 5) {
		t.Errorf("dirty %v", r)
	}
	want := "" +
		".....2....\n" +
		".99..2....\n" +
		".....2....\n" +
		".....2....\n" +
		".....2.99.\n" +
		".....2....\n"
	if got := ascii(img.Pix, 10); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	if r := ReplaceID(img, 4, 9); !r.Empty() {
		t.Errorf("second replace dirty %v", r)
	}
}
