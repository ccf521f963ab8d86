package gemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolSgemmAgrees(t *testing.T) {
	defer func(v float64) { minParallelFlops = v }(minParallelFlops)
	minParallelFlops = 0 // tile even the smallest shapes
	rng := rand.New(rand.NewPCG(7, 8))
	var probs []*problem
	for _, s := range shapes {
		for _, acc := range []bool{false, true} {
			probs = append(probs, newProblem(rng, s[0], s[1], s[2], 2, 1, 3, acc))
		}
	}
	for _, threads := range []int{1, 2, 3, 4} {
		pool := NewPool(threads)
		for _, p := range probs {
			for _, asm := range []bool{false, useAsm} {
				c := p.cCopy()
				pool.sgemmWith(asm, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
				p.check(t, fmt.Sprintf("pool(%d) asm=%v", threads, asm), c)
			}
		}
		pool.Close()
	}
}

func TestNilPool(t *testing.T) {
	var pool *Pool
	if pool.Threads() != 1 {
		t.Fatalf("nil pool Threads() = %d", pool.Threads())
	}
	sum := 0
	pool.For(10, func(lo, hi int) { sum += hi - lo })
	if sum != 10 {
		t.Fatalf("nil pool For covered %d of 10", sum)
	}
	p := newProblem(rand.New(rand.NewPCG(1, 1)), 5, 30, 7, 0, 0, 0, false)
	c := p.cCopy()
	pool.Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
	p.check(t, "nil pool", c)
	pool.Close()
}

func TestPoolForCoversRange(t *testing.T) {
	pool := NewPool(3)
	defer pool.Close()
	for _, n := range []int{0, 1, 2, 3, 4, 10, 1000} {
		hits := make([]int32, n)
		var calls atomic.Int32
		pool.For(n, func(lo, hi int) {
			calls.Add(1)
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[i], 1)
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, h)
			}
		}
		if c := calls.Load(); int(c) > pool.Threads() {
			t.Fatalf("n=%d: %d chunks, more than %d threads", n, c, pool.Threads())
		}
	}
}

// TestPoolNestedAndConcurrent checks that a job started while another runs
// (nested inside fn, or from another goroutine) completes instead of
// deadlocking, and that concurrent GEMMs on one pool stay correct.
func TestPoolNestedAndConcurrent(t *testing.T) {
	defer func(v float64) { minParallelFlops = v }(minParallelFlops)
	minParallelFlops = 0
	pool := NewPool(2)
	defer pool.Close()
	var total atomic.Int64
	pool.For(4, func(lo, hi int) {
		pool.For(10, func(lo2, hi2 int) { total.Add(int64((hi - lo) * (hi2 - lo2))) })
	})
	if total.Load() != 40 {
		t.Fatalf("nested For total %d, want 40", total.Load())
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for i := 0; i < 5; i++ {
				p := newProblem(rng, 20+g, 100+7*i, 33, 0, 0, 0, i%2 == 0)
				c := p.cCopy()
				pool.Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, p.acc)
				p.check(t, "concurrent", c)
			}
		}()
	}
	wg.Wait()
}

func TestPoolCloseStopsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	pool := NewPool(4)
	if got := runtime.NumGoroutine(); got < before+3 {
		t.Fatalf("NewPool(4): %d goroutines, want at least %d", got, before+3)
	}
	pool.For(100, func(lo, hi int) {})
	pool.Close()
	pool.Close() // idempotent
	// Helpers have returned when Close returns; only their exit bookkeeping
	// in the runtime may lag, so allow it a moment.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		t.Fatalf("after Close: %d goroutines, want %d", got, before)
	}
	// A closed pool still works, inline.
	n := 0
	pool.For(5, func(lo, hi int) { n += hi - lo })
	if n != 5 {
		t.Fatalf("For after Close covered %d of 5", n)
	}
}

func TestPoolNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, threads := range []int{1, 2} {
		pool := NewPool(threads)
		for _, s := range [][3]int{{64, 4096, 288}, {256, 256, 2304}, {3, 1000, 144}, {16, 64, 9}} {
			p := newProblem(rng, s[0], s[1], s[2], 0, 0, 0, false)
			c := p.cCopy()
			allocs := testing.AllocsPerRun(5, func() {
				pool.Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, false)
			})
			if allocs != 0 {
				t.Errorf("pool(%d).Sgemm %v: %v allocs per call", threads, s, allocs)
			}
			allocs = testing.AllocsPerRun(5, func() {
				Sgemm(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c, p.ldc, true)
			})
			if allocs != 0 {
				t.Errorf("Sgemm %v: %v allocs per call", s, allocs)
			}
		}
		var sink atomic.Int64
		fn := func(lo, hi int) { sink.Add(int64(hi - lo)) }
		if allocs := testing.AllocsPerRun(20, func() { pool.For(1000, fn) }); allocs != 0 {
			t.Errorf("pool(%d).For: %v allocs per call", threads, allocs)
		}
		pool.Close()
	}
}

func TestTileGrid(t *testing.T) {
	for _, tc := range []struct{ m, n, k, threads int }{
		{64, 65536, 288, 2}, {256, 256, 2304, 2}, {1024, 256, 9216, 2}, {3, 65536, 144, 2},
		{1024, 64, 9216, 2}, {16, 64, 144, 4}, {1, 1, 1, 8}, {256, 256, 2304, 1},
	} {
		mb, nb := tileGrid(tc.m, tc.n, tc.k, tc.threads)
		if mb%mr != 0 || nb%nr != 0 || mb <= 0 || nb <= 0 {
			t.Errorf("tileGrid%v = %d, %d: not positive multiples of %d, %d", tc, mb, nb, mr, nr)
		}
		tiles := ceilDiv(tc.m, mb) * ceilDiv(tc.n, nb)
		t.Logf("tileGrid(m=%d n=%d k=%d threads=%d) = %d×%d (%d tiles)", tc.m, tc.n, tc.k, tc.threads, mb, nb, tiles)
	}
}

// TestPoolPanicReachesCaller checks that a panic in a task on any thread
// comes out of For on the caller, and that the pool keeps working after.
func TestPoolPanicReachesCaller(t *testing.T) {
	pool := NewPool(3)
	defer pool.Close()
	for _, bad := range []int{0, 1, 2} {
		func() {
			defer func() {
				if r := recover(); r != fmt.Sprint("boom ", bad) {
					t.Errorf("chunk %d: recovered %v", bad, r)
				}
			}()
			pool.For(3, func(lo, hi int) {
				if lo == bad {
					panic(fmt.Sprint("boom ", bad))
				}
			})
		}()
	}
	var n atomic.Int32
	pool.For(3, func(lo, hi int) { n.Add(int32(hi - lo)) })
	if n.Load() != 3 {
		t.Fatalf("For after a panic covered %d of 3", n.Load())
	}
}
