package ui

import (
	"flag"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden images under testdata/")

// assertGolden compares img with testdata/name pixel for pixel. On a
// mismatch it writes the image to testdata/failed/name and reports how many
// pixels differ (not the pixels themselves: a CI log is no place for a
// megabyte of hex). With -update it rewrites the golden instead.
func assertGolden(t *testing.T, name string, img image.Image) {
	t.Helper()
	got := image.NewNRGBA(img.Bounds().Sub(img.Bounds().Min))
	draw.Draw(got, got.Rect, img, img.Bounds().Min, draw.Src)
	path := filepath.Join("testdata", name)
	if *update {
		writePNG(t, path, got)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		writePNG(t, filepath.Join("testdata", "failed", name), got)
		t.Fatalf("golden %s: %v (run go test -update to create it)", path, err)
	}
	defer f.Close()
	wantImg, err := png.Decode(f)
	if err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	want := image.NewNRGBA(wantImg.Bounds().Sub(wantImg.Bounds().Min))
	draw.Draw(want, want.Rect, wantImg, wantImg.Bounds().Min, draw.Src)
	if want.Rect != got.Rect {
		writePNG(t, filepath.Join("testdata", "failed", name), got)
		t.Fatalf("%s: image is %v, golden is %v", name, got.Rect, want.Rect)
	}
	diff, first := 0, image.Point{-1, -1}
	for y := 0; y < got.Rect.Dy(); y++ {
		for x := 0; x < got.Rect.Dx(); x++ {
			o := got.PixOffset(x, y)
			if string(got.Pix[o:o+4]) != string(want.Pix[o:o+4]) {
				if diff == 0 {
					first = image.Pt(x, y)
				}
				diff++
			}
		}
	}
	if diff > 0 {
		out := filepath.Join("testdata", "failed", name)
		writePNG(t, out, got)
		t.Errorf("%s: %d pixels differ from the golden, the first at %v; got written to %s", name, diff, first, out)
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
