package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // style thumbnails and style photos
	_ "image/png"
	"io/fs"
	"sync"

	"spadework/palette"
	"spadework/synth"
	"spadework/synth/gpu"
)

// modelGenerator adapts a *synth.Model to Generator.
type modelGenerator struct {
	m   *synth.Model
	set *palette.Set

	encMu sync.Mutex // the encoder's renderer is used by one goroutine at a time
	enc   *synth.Renderer

	devMu        sync.Mutex // guards the device fields: fallbacks arrive on the render goroutine
	device       string     // requested: auto, cpu or gpu
	used, reason string     // what the last renderer got, and why
}

// NewModelGenerator adapts a loaded model for the UI. The model's label set
// is the registered palette set of the same name when the model's labels
// agree with it, otherwise a set built from the model's own metadata.
func NewModelGenerator(m *synth.Model) (Generator, error) {
	set, err := modelSet(m)
	if err != nil {
		return nil, err
	}
	return &modelGenerator{m: m, set: set}, nil
}

func modelSet(m *synth.Model) (*palette.Set, error) {
	ls := m.LabelSet()
	if s, ok := palette.Lookup(ls.Set); ok {
		same := true
		for _, l := range ls.Labels {
			if l.ID < 0 || l.ID > 255 || s.LabelName(uint8(l.ID)) == "" {
				same = false
				break
			}
		}
		if same {
			return s, nil
		}
	}
	if len(ls.Labels) == 0 {
		if s, ok := palette.Lookup(ls.Set); ok {
			return s, nil
		}
		return nil, fmt.Errorf("model %s: no labels in its metadata", m.ID())
	}
	var labels []palette.Label
	for _, l := range ls.Labels {
		if l.ID < 0 || l.ID > 255 {
			return nil, fmt.Errorf("model %s: label %q has id %d outside 0..255", m.ID(), l.Name, l.ID)
		}
		labels = append(labels, palette.Label{ID: uint8(l.ID), Name: l.Name, Color: l.Color, Group: palette.GroupOf(l.Name)})
	}
	name := ls.Set
	if name == "" {
		name = m.ID()
	}
	return palette.NewSet(name, name, labels, ls.Unlabeled)
}

func (g *modelGenerator) Name() string           { return g.m.Name() }
func (g *modelGenerator) ID() string             { return g.m.ID() }
func (g *modelGenerator) Size() (int, int)       { return g.m.Size() }
func (g *modelGenerator) LabelSet() *palette.Set { return g.set }

func (g *modelGenerator) ZDim() int {
	if z := g.m.Config().ZDim; z > 0 {
		return z
	}
	return 256
}

func (g *modelGenerator) Styles() []StylePreset {
	var out []StylePreset
	for _, s := range g.m.Styles() {
		out = append(out, StylePreset{Name: s.Name, Z: s.Z})
	}
	return out
}

// NewRenderer renders on the device chosen with setDevice ("auto" by
// default: a hardware GPU through OpenGL 4.3 compute when there is one,
// else the CPU), and remembers which one it got and why.
func (g *modelGenerator) NewRenderer(w, h, threads int) (synth.FrameRenderer, error) {
	g.devMu.Lock()
	device := g.device
	g.devMu.Unlock()
	if device == "" {
		device = gpu.DeviceAuto
	}
	b, used, reason, err := gpu.Open(context.Background(), g.m, w, h, device, gpu.Options{
		Threads: threads,
		OnFallback: func(why string) {
			g.devMu.Lock()
			g.used, g.reason = gpu.DeviceCPU, "the GPU failed: "+why
			g.devMu.Unlock()
		},
	})
	if err != nil {
		return nil, err
	}
	g.devMu.Lock()
	g.used, g.reason = used, reason
	g.devMu.Unlock()
	return b, nil
}

// setDevice picks the device for the next NewRenderer: auto, cpu or gpu.
func (g *modelGenerator) setDevice(device string) {
	g.devMu.Lock()
	g.device = device
	g.devMu.Unlock()
}

// deviceUsed says where the last renderer runs and why.
func (g *modelGenerator) deviceUsed() (used, reason string) {
	g.devMu.Lock()
	defer g.devMu.Unlock()
	return g.used, g.reason
}

type styleEncoder interface {
	EncodeStyle(ctx context.Context, photo image.Image) ([]float32, error)
}

func (g *modelGenerator) EncodeStyle(ctx context.Context, photo image.Image) ([]float32, error) {
	if !g.m.HasEncoder() {
		return nil, fmt.Errorf("model %s has no style encoder", g.m.Name())
	}
	g.encMu.Lock()
	defer g.encMu.Unlock()
	if g.enc == nil {
		w, h := g.m.Size()
		r, err := synth.NewRenderer(g.m, w, h, 1)
		if err != nil {
			return nil, err
		}
		g.enc = r
	}
	e, ok := any(g.enc).(styleEncoder)
	if !ok {
		return nil, errors.New("this build's generator cannot encode photos yet")
	}
	return e.EncodeStyle(ctx, photo)
}

// presetsWithThumbs fills missing thumbnails from fsys ("<name>.jpg" or
// ".png"); presets without one keep a nil thumbnail.
func presetsWithThumbs(ps []StylePreset, fsys fs.FS) []StylePreset {
	out := append([]StylePreset(nil), ps...)
	if fsys == nil {
		return out
	}
	for i := range out {
		if out[i].Thumbnail != nil {
			continue
		}
		for _, ext := range []string{".jpg", ".jpeg", ".png"} {
			data, err := fs.ReadFile(fsys, out[i].Name+ext)
			if err != nil {
				continue
			}
			if img, _, err := image.Decode(bytes.NewReader(data)); err == nil {
				out[i].Thumbnail = img
				break
			}
		}
	}
	return out
}
