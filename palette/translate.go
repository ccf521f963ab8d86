package palette

import "fmt"

// Mapping turns ids of one set into ids of another: to := m[from]. Every one
// of the 256 entries is a valid id of the target set.
type Mapping [256]uint8

// Apply rewrites ids in place.
func (m *Mapping) Apply(ids []uint8) {
	for i, v := range ids {
		ids[i] = m[v]
	}
}

// Fallback records a label of the source set whose exact name the target set
// lacks, and the target label it was mapped to instead.
type Fallback struct {
	FromID   uint8  // id in the source set
	FromName string // its name there
	ToID     uint8  // the id it maps to in the target set
	ToName   string // that label's name
	Reason   string // "nearest: …", "group …", "no counterpart"
}

// String describes the fallback for a report shown to the user.
func (f Fallback) String() string {
	return fmt.Sprintf("%s (%d) → %s (%d): %s", f.FromName, f.FromID, f.ToName, f.ToID, f.Reason)
}

// nearest lists, for a label name, the names to try in the target set, best
// first, when the target lacks the name itself. It is the documented fallback
// table of Translate; names are normalized (lower case).
//
//	sky & weather  sun, moon, clouds, fog → sky / sky-other; sky ↔ sky-other
//	water          sea ↔ sea (→ water, water-other, lake, river);
//	               river → river, water, water-other, sea; lake → lake, water, sea;
//	               waterfall → waterfall, river, water; water → water-other, sea, river, lake
//	terrain        mountain → hill, rock; hill → mountain; rock ↔ stone → mountain;
//	               sand → desert; desert → sand, earth; field → field, grass, playingfield;
//	               earth ↔ ground ↔ land ↔ ground-other ↔ dirt ↔ terrain; mud, gravel → dirt, earth;
//	               snow → ground, earth, terrain; dirt track → dirt, path, road
//	plants         tree ↔ vegetation, palm; plant → plant-other, bush, vegetation;
//	               grass → grass-merged, field, vegetation, terrain; flower, moss,
//	               straw, leaves, branch, potted plant → plant / vegetation
//	built          building ↔ building-other ↔ house ↔ skyscraper; hovel, tower, roof
//	               → building; wall-* → wall; sidewalk ↔ pavement ↔ path;
//	               crosswalk, parking, runway → road; rail track ↔ railroad;
//	               fence ↔ railing ↔ guard rail; staircase ↔ stairway ↔ stairs ↔ step;
//	               window ↔ windowpane ↔ window-other; door ↔ door-stuff; balcony →
//	               railing, building; awning → canopy; pole ↔ polegroup, streetlight;
//	               sign ↔ signboard ↔ traffic sign ↔ street sign ↔ stop sign
//	other          rider → person; van ↔ car ↔ truck; caravan, trailer → truck;
//	               motorcycle ↔ minibike; boat ↔ ship; bird, cow, horse, … → animal;
//	               ego vehicle → car
//
// After the table, a name with a qualifier ("wall-brick", "grass-merged",
// "sky-other") is tried by its base ("wall", "grass", "sky") and its base's
// row. Then the source label's group picks a default (groupDefaults), and
// last comes the target's unlabeled id.
var nearest = map[string][]string{
	// sky & weather
	"sky": {"sky-other"}, "sky-other": {"sky"},
	"clouds": {"sky", "sky-other"}, "fog": {"sky", "sky-other", "clouds"},
	"sun": {"sky", "sky-other"}, "moon": {"sky", "sky-other"},
	// water
	"sea":           {"water", "water-other", "lake", "river"},
	"river":         {"water", "water-other", "sea", "lake"},
	"lake":          {"water", "water-other", "sea", "river"},
	"water":         {"water-other", "sea", "river", "lake"},
	"water-other":   {"water", "sea", "river", "lake"},
	"waterfall":     {"river", "water", "water-other", "sea"},
	"waterdrops":    {"water", "water-other", "sea"},
	"swimming pool": {"water", "water-other", "sea"},
	// terrain
	"mountain":     {"hill", "rock", "stone", "terrain"},
	"hill":         {"mountain", "rock", "terrain"},
	"rock":         {"stone", "mountain", "hill", "terrain"},
	"stone":        {"rock", "mountain", "terrain"},
	"sand":         {"desert", "earth", "terrain", "land", "dirt", "ground"},
	"desert":       {"sand", "earth", "terrain", "land", "dirt", "ground"},
	"field":        {"grass", "playingfield", "terrain", "earth"},
	"playingfield": {"field", "grass", "terrain"},
	"earth":        {"ground", "land", "ground-other", "dirt", "terrain", "field"},
	"ground":       {"earth", "land", "ground-other", "dirt", "terrain", "field"},
	"land":         {"earth", "ground", "ground-other", "dirt", "terrain", "field"},
	"ground-other": {"ground", "earth", "land", "dirt", "terrain", "field"},
	"dirt":         {"earth", "land", "ground", "ground-other", "terrain", "sand"},
	"dirt track":   {"dirt", "path", "road", "earth", "terrain"},
	"mud":          {"dirt", "earth", "land", "ground", "terrain"},
	"gravel":       {"dirt", "earth", "ground", "road", "terrain"},
	"snow":         {"ground", "earth", "land", "terrain", "mountain"},
	"terrain":      {"earth", "ground", "ground-other", "land", "field", "grass", "dirt"},
	// plants
	"tree":         {"vegetation", "palm", "plant", "plant-other"},
	"palm":         {"tree", "vegetation", "plant"},
	"vegetation":   {"tree", "plant", "plant-other", "bush"},
	"plant":        {"plant-other", "bush", "vegetation", "tree", "grass"},
	"plant-other":  {"plant", "bush", "vegetation", "tree"},
	"bush":         {"plant", "plant-other", "vegetation", "tree"},
	"leaves":       {"tree", "vegetation", "plant", "plant-other"},
	"branch":       {"tree", "vegetation", "plant", "plant-other"},
	"grass":        {"grass-merged", "field", "vegetation", "terrain", "plant"},
	"flower":       {"plant", "plant-other", "vegetation", "grass"},
	"moss":         {"grass", "plant", "plant-other", "vegetation"},
	"straw":        {"grass", "field", "plant", "vegetation"},
	"potted plant": {"plant", "plant-other", "vegetation", "pot"},
	// built
	"building":         {"building-other", "house", "skyscraper"},
	"building-other":   {"building", "house", "skyscraper"},
	"house":            {"building", "building-other"},
	"skyscraper":       {"building", "building-other"},
	"hovel":            {"house", "building", "building-other"},
	"tower":            {"building", "building-other", "skyscraper"},
	"roof":             {"building", "building-other", "house"},
	"structural-other": {"building", "building-other", "wall"},
	"wall":             {"wall-other", "wall-concrete", "building", "building-other"},
	"tunnel":           {"building", "building-other", "wall"},
	"road":             {"pavement", "path"},
	"sidewalk":         {"pavement", "path", "road"},
	"pavement":         {"sidewalk", "path", "road"},
	"path":             {"sidewalk", "pavement", "dirt track", "road"},
	"crosswalk":        {"road", "pavement", "sidewalk"},
	"parking":          {"road", "pavement"},
	"runway":           {"road", "pavement"},
	"rail track":       {"railroad", "road"},
	"railroad":         {"rail track", "road"},
	"bridge":           {"pier", "road"},
	"pier":             {"bridge", "platform"},
	"platform":         {"pier", "pavement", "sidewalk"},
	"fence":            {"railing", "guard rail", "wall"},
	"railing":          {"fence", "guard rail", "bannister"},
	"guard rail":       {"railing", "fence"},
	"bannister":        {"railing", "fence"},
	"staircase":        {"stairway", "stairs", "step"},
	"stairway":         {"staircase", "stairs", "step"},
	"stairs":           {"staircase", "stairway", "step"},
	"step":             {"stairs", "stairway", "staircase"},
	"window":           {"windowpane", "window-other", "building", "building-other"},
	"windowpane":       {"window", "window-other"},
	"window-other":     {"window", "windowpane"},
	"door":             {"door-stuff", "screen door", "building", "building-other"},
	"door-stuff":       {"door"},
	"balcony":          {"railing", "building", "building-other"},
	"awning":           {"canopy", "building", "building-other"},
	"canopy":           {"awning"},
	"pole":             {"polegroup", "streetlight"},
	"polegroup":        {"pole"},
	"streetlight":      {"pole", "light", "traffic light"},
	"traffic light":    {"streetlight", "pole"},
	"sign":             {"signboard", "traffic sign", "street sign", "stop sign", "banner"},
	"signboard":        {"sign", "traffic sign", "street sign", "stop sign"},
	"traffic sign":     {"sign", "signboard", "street sign", "stop sign"},
	"street sign":      {"sign", "signboard", "traffic sign"},
	"stop sign":        {"traffic sign", "sign", "signboard"},
	"tent":             {"building", "building-other"},
	// other
	"rider":       {"person"},
	"car":         {"van"},
	"van":         {"car", "truck"},
	"truck":       {"van", "car"},
	"caravan":     {"truck", "van", "car"},
	"trailer":     {"truck", "van", "car"},
	"ego vehicle": {"car"},
	"motorcycle":  {"minibike", "bicycle"},
	"minibike":    {"motorcycle", "bicycle"},
	"boat":        {"ship"},
	"ship":        {"boat"},
	"bus":         {"truck", "car"},
	"bird":        {"animal"}, "cow": {"animal"}, "horse": {"animal"}, "sheep": {"animal"},
	"dog": {"animal"}, "cat": {"animal"}, "elephant": {"animal"}, "bear": {"animal"},
	"zebra": {"animal"}, "giraffe": {"animal"},
	"person": {"rider"},
}

