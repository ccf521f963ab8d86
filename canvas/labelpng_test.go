package canvas

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"testing"

	"spadework/palette"
)

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSize rewrites the IHDR of a PNG to claim w×h (fixing the CRC), to test
// that huge images are refused before decoding.
func withSize(data []byte, w, h uint32) []byte {
	out := bytes.Clone(data)
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

func TestImportLabelPNG(t *testing.T) {
	sf := palette.SIFTFlow
	ids := []uint8{sky, sky, sea, tree, sand, void}
	const w, h = 3, 2

	gray := image.NewGray(image.Rect(0, 0, w, h))
	copy(gray.Pix, ids)

	grayPal := make(color.Palette, 256)
	for i := range grayPal {
		grayPal[i] = color.Gray{uint8(i)}
	}
	palIDs := image.NewPaletted(image.Rect(0, 0, w, h), grayPal)
	copy(palIDs.Pix, ids)

	// A colour map: each pixel the SIFT Flow colour of its id.
	rgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, id := range ids {
		c := sf.Color(id)
		rgba.SetNRGBA(i%w, i/w, color.NRGBA{c.R, c.G, c.B, 255})
	}
	rgbaPremul := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, id := range ids {
		rgbaPremul.SetRGBA(i%w, i/w, sf.Color(id))
	}
	// A paletted colour map in an arbitrary palette order.
	palColors := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{sf.Color(tree), sf.Color(sky), sf.Color(void), sf.Color(sea), sf.Color(sand)})
	order := map[uint8]uint8{tree: 0, sky: 1, void: 2, sea: 3, sand: 4}
	for i, id := range ids {
		palColors.Pix[i] = order[id]
	}
	// Our own export: index = id, palette = set colours.
	own := image.NewPaletted(image.Rect(0, 0, w, h), sf.Palette())
	copy(own.Pix, ids)
	// 16-bit gray, scaled ×257 and direct.
	g16s := image.NewGray16(image.Rect(0, 0, w, h))
	g16d := image.NewGray16(image.Rect(0, 0, w, h))
	for i, id := range ids {
		g16s.SetGray16(i%w, i/w, color.Gray16{uint16(id) * 257})
		g16d.SetGray16(i%w, i/w, color.Gray16{uint16(id)})
	}
	g16d.SetGray16(0, 0, color.Gray16{1}) // not a multiple of 257
	idsD := bytes.Clone(ids)
	idsD[0] = 1
	// A gray map saved as RGB.
	rgbGray := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, id := range ids {
		rgbGray.SetNRGBA(i%w, i/w, color.NRGBA{id, id, id, 255})
	}

	tests := []struct {
		name string
		img  image.Image
		mode string
		want []uint8
	}{
		{"gray", gray, ModeIDs, ids},
		{"paletted gray", palIDs, ModeIDs, ids},
		{"nrgba colours", rgba, ModeColors, ids},
		{"rgba colours", rgbaPremul, ModeColors, ids},
		{"paletted colours", palColors, ModeColors, ids},
		{"own export", own, ModeIDs, ids},
		{"gray16 scaled", g16s, ModeIDs, ids},
		{"gray16 direct", g16d, ModeIDs, idsD},
		{"rgb gray ids", rgbGray, ModeIDs, ids},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, rep, err := ImportLabelPNG(bytes.NewReader(encodePNG(t, tc.img)), "map.png", sf)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Mode != tc.mode || rep.Width != w || rep.Height != h {
				t.Errorf("report %+v, want mode %s", rep, tc.mode)
			}
			if !bytes.Equal(d.Image().Pix, tc.want) {
				t.Errorf("ids %v, want %v", d.Image().Pix, tc.want)
			}
			if d.Set() != sf || d.Image().Palette[sky] != sf.Color(sky) {
				t.Error("document not in the set's palette")
			}
		})
	}
}

func TestImportCityscapesBlack(t *testing.T) {
	// Cityscapes ids 0..4 are all black: a colour map's black is 0.
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})
	img.SetNRGBA(1, 0, color.NRGBA{107, 142, 35, 255})
	d, rep, err := ImportLabelPNG(bytes.NewReader(encodePNG(t, img)), "c.png", palette.Cityscapes)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != ModeColors || d.Image().Pix[0] != 0 || d.Image().Pix[1] != 21 {
		t.Errorf("mode %s ids %v", rep.Mode, d.Image().Pix)
	}
	if len(rep.Ambiguous) != 1 || rep.Ambiguous[0].Pixels != 1 || len(rep.Ambiguous[0].IDs) != 5 {
		t.Errorf("ambiguous %+v", rep.Ambiguous)
	}
	// ADE20K road and skyscraper share a grey: reported, road chosen.
	pal := image.NewPaletted(image.Rect(0, 0, 3, 1), color.Palette{palette.ADE20K.Color(7), palette.ADE20K.Color(3)})
	pal.Pix[2] = 1
	d, rep, err = ImportLabelPNG(bytes.NewReader(encodePNG(t, pal)), "a.png", palette.ADE20K)
	if err != nil || rep.Mode != ModeColors || !bytes.Equal(d.Image().Pix, []uint8{7, 7, 3}) {
		t.Fatalf("ADE grey: %v %+v %v", err, rep, d.Image().Pix)
	}
	if len(rep.Ambiguous) != 1 || rep.Ambiguous[0].Pixels != 2 || fmt.Sprint(rep.Ambiguous[0].IDs) != "[7 49]" {
		t.Errorf("ambiguous %+v", rep.Ambiguous)
	}
	// The Cityscapes ids themselves, exported as gray, stay 1..4.
	g := image.NewGray(image.Rect(0, 0, 4, 1))
	copy(g.Pix, []uint8{1, 2, 3, 4})
	d, _, err = ImportLabelPNG(bytes.NewReader(encodePNG(t, g)), "c.png", palette.Cityscapes)
	if err != nil || !bytes.Equal(d.Image().Pix, []uint8{1, 2, 3, 4}) {
		t.Errorf("gray ids: %v %v", err, d)
	}
}

