package canvas

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spadework/palette"
)

func paintedDoc(t testing.TB) *Document {
	t.Helper()
	d := newDoc(t, 48, 32, sky)
	d.Rect(image.Rect(0, 20, 48, 32), sea)
	d.Line(pt(5, 19), pt(40, 15), 4, sand)
	d.BrushTo(pt(30, 5), 7, moon)
	d.BrushTo(pt(10, 10), 5, tree)
	d.ModelID = "spadework-siftflow-256-v1"
	d.Style = Style{Kind: StylePreset, Seed: 42, Preset: "sunset", Z: []float32{0.5, -1.25, 3e-7}, Photo: []byte{0x89, 'P', 'N', 'G'}}
	return d
}

func TestSaveLoadRoundTrip(t *testing.T) {
	d := paintedDoc(t)
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		t.Fatal(err)
	}
	got, fbs, err := Load(bytes.NewReader(buf.Bytes()), "x.spw")
	if err != nil {
		t.Fatal(err)
	}
	if len(fbs) != 0 {
		t.Errorf("fallbacks %v", fbs)
	}
	if got.Set() != palette.SIFTFlow || got.Bounds() != d.Bounds() || !bytes.Equal(got.Image().Pix, d.Image().Pix) {
		t.Fatal("label map differs after round trip")
	}
	if got.ModelID != d.ModelID || got.Style.Kind != d.Style.Kind || got.Style.Seed != 42 || got.Style.Preset != "sunset" ||
		len(got.Style.Z) != 3 || got.Style.Z[1] != -1.25 || got.Style.Z[2] != 3e-7 || !bytes.Equal(got.Style.Photo, d.Style.Photo) {
		t.Errorf("style/model differ: %+v %q", got.Style, got.ModelID)
	}
	if got.Modified() || got.CanUndo() {
		t.Error("loaded document is modified or has history")
	}
	// The manifest names every id used, and only those.
	m := readTestManifest(t, buf.Bytes())
	want := usedIDs(d.Image().Pix)
	if len(m.Labels) != len(want) {
		t.Fatalf("manifest labels %v, want ids %v", m.Labels, want)
	}
	for i, l := range m.Labels {
		if l.ID != int(want[i]) || l.Name != palette.SIFTFlow.LabelName(want[i]) {
			t.Errorf("manifest label %v", l)
		}
	}
	if m.FormatVersion != ProjectVersion || m.Format != ProjectFormat || m.LabelSet != "siftflow" || m.Width != 48 || m.Height != 32 {
		t.Errorf("manifest header %+v", m)
	}
	// The label map inside is a plain indexed PNG.
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	for _, f := range zr.File {
		if f.Name == labelsName {
			rc, _ := f.Open()
			img, err := png.Decode(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := img.(*image.Paletted); !ok {
				t.Errorf("labels.png is %T", img)
			}
		}
	}
}

