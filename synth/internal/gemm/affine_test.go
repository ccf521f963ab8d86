package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAffineActAgrees: the assembly and portable AffineAct give the same
// bits, including negative zeros, for channel counts the assembly takes
// (multiples of 8) and ones it leaves to Go.
func TestAffineActAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	for _, C := range []int{8, 16, 32, 48, 256, 4, 12, 3} {
		for _, n := range []int{1, 2, 7, 64} {
			x := randSlice(rng, n*C)
			a := randSlice(rng, C)
			b := randSlice(rng, C)
			x[0] = float32(math.Copysign(0, -1))
			b[0] = 0
			for _, leaky := range []bool{false, true} {
				got := make([]float32, n*C+1)
				got[n*C] = 42
				AffineAct(got, x, a, b, leaky)
				want := make([]float32, n*C)
				for p := 0; p < n; p++ {
					for c := 0; c < C; c++ {
						y := x[p*C+c]*a[c] + b[c]
						if leaky && math.Signbit(float64(y)) {
							y *= 0.2
						}
						want[p*C+c] = y
					}
				}
				for i, w := range want {
					if math.Float32bits(got[i]) != math.Float32bits(w) {
						t.Fatalf("C=%d n=%d leaky=%v: element %d is %v, want %v", C, n, leaky, i, got[i], w)
					}
				}
				if got[n*C] != 42 {
					t.Fatalf("C=%d n=%d: wrote past the end", C, n)
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AffineAct with len(x) not a multiple of C: no panic")
		}
	}()
	AffineAct(make([]float32, 10), make([]float32, 10), make([]float32, 4), make([]float32, 4), true)
}
