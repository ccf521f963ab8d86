// Package palette describes the label sets a Spadework painting can be made of:
// each label's dataset id, name, display colour and group. It knows nothing of
// pixels or images; a painting is a map of the ids defined here.
//
// Ids are always the value the dataset's own label files store (see
// docs/ARCHITECTURE.md), so a label-map PNG from the dataset opens unchanged.
package palette

import (
	"fmt"
	"image/color"
	"sort"
	"strings"
)

// Group is a coarse family of labels. The painting UI lists labels by group so
// that the landscape labels a person reaches for first are at the top, and
// Translate uses it to pick a nearest label when a set lacks a name.
type Group uint8

// The groups, in display order.
const (
	GroupSky       Group = iota // sky and weather: sky, clouds, sun, fog
	GroupWater                  // sea, river, lake, waterfall
	GroupTerrain                // mountain, rock, sand, earth, snow
	GroupPlants                 // tree, grass, plant, flower
	GroupBuilt                  // buildings, roads, bridges, fences, street furniture
	GroupOther                  // objects, vehicles, people, animals, indoor stuff
	GroupUnlabeled              // the set's void / unlabeled id
	numGroups
)

var groupNames = [numGroups]string{"sky & weather", "water", "terrain", "plants", "built", "objects & other", "unlabeled"}

// String returns the group's display name.
func (g Group) String() string {
	if g < numGroups {
		return groupNames[g]
	}
	return fmt.Sprintf("Group(%d)", uint8(g))
}

// Groups returns every group in display order.
func Groups() []Group {
	gs := make([]Group, numGroups)
	for i := range gs {
		gs[i] = Group(i)
	}
	return gs
}

// Label is one class of a label set.
type Label struct {
	ID    uint8      // the value stored in the dataset's label maps
	Name  string     // the dataset's own (short) name
	Color color.RGBA // display colour; opaque
	Group Group      // display group; also guides Translate's fallbacks
	// Unused marks an id the dataset names but never annotates (COCO-Stuff's
	// eleven thing ids dropped from COCO 2017). Kept so ids and names stay
	// the dataset's own; left out of Labels() because no model learns them.
	Unused bool
}

// Set is a label set: which ids exist, their names and colours. A Set is
// immutable once built and safe for concurrent use.
type Set struct {
	// Name is the registry key: "siftflow", "ade20k", "coco" or "cityscapes".
	Name string
	// Title is the human name, e.g. "SIFT Flow".
	Title string

	byID      [256]int16 // index into labels, -1 when absent
	labels    []Label    // id order
	display   []Label    // Labels() order
	byName    map[string]int
	byColor   map[color.RGBA]uint8
	shared    map[color.RGBA][]uint8 // colours several ids use
	unlabeled int                    // id or -1
	palette   color.Palette
}

