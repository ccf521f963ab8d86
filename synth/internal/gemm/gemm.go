// Package gemm multiplies float32 matrices: the one kernel behind every
// convolution and linear layer of the SPADE engine (im2col + GEMM).
//
// All matrices are row-major with explicit leading dimensions, as in BLAS.
//
// The product is computed the way BLIS/GotoBLAS do it: B is cut into kc×nc
// blocks and A into mc×kc blocks, each block is copied ("packed") into a
// contiguous buffer in the exact order the micro-kernel reads it, and an
// mr×nr register-blocked micro-kernel (AVX2/FMA assembly on amd64, plain Go
// elsewhere) multiplies one packed A sliver by one packed B sliver. Packing
// turns strided loads into sequential ones and keeps the B sliver in L1 and
// the A block in L2 while the kernel runs, which is where the speed comes
// from.
package gemm

import "fmt"

// Micro-kernel tile: mr rows of C by nr columns. 4×24 uses 12 of the 16 ymm
// registers as accumulators (enough independent FMA chains to hide the FMA
// latency on two pipes) and, unlike the more common 6×16, wastes nothing on
// our channel counts, which are all multiples of 4 (16, 32, 64, ...).
const (
	mr = 4
	nr = 24
)

// Cache blocking. kc×nr floats of B (24 KiB at kc=256) stay in the 32 KiB L1
// while a whole mc×kc block of A (128 KiB) streams from the 512 KiB L2.
// These are variables only so that benchmarks can tune them.
var (
	kcBlock = 256
	mcBlock = 128
	ncBlock = 64 * nr
	// l2Floats caps the packed B block (kc×nc) so that it is still in L2
	// when the kernel reads it back, right after packing wrote it.
	l2Floats = 64 << 10
	// aOnceFloats is the largest A (in floats) packed once per call rather
	// than once per column block.
	aOnceFloats = 1 << 20
)

// Sgemm computes C = A·B, or C += A·B when acc is true, where A is m×k
// (row stride lda), B is k×n (row stride ldb) and C is m×n (row stride ldc).
// It runs on the calling goroutine and, after the first calls, allocates
// nothing: packing buffers come from a small package-level free list.
//
// Sgemm panics if a slice is too short for its dimensions and stride, since
// the assembly kernel does no bounds checks of its own.
func Sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkArgs(m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	ws := getWorkspace()
	gemmSerial(ws, useAsm, m, n, k, a, lda, b, ldb, c, ldc, acc)
	putWorkspace(ws)
}

// checkArgs panics with a readable message when the arguments would make the
// kernels read or write outside the slices.
func checkArgs(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	if ldc < n {
		panic(fmt.Sprintf("gemm: ldc=%d < n=%d", ldc, n))
	}
	if len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("gemm: len(c)=%d, need %d for m=%d n=%d ldc=%d", len(c), (m-1)*ldc+n, m, n, ldc))
	}
	if k == 0 {
		return
	}
	if lda < k {
		panic(fmt.Sprintf("gemm: lda=%d < k=%d", lda, k))
	}
	if ldb < n {
		panic(fmt.Sprintf("gemm: ldb=%d < n=%d", ldb, n))
	}
	if len(a) < (m-1)*lda+k {
		panic(fmt.Sprintf("gemm: len(a)=%d, need %d for m=%d k=%d lda=%d", len(a), (m-1)*lda+k, m, k, lda))
	}
	if len(b) < (k-1)*ldb+n {
		panic(fmt.Sprintf("gemm: len(b)=%d, need %d for k=%d n=%d ldb=%d", len(b), (k-1)*ldb+n, k, n, ldb))
	}
}

// workspace holds one goroutine's packing buffers. Buffers grow to the
// largest block seen and are then reused, so steady-state calls allocate
// nothing.
type workspace struct {
	a    []float32        // packed A block: ceil(mc/mr) slivers of kc×mr
	b    []float32        // packed B block: ceil(nc/nr) slivers of kc×nr
	tile [mr * nr]float32 // edge tiles are computed here, then clipped into C
}

func (ws *workspace) reserve(na, nb int) {
	if cap(ws.a) < na {
		ws.a = make([]float32, na)
	}
	ws.a = ws.a[:na]
	if cap(ws.b) < nb {
		ws.b = make([]float32, nb)
	}
	ws.b = ws.b[:nb]
}

// freeWS is the package-level Sgemm's supply of workspaces. A buffered
// channel rather than sync.Pool because sync.Pool empties at every GC and
// would make a steady render loop reallocate megabytes of packing buffers.
var freeWS = make(chan *workspace, 4)

