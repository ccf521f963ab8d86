package palette

import "strings"

// nameGroups assigns a group to every landscape-relevant name of the four
// sets. Anything not listed is GroupOther.
var nameGroups = map[string]Group{
	// sky & weather
	"sky": GroupSky, "sky-other": GroupSky, "clouds": GroupSky, "fog": GroupSky,
	"sun": GroupSky, "moon": GroupSky,
	// water
	"sea": GroupWater, "river": GroupWater, "water": GroupWater, "water-other": GroupWater,
	"lake": GroupWater, "waterfall": GroupWater, "waterdrops": GroupWater,
	// terrain
	"mountain": GroupTerrain, "hill": GroupTerrain, "rock": GroupTerrain, "stone": GroupTerrain,
	"sand": GroupTerrain, "desert": GroupTerrain, "field": GroupTerrain, "earth": GroupTerrain,
	"ground": GroupTerrain, "land": GroupTerrain, "dirt": GroupTerrain, "mud": GroupTerrain,
	"gravel": GroupTerrain, "snow": GroupTerrain, "ground-other": GroupTerrain,
	"terrain": GroupTerrain, "dirt track": GroupTerrain, "playingfield": GroupTerrain,
	// plants
	"tree": GroupPlants, "grass": GroupPlants, "plant": GroupPlants, "plant-other": GroupPlants,
	"palm": GroupPlants, "flower": GroupPlants, "bush": GroupPlants, "leaves": GroupPlants,
	"branch": GroupPlants, "moss": GroupPlants, "straw": GroupPlants, "vegetation": GroupPlants,
	// built
	"building": GroupBuilt, "building-other": GroupBuilt, "house": GroupBuilt,
	"skyscraper": GroupBuilt, "hovel": GroupBuilt, "tower": GroupBuilt, "roof": GroupBuilt,
	"wall": GroupBuilt, "wall-brick": GroupBuilt, "wall-concrete": GroupBuilt,
	"wall-other": GroupBuilt, "wall-panel": GroupBuilt, "wall-stone": GroupBuilt,
	"wall-tile": GroupBuilt, "wall-wood": GroupBuilt, "road": GroupBuilt, "sidewalk": GroupBuilt,
	"pavement": GroupBuilt, "path": GroupBuilt, "crosswalk": GroupBuilt, "parking": GroupBuilt,
	"rail track": GroupBuilt, "railroad": GroupBuilt, "runway": GroupBuilt, "bridge": GroupBuilt,
	"pier": GroupBuilt, "platform": GroupBuilt, "tunnel": GroupBuilt, "fence": GroupBuilt,
	"railing": GroupBuilt, "guard rail": GroupBuilt, "bannister": GroupBuilt,
	"staircase": GroupBuilt, "stairway": GroupBuilt, "stairs": GroupBuilt, "step": GroupBuilt,
	"window": GroupBuilt, "windowpane": GroupBuilt, "window-other": GroupBuilt,
	"door": GroupBuilt, "door-stuff": GroupBuilt, "balcony": GroupBuilt, "awning": GroupBuilt,
	"canopy": GroupBuilt, "column": GroupBuilt, "pole": GroupBuilt, "polegroup": GroupBuilt,
	"streetlight": GroupBuilt, "sign": GroupBuilt, "signboard": GroupBuilt,
	"traffic sign": GroupBuilt, "traffic light": GroupBuilt, "street sign": GroupBuilt,
	"stop sign": GroupBuilt, "fountain": GroupBuilt, "tent": GroupBuilt,
	"structural-other": GroupBuilt, "grandstand": GroupBuilt, "swimming pool": GroupBuilt,
}

// GroupOf returns the group of a label name as the four built-in sets assign
// it; GroupOther for names it does not know. Suffixes such as "-merged"
// (COCO panoptic) are looked through.
func GroupOf(name string) Group {
	n := normalize(name)
	if g, ok := nameGroups[n]; ok {
		return g
	}
	if base, ok := baseName(n); ok {
		if g, ok := nameGroups[base]; ok {
			return g
		}
	}
	switch n {
	case "void", "unlabeled", "unlabelled", "background":
		return GroupUnlabeled
	}
	return GroupOther
}

// baseName strips a qualifier: "wall-brick" → "wall", "grass-merged" →
// "grass", "sky-other" → "sky".
func baseName(n string) (string, bool) {
	if i := strings.IndexByte(n, '-'); i > 0 {
		return n[:i], true
	}
	return "", false
}

// prominent lists landscape names in the order a painter reaches for them;
// Labels() sorts a group by this rank, then by id.
var prominent = []string{
	"sky", "sky-other", "clouds", "sun", "moon", "fog",
	"sea", "water", "river", "lake", "waterfall", "water-other",
	"mountain", "hill", "rock", "stone", "sand", "desert", "snow", "field", "earth", "ground", "land", "terrain", "dirt",
	"tree", "grass", "plant", "vegetation", "bush", "flower", "palm", "plant-other",
	"building", "building-other", "house", "skyscraper", "road", "sidewalk", "pavement", "path", "bridge", "fence", "wall",
	"person", "car", "boat",
}

var prominence = func() map[string]int {
	m := make(map[string]int, len(prominent))
	for i, n := range prominent {
		m[n] = i
	}
	return m
}()

// rank orders labels within a group: prominent names first.
func rank(name string) int {
	if r, ok := prominence[normalize(name)]; ok {
		return r
	}
	return len(prominent)
}