// groupDefaults is the last resort before unlabeled: a label of this group
// goes to the first of these names the target has.
var groupDefaults = [numGroups][]string{
	GroupSky:     {"sky", "sky-other"},
	GroupWater:   {"water", "sea", "water-other", "river"},
	GroupTerrain: {"earth", "terrain", "ground", "ground-other", "land", "field", "mountain"},
	GroupPlants:  {"vegetation", "plant", "plant-other", "tree", "grass"},
	GroupBuilt:   {"building", "building-other", "wall", "road"},
}

// Translate maps every id of from to an id of to by label name, so that a
// painting survives a change of model. Same-named labels map to each other
// (case and '_' ignored); the unlabeled ids map to each other. A label the
// target lacks goes, in order, to the first name of its row in the nearest
// table that the target has, to its base name's (the part before '-'), to
// its group's default, and finally to the target's unlabeled id; each such
// label is reported as a Fallback. A set translates to itself unchanged,
// unused ids included. Ids from does not define map to the
// target's unlabeled id (or 0 when it has none) and are not reported. Unused
// ids of the target (COCO's gaps) are never chosen.
func Translate(from, to *Set) (Mapping, []Fallback) {
	var m Mapping
	def := uint8(0)
	if u, ok := to.Unlabeled(); ok {
		def = u
	} else if len(to.labels) > 0 {
		def = to.labels[0].ID
	}
	for i := range m {
		m[i] = def
	}
	if from == to || from.Name == to.Name && from.Len() == to.Len() {
		for _, l := range from.labels {
			m[l.ID] = l.ID
		}
		return m, nil
	}
	var fbs []Fallback
	for _, l := range from.labels {
		if u, ok := from.Unlabeled(); (ok && u == l.ID) || l.Group == GroupUnlabeled {
			continue // void/unlabeled → the target's unlabeled: already def
		}
		id, reason, exact := translateName(l, to, def)
		m[l.ID] = id
		if !exact {
			fbs = append(fbs, Fallback{FromID: l.ID, FromName: l.Name, ToID: id, ToName: to.LabelName(id), Reason: reason})
		}
	}
	return m, fbs
}