func TestImportUnknown(t *testing.T) {
	sf := palette.SIFTFlow
	gray := image.NewGray(image.Rect(0, 0, 10, 1))
	copy(gray.Pix, []uint8{sky, 40, 40, 40, 99, sea, 40, 99, 200, sky})
	colors := image.NewNRGBA(image.Rect(0, 0, 4, 1))
	colors.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, 255})
	colors.SetNRGBA(1, 0, color.NRGBA{1, 2, 3, 255})
	c := sf.Color(sky)
	colors.SetNRGBA(2, 0, color.NRGBA{c.R, c.G, c.B, 255})
	colors.SetNRGBA(3, 0, color.NRGBA{c.R, c.G, c.B, 128}) // translucent: unknown
	tests := []struct {
		name     string
		img      image.Image
		mode     string
		unknown  []Unknown
		pixels   int
		errParts []string
	}{
		{"ids", gray, ModeIDs, []Unknown{{ID: 40, Pixels: 4}, {ID: 99, Pixels: 2}, {ID: 200, Pixels: 1}}, 7,
			[]string{"map.png: ", "3 ids in 7 pixels", "SIFT Flow", "id 40 (4 px)", "id 99 (2 px)", "id 200 (1 px)"}},
		{"colours", colors, ModeColors, []Unknown{{ID: -1, Color: color.NRGBA{1, 2, 3, 255}, Pixels: 2}, {ID: -1, Color: color.NRGBA{c.R, c.G, c.B, 128}, Pixels: 1}}, 3,
			[]string{"map.png: ", "2 colours in 3 pixels", "#010203 (2 px)", "alpha 128"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := encodePNG(t, tc.img)
			_, rep, err := ImportLabelPNG(bytes.NewReader(data), "map.png", sf)
			var ue *UnknownLabelsError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v, want *UnknownLabelsError", err)
			}
			for _, p := range tc.errParts {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q lacks %q", err, p)
				}
			}
			if rep.Mode != tc.mode || rep.UnknownPixels != tc.pixels || len(rep.Unknown) != len(tc.unknown) {
				t.Fatalf("report %+v", rep)
			}
			for i, u := range tc.unknown {
				if rep.Unknown[i] != u {
					t.Errorf("unknown[%d] = %+v, want %+v", i, rep.Unknown[i], u)
				}
			}
			d, rep2, err := ImportLabelPNGWith(bytes.NewReader(data), "map.png", sf, ImportOptions{ReplaceUnknown: true})
			if err != nil || rep2.UnknownPixels != tc.pixels {
				t.Fatalf("ReplaceUnknown: %v %+v", err, rep2)
			}
			n := 0
			for _, v := range d.Image().Pix {
				if v == void {
					n++
				}
			}
			if n != tc.pixels {
				t.Errorf("%d void pixels after replacing, want %d", n, tc.pixels)
			}
		})
	}
}

func TestImportRefusesBadFiles(t *testing.T) {
	small := encodePNG(t, image.NewGray(image.Rect(0, 0, 4, 4)))
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a PNG"},
		{"text", []byte("hello"), "not a PNG"},
		{"wide", withSize(small, 5000, 4), "at most 4096×4096"},
		{"huge", withSize(small, 1<<30, 1<<30), "dimension overflow"},
		{"big", withSize(small, 4096, 16384), "at most 4096×4096"},
		{"truncated", small[:len(small)-20], "corrupt PNG"},
		{"lying size", withSize(small, 4000, 4000), "corrupt PNG"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ImportLabelPNG(bytes.NewReader(tc.data), "in.png", palette.SIFTFlow)
			if err == nil || !strings.HasPrefix(err.Error(), "in.png: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want in.png: …%s…", err, tc.want)
			}
		})
	}
}

// TestImportPaintedLabelMap reads a SIFT Flow id map painted for the tests
// (../testdata/painting_landscape.png from train/make_test_painting.py,
// 256×256 8-bit gray, 13 labels).
func TestImportPaintedLabelMap(t *testing.T) {
	f, err := os.Open("../testdata/painting_landscape.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, rep, err := ImportLabelPNG(f, "painting_landscape.png", palette.SIFTFlow)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != ModeIDs || d.Bounds() != image.Rect(0, 0, 256, 256) {
		t.Fatalf("mode %s bounds %v", rep.Mode, d.Bounds())
	}
	count := map[uint8]int{}
	for _, v := range d.Image().Pix {
		count[v]++
	}
	want := map[uint8]int{0: 90, 6: 609, 14: 4638, 15: 10612, 17: 9723, 19: 1283, 21: 1352, 22: 744, 23: 971, 24: 3113, 25: 4499, 28: 24438, 32: 3464}
	if len(count) != len(want) {
		t.Fatalf("ids %v, want %v", count, want)
	}
	for id, n := range want {
		if count[id] != n {
			t.Errorf("id %d (%s): %d pixels, want %d", id, palette.SIFTFlow.LabelName(id), count[id], n)
		}
	}
	names := []string{}
	for _, l := range d.UsedLabels() {
		names = append(names, l.Name)
	}
	if strings.Join(names, ",") != "void,building,field,grass,mountain,plant,river,road,rock,sand,sea,sky,tree" {
		t.Errorf("labels %v", names)
	}
}
