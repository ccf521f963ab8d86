package canvas

import (
	"bytes"
	"image"
	"math/rand"
	"testing"
)

// TestUndoAgainstModel runs random strokes, undos and redos and checks the
// document against a model that keeps every state whole.
func TestUndoAgainstModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		runModel(t, seed, 200)
	}
}

func runModel(t *testing.T, seed int64, ops int) {
	rng := rand.New(rand.NewSource(seed))
	w, h := 8+rng.Intn(60), 8+rng.Intn(60)
	d := newDoc(t, w, h, sky)
	maxSteps := DefaultUndoSteps
	if seed%3 == 0 {
		maxSteps = 1 + rng.Intn(8)
		d.SetUndoLimits(0, maxSteps)
	}
	states := [][]uint8{bytes.Clone(d.Image().Pix)}
	pos := 0
	ids := []uint8{sky, sea, tree, sand, moon, void}
	rp := func() image.Point { return pt(rng.Intn(w+10)-5, rng.Intn(h+10)-5) }
	for i := 0; i < ops; i++ {
		switch k := rng.Intn(10); {
		case k < 6:
			d.BeginStroke()
			for n := rng.Intn(4); n >= 0; n-- {
				id := ids[rng.Intn(len(ids))]
				switch rng.Intn(6) {
				case 5:
					d.Replace(ids[rng.Intn(len(ids))], id)
				case 0:
					d.BrushTo(rp(), 1+rng.Intn(12), id)
				case 1:
					d.Line(rp(), rp(), 1+rng.Intn(6), id)
				case 2:
					d.Rect(image.Rectangle{Min: rp(), Max: rp()}, id)
				case 3:
					d.Fill(rp(), id)
				case 4:
					d.EraseTo(rp(), 1+rng.Intn(5))
				}
			}
			recorded := d.EndStroke()
			cur := d.Image().Pix
			changed := !bytes.Equal(cur, states[pos])
			if recorded != changed {
				t.Fatalf("seed %d op %d: recorded %v, changed %v", seed, i, recorded, changed)
			}
			if changed {
				states = append(states[:pos+1], bytes.Clone(cur))
				pos++
				if len(states)-1 > maxSteps {
					states = states[1:] // the oldest step is forgotten
					pos--
				}
			}
		case k < 8:
			r := d.Undo()
			if pos > 0 {
				pos--
				if r.Empty() {
					t.Fatalf("seed %d op %d: undo returned empty", seed, i)
				}
			}
		default:
			r := d.Redo()
			if pos < len(states)-1 {
				pos++
				if r.Empty() {
					t.Fatalf("seed %d op %d: redo returned empty", seed, i)
				}
			}
		}
		if !bytes.Equal(d.Image().Pix, states[pos]) {
			t.Fatalf("seed %d op %d: document differs from model state %d", seed, i, pos)
		}
		if d.UndoSteps() != pos || d.CanRedo() != (pos < len(states)-1) {
			t.Fatalf("seed %d op %d: UndoSteps %d, model %d", seed, i, d.UndoSteps(), pos)
		}
	}
}

func FuzzDocumentOps(f *testing.F) {
	f.Add(int64(1), uint8(50))
	f.Add(int64(99), uint8(200))
	f.Fuzz(func(t *testing.T, seed int64, n uint8) {
		runModel(t, seed, int(n))
	})
}