func getWorkspace() *workspace {
	select {
	case ws := <-freeWS:
		return ws
	default:
		return new(workspace)
	}
}

func putWorkspace(ws *workspace) {
	select {
	case freeWS <- ws:
	default: // more concurrent callers than slots: let the GC have it
	}
}

// blockSize splits total into the fewest pieces of at most max each and
// returns the (equal, rounded up to a multiple of unit) piece size, so that
// e.g. K=288 becomes two blocks of 144 rather than 256 + 32.
func blockSize(total, max, unit int) int {
	pieces := (total + max - 1) / max
	s := (total + pieces - 1) / pieces
	return (s + unit - 1) / unit * unit
}

// gemmSerial is the blocked, packed product on one goroutine. asm selects the
// micro-kernel so that tests can run both on the same machine.
func gemmSerial(ws *workspace, asm bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	kc := blockSize(k, kcBlock, 1)
	mc := blockSize(m, mcBlock, mr)
	nc := blockSize(n, min(ncBlock, max(nr, l2Floats/kc)), nr)
	mp := (m + mr - 1) / mr * mr

	// With several column blocks, A would be repacked for each one. When A
	// is small (conv weights with few output channels, the usual case on
	// our large-N layers) pack it once, block after block: block (pc, ic)
	// starts at pc*mp + ic*kcur.
	aOnce := n > nc && mp*k <= aOnceFloats
	if aOnce {
		ws.reserve(mp*k, nc*kc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			for ic := 0; ic < m; ic += mc {
				packA(ws.a[pc*mp+ic*kcur:], asm, min(mc, m-ic), kcur, a[ic*lda+pc:], lda)
			}
		}
	} else {
		ws.reserve(mc*kc, nc*kc)
	}

	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			// Only the first K block may overwrite C; the rest add to it.
			accBlock := acc || pc > 0
			packB(ws.b, asm, kcur, ncur, b[pc*ldb+jc:], ldb)
			for ic := 0; ic < m; ic += mc {
				mcur := min(mc, m-ic)
				ap := ws.a
				if aOnce {
					ap = ws.a[pc*mp+ic*kcur:]
				} else {
					packA(ap, asm, mcur, kcur, a[ic*lda+pc:], lda)
				}
				macroKernel(ws, asm, ap, mcur, ncur, kcur, c[ic*ldc+jc:], ldc, accBlock)
			}
		}
	}
}

