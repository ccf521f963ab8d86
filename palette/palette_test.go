package palette

import (
	"fmt"
	"image/color"
	"os"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	want := []string{"siftflow", "ade20k", "coco", "cityscapes"}
	got := Names()
	if len(got) != len(want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for i, n := range want {
		if got[i] != n {
			t.Fatalf("Names() = %v, want %v", got, want)
		}
		s, ok := Lookup(n)
		if !ok || s.Name != n {
			t.Fatalf("Lookup(%q) = %v, %v", n, s, ok)
		}
	}
	if _, ok := Lookup("SiftFlow"); !ok {
		t.Error("Lookup ignores case")
	}
	if _, ok := Lookup("voc"); ok {
		t.Error("Lookup(voc) found a set")
	}
	if Default() != SIFTFlow {
		t.Error("default set is not SIFT Flow")
	}
}

func TestSetContents(t *testing.T) {
	tests := []struct {
		set       *Set
		n         int // ids defined, gaps included
		paintable int
		unlabeled uint8
		maxID     uint8
	}{
		{SIFTFlow, 34, 34, 0, 33},
		{ADE20K, 151, 151, 0, 150},
		{COCO, 183, 172, 255, 255},
		{Cityscapes, 34, 34, 0, 33},
	}
	for _, tc := range tests {
		t.Run(tc.set.Name, func(t *testing.T) {
			if tc.set.Len() != tc.n {
				t.Errorf("Len = %d, want %d", tc.set.Len(), tc.n)
			}
			if got := len(tc.set.Labels()); got != tc.paintable {
				t.Errorf("len(Labels) = %d, want %d", got, tc.paintable)
			}
			u, ok := tc.set.Unlabeled()
			if !ok || u != tc.unlabeled {
				t.Errorf("Unlabeled = %d, %v; want %d", u, ok, tc.unlabeled)
			}
			if tc.set.MaxID() != tc.maxID || len(tc.set.Palette()) != int(tc.maxID)+1 {
				t.Errorf("MaxID = %d, palette %d", tc.set.MaxID(), len(tc.set.Palette()))
			}
			prev := Group(0)
			for _, l := range tc.set.Labels() {
				if l.Group < prev {
					t.Errorf("Labels not in group order at %s", l.Name)
				}
				prev = l.Group
				if l.Color.A != 255 {
					t.Errorf("%s: colour not opaque", l.Name)
				}
				if got, ok := tc.set.ByName(l.Name); !ok || got.ID != l.ID {
					t.Errorf("ByName(%q) = %v, %v", l.Name, got, ok)
				}
				if tc.set.Palette()[l.ID] != l.Color || tc.set.Color(l.ID) != l.Color {
					t.Errorf("%s: palette colour differs", l.Name)
				}
				if id, ok := tc.set.ByColor(l.Color); !ok || tc.set.Color(id) != l.Color {
					t.Errorf("ByColor(%v) = %d, %v", l.Color, id, ok)
				}
			}
			last := tc.set.Labels()[len(tc.set.Labels())-1]
			if last.Group != GroupUnlabeled || last.ID != tc.unlabeled {
				t.Errorf("last label %v, want the unlabeled id", last)
			}
		})
	}
}

func TestKnownLabels(t *testing.T) {
	tests := []struct {
		set   *Set
		id    uint8
		name  string
		color color.RGBA
		group Group
	}{
		{SIFTFlow, 0, "void", rgb(0, 0, 0), GroupUnlabeled},
		{SIFTFlow, 1, "awning", rgb(214, 120, 72), GroupBuilt},
		{SIFTFlow, 17, "mountain", rgb(125, 100, 80), GroupTerrain},
		{SIFTFlow, 25, "sea", rgb(20, 60, 160), GroupWater},
		{SIFTFlow, 28, "sky", rgb(135, 206, 235), GroupSky},
		{SIFTFlow, 32, "tree", rgb(20, 100, 30), GroupPlants},
		{SIFTFlow, 33, "window", rgb(0, 180, 180), GroupBuilt},
		{ADE20K, 1, "wall", rgb(120, 120, 120), GroupBuilt},
		{ADE20K, 3, "sky", rgb(6, 230, 230), GroupSky},
		{ADE20K, 5, "tree", rgb(4, 200, 3), GroupPlants},
		{ADE20K, 17, "mountain", rgb(143, 255, 140), GroupTerrain},
		{ADE20K, 27, "sea", rgb(9, 7, 230), GroupWater},
		{ADE20K, 61, "river", rgb(11, 200, 200), GroupWater},
		{ADE20K, 150, "flag", rgb(92, 0, 255), GroupOther},
		{COCO, 0, "person", rgb(128, 0, 0), GroupOther},
		{COCO, 1, "bicycle", rgb(0, 128, 0), GroupOther},
		{COCO, 2, "car", rgb(128, 128, 0), GroupOther},
		{COCO, 105, "clouds", rgb(170, 170, 170), GroupSky},
		{COCO, 123, "grass", rgb(29, 195, 49), GroupPlants},
		{COCO, 154, "sea", rgb(54, 62, 167), GroupWater},
		{COCO, 156, "sky-other", rgb(95, 219, 255), GroupSky},
		{COCO, 168, "tree", rgb(140, 104, 47), GroupPlants},
		{COCO, 181, "wood", vocColor(182), GroupOther},
		{COCO, 255, "unlabeled", rgb(0, 0, 0), GroupUnlabeled},
		{Cityscapes, 0, "unlabeled", rgb(0, 0, 0), GroupUnlabeled},
		{Cityscapes, 7, "road", rgb(128, 64, 128), GroupBuilt},
		{Cityscapes, 21, "vegetation", rgb(107, 142, 35), GroupPlants},
		{Cityscapes, 23, "sky", rgb(70, 130, 180), GroupSky},
		{Cityscapes, 33, "bicycle", rgb(119, 11, 32), GroupOther},
	}
	for _, tc := range tests {
		l, ok := tc.set.ByID(tc.id)
		if !ok || l.Name != tc.name || l.Color != tc.color || l.Group != tc.group {
			t.Errorf("%s.ByID(%d) = %+v, %v; want %s %v %v", tc.set.Name, tc.id, l, ok, tc.name, tc.color, tc.group)
		}
	}
}

func TestCOCOGaps(t *testing.T) {
	for _, id := range cocoUnused {
		l, ok := COCO.ByID(id)
		if !ok || !l.Unused {
			t.Errorf("COCO id %d (%s) should be an unused gap", id, l.Name)
		}
	}
	for _, n := range []string{"street sign", "hat", "hair brush", "window", "door"} {
		if l, _ := COCO.ByName(n); !l.Unused {
			t.Errorf("%s not unused", n)
		}
	}
	if _, ok := COCO.ByID(182); ok {
		t.Error("COCO defines id 182")
	}
	for _, l := range COCO.Labels() {
		if l.Unused {
			t.Errorf("Labels() lists unused %s", l.Name)
		}
	}
}

func TestColorsDistinct(t *testing.T) {
	// SIFT Flow and COCO colours are all different; ADE20K and Cityscapes
	// repeat a few by design (road/skyscraper; the void ids, pole/polegroup).
	for _, s := range []*Set{SIFTFlow, COCO} {
		seen := map[color.RGBA]string{}
		for _, l := range s.All() {
			if o, dup := seen[l.Color]; dup {
				t.Errorf("%s: %s and %s share %v", s.Name, o, l.Name, l.Color)
			}
			seen[l.Color] = l.Name
		}
	}
	if id, _ := Cityscapes.ByColor(rgb(0, 0, 0)); id != 0 {
		t.Errorf("cityscapes black → %d, want 0", id)
	}
	if id, _ := ADE20K.ByColor(rgb(140, 140, 140)); id != 7 {
		t.Errorf("ade20k grey → %d, want 7 (road)", id)
	}
}

func TestNewSetErrors(t *testing.T) {
	tests := []struct {
		name   string
		labels []Label
		unl    int
	}{
		{"dup id", []Label{{ID: 1, Name: "a"}, {ID: 1, Name: "b"}}, -1},
		{"dup name", []Label{{ID: 1, Name: "a"}, {ID: 2, Name: "A"}}, -1},
		{"no name", []Label{{ID: 1}}, -1},
		{"bad unlabeled", []Label{{ID: 1, Name: "a"}}, 3},
	}
	for _, tc := range tests {
		if _, err := NewSet("x", "X", tc.labels, tc.unl); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	s, err := NewSet("x", "X", []Label{{ID: 4, Name: "Sky"}, {ID: 2, Name: "tree"}}, -1)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := s.ByName("tree"); l.Group != GroupPlants {
		t.Errorf("inferred group %v", l.Group)
	}
	if _, ok := s.Unlabeled(); ok {
		t.Error("unlabeled reported")
	}
	if s.Color(3) != (color.RGBA{A: 255}) || s.Has(3) {
		t.Error("missing id has a colour")
	}
}

func TestHex(t *testing.T) {
	l, _ := SIFTFlow.ByName("sky")
	if l.Hex() != "#87ceeb" {
		t.Errorf("Hex = %s", l.Hex())
	}
	tests := []struct {
		in   string
		want color.RGBA
		ok   bool
	}{
		{"#87ceeb", rgb(135, 206, 235), true}, {"#87CEEB", rgb(135, 206, 235), true},
		{"#000000", rgb(0, 0, 0), true}, {"87ceeb", color.RGBA{}, false}, {"#87ceeg", color.RGBA{}, false},
		{"#87cee", color.RGBA{}, false}, {"", color.RGBA{}, false},
	}
	for _, tc := range tests {
		c, err := ParseHex(tc.in)
		if (err == nil) != tc.ok || c != tc.want {
			t.Errorf("ParseHex(%q) = %v, %v", tc.in, c, err)
		}
	}
	for _, s := range []*Set{SIFTFlow, ADE20K, COCO, Cityscapes} {
		for _, l := range s.All() {
			if c, err := ParseHex(l.Hex()); err != nil || c != l.Color {
				t.Fatalf("%s %s: hex round trip %v %v", s.Name, l.Name, c, err)
			}
		}
	}
}

func TestDisplayOrder(t *testing.T) {
	tests := []struct {
		set   *Set
		first []string
	}{
		{SIFTFlow, []string{"sky", "sun", "moon", "sea", "river", "mountain", "rock", "sand", "desert", "field", "tree", "grass", "plant", "building", "road"}},
		{ADE20K, []string{"sky", "sea", "water", "river", "lake", "waterfall", "mountain", "hill", "rock", "sand", "field", "earth", "land", "dirt track", "tree", "grass", "plant", "flower", "palm"}},
		{COCO, []string{"sky-other", "clouds", "fog", "sea", "river", "water-other", "waterdrops", "mountain", "hill", "rock", "stone", "sand", "snow"}},
		{Cityscapes, []string{"sky", "ground", "terrain", "vegetation", "building", "road", "sidewalk", "bridge", "fence", "wall"}},
	}
	for _, tc := range tests {
		ls := tc.set.Labels()
		for i, n := range tc.first {
			if ls[i].Name != n {
				var got []string
				for _, l := range ls[:len(tc.first)] {
					got = append(got, l.Name)
				}
				t.Errorf("%s: Labels() starts %v, want %v", tc.set.Name, got, tc.first)
				break
			}
		}
	}
}

// TestSIFTFlowMatchesDataset checks ids and names against the dataset's own
// classes_fcn.txt (copied from the SIFT Flow distribution).
func TestSIFTFlowMatchesDataset(t *testing.T) {
	data, err := os.ReadFile("testdata/siftflow_classes_fcn.txt")
	if err != nil {
		t.Fatal(err)
	}
	// The semantic list runs from "Semantic:" to "Geometric:".
	text := string(data)
	text = text[strings.Index(text, "Semantic:"):strings.Index(text, "Geometric:")]
	n := 0
	for _, line := range strings.Split(text, "\n") {
		var id int
		var name string
		if _, err := fmt.Sscanf(line, "%d %s", &id, &name); err != nil {
			continue
		}
		n++
		if got := SIFTFlow.LabelName(uint8(id)); got != name {
			t.Errorf("id %d: %q, dataset says %q", id, got, name)
		}
	}
	if n != 33 {
		t.Errorf("parsed %d classes", n)
	}
}

func TestColorIDs(t *testing.T) {
	tests := []struct {
		set  *Set
		c    color.RGBA
		want []uint8
	}{
		{ADE20K, rgb(140, 140, 140), []uint8{7, 49}},
		{Cityscapes, rgb(0, 0, 0), []uint8{0, 1, 2, 3, 4}},
		{Cityscapes, rgb(153, 153, 153), []uint8{17, 18}},
		{SIFTFlow, rgb(135, 206, 235), []uint8{28}},
		{SIFTFlow, rgb(1, 2, 3), nil},
	}
	for _, tc := range tests {
		got := tc.set.ColorIDs(tc.c)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s.ColorIDs(%v) = %v, want %v", tc.set.Name, tc.c, got, tc.want)
		}
	}
}
