//go:build linux && cgo

package gpu

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand"
	"testing"
)

// kernelPlan is a plan of hand-made ops over small random buffers, to test
// one kernel against a plain float64 loop.
func kernelPlan(w, h int) *plan {
	p := &plan{w: w, h: h, z: -1}
	p.labels = p.add(buffer{name: "labels", kind: bufLabels, n: w * h})
	p.image = p.add(buffer{name: "rgba", kind: bufImage, n: w * h})
	return p
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func grayLabels(w, h int, ids []uint8) *image.Paletted {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{uint8(i)}
	}
	im := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	copy(im.Pix, ids)
	return im
}

// runPlan runs p with its last op's output traced from buffer out.
func runPlan(t *testing.T, p *plan, out, n int, labels *image.Paletted, chanOf func(int) (int, bool)) []float32 {
	t.Helper()
	p.stages = []stage{{name: "t", end: len(p.ops), out: out, c: n, h: 1, w: 1}}
	r, err := start(context.Background(), p, chanOf)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if labels == nil {
		labels = grayLabels(p.w, p.h, nil)
	}
	got, _, err := r.traceStage(context.Background(), labels, nil, "t")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func anyChannel(int) (int, bool) { return 0, true }

func TestConvKernel(t *testing.T) {
	needGL(t)
	for _, tc := range []struct {
		ks, cin, cout, h, w int
		spade               bool
		act                 int32
		inLrelu, res        bool
	}{
		{3, 11, 13, 19, 21, false, 0, false, true},
		{1, 9, 5, 7, 33, false, 0, false, false},
		{5, 6, 10, 17, 18, false, 2, true, false},
		{3, 8, 3, 16, 16, false, 3, true, false},
		{3, 12, 9, 13, 20, true, 2, false, false},
		{5, 7, 11, 9, 35, true, 0, false, false},
	} {
		rng := rand.New(rand.NewSource(int64(tc.ks*1000 + tc.cin)))
		p := kernelPlan(tc.w, tc.h)
		in := randSlice(rng, tc.cin*tc.h*tc.w)
		wa := randSlice(rng, tc.cout*tc.cin*tc.ks*tc.ks)
		ba := randSlice(rng, tc.cout)
		wb := randSlice(rng, len(wa))
		bb := randSlice(rng, tc.cout)
		aux := randSlice(rng, tc.cout*tc.h*tc.w)
		st := make([]float32, 2*tc.cout)
		for i := range st {
			st[i] = float32(rng.Float64() + 0.5)
		}
		bi := p.konst("in", in)
		bo := p.add(buffer{name: "out", kind: bufScratch, n: tc.cout * tc.h * tc.w})
		o := op{k: kernel{file: "conv", ks: tc.ks, spade: tc.spade}}
		o.bufs = []int{bi, p.konst("wa", convTable(wa, tc.cin, tc.cout, tc.ks)), p.konst("ba", ba), bo, p.konst("aux", aux), p.konst("wb", convTable(wb, tc.cin, tc.cout, tc.ks)), p.konst("bb", bb), p.konst("st", st)}
		o.p = [16]int32{int32(tc.cin), int32(tc.cout), int32(tc.h), int32(tc.w), 1, b2i(tc.res), tc.act, b2i(tc.inLrelu)}
		o.groups = convGroups(tc.h, tc.w, tc.cout)
		p.emit(o)
		got := runPlan(t, p, bo, tc.cout*tc.h*tc.w, nil, anyChannel)

		var worst float64
		r := tc.ks / 2
		for oc := 0; oc < tc.cout; oc++ {
			for y := 0; y < tc.h; y++ {
				for x := 0; x < tc.w; x++ {
					a, b := float64(ba[oc]), float64(bb[oc])
					for ci := 0; ci < tc.cin; ci++ {
						for ky := 0; ky < tc.ks; ky++ {
							for kx := 0; kx < tc.ks; kx++ {
								yy, xx := y+ky-r, x+kx-r
								if yy < 0 || yy >= tc.h || xx < 0 || xx >= tc.w {
									continue
								}
								v := float64(in[(ci*tc.h+yy)*tc.w+xx])
								if tc.inLrelu && v < 0 {
									v *= 0.2
								}
								wi := ((oc*tc.cin+ci)*tc.ks+ky)*tc.ks + kx
								a += v * float64(wa[wi])
								b += v * float64(wb[wi])
							}
						}
					}
					at := (oc*tc.h+y)*tc.w + x
					v := a
					if tc.spade {
						v = (float64(aux[at])-float64(st[2*oc]))*float64(st[2*oc+1])*(1+a) + b
					} else if tc.res {
						v += float64(aux[at])
					}
					switch tc.act {
					case 1:
						v = math.Max(v, 0)
					case 2:
						if v < 0 {
							v *= 0.2
						}
					case 3:
						v = math.Tanh(v)
					}
					worst = math.Max(worst, math.Abs(v-float64(got[at]))/(1+math.Abs(v)))
				}
			}
		}
		t.Logf("conv %dx%d spade=%v %d->%d %dx%d: max rel error %.2e", tc.ks, tc.ks, tc.spade, tc.cin, tc.cout, tc.h, tc.w, worst)
		if worst > 1e-5 {
			t.Errorf("conv %+v: max rel error %.2e", tc, worst)
		}
	}
}

func TestGatherKernel(t *testing.T) {
	needGL(t)
	for _, tc := range []struct {
		ks, nch, n, lh, lw, h, w int
		edges, relu              bool
	}{
		{3, 6, 20, 8, 8, 32, 32, false, true},
		{5, 7, 8, 16, 12, 16, 24, true, true},
		{3, 5, 33, 4, 4, 64, 64, true, false},
	} {
		rng := rand.New(rand.NewSource(int64(tc.ks*100 + tc.n)))
		p := kernelPlan(tc.w, tc.h)
		cin := tc.nch
		if tc.edges {
			cin++
		}
		wt := randSlice(rng, tc.n*cin*tc.ks*tc.ks)
		bias := randSlice(rng, tc.n)
		var idx []float32
		for y := 0; y < tc.lh; y++ {
			idx = append(idx, math.Float32frombits(uint32(nearestIndex(y, tc.h, tc.lh))))
		}
		for x := 0; x < tc.lw; x++ {
			idx = append(idx, math.Float32frombits(uint32(nearestIndex(x, tc.w, tc.lw))))
		}
		gt := make([]float32, len(wt))
		kk := tc.ks * tc.ks
		for o := 0; o < tc.n; o++ {
			for i := 0; i < cin; i++ {
				for k := 0; k < kk; k++ {
					gt[(i*kk+k)*tc.n+o] = wt[(o*cin+i)*kk+k]
				}
			}
		}
		bo := p.add(buffer{name: "out", kind: bufScratch, n: tc.n * tc.lh * tc.lw})
		edgeCh := int32(-1)
		if tc.edges {
			edgeCh = int32(tc.nch)
			p.edges = true
		}
		o := op{k: kernel{file: "gather", ks: tc.ks}, bufs: []int{p.labels, p.konst("idx", idx), p.konst("wt", gt), p.konst("b", bias), bo}}
		o.p = [16]int32{int32(tc.lh), int32(tc.lw), int32(tc.n), int32(tc.w), 0, int32(tc.lh), b2i(tc.relu), edgeCh}
		o.groups = [3]uint32{ceilDiv(tc.lh*tc.lw, gatherLocal), ceilDiv(tc.n, gatherHB), 1}
		p.emit(o)
		ids := make([]uint8, tc.w*tc.h)
		for y := 0; y < tc.h; y++ {
			for x := 0; x < tc.w; x++ {
				ids[y*tc.w+x] = uint8((x/5 + y/7 + rng.Intn(2)) % tc.nch)
			}
		}
		ident := func(id int) (int, bool) { return id, id < tc.nch }
		got := runPlan(t, p, bo, tc.n*tc.lh*tc.lw, grayLabels(tc.w, tc.h, ids), ident)

		lm := newLabelMapper(tc.w, tc.h, ident, tc.edges)
		if err := lm.mapLabels(grayLabels(tc.w, tc.h, ids)); err != nil {
			t.Fatal(err)
		}
		var worst float64
		r := tc.ks / 2
		for o := 0; o < tc.n; o++ {
			for y := 0; y < tc.lh; y++ {
				for x := 0; x < tc.lw; x++ {
					a := float64(bias[o])
					for ky := 0; ky < tc.ks; ky++ {
						for kx := 0; kx < tc.ks; kx++ {
							yy, xx := y+ky-r, x+kx-r
							if yy < 0 || yy >= tc.lh || xx < 0 || xx >= tc.lw {
								continue
							}
							v := lm.out[nearestIndex(yy, tc.h, tc.lh)*tc.w+nearestIndex(xx, tc.w, tc.lw)]
							// one-hot input: channel v&0xffff is 1, the edge channel is bit 16
							for ci := 0; ci < cin; ci++ {
								x1 := 0.0
								if ci == int(v&0xffff) || (tc.edges && ci == tc.nch && v>>16 != 0) {
									x1 = 1
								}
								a += x1 * float64(wt[(o*cin+ci)*kk+ky*tc.ks+kx])
							}
						}
					}
					if tc.relu {
						a = math.Max(a, 0)
					}
					worst = math.Max(worst, math.Abs(a-float64(got[(o*tc.lh+y)*tc.lw+x])))
				}
			}
		}
		t.Logf("gather %dx%d %d->%d at %dx%d: max error %.2e", tc.ks, tc.ks, cin, tc.n, tc.lh, tc.lw, worst)
		if worst > 1e-5 {
			t.Errorf("gather %+v: max error %.2e", tc, worst)
		}
	}
}

func TestStatsUpKernels(t *testing.T) {
	needGL(t)
	for _, tc := range []struct{ c, h, w int }{{3, 2, 2}, {5, 4, 4}, {4, 17, 30}, {2, 64, 64}} {
		rng := rand.New(rand.NewSource(int64(tc.c)))
		p := kernelPlan(2*tc.w, 2*tc.h)
		x := randSlice(rng, tc.c*tc.h*tc.w)
		for i := range x {
			x[i] = x[i]*3 + 5
		}
		bx := p.konst("x", x)
		st := p.add(buffer{name: "st", kind: bufScratch, n: 2 * tc.c})
		up := p.add(buffer{name: "up", kind: bufScratch, n: 4 * tc.c * tc.h * tc.w})
		o := op{k: kernel{file: "stats"}, bufs: []int{bx, st}}
		o.p[0] = int32(tc.h * tc.w)
		o.groups = [3]uint32{uint32(tc.c), 1, 1}
		p.emit(o)
		got := runPlan(t, p, st, 2*tc.c, nil, anyChannel)
		hw := tc.h * tc.w
		for c := 0; c < tc.c; c++ {
			var m, v float64
			for _, a := range x[c*hw : (c+1)*hw] {
				m += float64(a)
			}
			m /= float64(hw)
			for _, a := range x[c*hw : (c+1)*hw] {
				v += (float64(a) - m) * (float64(a) - m)
			}
			v /= float64(hw)
			is := 1 / math.Sqrt(v+1e-5)
			if math.Abs(float64(got[2*c])-m) > 1e-5*math.Abs(m)+1e-6 || math.Abs(float64(got[2*c+1])-is) > 1e-5*is {
				t.Errorf("stats %v channel %d: got (%v, %v), want (%v, %v)", tc, c, got[2*c], got[2*c+1], m, is)
			}
		}
		p.ops = p.ops[:0]
		o = op{k: kernel{file: "up"}, bufs: []int{bx, up}}
		o.p = [16]int32{int32(tc.c), int32(tc.h), int32(tc.w)}
		o.groups = [3]uint32{ceilDiv(4*tc.c*hw, flatLocal), 1, 1}
		p.emit(o)
		got = runPlan(t, p, up, 4*tc.c*hw, nil, anyChannel)
		for c := 0; c < tc.c; c++ {
			for y := 0; y < 2*tc.h; y++ {
				for xx := 0; xx < 2*tc.w; xx++ {
					if g, w := got[(c*2*tc.h+y)*2*tc.w+xx], x[(c*tc.h+y/2)*tc.w+xx/2]; g != w {
						t.Fatalf("up %v at (%d,%d,%d): %v, want %v", tc, c, y, xx, g, w)
					}
				}
			}
		}
	}
}
