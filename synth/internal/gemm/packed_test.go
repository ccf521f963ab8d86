package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSgemmPackedAgrees multiplies by column ranges of packed weights, the
// way a renderer splits Cout across tiles, serially and on pools.
func TestSgemmPackedAgrees(t *testing.T) {
	defer func(v float64) { minParallelFlops = v }(minParallelFlops)
	minParallelFlops = 0
	rng := rand.New(rand.NewPCG(12, 13))
	pools := []*Pool{nil, NewPool(2), NewPool(3)}
	defer func() {
		for _, p := range pools {
			p.Close()
		}
	}()
	for _, s := range [][3]int{{1, 1, 1}, {7, 16, 5}, {113, 32, 288}, {14, 256, 2304}, {13, 40, 300}, {30, 3, 9}, {5, 33, 0}} {
		m, n, k := s[0], s[1], s[2]
		ldb := n + 5
		bfull := randSlice(rng, max(k, 1)*ldb)
		pb := PackB(k, n, bfull, ldb)
		for j0 := 0; j0 < n; j0 += 2 * PanelWidth {
			for _, j1 := range []int{n, min(n, j0+PanelWidth), min(n, j0+PanelWidth+3)} {
				for _, acc := range []bool{false, true} {
					// The same product, unpacked, for the shared checker:
					// B's columns j0..j1 are b[j0:] with stride ldb.
					p := newProblem(rng, m, j1-j0, k, 2, 0, 3, acc)
					p.ldb = ldb
					p.b = bfull[j0:]
					for _, pool := range pools {
						c := p.cCopy()
						pool.SgemmPacked(m, p.a, p.lda, pb, j0, j1, c, p.ldc, acc)
						p.check(t, fmt.Sprintf("packed cols [%d,%d) pool(%d)", j0, j1, pool.Threads()), c)
					}
					c := p.cCopy()
					SgemmPacked(m, p.a, p.lda, pb, j0, j1, c, p.ldc, acc)
					p.check(t, fmt.Sprintf("packed cols [%d,%d)", j0, j1), c)
				}
			}
		}
	}
}

func TestSgemmPackedPanics(t *testing.T) {
	pb := PackB(3, 40, make([]float32, 120), 40)
	a := make([]float32, 6)
	c := make([]float32, 80)
	for _, tc := range []struct {
		name   string
		j0, j1 int
		a      []float32
	}{
		{"unaligned j0", 8, 24, a},
		{"j1 > n", 0, 41, a},
		{"j1 < j0", 16, 8, a},
		{"short a", 0, 40, a[:5]},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			SgemmPacked(2, tc.a, 3, pb, tc.j0, tc.j1, c, 40, false)
		}()
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("PackB with short b: no panic")
			}
		}()
		PackB(3, 40, make([]float32, 119), 40)
	}()
}

func TestSgemmPackedNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	const m, n, k = 113, 64, 288
	pb := PackB(k, n, randSlice(rng, k*n), n)
	a := randSlice(rng, m*k)
	c := make([]float32, m*n)
	pool := NewPool(2)
	defer pool.Close()
	for _, p := range []*Pool{nil, pool} {
		if allocs := testing.AllocsPerRun(10, func() { p.SgemmPacked(m, a, k, pb, 16, n, c, n, false) }); allocs != 0 {
			t.Errorf("pool(%d).SgemmPacked: %v allocs per call", p.Threads(), allocs)
		}
	}
}

// TestUnpackInvertsPackB: Unpack gives back B exactly, across K blocks and
// ragged last panels.
func TestUnpackInvertsPackB(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for _, s := range [][2]int{{1, 1}, {5, 16}, {9, 3}, {288, 32}, {700, 40}, {2304, 256}, {0, 5}, {4, 0}} {
		k, n := s[0], s[1]
		ldb := n + 3
		b := randSlice(rng, max(k, 1)*ldb)
		got := PackB(k, n, b, ldb).Unpack()
		if len(got) != k*n {
			t.Fatalf("k=%d n=%d: Unpack has %d values, want %d", k, n, len(got), k*n)
		}
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				if got[p*n+j] != b[p*ldb+j] {
					t.Fatalf("k=%d n=%d: element (%d,%d) is %v, want %v", k, n, p, j, got[p*n+j], b[p*ldb+j])
				}
			}
		}
	}
}

// TestSgemmPackedOverlappingRows: A with lda < K (rows overlapping, as in an
// implicit im2col) gives the product of the rows as they read.
func TestSgemmPackedOverlappingRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	pool := NewPool(2)
	defer pool.Close()
	for _, s := range [][4]int{{256, 16, 48, 16}, {13, 32, 96, 32}, {7, 40, 30, 10}, {1, 16, 9, 3}} {
		m, n, k, lda := s[0], s[1], s[2], s[3]
		a := randSlice(rng, (m-1)*lda+k)
		b := randSlice(rng, k*n)
		pb := PackB(k, n, b, n)
		full := make([]float32, m*k) // A with its rows copied apart
		for i := 0; i < m; i++ {
			copy(full[i*k:(i+1)*k], a[i*lda:])
		}
		want := make([]float32, m*n)
		sgemmRef(m, n, k, full, k, b, n, want, n, false)
		for _, p := range []*Pool{nil, pool} {
			got := make([]float32, m*n)
			p.SgemmPacked(m, a, lda, pb, 0, n, got, n, false)
			for i := range got {
				if d := got[i] - want[i]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("m=%d n=%d k=%d lda=%d pool(%d): element %d is %v, want %v", m, n, k, lda, p.Threads(), i, got[i], want[i])
				}
			}
		}
	}
}
