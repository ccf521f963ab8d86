package gemm

import (
	"math/rand/v2"
	"testing"
)

// FuzzSgemm drives the serial, pooled and packed paths with arbitrary small
// shapes and strides and checks them against the float64 product. The
// assembly has no bounds checks of its own, so this is the net under the
// drivers' index arithmetic; the seeds run with every go test.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint8(1), uint8(0), uint8(0), uint8(0), false, uint64(1))
	f.Add(uint8(13), uint8(33), uint8(7), uint8(2), uint8(3), uint8(1), true, uint64(2))
	f.Add(uint8(8), uint8(16), uint8(200), uint8(0), uint8(0), uint8(0), true, uint64(3))
	f.Add(uint8(31), uint8(70), uint8(0), uint8(1), uint8(0), uint8(5), false, uint64(4))
	pool := NewPool(3)
	defer pool.Close()
	defer func(v float64) { minParallelFlops = v }(minParallelFlops)
	minParallelFlops = 0 // the shapes are small; tile them anyway
	f.Fuzz(func(t *testing.T, m, n, k, padA, padB, padC uint8, acc bool, seed uint64) {
		mm, nn, kk := int(m%64)+1, int(n%80)+1, int(k)
		p := newProblem(rand.New(rand.NewPCG(seed, 7)), mm, nn, kk, int(padA%9), int(padB%9), int(padC%9), acc)
		c := p.cCopy()
		Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
		p.check(t, "Sgemm", c)
		c = p.cCopy()
		pool.Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
		p.check(t, "Pool.Sgemm", c)
		pb := PackB(p.k, p.n, p.b, p.ldb)
		c = p.cCopy()
		pool.SgemmPacked(p.m, p.a, p.lda, pb, 0, p.n, c, p.ldc, p.acc)
		p.check(t, "Pool.SgemmPacked", c)
	})
}
