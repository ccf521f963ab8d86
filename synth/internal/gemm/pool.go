package gemm

import (
	"sync"
	"sync/atomic"
)

// Pool spreads GEMMs and other data-parallel loops over a fixed set of
// long-lived worker goroutines, started by NewPool and stopped by Close.
// The goroutine that calls For or Sgemm works too, so a pool of n threads
// owns n-1 helper goroutines.
//
// A nil *Pool, or one with Threads() == 1, runs everything inline. A Pool is
// safe for concurrent use, but it runs one job at a time: a call made while
// another is in progress (from another goroutine, or from inside an fn passed
// to For) runs inline on its caller instead of waiting, so nesting can never
// deadlock.
type Pool struct {
	threads int

	mu     sync.Mutex // held for the whole of one parallel job
	closed bool       // set by Close, under mu

	wake    []chan struct{} // one per helper; a send starts one round
	running sync.WaitGroup  // helpers still busy with the current round
	quit    chan struct{}   // closed by Close
	exited  sync.WaitGroup  // helpers that have not returned yet
	once    sync.Once

	// The current job, written under mu before the helpers are woken.
	// Keeping it in the Pool (not in a closure) is what lets For and Sgemm
	// run without allocating.
	kind   int
	tasks  int          // number of chunks or GEMM tiles
	next   atomic.Int64 // next task to claim
	n      int          // For: the range [0,n)
	fn     func(lo, hi int)
	g      gemmJob
	spaces []workspace // packing buffers, one per thread (0 = caller)

	panicMu  sync.Mutex
	panicked any // first panic of the current job, re-raised by the caller
}

const (
	jobFor = iota
	jobGemm
)

// gemmJob is one Pool.Sgemm or Pool.SgemmPacked call, cut into an
// mTiles×nTiles grid of tiles, each a full-K product that one thread
// computes with its own buffers.
type gemmJob struct {
	m, n, k int
	a       []float32
	lda     int
	b       []float32 // B in place (Sgemm), or
	ldb     int
	pb      *PackedB // B packed (SgemmPacked), columns from pj0 on
	pj0     int
	c       []float32
	ldc     int
	acc     bool
	asm     bool
	mb, nb  int // tile size
	mTiles  int
	nTiles  int
}

// reserve grows ws to what any tile of g needs.
func (g *gemmJob) reserve(ws *workspace) {
	if g.pb != nil {
		ws.reserve(mr*g.pb.kc, 0)
		return
	}
	// blockSize is not monotonic in its total (a block just over the limit
	// splits in two halves), so bound the B block by the limit itself.
	kc, _ := serialBlocks(g.n, g.k)
	nc := (min(g.nb, g.n, ncLimit(kc)) + nr - 1) / nr * nr
	ws.reserve(mr*kc, nc*kc)
}

// tile computes the mt×nt block of C at (i0, j0) on the calling goroutine.
func (g *gemmJob) tile(ws *workspace, i0, j0, mt, nt int) {
	a, c := g.a[i0*g.lda:], g.c[i0*g.ldc+j0:]
	if g.pb != nil {
		gemmPacked(ws, g.asm, mt, a, g.lda, g.pb, g.pj0+j0, g.pj0+j0+nt, c, g.ldc, g.acc)
		return
	}
	gemmSerial(ws, g.asm, mt, nt, g.k, a, g.lda, g.b[j0:], g.ldb, c, g.ldc, g.acc)
}

// NewPool returns a pool that uses up to threads goroutines (at least 1),
// counting the caller's. Call Close to stop its goroutines.
func NewPool(threads int) *Pool {
	if threads < 1 {
		threads = 1
	}
	p := &Pool{
		threads: threads,
		quit:    make(chan struct{}),
		spaces:  make([]workspace, threads),
	}
	p.wake = make([]chan struct{}, threads)
	for id := 1; id < threads; id++ {
		// Buffered so that waking a helper never blocks on it being
		// scheduled; the WaitGroup is what orders the round.
		p.wake[id] = make(chan struct{}, 1)
		p.exited.Add(1)
		go p.helper(id)
	}
	return p
}

