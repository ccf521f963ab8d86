package palette

import "testing"

func sets() []*Set { return []*Set{SIFTFlow, ADE20K, COCO, Cityscapes} }

func TestTranslateAllPairsValid(t *testing.T) {
	for _, from := range sets() {
		for _, to := range sets() {
			m, fbs := Translate(from, to)
			for id, v := range m {
				l, ok := to.ByID(v)
				if !ok {
					t.Fatalf("%s→%s: id %d → %d, not a %s id", from.Name, to.Name, id, v, to.Name)
				}
				if l.Unused && from != to {
					t.Fatalf("%s→%s: id %d → unused %s", from.Name, to.Name, id, l.Name)
				}
			}
			if from == to {
				if len(fbs) != 0 {
					t.Errorf("%s→itself: fallbacks %v", from.Name, fbs)
				}
				for _, l := range from.All() {
					if m[l.ID] != l.ID && !l.Unused {
						t.Errorf("%s→itself: %d → %d", from.Name, l.ID, m[l.ID])
					}
				}
			}
			for _, f := range fbs {
				if m[f.FromID] != f.ToID || to.LabelName(f.ToID) != f.ToName || from.LabelName(f.FromID) != f.FromName || f.Reason == "" {
					t.Errorf("%s→%s: inconsistent fallback %v", from.Name, to.Name, f)
				}
			}
			u, _ := from.Unlabeled()
			tu, _ := to.Unlabeled()
			if m[u] != tu {
				t.Errorf("%s→%s: unlabeled %d → %d, want %d", from.Name, to.Name, u, m[u], tu)
			}
		}
	}
}

func TestTranslateKnown(t *testing.T) {
	tests := []struct {
		from, to *Set
		name     string
		want     string
		fallback bool
	}{
		{SIFTFlow, ADE20K, "sea", "sea", false},
		{SIFTFlow, ADE20K, "field", "field", false},
		{SIFTFlow, ADE20K, "river", "river", false},
		{SIFTFlow, ADE20K, "plant", "plant", false},
		{SIFTFlow, ADE20K, "sky", "sky", false},
		{SIFTFlow, ADE20K, "sun", "sky", true},
		{SIFTFlow, ADE20K, "moon", "sky", true},
		{SIFTFlow, ADE20K, "desert", "sand", true},
		{SIFTFlow, ADE20K, "window", "windowpane", true},
		{SIFTFlow, ADE20K, "sign", "signboard", true},
		{SIFTFlow, ADE20K, "crosswalk", "road", true},
		{SIFTFlow, ADE20K, "balcony", "railing", true},
		{SIFTFlow, ADE20K, "cow", "animal", true},
		{SIFTFlow, ADE20K, "bird", "animal", true},
		{SIFTFlow, ADE20K, "staircase", "stairway", true},
		{SIFTFlow, COCO, "sky", "sky-other", true},
		{SIFTFlow, COCO, "sea", "sea", false},
		{SIFTFlow, COCO, "tree", "tree", false},
		{SIFTFlow, COCO, "plant", "plant-other", true},
		{SIFTFlow, COCO, "field", "grass", true},
		{SIFTFlow, COCO, "building", "building-other", true},
		{SIFTFlow, COCO, "window", "window-other", true}, // not the unused gap
		{SIFTFlow, COCO, "door", "door-stuff", true},
		{SIFTFlow, COCO, "sidewalk", "pavement", true},
		{SIFTFlow, COCO, "person", "person", false},
		{SIFTFlow, Cityscapes, "tree", "vegetation", true},
		{SIFTFlow, Cityscapes, "grass", "vegetation", true},
		{SIFTFlow, Cityscapes, "field", "terrain", true},
		{SIFTFlow, Cityscapes, "sea", "unlabeled", true},
		{SIFTFlow, Cityscapes, "mountain", "terrain", true},
		{SIFTFlow, Cityscapes, "sign", "traffic sign", true},
		{SIFTFlow, Cityscapes, "streetlight", "pole", true},
		{SIFTFlow, Cityscapes, "window", "building", true},
		{Cityscapes, SIFTFlow, "vegetation", "tree", true},
		{Cityscapes, SIFTFlow, "terrain", "field", true},
		{Cityscapes, SIFTFlow, "rider", "person", true},
		{Cityscapes, SIFTFlow, "truck", "car", true},
		{Cityscapes, SIFTFlow, "guard rail", "fence", true},
		{Cityscapes, SIFTFlow, "wall", "building", true},
		{Cityscapes, SIFTFlow, "ground", "field", true},
		{Cityscapes, SIFTFlow, "ego vehicle", "car", true},
		{Cityscapes, SIFTFlow, "static", "void", true},
		{Cityscapes, ADE20K, "vegetation", "tree", true},
		{Cityscapes, ADE20K, "terrain", "earth", true},
		{Cityscapes, COCO, "sky", "sky-other", true},
		{ADE20K, SIFTFlow, "water", "sea", true},
		{ADE20K, SIFTFlow, "lake", "sea", true},
		{ADE20K, SIFTFlow, "waterfall", "river", true},
		{ADE20K, SIFTFlow, "hill", "mountain", true},
		{ADE20K, SIFTFlow, "palm", "tree", true},
		{ADE20K, SIFTFlow, "flower", "plant", true},
		{ADE20K, SIFTFlow, "earth", "field", true},
		{ADE20K, SIFTFlow, "house", "building", true},
		{ADE20K, SIFTFlow, "skyscraper", "building", true},
		{ADE20K, SIFTFlow, "sofa", "void", true},
		{ADE20K, COCO, "sky", "sky-other", true},
		{ADE20K, COCO, "plant", "plant-other", true},
		{ADE20K, COCO, "wall", "wall-other", true},
		{ADE20K, Cityscapes, "tree", "vegetation", true},
		{COCO, SIFTFlow, "sky-other", "sky", true},
		{COCO, SIFTFlow, "clouds", "sky", true},
		{COCO, SIFTFlow, "fog", "sky", true},
		{COCO, SIFTFlow, "grass", "grass", false},
		{COCO, SIFTFlow, "bush", "plant", true},
		{COCO, SIFTFlow, "wall-brick", "building", true},
		{COCO, SIFTFlow, "water-other", "sea", true},
		{COCO, SIFTFlow, "stone", "rock", true},
		{COCO, SIFTFlow, "dirt", "sand", true},
		{COCO, SIFTFlow, "snow", "mountain", true},
		{COCO, ADE20K, "wall-brick", "wall", true},
		{COCO, ADE20K, "floor-wood", "floor", true},
		{COCO, ADE20K, "sky-other", "sky", true},
		{COCO, ADE20K, "potted plant", "plant", true},
		{COCO, ADE20K, "playingfield", "field", true},
		{COCO, Cityscapes, "tree", "vegetation", true},
		{COCO, Cityscapes, "grass", "vegetation", true},
	}
	for _, tc := range tests {
		t.Run(tc.from.Name+"→"+tc.to.Name+"/"+tc.name, func(t *testing.T) {
			fl, ok := tc.from.ByName(tc.name)
			if !ok {
				t.Fatalf("%s lacks %s", tc.from.Name, tc.name)
			}
			wl, ok := tc.to.ByName(tc.want)
			if !ok {
				t.Fatalf("%s lacks %s", tc.to.Name, tc.want)
			}
			m, fbs := Translate(tc.from, tc.to)
			if got := m[fl.ID]; got != wl.ID {
				t.Errorf("%s (%d) → %s (%d), want %s (%d)", tc.name, fl.ID, tc.to.LabelName(got), got, tc.want, wl.ID)
			}
			found := false
			for _, f := range fbs {
				if f.FromID == fl.ID {
					found = true
				}
			}
			if found != tc.fallback {
				t.Errorf("fallback reported = %v, want %v", found, tc.fallback)
			}
		})
	}
}

