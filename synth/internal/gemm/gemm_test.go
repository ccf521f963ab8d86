package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// problem is one GEMM with its own strides, random operands and a C that
// starts out random (so acc=false must really overwrite it and acc=true must
// really add to it). Padding beyond the row width is filled with a sentinel
// that must survive untouched.
type problem struct {
	m, n, k, lda, ldb, ldc int
	acc                    bool
	a, b, c0               []float32
	want, mag              []float64 // float64 C and Σ|a||b|, filled by expect
}

const sentinel = float32(-12345.5)

func newProblem(rng *rand.Rand, m, n, k, padA, padB, padC int, acc bool) *problem {
	p := &problem{m: m, n: n, k: k, lda: k + padA, ldb: n + padB, ldc: n + padC, acc: acc}
	p.a = randSlice(rng, m*p.lda)
	p.b = randSlice(rng, k*p.ldb)
	p.c0 = randSlice(rng, m*p.ldc)
	for i := 0; i < m; i++ {
		for j := n; j < p.ldc; j++ {
			p.c0[i*p.ldc+j] = sentinel
		}
	}
	return p
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

func (p *problem) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d lda=%d ldb=%d ldc=%d acc=%v", p.m, p.n, p.k, p.lda, p.ldb, p.ldc, p.acc)
}

// check compares got against a float64 product. The bound scales with
// Σ|a||b| per element: float32 summation error grows with the magnitudes
// summed, not with the (possibly cancelling) result.
func (p *problem) check(t *testing.T, name string, got []float32) {
	t.Helper()
	if p.want == nil {
		p.expect()
	}
	bad := 0
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.ldc; j++ {
			g := got[i*p.ldc+j]
			if j >= p.n {
				if g != sentinel {
					t.Errorf("%s %v: C[%d][%d] beyond n overwritten: %v", name, p, i, j, g)
					return
				}
				continue
			}
			want, mag := p.want[i*p.n+j], p.mag[i*p.n+j]
			if d := math.Abs(float64(g) - want); d > 1e-5*mag+1e-6 || math.IsNaN(float64(g)) {
				if bad++; bad <= 3 {
					t.Errorf("%s %v: C[%d][%d] = %v, want %v (|Σ|ab|| = %v)", name, p, i, j, g, want, mag)
				}
			}
		}
	}
}

// expect computes the float64 product once per problem; it is by far the
// slowest part of the tests otherwise.
func (p *problem) expect() {
	p.want = make([]float64, p.m*p.n)
	p.mag = make([]float64, p.m*p.n)
	for i := 0; i < p.m; i++ {
		w := p.want[i*p.n : (i+1)*p.n]
		g := p.mag[i*p.n : (i+1)*p.n]
		if p.acc {
			for j := range w {
				w[j] = float64(p.c0[i*p.ldc+j])
				g[j] = math.Abs(w[j])
			}
		}
		for q := 0; q < p.k; q++ {
			av := float64(p.a[i*p.lda+q])
			brow := p.b[q*p.ldb : q*p.ldb+p.n]
			for j, bv := range brow {
				x := av * float64(bv)
				w[j] += x
				g[j] += math.Abs(x)
			}
		}
	}
}

func (p *problem) cCopy() []float32 { return append([]float32(nil), p.c0...) }

// shapes covers the kernel's edges (m, n, k below, at and just past mr, nr,
// and the block sizes), degenerate sizes, and the engine's real layer shapes.
var shapes = [][3]int{
	{1, 1, 1}, {1, 16, 1}, {6, 1, 1}, {1, 1, 300}, {6, 16, 1}, {6, 16, 4}, {6, 16, 5},
	{5, 15, 7}, {7, 17, 9}, {13, 33, 3}, {12, 32, 16}, {4, 24, 17}, {11, 47, 8},
	{113, 16, 288}, {14, 256, 2304}, {227, 32, 144}, {2, 16, 9}, {3, 16, 9}, {8, 16, 9},
	{16, 40, 30}, {32, 33, 20}, {7, 17, 3}, {20, 16, 700}, {5, 16, 1},
	{1, 100, 37}, {100, 1, 37}, {13, 13, 13}, {31, 97, 129},
	{3, 4096, 144}, {16, 1024, 288}, {32, 300, 306}, {64, 64, 576},
	{130, 70, 257}, {129, 1537, 33}, {256, 64, 2304}, {17, 3100, 520},
	{6, 5, 0}, // k = 0: C = 0 or unchanged
}

func TestSgemmAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kernels := []bool{false}
	if useAsm {
		kernels = append(kernels, true)
	} else {
		t.Log("no AVX2/FMA: testing the portable kernel only")
	}
	for _, s := range shapes {
		for _, pad := range [][3]int{{0, 0, 0}, {3, 5, 7}} {
			for _, acc := range []bool{false, true} {
				p := newProblem(rng, s[0], s[1], s[2], pad[0], pad[1], pad[2], acc)
				c := p.cCopy()
				sgemmRef(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
				p.check(t, "ref", c)
				for _, asm := range kernels {
					c := p.cCopy()
					gemmSerial(new(workspace), asm, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
					p.check(t, fmt.Sprintf("serial asm=%v", asm), c)
				}
				c = p.cCopy()
				Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
				p.check(t, "Sgemm", c)
			}
		}
	}
}

// TestSgemmSmallBlocks shrinks the cache blocks so that small shapes cross
// every block boundary (several K, M and N blocks, ragged last blocks).
func TestSgemmSmallBlocks(t *testing.T) {
	defer func(kc, mc, nc int) { kcBlock, mcBlock, ncBlock = kc, mc, nc }(kcBlock, mcBlock, ncBlock)
	kcBlock, mcBlock, ncBlock = 7, 2*mr, 2*nr
	defer func(v float64) { minParallelFlops = v }(minParallelFlops)
	minParallelFlops = 0
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][3]int{{9, 100, 15}, {17, 49, 22}, {8, 48, 14}, {1, 200, 50}, {33, 7, 29}} {
		for _, acc := range []bool{false, true} {
			p := newProblem(rng, s[0], s[1], s[2], 1, 2, 3, acc)
			for _, asm := range []bool{false, useAsm} {
				c := p.cCopy()
				gemmSerial(new(workspace), asm, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
				p.check(t, fmt.Sprintf("small blocks asm=%v", asm), c)
			}
			for _, threads := range []int{2, 3} {
				pool := NewPool(threads)
				c := p.cCopy()
				pool.Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
				pool.Close()
				p.check(t, fmt.Sprintf("small blocks pool(%d)", threads), c)
			}
		}
	}
}

// TestKernelsAgree runs single tiles through the micro-kernels (6 and 4
// rows, assembly and portable), with A in place (row stride lda) and packed
// (groups of mr), and checks that no kernel writes outside its tile. They
// may differ only by FMA rounding, so the bound is tight.
func TestKernelsAgree(t *testing.T) {
	if !useAsm {
		t.Skip("no AVX2/FMA")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{mr, 4} {
		for _, k := range []int{1, 2, 3, 4, 5, 8, 255, 256} {
			for _, layout := range []struct {
				name     string
				rsa, csa int
			}{{"in place", k + 3, 1}, {"packed", 1, mr}} {
				for _, acc := range []bool{false, true} {
					a := randSlice(rng, (mr-1)*layout.rsa+(k-1)*layout.csa+1)
					b := randSlice(rng, k*nr)
					c0 := randSlice(rng, mr*2*nr)
					cg := append([]float32(nil), c0...)
					ca := append([]float32(nil), c0...)
					microKernel(false, rows, k, a, layout.rsa, layout.csa, b, cg, 2*nr, acc)
					microKernel(true, rows, k, a, layout.rsa, layout.csa, b, ca, 2*nr, acc)
					for i := range cg {
						if d := math.Abs(float64(cg[i] - ca[i])); d > 1e-5*float64(k) {
							t.Fatalf("rows=%d k=%d %s acc=%v: element %d: go %v asm %v", rows, k, layout.name, acc, i, cg[i], ca[i])
						}
						if (i%(2*nr) >= nr || i/(2*nr) >= rows) && (ca[i] != c0[i] || cg[i] != c0[i]) {
							t.Fatalf("rows=%d k=%d %s: kernel wrote outside its tile at %d", rows, k, layout.name, i)
						}
					}
				}
			}
		}
	}
}

func TestGroupRows(t *testing.T) {
	for m := 1; m <= 40; m++ {
		used, groups := 0, 0
		for ir := 0; ir < m; ir += groupRows(m - ir) {
			used += groupRows(m - ir)
			groups++
		}
		want := m % 2 // odd counts pad one row; even ones none
		if m < 4 {
			want = 4 - m // the smallest kernel has 4 rows
		}
		if waste := used - m; waste != want {
			t.Errorf("m=%d: %d groups cover %d rows", m, groups, used)
		}
	}
}

func TestSgemmPanicsOnShortSlices(t *testing.T) {
	a := make([]float32, 6)
	b := make([]float32, 6)
	c := make([]float32, 4)
	for _, tc := range []struct {
		name                   string
		m, n, k, lda, ldb, ldc int
		a, b, c                []float32
	}{
		{"short a", 2, 2, 3, 3, 2, 2, a[:5], b, c},
		{"short b", 2, 2, 3, 3, 2, 2, a, b[:5], c},
		{"short c", 2, 2, 3, 3, 2, 2, a, b, c[:3]},
		{"lda < k", 2, 2, 3, 2, 2, 2, a, b, c},
		{"ldc < n", 2, 2, 3, 3, 2, 1, a, b, c},
		{"negative", -1, 2, 3, 3, 2, 2, a, b, c},
	} {
		for _, pool := range []*Pool{nil, NewPool(2)} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic", tc.name)
					}
				}()
				pool.Sgemm(tc.m, tc.n, tc.k, tc.a, tc.lda, tc.b, tc.ldb, tc.c, tc.ldc, false)
			}()
			pool.Close()
		}
	}
}

func TestBlockSize(t *testing.T) {
	for _, tc := range []struct{ total, max, unit, want int }{
		{288, 256, 1, 144}, {256, 256, 1, 256}, {257, 256, 1, 129}, {1, 256, 1, 1},
		{100, 120, 6, 102}, {130, 120, 6, 66}, {3, 120, 6, 6}, {65536, 1536, 16, 1536}, {300, 1536, 16, 304},
	} {
		if got := blockSize(tc.total, tc.max, tc.unit); got != tc.want {
			t.Errorf("blockSize(%d, %d, %d) = %d, want %d", tc.total, tc.max, tc.unit, got, tc.want)
		}
	}
}
