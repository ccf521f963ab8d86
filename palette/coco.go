package palette

import "image/color"

// cocoUnused are the eleven COCO thing ids that COCO-Stuff names but never
// annotates (COCO 2017 dropped them): street sign, hat, shoe, eye glasses,
// plate, mirror, window, desk, door, blender, hair brush.
var cocoUnused = [...]uint8{11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90}

// cocoImportant are the colours SPADE's labelcolormap(182) overrides so that
// the landscape classes of its GauGAN demo read naturally.
var cocoImportant = map[string]color.RGBA{
	"sea":       rgb(54, 62, 167),
	"sky-other": rgb(95, 219, 255),
	"tree":      rgb(140, 104, 47),
	"clouds":    rgb(170, 170, 170),
	"grass":     rgb(29, 195, 49),
}

// COCO is COCO-Stuff-182: ids 0..181 as stored in its stuffthingmaps PNGs
// (0 = person … 90 = hair brush are things, 91 = banner … 181 = wood are
// stuff), 255 = unlabeled. The eleven unused thing ids keep their names but
// are marked Unused.
//
// COCO-Stuff's own cmap colours things black, so the colours are those of the
// SPADE reference (util.labelcolormap(182)): the PASCAL VOC bit-interleaved
// colour of id+1, with SPADE's fixed colours for sea, sky-other, tree, clouds
// and grass. Unlabeled (255) is black, which no other id uses.
var COCO = register(mustSet("coco", "COCO-Stuff-182", cocoLabels(), 255))

func cocoLabels() []Label {
	ls := make([]Label, 0, len(cocoNames)+1)
	for i, n := range cocoNames {
		c, ok := cocoImportant[n]
		if !ok {
			c = vocColor(i + 1)
		}
		ls = append(ls, Label{ID: uint8(i), Name: n, Color: c})
	}
	for _, id := range cocoUnused {
		ls[id].Unused = true
	}
	ls = append(ls, Label{ID: 255, Name: "unlabeled", Color: rgb(0, 0, 0)})
	return ls
}

// vocColor is the PASCAL VOC colour map: the bits of n are dealt out, three
// at a time, to the top bits of red, green and blue.
func vocColor(n int) color.RGBA {
	var r, g, b uint8
	for j := 0; j < 7; j++ {
		r |= uint8(n&1) << (7 - j)
		g |= uint8(n>>1&1) << (7 - j)
		b |= uint8(n>>2&1) << (7 - j)
		n >>= 3
	}
	return rgb(r, g, b)
}