func TestMappingApply(t *testing.T) {
	m, _ := Translate(SIFTFlow, ADE20K)
	ids := []uint8{28, 25, 0, 32}
	m.Apply(ids)
	want := []uint8{3, 27, 0, 5}
	for i := range ids {
		if ids[i] != want[i] {
			t.Fatalf("Apply = %v, want %v", ids, want)
		}
	}
}

func TestGroupOf(t *testing.T) {
	tests := map[string]Group{
		"sky": GroupSky, "Sky": GroupSky, "grass-merged": GroupPlants, "wall-brick": GroupBuilt,
		"void": GroupUnlabeled, "sofa": GroupOther, "Water-Other": GroupWater, "sea": GroupWater,
	}
	for n, want := range tests {
		if got := GroupOf(n); got != want {
			t.Errorf("GroupOf(%q) = %v, want %v", n, got, want)
		}
	}
}

func TestTranslateVoidNames(t *testing.T) {
	// A set built from bare names (a project file) without an unlabeled id:
	// its "void" still maps to the target's unlabeled without a fallback.
	from, err := NewSet("file", "file", []Label{{ID: 0, Name: "void"}, {ID: 7, Name: "sky"}, {ID: 9, Name: "Unlabeled"}}, -1)
	if err != nil {
		t.Fatal(err)
	}
	m, fbs := Translate(from, COCO)
	if m[0] != 255 || m[9] != 255 || m[7] != 156 || len(fbs) != 1 || fbs[0].FromName != "sky" {
		t.Errorf("m[0]=%d m[9]=%d m[7]=%d fallbacks %v", m[0], m[9], m[7], fbs)
	}
}
