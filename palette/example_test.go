package palette_test

import (
	"fmt"

	"spadework/palette"
)

// A SIFT Flow painting opened for an ADE20K model: same names map directly,
// the rest fall back to the nearest label.
func ExampleTranslate() {
	m, fallbacks := palette.Translate(palette.SIFTFlow, palette.ADE20K)
	sea, _ := palette.SIFTFlow.ByName("sea")
	fmt.Println("sea →", palette.ADE20K.LabelName(m[sea.ID]))
	for _, f := range fallbacks {
		if f.FromName == "sun" || f.FromName == "desert" {
			fmt.Println(f)
		}
	}
	// Output:
	// sea → sea
	// desert (11) → sand (47): nearest: sand
	// sun (31) → sky (3): nearest: sky
}

func ExampleSet_Labels() {
	set, _ := palette.Lookup("siftflow")
	for _, l := range set.Labels()[:4] {
		fmt.Println(l.ID, l.Name, l.Hex(), l.Group)
	}
	// Output:
	// 28 sky #87ceeb sky & weather
	// 31 sun #ff7800 sky & weather
	// 16 moon #f0ebaa sky & weather
	// 25 sea #143ca0 water
}
