package gemm

import "sync"

// Pool spreads GEMMs and other data-parallel loops over a fixed number of
// goroutines. A nil *Pool or one with Threads() == 1 runs everything inline.
type Pool struct {
	threads int
}

// NewPool returns a pool that uses up to threads goroutines (at least 1).
func NewPool(threads int) *Pool {
	if threads < 1 {
		threads = 1
	}
	return &Pool{threads: threads}
}

// Threads reports how many goroutines the pool uses.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close releases the pool's goroutines. The pool must not be used afterwards.
func (p *Pool) Close() {}

// For calls fn over [0,n) split into at most Threads() contiguous chunks and
// waits for all of them.
func (p *Pool) For(n int, fn func(lo, hi int)) {
	t := p.Threads()
	if t == 1 || n < 2 {
		fn(0, n)
		return
	}
	if t > n {
		t = n
	}
	var wg sync.WaitGroup
	for i := 0; i < t; i++ {
		lo, hi := i*n/t, (i+1)*n/t
		wg.Add(1)
		go func() { defer wg.Done(); fn(lo, hi) }()
	}
	wg.Wait()
}

// Sgemm is the parallel form of the package-level Sgemm.
func (p *Pool) Sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	p.For(n, func(lo, hi int) {
		Sgemm(m, hi-lo, k, a, lda, b[lo:], ldb, c[lo:], ldc, acc)
	})
}