// macroKernel multiplies the packed mcur×kcur A block ap by the packed
// kcur×ncur B block in ws.b into C. The B sliver is the outer loop so that
// it stays in L1 while every A sliver of the block passes by it.
func macroKernel(ws *workspace, asm bool, ap []float32, mcur, ncur, kcur int, c []float32, ldc int, acc bool) {
	for jr := 0; jr < ncur; jr += nr {
		nw := min(nr, ncur-jr)
		bp := ws.b[jr*kcur : jr*kcur+kcur*nr]
		for ir := 0; ir < mcur; ir += mr {
			mh := min(mr, mcur-ir)
			as := ap[ir*kcur : ir*kcur+kcur*mr]
			if mh == mr && nw == nr {
				microKernel(asm, kcur, as, bp, c[ir*ldc+jr:], ldc, acc)
				continue
			}
			// Edge tile: the packed slivers are zero-padded, so compute the
			// full tile into scratch and copy out only the part inside C.
			microKernel(asm, kcur, as, bp, ws.tile[:], nr, false)
			for i := 0; i < mh; i++ {
				dst := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+nw]
				src := ws.tile[i*nr : i*nr+nw]
				if acc {
					for j, v := range src {
						dst[j] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}

// microKernel computes the mr×nr tile C (+)= a·b from one packed A sliver
// (k groups of mr) and one packed B sliver (k rows of nr).
func microKernel(asm bool, k int, a, b, c []float32, ldc int, acc bool) {
	if asm {
		// The slices were sized by the callers; the kernel reads
		// a[:k*mr], b[:k*nr] and writes c[i*ldc : i*ldc+nr] for i < mr.
		sgemmKernelAsm(k, &a[0], &b[0], &c[0], ldc, acc)
		return
	}
	kernelGo(k, a, b, c, ldc, acc)
}

// packB copies the kc×nc block of B into nr-wide slivers, each kc×nr and
// contiguous, zero-padding the last sliver. Rows are read in order because
// B (the im2col matrix) is usually far bigger than the caches, and
// sequential reads are what the hardware prefetcher follows.
func packB(dst []float32, asm bool, kc, nc int, b []float32, ldb int) {
	full := nc / nr * nr
	if asm && full > 0 {
		// Bounds: the last row read is b[(kc-1)*ldb : (kc-1)*ldb+full] and
		// the last sliver written ends at dst[full*kc].
		_ = b[(kc-1)*ldb+full-1]
		_ = dst[full*kc-1]
		packBAsm(kc, full/nr, &b[0], ldb, &dst[0])
	} else {
		for p := 0; p < kc; p++ {
			row := b[p*ldb : p*ldb+full]
			d := dst[p*nr:]
			for j := 0; j < full; j += nr {
				*(*[nr]float32)(d[j*kc:]) = *(*[nr]float32)(row[j:])
			}
		}
	}
	if full < nc {
		for p := 0; p < kc; p++ {
			t := dst[full*kc+p*nr : full*kc+p*nr+nr]
			n := copy(t, b[p*ldb+full:p*ldb+nc])
			clear(t[n:])
		}
	}
}

// packA copies the mc×kc block of A into mr-high slivers, each stored as kc
// groups of mr (one column of the sliver per group), zero-padding the last.
func packA(dst []float32, asm bool, mc, kc int, a []float32, lda int) {
	for i := 0; i < mc; i += mr {
		d := dst[i*kc : i*kc+kc*mr]
		h := min(mr, mc-i)
		if h == mr {
			r0 := a[i*lda : i*lda+kc]
			r1 := a[(i+1)*lda : (i+1)*lda+kc]
			r2 := a[(i+2)*lda : (i+2)*lda+kc]
			r3 := a[(i+3)*lda : (i+3)*lda+kc]
			p0 := 0
			if n8 := kc / 8; asm && n8 > 0 {
				// The slices above bound every read; d bounds the writes.
				packAAsm(n8, &r0[0], lda, &d[0])
				p0 = n8 * 8
			}
			for p := p0; p < kc; p++ {
				g := (*[mr]float32)(d[p*mr:])
				g[0], g[1], g[2], g[3] = r0[p], r1[p], r2[p], r3[p]
			}
			continue
		}
		clear(d)
		for r := 0; r < h; r++ {
			row := a[(i+r)*lda : (i+r)*lda+kc]
			for p, v := range row {
				d[p*mr+r] = v
			}
		}
	}
}

// kernelGo is the portable micro-kernel: the same contract as the assembly
// one, used on other architectures, on CPUs without AVX2/FMA, and in tests
// as the second opinion. It walks the tile in 4×4 pieces with sixteen scalar
// accumulators: on arm64 (32 FP registers) the compiler keeps them all in
// registers and fuses each update into one FMADDS; on amd64 (15 usable XMM
// registers) some spill, which only pre-Haswell CPUs ever pay for. A 4×24
// array accumulator, by contrast, lives in memory on every architecture.
func kernelGo(k int, a, b, c []float32, ldc int, acc bool) {
	a = a[:k*mr]
	b = b[:k*nr]
	for j := 0; j < nr; j += 4 {
		var c00, c01, c02, c03, c10, c11, c12, c13 float32
		var c20, c21, c22, c23, c30, c31, c32, c33 float32
		bj := b[j:]
		for p := 0; p < k; p++ {
			ap := (*[mr]float32)(a[p*mr:])
			bp := (*[4]float32)(bj[p*nr:])
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			a0 := ap[0]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			a1 := ap[1]
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			a2 := ap[2]
			c20 += a2 * b0
			c21 += a2 * b1
			c22 += a2 * b2
			c23 += a2 * b3
			a3 := ap[3]
			c30 += a3 * b0
			c31 += a3 * b1
			c32 += a3 * b2
			c33 += a3 * b3
		}
		rows := [mr][4]float32{
			{c00, c01, c02, c03},
			{c10, c11, c12, c13},
			{c20, c21, c22, c23},
			{c30, c31, c32, c33},
		}
		for i := range rows {
			dst := (*[4]float32)(c[i*ldc+j:])
			if acc {
				for q := range dst {
					dst[q] += rows[i][q]
				}
			} else {
				*dst = rows[i]
			}
		}
	}
}

// sgemmRef is the plain triple loop that every fast path is tested against.
func sgemmRef(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		if !acc {
			for j := range crow {
				crow[j] = 0
			}
		}
		for p := 0; p < k; p++ {
			av := a[i*lda+p]
			if av == 0 {
				continue
			}
			brow := b[p*ldb : p*ldb+n]
			for j, bv := range brow {
				crow[j] += av * bv
			}
		}
	}
}
