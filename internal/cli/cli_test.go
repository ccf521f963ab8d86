package cli

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"spadework/synth"
)

// testModel writes a small random SIFT-Flow-shaped model (ids 0..33) with an
// encoder and two style presets, and returns its path.
func testModel(t *testing.T) string {
	t.Helper()
	cfg := synth.DefaultConfig()
	cfg.LabelNC, cfg.ContainDontcareLabel, cfg.NoInstance = 33, true, true
	cfg.NGF, cfg.NHidden, cfg.CropSize, cfg.UseVAE, cfg.ZDim = 2, 4, 64, true, 8
	cfg.NormG = "spectralspadebatch3x3"
	labels := `{"set":"siftflow","unlabeled":0,"labels":[{"id":0,"name":"void","color":"#000000"},{"id":17,"name":"mountain","color":"#7d6450"},{"id":21,"name":"river","color":"#3c8cdc"},{"id":24,"name":"sand","color":"#e0c090"},{"id":25,"name":"sea","color":"#1438a0"},{"id":15,"name":"grass","color":"#3cb43c"},{"id":28,"name":"sky","color":"#87ceeb"},{"id":32,"name":"tree","color":"#14641e"}],"channels":[[0,33]`
	for id := 1; id <= 33; id++ {
		labels += "," + "[" + itoa(id) + "," + itoa(id-1) + "]"
	}
	labels += "]}"
	m, err := synth.RandomModel(cfg, true, map[string]string{"labels": labels, "id": "test-model"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.WriteFile(path, false); err != nil {
		t.Fatal(err)
	}
	return path
}

func itoa(i int) string { return strconv.Itoa(i) }

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(&Env{Stdout: &o, Stderr: &e}, args)
	return o.String(), e.String(), code
}

func writeGray(t *testing.T, path string, w, h int, ids ...uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = ids[(i/w*len(ids))/h]
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

// hugePNG is a valid PNG header that claims 50000×50000 pixels: only its
// IHDR is there, which is all a size check may read.
func hugePNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 50000)
	binary.BigEndian.PutUint32(ihdr[4:], 50000)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	var chunk bytes.Buffer
	chunk.WriteString("IHDR")
	chunk.Write(ihdr)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk.Bytes())
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk.Bytes()))
	return b.Bytes()
}

