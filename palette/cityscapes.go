package palette

// Cityscapes is Cityscapes' labelIds 0..33 with the names and colours of
// cityscapesScripts' helpers/labels.py (license plate, id -1, is left out:
// it never appears in labelIds maps). 0 = unlabeled; ids 1..4 share its
// black, so a colour map imports black as 0.
var Cityscapes = register(mustSet("cityscapes", "Cityscapes", []Label{
	{ID: 0, Name: "unlabeled", Color: rgb(0, 0, 0)},
	{ID: 1, Name: "ego vehicle", Color: rgb(0, 0, 0)},
	{ID: 2, Name: "rectification border", Color: rgb(0, 0, 0)},
	{ID: 3, Name: "out of roi", Color: rgb(0, 0, 0)},
	{ID: 4, Name: "static", Color: rgb(0, 0, 0)},
	{ID: 5, Name: "dynamic", Color: rgb(111, 74, 0)},
	{ID: 6, Name: "ground", Color: rgb(81, 0, 81)},
	{ID: 7, Name: "road", Color: rgb(128, 64, 128)},
	{ID: 8, Name: "sidewalk", Color: rgb(244, 35, 232)},
	{ID: 9, Name: "parking", Color: rgb(250, 170, 160)},
	{ID: 10, Name: "rail track", Color: rgb(230, 150, 140)},
	{ID: 11, Name: "building", Color: rgb(70, 70, 70)},
	{ID: 12, Name: "wall", Color: rgb(102, 102, 156)},
	{ID: 13, Name: "fence", Color: rgb(190, 153, 153)},
	{ID: 14, Name: "guard rail", Color: rgb(180, 165, 180)},
	{ID: 15, Name: "bridge", Color: rgb(150, 100, 100)},
	{ID: 16, Name: "tunnel", Color: rgb(150, 120, 90)},
	{ID: 17, Name: "pole", Color: rgb(153, 153, 153)},
	{ID: 18, Name: "polegroup", Color: rgb(153, 153, 153)},
	{ID: 19, Name: "traffic light", Color: rgb(250, 170, 30)},
	{ID: 20, Name: "traffic sign", Color: rgb(220, 220, 0)},
	{ID: 21, Name: "vegetation", Color: rgb(107, 142, 35)},
	{ID: 22, Name: "terrain", Color: rgb(152, 251, 152)},
	{ID: 23, Name: "sky", Color: rgb(70, 130, 180)},
	{ID: 24, Name: "person", Color: rgb(220, 20, 60)},
	{ID: 25, Name: "rider", Color: rgb(255, 0, 0)},
	{ID: 26, Name: "car", Color: rgb(0, 0, 142)},
	{ID: 27, Name: "truck", Color: rgb(0, 0, 70)},
	{ID: 28, Name: "bus", Color: rgb(0, 60, 100)},
	{ID: 29, Name: "caravan", Color: rgb(0, 0, 90)},
	{ID: 30, Name: "trailer", Color: rgb(0, 0, 110)},
	{ID: 31, Name: "train", Color: rgb(0, 80, 100)},
	{ID: 32, Name: "motorcycle", Color: rgb(0, 0, 230)},
	{ID: 33, Name: "bicycle", Color: rgb(119, 11, 32)},
}, 0))