// usable finds a name in the target that may receive pixels.
func usable(to *Set, name string) (uint8, bool) {
	l, ok := to.ByName(name)
	if !ok || l.Unused {
		return 0, false
	}
	if u, ok := to.Unlabeled(); ok && u == l.ID {
		return 0, false // "unlabeled" is reached only as the last resort
	}
	return l.ID, true
}

func translateName(l Label, to *Set, def uint8) (id uint8, reason string, exact bool) {
	n := normalize(l.Name)
	if id, ok := usable(to, n); ok {
		return id, "", true
	}
	for _, c := range nearest[n] {
		if id, ok := usable(to, c); ok {
			return id, "nearest: " + c, false
		}
	}
	if base, ok := baseName(n); ok {
		if id, ok := usable(to, base); ok {
			return id, "nearest: " + base, false
		}
		for _, c := range nearest[base] {
			if id, ok := usable(to, c); ok {
				return id, "nearest: " + c, false
			}
		}
	}
	g := l.Group
	if g == GroupSky && GroupOf(l.Name) != GroupSky {
		g = GroupOf(l.Name)
	}
	if g < numGroups {
		for _, c := range groupDefaults[g] {
			if id, ok := usable(to, c); ok {
				return id, "group " + g.String() + ": " + c, false
			}
		}
	}
	return def, "no counterpart", false
}