func TestRenderAndFriends(t *testing.T) {
	model := testModel(t)
	dir := t.TempDir()
	labels := filepath.Join(dir, "l.png")
	writeGray(t, labels, 64, 64, 28, 17, 25, 24, 15)
	photo := filepath.Join(dir, "photo.png")
	rgb := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range rgb.Pix {
		rgb.Pix[i] = uint8(i * 7)
	}
	f, _ := os.Create(photo)
	png.Encode(f, rgb)
	f.Close()
	unknown := filepath.Join(dir, "unknown.png")
	writeGray(t, unknown, 64, 64, 28, 200)
	colour := filepath.Join(dir, "colour.png")
	f, _ = os.Create(colour)
	png.Encode(f, rgb)
	f.Close()
	huge := filepath.Join(dir, "huge.png")
	os.WriteFile(huge, hugePNG(), 0o644)
	corrupt := filepath.Join(dir, "corrupt.png")
	data, _ := os.ReadFile(labels)
	os.WriteFile(corrupt, data[:len(data)/2], 0o644)
	truncModel := filepath.Join(dir, "trunc.safetensors")
	md, _ := os.ReadFile(model)
	os.WriteFile(truncModel, md[:len(md)-100], 0o644)
	out := filepath.Join(dir, "out.png")

	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string // substring of stderr
		wantOut string // substring of stdout
	}{
		{"seed", []string{"render", "-model", model, "-labels", labels, "-out", out, "-seed", "3"}, 0, "", ""},
		{"seed, less variety", []string{"render", "-model", model, "-labels", labels, "-out", out, "-seed", "3", "-variety", "0.5"}, 0, "", ""},
		{"bad variety", []string{"render", "-model", model, "-labels", labels, "-out", out, "-variety", "3"}, 1, "from 0 to 2", ""},
		{"NaN variety", []string{"render", "-model", model, "-labels", labels, "-out", out, "-variety", "NaN"}, 1, "from 0 to 2", ""},
		{"style photo", []string{"render", "-model", model, "-labels", labels, "-out", filepath.Join(dir, "o.jpg"), "-style", photo}, 0, "", ""},
		{"unknown ids", []string{"render", "-model", model, "-labels", unknown, "-out", out}, 1, "200", ""},
		{"colour png", []string{"render", "-model", model, "-labels", colour, "-out", out}, 1, "grayscale or paletted", ""},
		{"huge png", []string{"render", "-model", model, "-labels", huge, "-out", out}, 1, "too large", ""},
		{"corrupt png", []string{"render", "-model", model, "-labels", corrupt, "-out", out}, 1, "corrupt.png", ""},
		{"missing labels", []string{"render", "-model", model, "-labels", filepath.Join(dir, "nope.png"), "-out", out}, 1, "nope.png", ""},
		{"truncated model", []string{"render", "-model", truncModel, "-labels", labels, "-out", out}, 1, "trunc.safetensors", ""},
		{"pth needs import", []string{"render", "-model", "x.pth", "-labels", labels, "-out", out}, 1, "spadework import", ""},
		{"bad size", []string{"render", "-model", model, "-labels", labels, "-out", out, "-size", "12"}, 1, "WxH", ""},
		{"bad ext", []string{"render", "-model", model, "-labels", labels, "-out", filepath.Join(dir, "o.gif")}, 1, ".png, .jpg", ""},
		{"no preset", []string{"render", "-model", model, "-labels", labels, "-out", out, "-preset", "nope"}, 1, "no style preset", ""},
		{"bad device", []string{"render", "-model", model, "-labels", labels, "-out", out, "-device", "tpu"}, 1, "cpu, gpu or auto", ""},
		{"auto device", []string{"render", "-model", model, "-labels", labels, "-out", out, "-device", "auto"}, 0, "rendering on the", ""},
		{"info", []string{"info", "-model", model}, 0, "", "test-model"},
		{"bench", []string{"bench", "-model", model, "-runs", "2", "-warmup", "1"}, 0, "", "ms/frame"},
		{"bench json", []string{"bench", "-model", model, "-runs", "1", "-json", labels}, 0, "", `"ms_median"`},
		{"scene", []string{"scene", "-model", model, "-out", filepath.Join(dir, "scene.png")}, 0, "", ""},
		{"unknown command", []string{"paint"}, 2, "unknown command", ""},
		{"help", []string{"help"}, 0, "", "render"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, e, code := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, e)
			}
			if tc.wantErr != "" && !strings.Contains(e, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", e, tc.wantErr)
			}
			if tc.wantOut != "" && !strings.Contains(o, tc.wantOut) {
				t.Errorf("stdout %q lacks %q", o, tc.wantOut)
			}
		})
	}

	// The render is an image of the model's size, and seeds differ.
	img := readPNG(t, out)
	if img.Bounds().Dx() != 64 {
		t.Errorf("render is %v, want 64 wide", img.Bounds())
	}
	other := filepath.Join(dir, "other.png")
	if _, e, code := run(t, "render", "-model", model, "-labels", labels, "-out", other, "-seed", "4"); code != 0 {
		t.Fatal(e)
	}
	if samePixels(img, readPNG(t, other)) {
		t.Error("seeds 3 and 4 rendered the same image")
	}
	// Variety scales seed styles: 0.5 changes the picture, and at 0 every
	// seed is the prior's mean, so seeds no longer differ.
	if _, e, code := run(t, "render", "-model", model, "-labels", labels, "-out", other, "-seed", "3", "-variety", "0.5"); code != 0 {
		t.Fatal(e)
	}
	if samePixels(img, readPNG(t, other)) {
		t.Error("variety 0.5 rendered seed 3 as variety 1 does")
	}
	zero3, zero4 := filepath.Join(dir, "zero3.png"), filepath.Join(dir, "zero4.png")
	for seed, path := range map[string]string{"3": zero3, "4": zero4} {
		if _, e, code := run(t, "render", "-model", model, "-labels", labels, "-out", path, "-seed", seed, "-variety", "0"); code != 0 {
			t.Fatal(e)
		}
	}
	if !samePixels(readPNG(t, zero3), readPNG(t, zero4)) {
		t.Error("at variety 0, seeds 3 and 4 rendered different images")
	}
	// The scene is an id map the model accepts.
	if _, e, code := run(t, "render", "-model", model, "-labels", filepath.Join(dir, "scene.png"), "-out", other); code != 0 {
		t.Fatal(e)
	}
}

