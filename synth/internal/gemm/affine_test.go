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

// TestModulateActAgrees: the assembly and portable ModulateAct give the
// bits of the plain expression, per-pixel γ|β rows included, for channel
// counts the assembly takes and ones it leaves to Go.
func TestModulateActAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	for _, C := range []int{8, 16, 32, 256, 4, 12, 3} {
		for _, n := range []int{1, 2, 7, 33} {
			x := randSlice(rng, n*C)
			sc := randSlice(rng, C)
			sh := randSlice(rng, C)
			gb := randSlice(rng, 2*n*C)
			x[0] = float32(math.Copysign(0, -1))
			sh[0], gb[C] = 0, 0
			for _, leaky := range []bool{false, true} {
				want := make([]float32, n*C)
				for p := 0; p < n; p++ {
					for c := 0; c < C; c++ {
						y := (x[p*C+c]*sc[c]+sh[c])*(1+gb[2*p*C+c]) + gb[2*p*C+C+c]
						if leaky && math.Signbit(float64(y)) {
							y *= 0.2
						}
						want[p*C+c] = y
					}
				}
				for _, asm := range []bool{true, false} {
					got := make([]float32, n*C+1)
					got[n*C] = 42
					if asm {
						ModulateAct(got, x, sc, sh, gb, leaky)
					} else {
						modulateGo(got, x, sc, sh, gb, leaky)
					}
					for i, w := range want {
						if math.Float32bits(got[i]) != math.Float32bits(w) {
							t.Fatalf("C=%d n=%d leaky=%v asm=%v: element %d is %v, want %v", C, n, leaky, asm, i, got[i], w)
						}
					}
					if got[n*C] != 42 {
						t.Fatalf("C=%d n=%d: wrote past the end", C, n)
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("ModulateAct with a short gb: no panic")
		}
	}()
	ModulateAct(make([]float32, 8), make([]float32, 8), make([]float32, 8), make([]float32, 8), make([]float32, 8), true)
}

// TestSumRowsAgrees: the assembly and portable SumRows give the bits of
// bias plus the rows in order, with and without relu (negative zero → +0).
func TestSumRowsAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 27))
	for _, n := range []int{8, 32, 128, 4, 12} {
		for _, nrows := range []int{0, 1, 9, 18} {
			bias := randSlice(rng, n)
			table := randSlice(rng, nrows*n+n)
			var rows []*float32
			for i := 0; i < nrows; i++ {
				rows = append(rows, &table[(i*7%(nrows+1))*n])
			}
			bias[0] = float32(math.Copysign(0, -1))
			for _, relu := range []bool{false, true} {
				want := append([]float32(nil), bias...)
				for i := 0; i < nrows; i++ {
					off := (i * 7 % (nrows + 1)) * n
					for c := range want {
						want[c] += table[off+c]
					}
				}
				if relu {
					for c, v := range want {
						if math.Signbit(float64(v)) {
							want[c] = 0
						}
					}
				}
				for _, asm := range []bool{true, false} {
					got := make([]float32, n+1)
					got[n] = 42
					if asm {
						SumRows(got, bias, rows, relu)
					} else {
						sumRowsGo(got, bias, rows, relu)
					}
					for c, w := range want {
						if math.Float32bits(got[c]) != math.Float32bits(w) {
							t.Fatalf("n=%d rows=%d relu=%v asm=%v: value %d is %v, want %v", n, nrows, relu, asm, c, got[c], w)
						}
					}
					if got[n] != 42 {
						t.Fatalf("n=%d: wrote past the end", n)
					}
				}
			}
		}
	}
}

// TestAddTo: AddTo gives the Go loop's sums and leaves dst past len(src).
func TestAddTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for _, n := range []int{0, 1, 5, 8, 16, 32, 40, 128, 13} {
		src := randSlice(rng, n)
		dst := randSlice(rng, n+3)
		want := append([]float32(nil), dst...)
		for i, v := range src {
			want[i] += v
		}
		AddTo(dst, src)
		for i := range want {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d is %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}
