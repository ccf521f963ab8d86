package synth

import (
	"context"
	"image"
	"math"
	"testing"
)

// TestPackedMatchesUnpacked: the renderer's products with weights packed at
// load (SgemmPacked) equal Sgemm on the unpacked weights, on the band and
// dense paths and in the encoder, for shapes whose Cout is split across
// tiles (ngf 16: 256-channel deep layers) and ragged ones (conv_img, 3).
func TestPackedMatchesUnpacked(t *testing.T) {
	small := siftflowConfig()
	small.CropSize = 64
	five := small
	five.NGF, five.NHidden = 8, 16
	five.NormG, five.UseVAE, five.NoInstance = "spadeinstance5x5", false, false
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"batch3x3-vae", small}, {"instance5x5-edges", five}} {
		m, err := RandomModel(c.cfg, c.cfg.UseVAE, siftflowMeta(), 5)
		if err != nil {
			t.Fatal(err)
		}
		w, h := m.Size()
		r, err := NewRenderer(m, w, h, 2)
		if err != nil {
			t.Fatal(err)
		}
		lm := testMaps(w, h, []uint8{28, 17, 32, 0}, 3)["blobs"]
		z := RandomStyle(4, m.cfg.ZDim)
		var out [2][2][]float32 // [unpacked][dense]
		for u := range out {
			r.unpacked = u == 1
			a, b, _ := renderBoth(t, r, lm, z)
			out[u][0], out[u][1] = a, b
		}
		for d, name := range []string{"band", "dense"} {
			if e := maxAbs(out[0][d], out[1][d]); e > 1e-5 {
				t.Errorf("%s/%s: packed differs from unpacked by %.3g", c.name, name, e)
			}
		}
		if m.HasEncoder() {
			photo := image.NewRGBA(image.Rect(0, 0, 256, 256))
			for i := range photo.Pix {
				photo.Pix[i] = uint8(i * 37 % 251)
			}
			var mu [2][]float32
			for u := range mu {
				r.unpacked = u == 1
				mu[u], err = r.EncodeStyle(ctx, photo)
				if err != nil {
					t.Fatal(err)
				}
			}
			if e := maxAbs(mu[0], mu[1]); e > 1e-5 {
				t.Errorf("%s/encoder: packed differs from unpacked by %.3g", c.name, e)
			}
		}
		r.Close()
	}
}

// TestClassGB: the per-class γ|β precompute (taps summed first) equals the
// direct sum over taps and hidden channels of the uniform map's conv.
func TestClassGB(t *testing.T) {
	cfg := siftflowConfig()
	cfg.NGF, cfg.NHidden = 8, 16
	five := cfg
	five.NormG, five.UseVAE = "spadeinstance5x5", false
	for _, c := range []Config{cfg, five} {
		m, err := RandomModel(c, false, siftflowMeta(), 9)
		if err != nil {
			t.Fatal(err)
		}
		classes := c.labelChannels()
		for _, s := range m.spades {
			nh, C2 := s.Gamma.Cin, 2*s.C
			kk := s.Gamma.K * s.Gamma.K
			kks := s.Shared.K * s.Shared.K
			snc := s.Shared.Cin
			worst := 0.0
			for cl := 0; cl < classes; cl++ {
				actv := make([]float64, nh)
				for j := range actv {
					a := float64(s.Shared.Bias[j])
					for tp := 0; tp < kks; tp++ {
						a += float64(s.Shared.Weight[(j*snc+cl)*kks+tp])
					}
					actv[j] = max(a, 0)
				}
				for o := 0; o < C2; o++ {
					conv := &s.Gamma
					if o >= s.C {
						conv = &s.Beta
					}
					oc := o % s.C
					a := float64(conv.Bias[oc])
					for i := 0; i < nh; i++ {
						for tp := 0; tp < kk; tp++ {
							a += actv[i] * float64(conv.Weight[(oc*nh+i)*kk+tp])
						}
					}
					worst = max(worst, math.Abs(a-float64(s.classGB[cl*C2+o])))
				}
			}
			if worst > 1e-6 {
				t.Errorf("%s (%s): class γ|β off the direct sum by %.3g", s.Name, c.NormG, worst)
			}
		}
	}
}
