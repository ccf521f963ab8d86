package canvas

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"spadework/palette"
)

const (
	sky  = 28 // SIFT Flow ids
	sea  = 25
	tree = 32
	sand = 24
	void = 0
	moon = 16
)

func newDoc(t testing.TB, w, h int, fill uint8) *Document {
	t.Helper()
	d, err := New(palette.SIFTFlow, w, h, fill)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNewSizes(t *testing.T) {
	tests := []struct {
		w, h int
		ok   bool
	}{
		{256, 256, true}, {512, 512, true}, {1024, 1024, true}, {640, 480, true},
		{1, 1, true}, {4096, 4096, true}, {4097, 4096, false}, {4096, 4097, false},
		{0, 10, false}, {-5, 10, false}, {100000, 100000, false},
	}
	for _, tc := range tests {
		d, err := New(palette.SIFTFlow, tc.w, tc.h, sky)
		if (err == nil) != tc.ok {
			t.Errorf("New(%d×%d) error = %v", tc.w, tc.h, err)
			continue
		}
		if err != nil {
			var se *SizeError
			if !errors.As(err, &se) {
				t.Errorf("error %T, want *SizeError", err)
			}
			continue
		}
		if d.Bounds() != image.Rect(0, 0, tc.w, tc.h) {
			t.Errorf("bounds %v", d.Bounds())
		}
		if tc.w <= 1024 {
			for _, v := range d.Image().Pix {
				if v != sky {
					t.Fatal("not filled")
				}
			}
		}
	}
	if _, err := New(palette.SIFTFlow, 8, 8, 200); err == nil {
		t.Error("fill id 200 accepted for SIFT Flow")
	}
	d := newDoc(t, 8, 8, sky)
	if d.Background != void {
		t.Errorf("background %d, want void", d.Background)
	}
	if d.Image().Palette[sky] != palette.SIFTFlow.Color(sky) {
		t.Error("palette is not the set's colours")
	}
	if d.Modified() || d.CanUndo() || d.CanRedo() {
		t.Error("new document is modified or has history")
	}
}

func TestUndoRedoSequence(t *testing.T) {
	d := newDoc(t, 32, 32, sky)
	states := [][]uint8{bytes.Clone(d.Image().Pix)}
	// Stroke 1: a drag of three points.
	d.BeginStroke()
	d.BrushTo(pt(2, 2), 3, sea)
	d.BrushTo(pt(10, 2), 3, sea)
	d.BrushTo(pt(10, 10), 3, sea)
	if !d.EndStroke() {
		t.Fatal("stroke not recorded")
	}
	states = append(states, bytes.Clone(d.Image().Pix))
	// Between drag points there is no gap.
	for x := 2; x <= 10; x++ {
		if v, _ := d.Pick(pt(x, 2)); v != sea {
			t.Fatalf("gap at %d,2", x)
		}
	}
	// Stroke 2: a rectangle (own undo step without Begin/End).
	d.Rect(image.Rect(20, 20, 30, 30), tree)
	states = append(states, bytes.Clone(d.Image().Pix))
	// Stroke 3: flood fill of the sky.
	d.Fill(pt(31, 0), sand)
	states = append(states, bytes.Clone(d.Image().Pix))
	// Stroke 4: erase.
	d.BeginStroke()
	d.EraseTo(pt(25, 25), 5)
	d.EraseTo(pt(28, 25), 5)
	d.EndStroke()
	states = append(states, bytes.Clone(d.Image().Pix))

	if d.UndoSteps() != 4 {
		t.Fatalf("UndoSteps = %d, want 4", d.UndoSteps())
	}
	if v, _ := d.Pick(pt(25, 25)); v != void {
		t.Errorf("eraser painted %d", v)
	}
	check := func(i int) {
		t.Helper()
		if !bytes.Equal(d.Image().Pix, states[i]) {
			t.Fatalf("state %d not restored", i)
		}
	}
	for i := 3; i >= 0; i-- {
		v := d.Version()
		r := d.Undo()
		if r.Empty() || d.Version() <= v {
			t.Fatalf("undo to %d: rect %v version %d→%d", i, r, v, d.Version())
		}
		check(i)
	}
	if !d.Undo().Empty() {
		t.Error("undo past the start")
	}
	for i := 1; i <= 4; i++ {
		if d.Redo().Empty() {
			t.Fatal("redo returned empty")
		}
		check(i)
	}
	if !d.Redo().Empty() {
		t.Error("redo past the end")
	}
	// Undo twice, then a new stroke drops the redo branch.
	d.Undo()
	d.Undo()
	d.Line(pt(0, 31), pt(31, 31), 1, tree)
	if d.CanRedo() {
		t.Error("redo kept after a new stroke")
	}
	if d.UndoSteps() != 3 {
		t.Errorf("UndoSteps = %d, want 3", d.UndoSteps())
	}
	d.Undo()
	check(2)
}

func TestUndoStoresDirtyRectOnly(t *testing.T) {
	d := newDoc(t, 256, 256, sky)
	d.BeginStroke()
	d.BrushTo(pt(100, 100), 5, sea)
	d.EndStroke()
	s := d.hist.steps[0]
	// A d=5 dab: rows of 3, 5, 5, 5, 3 pixels.
	if s.r != image.Rect(98, 98, 103, 103) || len(s.before) != 21 || len(s.after) != 21 || len(s.spans) != 5 {
		t.Errorf("step rect %v, %d/%d bytes, %d spans", s.r, len(s.before), len(s.after), len(s.spans))
	}
	// A long diagonal stroke stores about its own area, not its box's.
	d.BeginStroke()
	d.BrushTo(pt(0, 0), 8, tree)
	d.BrushTo(pt(255, 255), 8, tree)
	d.EndStroke()
	if s := d.hist.steps[1]; s.r.Dx()*s.r.Dy() < 60000 || len(s.before) > 256*14 {
		t.Errorf("diagonal stroke: rect %v stores %d bytes", s.r, len(s.before))
	}
	d.Undo()
	// Painting sky over sky changes nothing and records nothing.
	v := d.Version()
	d.BeginStroke()
	d.BrushTo(pt(10, 10), 20, sky)
	d.BrushTo(pt(50, 10), 20, sky)
	if d.EndStroke() {
		t.Error("no-op stroke recorded")
	}
	if d.UndoSteps() != 1 {
		t.Errorf("UndoSteps = %d", d.UndoSteps())
	}
	_ = v
	// Fill with the same id: nothing at all.
	if r := d.Fill(pt(0, 0), sky); !r.Empty() {
		t.Errorf("same-id fill dirty %v", r)
	}
	// A stroke whose painting cancels out records nothing either.
	d.BeginStroke()
	d.Rect(image.Rect(0, 0, 10, 10), sea)
	d.Rect(image.Rect(0, 0, 10, 10), sky)
	if d.EndStroke() {
		t.Error("self-cancelling stroke recorded")
	}
	// Invalid ids are not painted.
	if r := d.BrushTo(pt(5, 5), 3, 99); !r.Empty() {
		t.Error("painted id 99")
	}
}

func TestUndoBounds(t *testing.T) {
	d := newDoc(t, 100, 100, sky)
	// 300 one-pixel strokes: at least 200 stay undoable.
	for i := 0; i < 300; i++ {
		id := uint8(sea)
		if i%2 == 1 {
			id = tree
		}
		d.BrushTo(pt(i%100, i/100), 1, id)
	}
	if d.UndoSteps() != 300 {
		t.Errorf("UndoSteps = %d, want 300", d.UndoSteps())
	}
	// Byte bound: each full-canvas rect costs 2×10000 bytes (+ overhead);
	// a 100 KB bound keeps 4 of them and drops the oldest first.
	d.ClearHistory()
	d.SetUndoLimits(100_000, 0)
	ids := []uint8{sea, tree, sand, sea, tree, sand, sea}
	for _, id := range ids {
		d.Rect(d.Bounds(), id)
	}
	if d.UndoSteps() != 4 || d.UndoBytes() > 100_000 {
		t.Fatalf("UndoSteps = %d, bytes %d", d.UndoSteps(), d.UndoBytes())
	}
	for i := 0; i < 4; i++ {
		d.Undo()
	}
	if v, _ := d.Pick(pt(0, 0)); v != ids[2] {
		t.Errorf("oldest kept state %d, want %d", v, ids[2])
	}
	// A single step over the bound is still kept, alone.
	d.SetUndoLimits(1000, 0)
	d.Rect(d.Bounds(), tree)
	if d.UndoSteps() != 1 {
		t.Errorf("UndoSteps = %d after a huge step", d.UndoSteps())
	}
	// Step bound.
	d.ClearHistory()
	d.SetUndoLimits(DefaultUndoBytes, 5)
	for i := 0; i < 9; i++ {
		d.BrushTo(pt(i, 50), 1, sea)
	}
	if d.UndoSteps() != 5 {
		t.Errorf("UndoSteps = %d, want 5", d.UndoSteps())
	}
}

func TestSnapshot(t *testing.T) {
	d := newDoc(t, 64, 64, sky)
	s1 := d.Snapshot()
	d.BrushTo(pt(10, 10), 5, sea)
	s2 := d.Snapshot()
	if s2.Version <= s1.Version {
		t.Errorf("versions %d then %d", s1.Version, s2.Version)
	}
	if v := s1.Image.ColorIndexAt(10, 10); v != sky {
		t.Errorf("old snapshot changed: %d", v)
	}
	if v := s2.Image.ColorIndexAt(10, 10); v != sea {
		t.Errorf("new snapshot lacks the dab: %d", v)
	}
	d.Undo()
	if v := s2.Image.ColorIndexAt(10, 10); v != sea {
		t.Error("snapshot changed by undo")
	}
	if s3 := d.Snapshot(); s3.Version <= s2.Version || s3.Set != palette.SIFTFlow {
		t.Errorf("version after undo %d", s3.Version)
	}
	// Versions are unique across documents.
	e := newDoc(t, 8, 8, sky)
	if e.Version() <= d.Version() {
		t.Error("new document reuses a version")
	}
}

func TestStrokeInterleaving(t *testing.T) {
	d := newDoc(t, 32, 32, sky)
	d.BeginStroke()
	d.BrushTo(pt(1, 1), 1, sea)
	d.BeginStroke() // ends the first
	d.BrushTo(pt(20, 20), 1, sea)
	if r := d.Undo(); r != image.Rect(20, 20, 21, 21) {
		t.Errorf("undo of open stroke: %v", r)
	}
	if v, _ := d.Pick(pt(1, 1)); v != sea {
		t.Error("first stroke undone too")
	}
	// A new stroke starts a new drag: no segment from the old point.
	d.BeginStroke()
	d.BrushTo(pt(1, 30), 1, tree)
	d.EndStroke()
	d.BeginStroke()
	d.BrushTo(pt(30, 30), 1, tree)
	d.EndStroke()
	if v, _ := d.Pick(pt(15, 30)); v == tree {
		t.Error("second stroke joined to the first")
	}
}

func TestFromImage(t *testing.T) {
	img := image.NewPaletted(image.Rect(5, 5, 9, 8), nil)
	img.Pix[0] = sky
	d, err := FromImage(palette.SIFTFlow, img)
	if err != nil {
		t.Fatal(err)
	}
	if d.Bounds() != image.Rect(0, 0, 4, 3) {
		t.Errorf("bounds %v", d.Bounds())
	}
	if v, _ := d.Pick(pt(0, 0)); v != sky {
		t.Errorf("pixel %d", v)
	}
	img.Pix[1] = 77
	if _, err := FromImage(palette.SIFTFlow, img); err == nil {
		t.Error("id 77 accepted")
	}
}

func BenchmarkBrushStroke1024(b *testing.B) {
	d := newDoc(b, 1024, 1024, sky)
	img := d.Image()
	pts := make([]image.Point, 64)
	for i := range pts {
		pts[i] = pt(100+i*12, 200+(i*37)%600)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 1; j < len(pts); j++ {
			Segment(img, pts[j-1], pts[j], 32, sea)
		}
	}
}

// BenchmarkBrushStrokeExact1024 is the peer of BenchmarkBrushStroke1024: the
// same stroke with the portable per-pixel test over each segment's box.
func BenchmarkBrushStrokeExact1024(b *testing.B) {
	d := newDoc(b, 1024, 1024, sky)
	img := d.Image()
	pts := make([]image.Point, 64)
	for i := range pts {
		pts[i] = pt(100+i*12, 200+(i*37)%600)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 1; j < len(pts); j++ {
			a, c := pts[j-1], pts[j]
			box := image.Rectangle{Min: a, Max: c}.Canon().Inset(-17).Intersect(img.Rect)
			segmentExact(img.SubImage(box).(*image.Paletted), a, c, 32, sea)
		}
	}
}

func BenchmarkBrushStrokeDocument1024(b *testing.B) {
	d := newDoc(b, 1024, 1024, sky)
	pts := make([]image.Point, 64)
	for i := range pts {
		pts[i] = pt(100+i*12, 200+(i*37)%600)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.BeginStroke()
		for _, p := range pts {
			d.BrushTo(p, 32, uint8(sea+i%2))
		}
		d.EndStroke()
	}
}

func BenchmarkSnapshot1024(b *testing.B) {
	d := newDoc(b, 1024, 1024, sky)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = d.Snapshot()
	}
}

