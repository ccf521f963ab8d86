package cli

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"
)

// FuzzDecodeLabelPNG: any bytes give a label map or an error naming the
// input, never a panic or a huge allocation.
func FuzzDecodeLabelPNG(f *testing.F) {
	if data, err := os.ReadFile("../../testdata/painting_landscape.png"); err == nil {
		f.Add(data)
	}
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2)))
	f.Add(b.Bytes())
	f.Add(hugePNG())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeLabelPNG(bytes.NewReader(data), "fuzz.png")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.png: ") {
				t.Errorf("error %q does not name the input", err)
			}
			return
		}
		if len(img.Pix) < img.Bounds().Dx()*img.Bounds().Dy() {
			t.Errorf("%v image with %d pixels", img.Bounds(), len(img.Pix))
		}
	})
}