// NewSet builds a set from its labels. unlabeled is the id meaning "no label"
// (void), or -1 when the set has none. Labels whose Group is zero (GroupSky)
// but whose name is not a sky name get their group from GroupOf, so callers
// building a set from bare names (a project file of an unknown set) may leave
// Group out. Duplicate ids or names are an error.
func NewSet(name, title string, labels []Label, unlabeled int) (*Set, error) {
	s := &Set{Name: name, Title: title, unlabeled: -1, byName: make(map[string]int, len(labels)), byColor: make(map[color.RGBA]uint8, len(labels))}
	for i := range s.byID {
		s.byID[i] = -1
	}
	ls := append([]Label(nil), labels...)
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].ID < ls[j].ID })
	for i := range ls {
		l := &ls[i]
		if s.byID[l.ID] >= 0 {
			return nil, fmt.Errorf("palette: set %s: id %d defined twice", name, l.ID)
		}
		if l.Name == "" {
			return nil, fmt.Errorf("palette: set %s: id %d has no name", name, l.ID)
		}
		key := normalize(l.Name)
		if _, dup := s.byName[key]; dup {
			return nil, fmt.Errorf("palette: set %s: name %q defined twice", name, l.Name)
		}
		if l.Group == GroupSky && GroupOf(l.Name) != GroupSky {
			l.Group = GroupOf(l.Name)
		}
		if int(l.ID) == unlabeled {
			l.Group = GroupUnlabeled
		}
		l.Color.A = 255
		s.byID[l.ID] = int16(i)
		s.byName[key] = i
	}
	s.labels = ls
	if unlabeled >= 0 {
		if unlabeled > 255 || s.byID[unlabeled] < 0 {
			return nil, fmt.Errorf("palette: set %s: unlabeled id %d is not a label", name, unlabeled)
		}
		s.unlabeled = unlabeled
	}
	// Colours map back to the first id that uses them (Cityscapes gives ids
	// 0..4 the same black; 0 = unlabeled is the one an imported map means),
	// preferring used ids over unused gaps.
	for pass := 0; pass < 2; pass++ {
		for _, l := range ls {
			if l.Unused != (pass == 1) {
				continue
			}
			if _, ok := s.byColor[l.Color]; !ok {
				s.byColor[l.Color] = l.ID
			}
		}
	}
	count := map[color.RGBA][]uint8{}
	for _, l := range ls {
		count[l.Color] = append(count[l.Color], l.ID)
	}
	for c, ids := range count {
		if len(ids) > 1 {
			if s.shared == nil {
				s.shared = map[color.RGBA][]uint8{}
			}
			s.shared[c] = ids
		}
	}
	for _, l := range ls {
		if !l.Unused {
			s.display = append(s.display, l)
		}
	}
	sort.SliceStable(s.display, func(i, j int) bool {
		a, b := s.display[i], s.display[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return rank(a.Name) < rank(b.Name)
	})
	maxID := 0
	if len(ls) > 0 {
		maxID = int(ls[len(ls)-1].ID)
	}
	s.palette = make(color.Palette, maxID+1)
	for i := range s.palette {
		s.palette[i] = color.RGBA{A: 255}
	}
	for _, l := range ls {
		s.palette[l.ID] = l.Color
	}
	return s, nil
}

func mustSet(name, title string, labels []Label, unlabeled int) *Set {
	s, err := NewSet(name, title, labels, unlabeled)
	if err != nil {
		panic(err)
	}
	return s
}

// normalize makes names comparable across datasets: case, spaces versus
// underscores and surrounding blanks do not matter ("Traffic_Light" ==
// "traffic light").
func normalize(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(name, "_", " "))), " ")
}

// Labels returns the paintable labels in display order: grouped as sky &
// weather, water, terrain, plants, built, objects & other, then the
// unlabeled id; within a group the most used landscape labels first (sky,
// sea, mountain, tree, building, …), then by id. Unused ids are left out. The slice is a
// copy.
func (s *Set) Labels() []Label { return append([]Label(nil), s.display...) }

// All returns every label the set defines, unused gaps included, in id order.
// The slice is a copy.
func (s *Set) All() []Label { return append([]Label(nil), s.labels...) }

// Len is the number of ids the set defines, unused gaps included.
func (s *Set) Len() int { return len(s.labels) }

// ByID returns the label with dataset id id.
func (s *Set) ByID(id uint8) (Label, bool) {
	i := s.byID[id]
	if i < 0 {
		return Label{}, false
	}
	return s.labels[i], true
}

// Has reports whether id is a label of the set (unused gaps included).
func (s *Set) Has(id uint8) bool { return s.byID[id] >= 0 }

// LabelName returns the name of id, or "" when the set has no such id.
func (s *Set) LabelName(id uint8) string {
	if l, ok := s.ByID(id); ok {
		return l.Name
	}
	return ""
}

// ByName finds a label by name, ignoring case and '_' versus ' '.
func (s *Set) ByName(name string) (Label, bool) {
	i, ok := s.byName[normalize(name)]
	if !ok {
		return Label{}, false
	}
	return s.labels[i], true
}