func readTestManifest(t *testing.T, data []byte) manifest {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == manifestName {
			rc, _ := f.Open()
			defer rc.Close()
			var m manifest
			if err := json.NewDecoder(rc).Decode(&m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatal("no manifest")
	return manifest{}
}

// rewrite builds a project file from d with the manifest edited by f and
// labels.png replaced when png is not nil.
func rewrite(t *testing.T, d *Document, f func(m map[string]any), labels []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if zf.Name == manifestName && f != nil {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			f(m)
			data, _ = json.Marshal(m)
		}
		if zf.Name == labelsName && labels != nil {
			data = labels
		}
		w, _ := zw.Create(zf.Name)
		w.Write(data)
	}
	zw.Close()
	return out.Bytes()
}

func TestLoadRemapsByName(t *testing.T) {
	d := paintedDoc(t)
	// A SIFT Flow painting opened for an ADE20K model.
	var buf bytes.Buffer
	d.Save(&buf)
	got, fbs, err := LoadWith(bytes.NewReader(buf.Bytes()), "p.spw", LoadOptions{Target: palette.ADE20K})
	if err != nil {
		t.Fatal(err)
	}
	if got.Set() != palette.ADE20K {
		t.Fatalf("set %v", got.Set())
	}
	ade := func(n string) uint8 { l, _ := palette.ADE20K.ByName(n); return l.ID }
	checks := []struct {
		p    image.Point
		want uint8
	}{{pt(0, 0), ade("sky")}, {pt(0, 31), ade("sea")}, {pt(10, 10), ade("tree")}, {pt(30, 5), ade("sky")}}
	for _, c := range checks {
		if v, _ := got.Pick(c.p); v != c.want {
			t.Errorf("pixel %v = %s, want %s", c.p, palette.ADE20K.LabelName(v), palette.ADE20K.LabelName(c.want))
		}
	}
	if len(fbs) != 1 || fbs[0].FromName != "moon" || fbs[0].ToName != "sky" {
		t.Errorf("fallbacks %v", fbs)
	}

	// A file whose names are not those of its set's ids (ids shuffled by
	// another program): names win.
	data := rewrite(t, d, func(m map[string]any) {
		for _, l := range m["labels"].([]any) {
			lm := l.(map[string]any)
			switch lm["name"] {
			case "sky":
				lm["name"] = "sea"
			case "sea":
				lm["name"] = "sky"
			}
		}
	}, nil)
	got, fbs, err = Load(bytes.NewReader(data), "swapped.spw")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Pick(pt(0, 0)); v != sea {
		t.Errorf("swapped names: pixel %d, want sea", v)
	}
	if len(fbs) != 0 {
		t.Errorf("swapped names: fallbacks %v", fbs)
	}

	// An unknown set with landscape names: remapped into the default set.
	data = rewrite(t, d, func(m map[string]any) {
		m["label_set"] = "mylabels"
		for _, l := range m["labels"].([]any) {
			lm := l.(map[string]any)
			if lm["name"] == "sea" {
				lm["name"] = "lake"
			}
		}
	}, nil)
	got, fbs, err = Load(bytes.NewReader(data), "other.spw")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Pick(pt(0, 31)); v != sea || got.Set() != palette.SIFTFlow {
		t.Errorf("lake → %d in %v", v, got.Set())
	}
	found := false
	for _, f := range fbs {
		if f.FromName == "lake" && f.ToName == "sea" {
			found = true
		}
	}
	if !found {
		t.Errorf("fallbacks %v lack lake → sea", fbs)
	}
}

func TestLoadErrors(t *testing.T) {
	d := paintedDoc(t)
	var good bytes.Buffer
	d.Save(&good)
	bad16 := func() []byte {
		var b bytes.Buffer
		png.Encode(&b, image.NewGray(image.Rect(0, 0, 5, 5)))
		return b.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a Spadework project"},
		{"truncated", good.Bytes()[:good.Len()/2], "not a Spadework project"},
		{"garbage", []byte("hello world, not a zip at all"), "not a Spadework project"},
		{"future", rewrite(t, d, func(m map[string]any) { m["format_version"] = 7 }, nil), "newer version"},
		{"zero version", rewrite(t, d, func(m map[string]any) { m["format_version"] = 0 }, nil), "format version 0"},
		{"wrong format", rewrite(t, d, func(m map[string]any) { m["format"] = "photoshop" }, nil), "format is"},
		{"too big", rewrite(t, d, func(m map[string]any) { m["width"] = 5000 }, nil), "not allowed"},
		{"size mismatch", rewrite(t, d, func(m map[string]any) { m["width"] = 40 }, nil), "manifest says"},
		{"unnamed id", rewrite(t, d, func(m map[string]any) { m["labels"] = []any{map[string]any{"id": 28, "name": "sky"}} }, nil), "has no name"},
		{"bad id", rewrite(t, d, func(m map[string]any) { m["labels"] = []any{map[string]any{"id": 300, "name": "x"}} }, nil), "out of range"},
		{"bad style", rewrite(t, d, func(m map[string]any) { m["style"] = map[string]any{"kind": "magic"} }, nil), "unknown kind"},
		{"bad json", rewrite(t, d, func(m map[string]any) { m["width"] = "wide" }, nil), "not valid JSON"},
		{"bad png", rewrite(t, d, nil, []byte("\x89PNG\r\n\x1a\nrubbish")), "labels.png"},
		{"png wrong size", rewrite(t, d, nil, bad16()), "manifest says"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(bytes.NewReader(tc.data), "proj.spw")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "proj.spw: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want proj.spw: …%s…", err, tc.want)
			}
		})
	}
	_, _, err := Load(bytes.NewReader(rewrite(t, d, func(m map[string]any) { m["format_version"] = 2 }, nil)), "f.spw")
	if !errors.Is(err, ErrFutureVersion) {
		t.Errorf("future version error %v does not wrap ErrFutureVersion", err)
	}
}

func TestSaveLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "painting.spw")
	d := paintedDoc(t)
	if !d.Modified() {
		t.Fatal("painted document not modified")
	}
	if err := d.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if d.Modified() {
		t.Error("modified after SaveFile")
	}
	// Overwrite: still one file, no temporaries left.
	d.BrushTo(pt(1, 1), 1, sand)
	if err := d.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries", len(ents))
	}
	got, _, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Image().Pix, d.Image().Pix) {
		t.Error("file round trip differs")
	}
	if _, _, err := LoadFile(filepath.Join(dir, "missing.spw")); err == nil || !strings.Contains(err.Error(), "missing.spw") {
		t.Errorf("missing file error %v", err)
	}
	// A failed save leaves the old file and no temporary.
	if err := d.SaveFile(filepath.Join(dir, "nodir", "x.spw")); err == nil || !strings.Contains(err.Error(), "x.spw") {
		t.Errorf("save into missing dir: %v", err)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	for _, set := range []*palette.Set{palette.SIFTFlow, palette.ADE20K, palette.COCO, palette.Cityscapes} {
		d, _ := New(set, 20, 10, set.Labels()[0].ID)
		for i, l := range set.Labels() {
			if i >= 200 {
				break
			}
			d.Rect(image.Rect(i%20, i/20, i%20+1, i/20+1), l.ID)
		}
		var buf bytes.Buffer
		if err := ExportLabelPNG(&buf, d); err != nil {
			t.Fatal(err)
		}
		got, rep, err := ImportLabelPNG(bytes.NewReader(buf.Bytes()), "x.png", set)
		if err != nil {
			t.Fatalf("%s: %v", set.Name, err)
		}
		if rep.Mode != ModeIDs || !bytes.Equal(got.Image().Pix, d.Image().Pix) {
			t.Errorf("%s: export/import differs (mode %s)", set.Name, rep.Mode)
		}
	}
}

func TestLoadUnknownSetPicksClosest(t *testing.T) {
	// A painting from a set we do not know whose names are ADE20K's.
	d, _ := New(palette.ADE20K, 8, 8, 3) // sky
	d.Rect(image.Rect(0, 4, 8, 8), 22)   // water
	d.Rect(image.Rect(0, 6, 8, 8), 14)   // earth
	data := rewrite(t, d, func(m map[string]any) { m["label_set"] = "ade-custom" }, nil)
	got, fbs, err := Load(bytes.NewReader(data), "ade.spw")
	if err != nil {
		t.Fatal(err)
	}
	if got.Set() != palette.ADE20K || len(fbs) != 0 || !bytes.Equal(got.Image().Pix, d.Image().Pix) {
		t.Errorf("set %s, fallbacks %v", got.Set().Name, fbs)
	}
}

func TestWriteFileAtomicMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.spw")
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	// A failed write leaves the old file alone and no temporary behind.
	bad := WriteFileAtomic(path, func(w io.Writer) error { return io.ErrShortWrite })
	if bad == nil || !strings.Contains(bad.Error(), path) {
		t.Errorf("error %v, want one naming %s", bad, path)
	}
	if data, _ := os.ReadFile(path); string(data) != "x" {
		t.Errorf("old content %q was replaced", data)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("%d files left, want 1", len(ents))
	}
}
