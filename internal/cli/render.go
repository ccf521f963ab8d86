package cli

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"spadework/canvas"
	"spadework/synth"
)

// maxLabelPixels bounds label-map PNGs before they are decoded, so a
// 50 000 × 50 000 file is refused instead of exhausting memory.
const maxLabelPixels = 64 << 20

func runRender(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "render")
	modelPath := fs.String("model", "default", "model file (.safetensors) or 'default' for the embedded model")
	labels := fs.String("labels", "", "label-map PNG holding the model's label ids (8-bit gray or paletted)")
	out := fs.String("out", "", "output image (.png or .jpg)")
	style := fs.String("style", "", "style photo (JPEG/PNG): its encoded style vector is used")
	preset := fs.String("preset", "", "named style preset of the model (see 'spadework styles')")
	seed := fs.Int64("seed", 0, "seed of the random style when neither -style nor -preset is given")
	variety := fs.Float64("variety", 1, "scale of random (seed) styles, 0..2: below 1 gives tamer styles that vary less between seeds")
	size := fs.String("size", "", "output size WxH (default: the model's native size)")
	threads := fs.Int("threads", defaultThreads(), "CPU threads")
	device := fs.String("device", "cpu", "cpu, gpu or auto")
	pairs := fs.String("pairs", "", "batch mode: a file of lines 'LABELS<TAB>STYLE<TAB>OUT', STYLE = photo path, seed:N or preset:NAME")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !(*variety >= 0 && *variety <= 2) {
		return fmt.Errorf("-variety %v: want a number from 0 to 2", *variety)
	}
	if *pairs == "" && (*labels == "" || *out == "") {
		return fmt.Errorf("need -labels and -out (or -pairs)")
	}
	m, w, h, err := loadModelSized(env, *modelPath, *size)
	if err != nil {
		return err
	}
	r, _, err := openRenderer(ctx, env, m, w, h, *threads, *device)
	if err != nil {
		return err
	}
	defer r.Close()
	jobs := []renderJob{{labels: *labels, style: styleSpec(*style, *preset, *seed), out: *out}}
	if *pairs != "" {
		if jobs, err = readPairs(*pairs); err != nil {
			return err
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		lm, err := readLabelPNG(j.labels)
		if err != nil {
			return err
		}
		z, err := resolveStyle(ctx, r, m, j.style, *variety)
		if err != nil {
			return err
		}
		if err := r.Render(ctx, lm, z, dst); err != nil {
			return fmt.Errorf("%s: %w", j.labels, err)
		}
		if err := writeImage(j.out, dst); err != nil {
			return err
		}
	}
	return nil
}

// renderJob is one frame of a render run.
type renderJob struct {
	labels, style, out string
}

// styleSpec turns the single-frame flags into the batch notation.
func styleSpec(photo, preset string, seed int64) string {
	switch {
	case photo != "":
		return photo
	case preset != "":
		return "preset:" + preset
	default:
		return "seed:" + strconv.FormatInt(seed, 10)
	}
}

func readPairs(path string) ([]renderJob, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var jobs []renderJob
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%s:%d: want LABELS<TAB>STYLE<TAB>OUT, found %d fields", path, n, len(parts))
		}
		jobs = append(jobs, renderJob{parts[0], parts[1], parts[2]})
	}
	return jobs, sc.Err()
}

// resolveStyle turns "seed:N", "preset:NAME" or a photo path into a style
// vector; variety scales seed styles only, since presets and photos are
// styles someone chose.
func resolveStyle(ctx context.Context, r styleRenderer, m *synth.Model, spec string, variety float64) ([]float32, error) {
	if s, ok := strings.CutPrefix(spec, "seed:"); ok {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("style %q: seed is not a whole number", spec)
		}
		return synth.RandomStyleVariety(seed, m.Config().ZDim, variety), nil
	}
	if name, ok := strings.CutPrefix(spec, "preset:"); ok {
		for _, st := range m.Styles() {
			if st.Name == name {
				return st.Z, nil
			}
		}
		return nil, fmt.Errorf("model has no style preset %q (see 'spadework styles')", name)
	}
	img, err := readPhoto(spec)
	if err != nil {
		return nil, err
	}
	z, err := r.EncodeStyle(ctx, img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	return z, nil
}

// readLabelPNG reads a label map of ids as an *image.Paletted.
func readLabelPNG(path string) (*image.Paletted, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeLabelPNG(f, path)
}

// decodeLabelPNG decodes an 8-bit gray or paletted PNG of label ids, checking
// its size before decoding the pixels; errors start with name.
func decodeLabelPNG(r io.ReadSeeker, name string) (*image.Paletted, error) {
	cfg, err := png.DecodeConfig(r)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable PNG: %v", name, err)
	}
	if cfg.Width*cfg.Height > maxLabelPixels || cfg.Width > 16384 || cfg.Height > 16384 {
		return nil, fmt.Errorf("%s: %d×%d is too large for a label map (at most 16384 per side and %d Mpixel)", name, cfg.Width, cfg.Height, maxLabelPixels>>20)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, err := png.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt PNG: %v", name, err)
	}
	switch im := img.(type) {
	case *image.Paletted:
		return im, nil
	case *image.Gray:
		b := im.Bounds()
		p := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), grayPalette)
		for y := 0; y < b.Dy(); y++ {
			copy(p.Pix[y*p.Stride:(y+1)*p.Stride], im.Pix[y*im.Stride:])
		}
		return p, nil
	default:
		return nil, fmt.Errorf("%s: a label map must be an 8-bit grayscale or paletted PNG of label ids, this one is %T (colour PNGs can be imported in the app)", name, img)
	}
}

// grayPalette lets an id map travel as an *image.Paletted: index i is gray i.
var grayPalette = func() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		p[i] = color.Gray{Y: uint8(i)}
	}
	return p
}()

func readPhoto(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable JPEG or PNG: %v", path, err)
	}
	if cfg.Width*cfg.Height > maxLabelPixels {
		return nil, fmt.Errorf("%s: %d×%d is too large for a style photo", path, cfg.Width, cfg.Height)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt image: %v", path, err)
	}
	return img, nil
}

// writeImage writes img as PNG or JPEG by the file's extension, atomically.
func writeImage(path string, img image.Image) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".png" && ext != ".jpg" && ext != ".jpeg" {
		return fmt.Errorf("%s: output must end in .png, .jpg or .jpeg", path)
	}
	return canvas.WriteFileAtomic(path, func(w io.Writer) error {
		if ext == ".png" {
			return png.Encode(w, img)
		}
		return jpeg.Encode(w, img, &jpeg.Options{Quality: 92})
	})
}