// ByColor finds the id whose display colour is exactly c (alpha ignored).
// When several ids share a colour the lowest used one wins.
func (s *Set) ByColor(c color.RGBA) (uint8, bool) {
	c.A = 255
	id, ok := s.byColor[c]
	return id, ok
}

// ColorIDs returns every id whose colour is c (alpha ignored), ascending:
// more than one where the dataset's palette repeats a colour (ADE20K road
// and skyscraper; Cityscapes' void ids, pole and polegroup).
func (s *Set) ColorIDs(c color.RGBA) []uint8 {
	c.A = 255
	if ids, ok := s.shared[c]; ok {
		return append([]uint8(nil), ids...)
	}
	if id, ok := s.byColor[c]; ok {
		return []uint8{id}
	}
	return nil
}

// Unlabeled returns the id that means "no label" (SIFT Flow 0 = void, ADE20K 0,
// COCO-Stuff 255, Cityscapes 0 = unlabeled).
func (s *Set) Unlabeled() (uint8, bool) {
	if s.unlabeled < 0 {
		return 0, false
	}
	return uint8(s.unlabeled), true
}

// Color returns the display colour of id; opaque black for an id the set lacks.
func (s *Set) Color(id uint8) color.RGBA {
	if i := s.byID[id]; i >= 0 {
		return s.labels[i].Color
	}
	return color.RGBA{A: 255}
}

// Palette returns a colour palette indexed by id (length max id + 1; ids the
// set lacks are black), ready for an image.Paletted whose pixels are ids. The
// same slice is returned every time: do not modify it.
func (s *Set) Palette() color.Palette { return s.palette }

// MaxID is the largest id the set defines.
func (s *Set) MaxID() uint8 { return uint8(len(s.palette) - 1) }

// String returns the set's title.
func (s *Set) String() string { return s.Title }

var registry = map[string]*Set{}

// registryOrder is the order Names reports; package initialisation order of
// the set variables follows file names, which is not the order wanted.
var registryOrder = []string{"siftflow", "ade20k", "coco", "cityscapes"}

func register(s *Set) *Set {
	registry[s.Name] = s
	return s
}

// Lookup returns a registered set by its key: "siftflow", "ade20k", "coco"
// or "cityscapes". Case is ignored.
func Lookup(name string) (*Set, bool) {
	s, ok := registry[strings.ToLower(strings.TrimSpace(name))]
	return s, ok
}

// Names returns the registered sets' keys, the default (siftflow) first.
func Names() []string { return append([]string(nil), registryOrder...) }

// Default is the label set of the default model.
func Default() *Set { return SIFTFlow }

// SameName reports whether two label names are the same name as ByName and
// Translate compare them: ignoring case, '_' versus ' ' and extra blanks.
func SameName(a, b string) bool { return normalize(a) == normalize(b) }

// Hex returns the label's colour as "#rrggbb", the form model metadata and
// project files use.
func (l Label) Hex() string { return Hex(l.Color) }

// Hex formats c as "#rrggbb".
func Hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// ParseHex reads "#rrggbb" (case-insensitive) as an opaque colour.
func ParseHex(s string) (color.RGBA, error) {
	if len(s) != 7 || s[0] != '#' {
		return color.RGBA{}, fmt.Errorf("palette: colour %q is not #rrggbb", s)
	}
	var v [3]uint8
	for i := range v {
		for _, ch := range s[1+2*i : 3+2*i] {
			var d uint8
			switch {
			case ch >= '0' && ch <= '9':
				d = uint8(ch - '0')
			case ch >= 'a' && ch <= 'f':
				d = uint8(ch-'a') + 10
			case ch >= 'A' && ch <= 'F':
				d = uint8(ch-'A') + 10
			default:
				return color.RGBA{}, fmt.Errorf("palette: colour %q is not #rrggbb", s)
			}
			v[i] = v[i]<<4 | d
		}
	}
	return color.RGBA{v[0], v[1], v[2], 255}, nil
}