func BenchmarkFloodFill1024(b *testing.B) {
	d := newDoc(b, 1024, 1024, sky)
	img := d.Image()
	var st FillStack
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		FloodFill(img, pt(0, 0), uint8(sea+i%2), &st)
	}
}

func TestRemap(t *testing.T) {
	d := newDoc(t, 16, 16, sky)
	d.Rect(image.Rect(0, 8, 16, 16), sea)
	d.BrushTo(pt(3, 3), 3, moon)
	fbs := d.Remap(palette.Cityscapes)
	if d.Set() != palette.Cityscapes || d.Image().Palette[23] != palette.Cityscapes.Color(23) {
		t.Fatal("set/palette not switched")
	}
	cs := func(n string) uint8 { l, _ := palette.Cityscapes.ByName(n); return l.ID }
	if v, _ := d.Pick(pt(0, 0)); v != cs("sky") {
		t.Errorf("sky → %d", v)
	}
	if v, _ := d.Pick(pt(0, 15)); v != cs("unlabeled") {
		t.Errorf("sea → %d", v)
	}
	if v, _ := d.Pick(pt(3, 3)); v != cs("sky") {
		t.Errorf("moon → %d", v)
	}
	// Only the labels in use are reported: moon and sea, not e.g. cow.
	names := map[string]bool{}
	for _, f := range fbs {
		names[f.FromName] = true
	}
	if len(fbs) != 2 || !names["moon"] || !names["sea"] {
		t.Errorf("fallbacks %v", fbs)
	}
	// Undo still works, in the new set's ids.
	d.Undo()
	if v, _ := d.Pick(pt(3, 3)); v != cs("sky") {
		t.Errorf("after undo %d", v)
	}
	d.Undo()
	if v, _ := d.Pick(pt(0, 15)); v != cs("sky") {
		t.Errorf("after second undo %d", v)
	}
	if got := d.UsedLabels(); len(got) != 1 || got[0].Name != "sky" {
		t.Errorf("UsedLabels = %v", got)
	}
	if d.Background != cs("unlabeled") {
		t.Errorf("background %d", d.Background)
	}
}

func TestMixedStrokeUndo(t *testing.T) {
	d := newDoc(t, 64, 48, sky)
	d.Rect(image.Rect(0, 30, 64, 48), sea)
	before := bytes.Clone(d.Image().Pix)
	d.BeginStroke()
	d.BrushTo(pt(5, 5), 9, tree)
	d.BrushTo(pt(60, 20), 9, tree)
	d.Fill(pt(0, 47), sand) // touches every row
	d.Rect(image.Rect(10, 10, 20, 40), moon)
	d.BrushTo(pt(30, 2), 3, void)
	if !d.EndStroke() {
		t.Fatal("not recorded")
	}
	after := bytes.Clone(d.Image().Pix)
	d.Undo()
	if !bytes.Equal(d.Image().Pix, before) {
		t.Fatal("undo of a mixed stroke did not restore")
	}
	d.Redo()
	if !bytes.Equal(d.Image().Pix, after) {
		t.Fatal("redo of a mixed stroke differs")
	}
}

func BenchmarkBeginStroke4096(b *testing.B) {
	d := newDoc(b, 4096, 4096, sky)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.BeginStroke()
		d.BrushTo(pt(i%4000, 100), 16, uint8(sea+i%2))
		d.EndStroke()
	}
}
