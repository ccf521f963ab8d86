package canvas

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"testing"

	"spadework/palette"
)

func FuzzLoad(f *testing.F) {
	d := paintedDoc(f)
	var buf bytes.Buffer
	d.Save(&buf)
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/3])
	e, _ := New(palette.COCO, 3, 2, 255)
	buf.Reset()
	e.Save(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, _, err := Load(bytes.NewReader(data), "fuzz.spw")
		if err != nil {
			if doc != nil {
				t.Fatal("document and error")
			}
			return
		}
		for _, v := range doc.Image().Pix {
			if !doc.Set().Has(v) {
				t.Fatalf("loaded id %d not in %s", v, doc.Set().Name)
			}
		}
		// What loads saves and loads again the same.
		var out bytes.Buffer
		if err := doc.Save(&out); err != nil {
			t.Fatal(err)
		}
		again, _, err := Load(bytes.NewReader(out.Bytes()), "again.spw")
		if err != nil {
			t.Fatalf("re-load: %v", err)
		}
		if !bytes.Equal(again.Image().Pix, doc.Image().Pix) {
			t.Fatal("re-load differs")
		}
	})
}

func FuzzImportLabelPNG(f *testing.F) {
	g := image.NewGray(image.Rect(0, 0, 4, 3))
	copy(g.Pix, []uint8{28, 28, 25, 0, 32, 99})
	f.Add(encodePNG(f, g))
	c := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	c.SetNRGBA(0, 0, color.NRGBA{135, 206, 235, 255})
	f.Add(encodePNG(f, c))
	p := image.NewPaletted(image.Rect(0, 0, 3, 1), palette.SIFTFlow.Palette())
	f.Add(encodePNG(f, p))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	if real, err := os.ReadFile("../testdata/painting_landscape.png"); err == nil {
		f.Add(real)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, set := range []*palette.Set{palette.SIFTFlow, palette.COCO} {
			doc, rep, err := ImportLabelPNGWith(bytes.NewReader(data), "fuzz.png", set, ImportOptions{ReplaceUnknown: true})
			if err != nil {
				continue
			}
			if rep == nil {
				t.Fatal("no report")
			}
			for _, v := range doc.Image().Pix {
				if !set.Has(v) {
					t.Fatalf("imported id %d not in %s", v, set.Name)
				}
			}
		}
	})
}