// Threads reports how many goroutines the pool uses.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close stops the pool's goroutines and waits for them to return, after any
// job in progress. It may be called more than once; after Close the pool
// still works, inline. It must not be called from inside an fn given to For,
// which would wait for its own job.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.quit)
		p.exited.Wait()
	})
}

func (p *Pool) helper(id int) {
	defer p.exited.Done()
	for {
		select {
		case <-p.wake[id]:
			p.safeWork(id)
			p.running.Done()
		case <-p.quit:
			return
		}
	}
}

// work claims tasks of the current job until none are left. Tasks are
// claimed dynamically rather than dealt out, so a thread that the OS
// deschedules (the machine is rarely ours alone) costs its share of time
// only once, not once per task.
func (p *Pool) work(id int) {
	for {
		t := int(p.next.Add(1) - 1)
		if t >= p.tasks {
			return
		}
		switch p.kind {
		case jobFor:
			fn := p.fn
			fn(t*p.n/p.tasks, (t+1)*p.n/p.tasks)
		case jobGemm:
			p.gemmTile(id, t)
		}
	}
}

// safeWork is work that catches a panic in a task, so that it reaches the
// goroutine that called For or Sgemm (and can be recovered there) instead
// of killing the process from a helper, and so that the job still ends with
// every helper back at rest.
func (p *Pool) safeWork(id int) {
	defer func() {
		if r := recover(); r != nil {
			p.panicMu.Lock()
			if p.panicked == nil {
				p.panicked = r
			}
			p.panicMu.Unlock()
		}
	}()
	p.work(id)
}

// run executes the job already described in p on up to tasks threads, and
// re-raises on the caller the first panic of any of its tasks. The caller
// must hold p.mu.
func (p *Pool) run() {
	helpers := min(p.threads, p.tasks) - 1
	p.next.Store(0)
	p.running.Add(helpers)
	for id := 1; id <= helpers; id++ {
		p.wake[id] <- struct{}{}
	}
	p.safeWork(0)
	p.running.Wait()
	if r := p.panicked; r != nil {
		p.panicked = nil
		p.fn = nil
		p.g = gemmJob{}
		panic(r)
	}
}

// acquire locks the pool for one parallel job, or reports false when the job
// should run inline: nil or single-threaded pool, closed pool, or a job
// already in progress.
func (p *Pool) acquire() bool {
	if p == nil || p.threads == 1 {
		return false
	}
	if !p.mu.TryLock() {
		return false
	}
	if p.closed {
		p.mu.Unlock()
		return false
	}
	return true
}

// For calls fn over [0,n) split into at most Threads() contiguous chunks and
// waits for all of them. Chunks may run on any of the pool's goroutines, in
// any order. For itself does not allocate; a closure passed as fn may.
func (p *Pool) For(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if n == 1 || !p.acquire() {
		fn(0, n)
		return
	}
	defer p.mu.Unlock()
	p.kind = jobFor
	p.n = n
	p.tasks = min(p.threads, n)
	p.fn = fn
	p.run()
	p.fn = nil // let the closure be collected
}

// Sgemm is the parallel form of the package-level Sgemm: C = A·B, or
// C += A·B when acc is true. It cuts C into tiles (column strips, multiples
// of the kernel width, when N is the larger side; row strips otherwise) and
// computes them on the pool's threads, each with its own packing buffers;
// products of a few µs run inline. After the first call with a given shape it
// allocates nothing.
func (p *Pool) Sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkArgs(m, n, k, a, lda, b, ldb, c, ldc)
	p.gemm(gemmJob{m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, acc: acc, asm: useAsm})
}

