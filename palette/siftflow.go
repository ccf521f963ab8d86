package palette

import "image/color"

// SIFTFlow is SIFT Flow (LabelMe Outdoor): 0 = void, 1..33 in the order of the
// dataset's classes_fcn.txt.
//
// SIFT Flow ships no colour map, so these colours are Spadework's own, chosen
// to read as the thing they label and to stay distinct from each other: sky
// is sky blue (#87ceeb), sea a deep blue, river a lighter blue, tree a dark
// green, grass a fresh green, plant a blue-green, field a yellow-green,
// mountain a brown-grey, rock a grey, sand and desert beiges, the sun orange,
// the moon a pale yellow; street classes borrow Cityscapes' colours (road
// #804080, sidewalk #f423e8, car #00008e, person #dc143c, fence, pole,
// bridge, bus, sign, streetlight); void is black.
var SIFTFlow = register(mustSet("siftflow", "SIFT Flow", []Label{
	{ID: 0, Name: "void", Color: rgb(0, 0, 0)},
	{ID: 1, Name: "awning", Color: rgb(214, 120, 72)},
	{ID: 2, Name: "balcony", Color: rgb(170, 130, 160)},
	{ID: 3, Name: "bird", Color: rgb(255, 200, 0)},
	{ID: 4, Name: "boat", Color: rgb(230, 60, 60)},
	{ID: 5, Name: "bridge", Color: rgb(150, 100, 100)},
	{ID: 6, Name: "building", Color: rgb(110, 110, 120)},
	{ID: 7, Name: "bus", Color: rgb(0, 60, 100)},
	{ID: 8, Name: "car", Color: rgb(0, 0, 142)},
	{ID: 9, Name: "cow", Color: rgb(140, 80, 40)},
	{ID: 10, Name: "crosswalk", Color: rgb(240, 240, 240)},
	{ID: 11, Name: "desert", Color: rgb(237, 201, 130)},
	{ID: 12, Name: "door", Color: rgb(120, 60, 20)},
	{ID: 13, Name: "fence", Color: rgb(190, 153, 153)},
	{ID: 14, Name: "field", Color: rgb(190, 210, 90)},
	{ID: 15, Name: "grass", Color: rgb(60, 180, 60)},
	{ID: 16, Name: "moon", Color: rgb(240, 235, 170)},
	{ID: 17, Name: "mountain", Color: rgb(125, 100, 80)},
	{ID: 18, Name: "person", Color: rgb(220, 20, 60)},
	{ID: 19, Name: "plant", Color: rgb(40, 140, 100)},
	{ID: 20, Name: "pole", Color: rgb(153, 153, 153)},
	{ID: 21, Name: "river", Color: rgb(60, 140, 220)},
	{ID: 22, Name: "road", Color: rgb(128, 64, 128)},
	{ID: 23, Name: "rock", Color: rgb(95, 90, 90)},
	{ID: 24, Name: "sand", Color: rgb(222, 190, 145)},
	{ID: 25, Name: "sea", Color: rgb(20, 60, 160)},
	{ID: 26, Name: "sidewalk", Color: rgb(244, 35, 232)},
	{ID: 27, Name: "sign", Color: rgb(220, 220, 0)},
	{ID: 28, Name: "sky", Color: rgb(135, 206, 235)},
	{ID: 29, Name: "staircase", Color: rgb(160, 120, 200)},
	{ID: 30, Name: "streetlight", Color: rgb(250, 170, 30)},
	{ID: 31, Name: "sun", Color: rgb(255, 120, 0)},
	{ID: 32, Name: "tree", Color: rgb(20, 100, 30)},
	{ID: 33, Name: "window", Color: rgb(0, 180, 180)},
}, 0))

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }
