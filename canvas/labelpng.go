package canvas

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"sort"
	"strings"

	"spadework/palette"
)

// MaxImportBytes bounds the size of a label-map PNG file read by
// ImportLabelPNG.
const MaxImportBytes = 256 << 20

// Import modes: how pixel values were read.
const (
	ModeIDs    = "ids"    // gray or palette index values are label ids
	ModeColors = "colors" // colours matched exactly against the set's colours
)

// Unknown is a pixel value of an imported map that is not a label of the set:
// an id (ModeIDs) or a colour (ModeColors).
type Unknown struct {
	ID     int         // the id, or -1 for a colour
	Color  color.NRGBA // the colour, in ModeColors
	Pixels int         // how many pixels hold it
}

// String gives the value and its pixel count, e.g. "id 40 (12 px)" or
// "#010203 (5 px)".
func (u Unknown) String() string {
	if u.ID >= 0 {
		return fmt.Sprintf("id %d (%d px)", u.ID, u.Pixels)
	}
	c := u.Color
	if c.A != 255 {
		return fmt.Sprintf("#%02x%02x%02x alpha %d (%d px)", c.R, c.G, c.B, c.A, u.Pixels)
	}
	return fmt.Sprintf("#%02x%02x%02x (%d px)", c.R, c.G, c.B, u.Pixels)
}

// ImportReport says how a label map was read and what did not fit the set.
type ImportReport struct {
	Mode          string // ModeIDs or ModeColors
	Width, Height int    // image size
	// Unknown lists the values that are not labels of the set, most
	// frequent first; UnknownPixels is their total.
	Unknown       []Unknown
	UnknownPixels int // pixels holding unknown values
	// Ambiguous lists, in ModeColors, the colours found that several labels
	// of the set share (ADE20K's road and skyscraper): their pixels got the
	// lowest such id, which may not be what the map meant.
	Ambiguous []Ambiguous
}

// Ambiguous is a colour of an imported map that several labels share.
type Ambiguous struct {
	Color  color.RGBA
	IDs    []uint8 // every id with this colour; the first was used
	Pixels int
}

// UnknownLabelsError is returned when an imported map holds values that are
// not labels of the set.
type UnknownLabelsError struct {
	File   string        // the file name given to the import
	Set    string        // the set's title
	Report *ImportReport // the values, most frequent first
}

// Error names the file, the set and the most frequent unknown values.
func (e *UnknownLabelsError) Error() string {
	r := e.Report
	var b strings.Builder
	what := "ids"
	if r.Mode == ModeColors {
		what = "colours"
	}
	fmt.Fprintf(&b, "%s: %d %s in %d pixels are not labels of %s: ", e.File, len(r.Unknown), what, r.UnknownPixels, e.Set)
	for i, u := range r.Unknown {
		if i == 8 {
			fmt.Fprintf(&b, ", and %d more", len(r.Unknown)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(u.String())
	}
	return b.String()
}

// ImportOptions change ImportLabelPNGWith.
type ImportOptions struct {
	// ReplaceUnknown paints unknown values with the set's unlabeled id (or
	// Replacement when the set has none) instead of failing; the report
	// still lists them.
	ReplaceUnknown bool
	Replacement    uint8 // used only when the set has no unlabeled id
}

// ImportLabelPNG reads a label-map PNG into a new document of set. It
// accepts an 8-bit gray or paletted PNG whose values are ids, and a colour
// PNG (or a paletted one whose colours are the set's) whose colours are
// matched exactly against the set's colours. Values that are not labels of
// the set give an *UnknownLabelsError naming them and their pixel counts.
// Images over MaxSide on a side are refused before decoding.
func ImportLabelPNG(r io.Reader, name string, set *palette.Set) (*Document, *ImportReport, error) {
	return ImportLabelPNGWith(r, name, set, ImportOptions{})
}

// ImportLabelPNGWith is ImportLabelPNG with options.
func ImportLabelPNGWith(r io.Reader, name string, set *palette.Set, opt ImportOptions) (doc *Document, rep *ImportReport, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc, rep, err = nil, nil, fmt.Errorf("%s: corrupt PNG (%v)", name, p)
		}
	}()
	if set == nil {
		return nil, nil, fmt.Errorf("%s: no label set", name)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading: %w", name, err)
	}
	if len(data) > MaxImportBytes {
		return nil, nil, fmt.Errorf("%s: file larger than %d MiB", name, MaxImportBytes>>20)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a PNG: %v", name, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxPixels {
		return nil, nil, fmt.Errorf("%s: image is %d×%d; label maps may be at most %d×%d", name, cfg.Width, cfg.Height, MaxSide, MaxSide)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: corrupt PNG: %v", name, err)
	}
	repl := opt.Replacement
	if u, ok := set.Unlabeled(); ok {
		repl = u
	}
	ids, rep, err := labelIDs(img, set, repl)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rep.Unknown) > 0 {
		if !opt.ReplaceUnknown {
			return nil, rep, &UnknownLabelsError{File: name, Set: set.Title, Report: rep}
		}
		if !set.Has(repl) {
			return nil, rep, fmt.Errorf("%s: replacement id %d is not a label of %s", name, repl, set.Title)
		}
	}
	return newDocument(set, ids), rep, nil
}

// labelIDs turns a decoded PNG into ids of set; pixels whose value is
// unknown get repl and are listed in the report.
func labelIDs(img image.Image, set *palette.Set, repl uint8) (*image.Paletted, *ImportReport, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewPaletted(image.Rect(0, 0, w, h), nil)
	rep := &ImportReport{Width: w, Height: h}
	switch m := img.(type) {
	case *image.Gray:
		rep.Mode = ModeIDs
		var lut [256]int
		for i := range lut {
			lut[i] = i
		}
		mapPlane(out, m.Pix, m.Stride, w, h, &lut, set, repl, rep)
	case *image.Paletted:
		var count [256]int
		for y := 0; y < h; y++ {
			for _, v := range m.Pix[y*m.Stride : y*m.Stride+w] {
				count[v]++
			}
		}
		var idLUT, colorLUT [256]int
		idUnknown, colorUnknown := 0, 0
		own, gray := true, true
		for i := 0; i < 256; i++ {
			idLUT[i], colorLUT[i] = i, -1
			if count[i] == 0 {
				continue
			}
			var c color.NRGBA
			if i < len(m.Palette) {
				c = color.NRGBAModel.Convert(m.Palette[i]).(color.NRGBA)
			}
			if !set.Has(uint8(i)) {
				idUnknown += count[i]
			}
			if c.A == 255 {
				if id, ok := set.ByColor(color.RGBA{c.R, c.G, c.B, 255}); ok {
					colorLUT[i] = int(id)
				}
			}
			if colorLUT[i] < 0 {
				colorUnknown += count[i]
			}
			if !set.Has(uint8(i)) || set.Color(uint8(i)) != (color.RGBA{c.R, c.G, c.B, c.A}) {
				own = false
			}
			if c.R != c.G || c.G != c.B || c.A != 255 {
				gray = false
			}
		}
		useIDs := own || (gray && !(idUnknown > 0 && colorUnknown == 0)) || (!gray && idUnknown < colorUnknown)
		if useIDs {
			rep.Mode = ModeIDs
			mapPlane(out, m.Pix, m.Stride, w, h, &idLUT, set, repl, rep)
		} else {
			rep.Mode = ModeColors
			mapPlane(out, m.Pix, m.Stride, w, h, &colorLUT, set, repl, rep)
			// Report colours, not palette indices.
			for i := range rep.Unknown {
				u := &rep.Unknown[i]
				var c color.NRGBA
				if u.ID < len(m.Palette) {
					c = color.NRGBAModel.Convert(m.Palette[u.ID]).(color.NRGBA)
				}
				u.ID, u.Color = -1, c
			}
			rep.Unknown = mergeColors(rep.Unknown)
			var hist [256]int
			for i, n := range count {
				if n > 0 && colorLUT[i] >= 0 {
					hist[colorLUT[i]] += n
				}
			}
			rep.Ambiguous = ambiguity(set, &hist)
		}
	case *image.Gray16:
		// 16-bit gray holds ids either directly or scaled by 257 (an
		// 8-bit map widened by an editor).
		rep.Mode = ModeIDs
		scaled := true
		for y := 0; y < h && scaled; y++ {
			for x := 0; x < w; x++ {
				if m.Gray16At(b.Min.X+x, b.Min.Y+y).Y%257 != 0 {
					scaled = false
					break
				}
			}
		}
		unknown := map[int]int{}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := int(m.Gray16At(b.Min.X+x, b.Min.Y+y).Y)
				if scaled {
					v /= 257
				}
				if v > 255 || !set.Has(uint8(v)) {
					unknown[v]++
					out.Pix[y*out.Stride+x] = repl
					continue
				}
				out.Pix[y*out.Stride+x] = uint8(v)
			}
		}
		for v, n := range unknown {
			rep.Unknown = append(rep.Unknown, Unknown{ID: v, Pixels: n})
			rep.UnknownPixels += n
		}
		sortUnknown(rep.Unknown)
	default:
		importColors(out, img, set, repl, rep)
	}
	return out, rep, nil
}