// SgemmPacked is the parallel form of the package-level SgemmPacked.
func (p *Pool) SgemmPacked(m int, a []float32, lda int, b *PackedB, j0, j1 int, c []float32, ldc int, acc bool) {
	checkPacked(m, a, lda, b, j0, j1, c, ldc)
	p.gemm(gemmJob{m: m, n: j1 - j0, k: b.k, a: a, lda: lda, pb: b, pj0: j0, c: c, ldc: ldc, acc: acc, asm: useAsm})
}

// sgemmWith is Pool.Sgemm with the kernel chosen by asm; tests use it to
// push the portable kernel through the parallel path too.
func (p *Pool) sgemmWith(asm bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkArgs(m, n, k, a, lda, b, ldb, c, ldc)
	p.gemm(gemmJob{m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, acc: acc, asm: asm})
}

// gemm runs a checked GEMM job: inline with a free-list workspace when the
// pool cannot take it, otherwise tiled over the pool's threads.
func (p *Pool) gemm(g gemmJob) {
	if g.m == 0 || g.n == 0 {
		return
	}
	if 2*float64(g.m)*float64(g.n)*float64(g.k) < minParallelFlops || !p.acquire() {
		ws := getWorkspace()
		g.tile(ws, 0, 0, g.m, g.n)
		putWorkspace(ws)
		return
	}
	defer p.mu.Unlock()
	g.mb, g.nb = tileGrid(g.m, g.n, g.k, p.threads)
	g.mTiles = ceilDiv(g.m, g.mb)
	g.nTiles = ceilDiv(g.n, g.nb)
	p.kind = jobGemm
	p.g = g
	p.tasks = g.mTiles * g.nTiles
	// Size the buffers of every thread that may take part for the largest
	// tile now: tiles are claimed dynamically, so a thread might otherwise
	// first meet its largest tile, and allocate, long after warm-up.
	for i := range p.spaces[:min(p.threads, p.tasks)] {
		g.reserve(&p.spaces[i])
	}
	p.run()
	p.g = gemmJob{} // drop references to the caller's matrices
}

// minParallelFlops is the smallest product Pool.Sgemm splits across threads:
// below it (a few µs of work) waking a helper, ~1–2 µs, costs more than it
// saves. A variable so that tests can push small shapes through the tiling.
var minParallelFlops = float64(1 << 18)

// gemmTile computes tile t of the current GEMM job on thread id.
func (p *Pool) gemmTile(id, t int) {
	g := &p.g
	i0 := t / g.nTiles * g.mb
	j0 := t % g.nTiles * g.nb
	g.tile(&p.spaces[id], i0, j0, min(g.mb, g.m-i0), min(g.nb, g.n-j0))
}

// tileGrid picks the tile size for a parallel GEMM. Every tile repacks the A
// rows and B columns it touches, so more tiles cost more packing, while few
// or ragged tiles leave threads idle, and a thread that the OS deschedules
// holds up the whole call by up to one tile. A small search over row×column
// splits minimises a rough time model: (rounds + 1) × (padded FLOPs / ~20
// per cycle + packed elements × ~1 cycle).
func tileGrid(m, n, k, threads int) (mb, nb int) {
	mb = (m + mr - 1) / mr * mr
	nb = (n + nr - 1) / nr * nr
	if threads == 1 {
		return mb, nb
	}
	best := -1.0
	for tm := 1; tm <= 2*threads; tm++ {
		for tn := 1; tn <= 4*threads; tn++ {
			b := (ceilDiv(m, tm) + mr - 1) / mr * mr
			c := (ceilDiv(n, tn) + nr - 1) / nr * nr
			tiles := ceilDiv(m, b) * ceilDiv(n, c)
			rounds := ceilDiv(tiles, threads)
			tile := 2*float64(b)*float64(c)*float64(k)/20 + float64(b*k+k*c)
			if cost := float64(rounds+1) * tile; best < 0 || cost < best {
				best, mb, nb = cost, b, c
			}
		}
	}
	return mb, nb
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
