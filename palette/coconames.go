package palette

// cocoNames are COCO-Stuff's 182 class names by id as stored in its
// stuffthingmaps PNGs (0 = person … 181 = wood; labels.txt of the cocostuff
// repository lists them one higher, with 0 = unlabeled there).
var cocoNames = [182]string{
	"person", "bicycle", "car", "motorcycle", "airplane", "bus",
	"train", "truck", "boat", "traffic light", "fire hydrant", "street sign",
	"stop sign", "parking meter", "bench", "bird", "cat", "dog",
	"horse", "sheep", "cow", "elephant", "bear", "zebra",
	"giraffe", "hat", "backpack", "umbrella", "shoe", "eye glasses",
	"handbag", "tie", "suitcase", "frisbee", "skis", "snowboard",
	"sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
	"tennis racket", "bottle", "plate", "wine glass", "cup", "fork",
	"knife", "spoon", "bowl", "banana", "apple", "sandwich",
	"orange", "broccoli", "carrot", "hot dog", "pizza", "donut",
	"cake", "chair", "couch", "potted plant", "bed", "mirror",
	"dining table", "window", "desk", "toilet", "door", "tv",
	"laptop", "mouse", "remote", "keyboard", "cell phone", "microwave",
	"oven", "toaster", "sink", "refrigerator", "blender", "book",
	"clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
	"hair brush", "banner", "blanket", "branch", "bridge", "building-other",
	"bush", "cabinet", "cage", "cardboard", "carpet", "ceiling-other",
	"ceiling-tile", "cloth", "clothes", "clouds", "counter", "cupboard",
	"curtain", "desk-stuff", "dirt", "door-stuff", "fence", "floor-marble",
	"floor-other", "floor-stone", "floor-tile", "floor-wood", "flower", "fog",
	"food-other", "fruit", "furniture-other", "grass", "gravel", "ground-other",
	"hill", "house", "leaves", "light", "mat", "metal",
	"mirror-stuff", "moss", "mountain", "mud", "napkin", "net",
	"paper", "pavement", "pillow", "plant-other", "plastic", "platform",
	"playingfield", "railing", "railroad", "river", "road", "rock",
	"roof", "rug", "salad", "sand", "sea", "shelf",
	"sky-other", "skyscraper", "snow", "solid-other", "stairs", "stone",
	"straw", "structural-other", "table", "tent", "textile-other", "towel",
	"tree", "vegetable", "wall-brick", "wall-concrete", "wall-other", "wall-panel",
	"wall-stone", "wall-tile", "wall-wood", "water-other", "waterdrops", "window-blind",
	"window-other", "wood",
}