// mapPlane writes lut[v] for each value v of a w×h plane; a negative lut
// entry or an id the set lacks is unknown and counted by v.
func mapPlane(out *image.Paletted, pix []uint8, stride, w, h int, lut *[256]int, set *palette.Set, repl uint8, rep *ImportReport) {
	var valid [256]bool
	for i, t := range lut {
		valid[i] = t >= 0 && t < 256 && set.Has(uint8(t))
	}
	var unknown [256]int
	for y := 0; y < h; y++ {
		src := pix[y*stride : y*stride+w]
		dst := out.Pix[y*out.Stride : y*out.Stride+w]
		for x, v := range src {
			if valid[v] {
				dst[x] = uint8(lut[v])
			} else {
				dst[x] = repl
				unknown[v]++
			}
		}
	}
	for v, n := range unknown {
		if n > 0 {
			rep.Unknown = append(rep.Unknown, Unknown{ID: v, Pixels: n})
			rep.UnknownPixels += n
		}
	}
	sortUnknown(rep.Unknown)
}

// importColors maps every pixel's colour exactly. A map whose every pixel is
// gray and whose gray values are all ids (a gray map saved as RGB) is read
// as ids when that leaves fewer unknown pixels.
func importColors(out *image.Paletted, img image.Image, set *palette.Set, repl uint8, rep *ImportReport) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := true
	grayPlane := make([]uint8, w*h)
	unknown := map[color.NRGBA]int{}
	unknownPixels := 0
	var last color.NRGBA
	var hist [256]int
	lastID, lastOK := -1, false
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := nrgbaAt(img, b.Min.X+x, b.Min.Y+y)
			if c.R != c.G || c.G != c.B || c.A != 255 {
				gray = false
			} else {
				grayPlane[y*w+x] = c.R
			}
			if lastID < 0 || c != last {
				last = c
				id, ok := set.ByColor(color.RGBA{c.R, c.G, c.B, 255})
				lastID, lastOK = int(id), ok && c.A == 255
			}
			if lastOK {
				out.Pix[y*out.Stride+x] = uint8(lastID)
				hist[lastID]++
			} else {
				out.Pix[y*out.Stride+x] = repl
				unknown[c]++
				unknownPixels++
			}
		}
	}
	if unknownPixels > 0 && gray {
		var lut [256]int
		for i := range lut {
			lut[i] = i
		}
		alt := image.NewPaletted(out.Rect, nil)
		grep := &ImportReport{Mode: ModeIDs, Width: w, Height: h}
		mapPlane(alt, grayPlane, w, w, h, &lut, set, repl, grep)
		if grep.UnknownPixels < unknownPixels {
			copy(out.Pix, alt.Pix)
			*rep = *grep
			return
		}
	}
	rep.Mode = ModeColors
	for c, n := range unknown {
		rep.Unknown = append(rep.Unknown, Unknown{ID: -1, Color: c, Pixels: n})
	}
	rep.UnknownPixels = unknownPixels
	sortUnknown(rep.Unknown)
	rep.Ambiguous = ambiguity(set, &hist)
}

// ambiguity lists the ids of a colour import (hist: pixels per id) whose
// colour other ids share too.
func ambiguity(set *palette.Set, hist *[256]int) []Ambiguous {
	var out []Ambiguous
	for id, n := range hist {
		if n == 0 {
			continue
		}
		c := set.Color(uint8(id))
		if ids := set.ColorIDs(c); len(ids) > 1 {
			out = append(out, Ambiguous{Color: c, IDs: ids, Pixels: n})
		}
	}
	return out
}

func nrgbaAt(img image.Image, x, y int) color.NRGBA {
	switch m := img.(type) {
	case *image.NRGBA:
		return m.NRGBAAt(x, y)
	case *image.RGBA:
		c := m.RGBAAt(x, y)
		if c.A == 255 {
			return color.NRGBA{c.R, c.G, c.B, 255}
		}
	}
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

func mergeColors(us []Unknown) []Unknown {
	m := map[color.NRGBA]int{}
	for _, u := range us {
		m[u.Color] += u.Pixels
	}
	out := us[:0]
	for c, n := range m {
		out = append(out, Unknown{ID: -1, Color: c, Pixels: n})
	}
	sortUnknown(out)
	return out
}

func sortUnknown(us []Unknown) {
	sort.Slice(us, func(i, j int) bool {
		if us[i].Pixels != us[j].Pixels {
			return us[i].Pixels > us[j].Pixels
		}
		if us[i].ID != us[j].ID {
			return us[i].ID < us[j].ID
		}
		a, b := us[i].Color, us[j].Color
		return uint32(a.R)<<24|uint32(a.G)<<16|uint32(a.B)<<8|uint32(a.A) < uint32(b.R)<<24|uint32(b.G)<<16|uint32(b.B)<<8|uint32(b.A)
	})
}

// ExportLabelPNG writes the document's label map as an 8-bit indexed PNG:
// pixel index = label id, palette = the set's colours. Dataset tools read
// the indices as ids; image viewers show the colours.
func ExportLabelPNG(w io.Writer, doc *Document) error {
	return encodeLabels(w, doc.img)
}