func TestRenderPairs(t *testing.T) {
	model := testModel(t)
	dir := t.TempDir()
	labels := filepath.Join(dir, "l.png")
	writeGray(t, labels, 64, 64, 28, 25)
	pairs := filepath.Join(dir, "pairs.tsv")
	os.WriteFile(pairs, []byte("# comment\n"+labels+"\tseed:1\t"+filepath.Join(dir, "a.png")+"\n"+labels+"\tseed:2\t"+filepath.Join(dir, "b.png")+"\n"), 0o644)
	if _, e, code := run(t, "render", "-model", model, "-pairs", pairs); code != 0 {
		t.Fatal(e)
	}
	for _, n := range []string{"a.png", "b.png"} {
		readPNG(t, filepath.Join(dir, n))
	}
	os.WriteFile(pairs, []byte(labels+" seed:1\n"), 0o644)
	if _, e, code := run(t, "render", "-model", model, "-pairs", pairs); code != 1 || !strings.Contains(e, "pairs.tsv:1") {
		t.Errorf("bad pairs line: exit %d, %q", code, e)
	}
}

func TestImportFixture(t *testing.T) {
	fixture := filepath.Join("..", "..", "synth", "testdata", "pth", "ade20k_G.pth")
	if _, err := os.Stat(fixture); err != nil {
		t.Skip("no importer fixture:", err)
	}
	out := filepath.Join(t.TempDir(), "ade.safetensors")
	o, e, code := run(t, "import", "-preset", "ade20k", "-netG", fixture, "-ngf", "1", "-nhidden", "1", "-out", out)
	if code != 0 {
		t.Fatalf("import: %s", e)
	}
	if !strings.Contains(o, "wrote") {
		t.Errorf("stdout %q", o)
	}
	if _, e, code := run(t, "info", "-model", out); code != 0 {
		t.Fatal(e)
	}
	// A checkpoint of the wrong shape names the tensor.
	_, e, code = run(t, "import", "-preset", "ade20k", "-netG", fixture, "-ngf", "2", "-nhidden", "1", "-out", out)
	if code != 1 || !strings.Contains(e, "want shape") {
		t.Errorf("mismatch: exit %d, %q", code, e)
	}
}

func TestLandscapeSceneUsesNames(t *testing.T) {
	names := map[string]uint8{"sky": 1, "hill": 2, "water": 3, "sand": 4, "tree": 5, "grass": 6}
	img, err := landscapeScene(func(n string) (uint8, bool) { id, ok := names[n]; return id, ok }, 64, 48)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint8]bool{}
	for _, p := range img.Pix {
		seen[p] = true
	}
	for n, id := range names {
		if !seen[id] {
			t.Errorf("scene lacks %s", n)
		}
	}
	if img.Pix[0] != 1 || img.Pix[len(img.Pix)-1] != 6 {
		t.Errorf("scene starts with %d and ends with %d, want sky (1) and grass (6)", img.Pix[0], img.Pix[len(img.Pix)-1])
	}
	if _, err := landscapeScene(func(string) (uint8, bool) { return 0, false }, 8, 8); err == nil {
		t.Error("a set without landscape labels gave no error")
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if color.RGBAModel.Convert(a.At(x, y)) != color.RGBAModel.Convert(b.At(x, y)) {
				return false
			}
		}
	}
	return true
}
