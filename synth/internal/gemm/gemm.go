// Package gemm multiplies float32 matrices: the one kernel behind every
// convolution and linear layer of the SPADE engine (im2col + GEMM).
//
// All matrices are row-major with explicit leading dimensions, as in BLAS.
//
// The product is computed the way BLIS/GotoBLAS do it: B is cut into kc×nc
// blocks, each copied ("packed") into nr-wide slivers stored in exactly the
// order the micro-kernel reads them, and an mr×nr register-blocked
// micro-kernel (AVX2/FMA assembly on amd64, plain Go elsewhere) multiplies
// mr rows of A by one sliver, with the sliver in L1 and the A block in L2.
// A itself is read in place: the kernel takes a row and a column stride, and
// six row streams are as easy on the prefetchers as one packed stream, so
// only a ragged last group of rows is copied (to pad it with zeros).
package gemm

import (
	"fmt"
	"runtime"
)

// Micro-kernel tile: mr rows of C by nr columns. 6×16 uses 12 of the 16 ymm
// registers as accumulators (enough independent FMA chains to hide the FMA
// latency on two pipes) and leaves room for two B vectors and two
// broadcasts. nr = 16 matters for the engine, which multiplies
// pixels×(9·Cin) im2col rows by (9·Cin)×Cout weights: Cout is 16, 32, 64...,
// so columns never need padding, where a 24-wide tile would waste a third
// of its work on the 16- and 32-channel layers that dominate at 256×256.
const (
	mr = 6
	nr = 16
)

// Cache blocking. A kc×nr sliver of B (20 KiB at kc=320) stays in the
// 32 KiB L1 while an mc×kc block of A (150 KiB) streams from the 512 KiB
// L2. kc is 320 rather than the usual 256 so that K = 9·32 and 9·34 (SPADE's
// shared and γ/β convs) fit one block and C is written once, not twice.
// These are variables only so that benchmarks can tune them.
var (
	kcBlock = 320
	mcBlock = 120
	ncBlock = 1536
	// l2Floats caps the packed B block (kc×nc) so that it is still in L2
	// when the kernel reads it back, right after packing wrote it.
	l2Floats = 64 << 10
)

// Sgemm computes C = A·B, or C += A·B when acc is true, where A is m×k
// (row stride lda), B is k×n (row stride ldb) and C is m×n (row stride ldc).
// It runs on the calling goroutine and, after the first calls, allocates
// nothing: packing buffers come from a small package-level free list.
//
// C must not overlap A or B. Sgemm panics if a slice is too short for its
// dimensions and stride, since the assembly kernel does no bounds checks of
// its own.
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
	checkAC(m, n, k, a, lda, c, ldc, false)
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if ldb < n {
		panic(fmt.Sprintf("gemm: ldb=%d < n=%d", ldb, n))
	}
	if len(b) < (k-1)*ldb+n {
		panic(fmt.Sprintf("gemm: len(b)=%d, need %d for k=%d n=%d ldb=%d", len(b), (k-1)*ldb+n, k, n, ldb))
	}
}

// checkAC checks the A and C operands for checkArgs and checkPacked. With
// overlap, rows of A may overlap (lda < k, but at least 1).
func checkAC(m, n, k int, a []float32, lda int, c []float32, ldc int, overlap bool) {
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
	if (!overlap && lda < k) || lda < 1 {
		panic(fmt.Sprintf("gemm: lda=%d < k=%d", lda, k))
	}
	if len(a) < (m-1)*lda+k {
		panic(fmt.Sprintf("gemm: len(a)=%d, need %d for m=%d k=%d lda=%d", len(a), (m-1)*lda+k, m, k, lda))
	}
}

// workspace holds one goroutine's packing buffers. Buffers grow to the
// largest block seen and are then reused, so steady-state calls allocate
// nothing.
type workspace struct {
	a    []float32        // the ragged last mr rows of an A block, zero-padded
	b    []float32        // packed B block: ceil(nc/nr) slivers of kc×nr
	tile [mr * nr]float32 // edge tiles are computed here, then clipped into C
	_    [64]byte         // Pool keeps these in an array: no false sharing
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
// Its capacity only bounds how many idle workspaces are kept.
var freeWS = make(chan *workspace, max(8, 2*runtime.NumCPU()))

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
	if total <= 0 {
		return unit
	}
	pieces := (total + max - 1) / max
	s := (total + pieces - 1) / pieces
	return (s + unit - 1) / unit * unit
}

// serialBlocks returns gemmSerial's K and N block sizes for an n-column,
// k-deep product.
func serialBlocks(n, k int) (kc, nc int) {
	kc = blockSize(k, kcBlock, 1)
	nc = blockSize(n, ncLimit(kc), nr)
	return kc, nc
}

// ncLimit is the widest B block for K blocks of kc rows: what fits the L2
// budget, but never under 256 columns, because splitting a 256-wide product
// (the deep layers of every model) in two costs a second pass over A, which
// measured slower than letting the B block spill a little past L2.
func ncLimit(kc int) int { return min(ncBlock, max(256, l2Floats/kc)) }

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
	kc, nc := serialBlocks(n, k)
	mc := blockSize(m, mcBlock, mr)
	ws.reserve(mr*kc, nc*kc)

	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			// Only the first K block may overwrite C; the rest add to it.
			accBlock := acc || pc > 0
			bp := ws.b
			if n == nr && ldb == nr {
				// B is k×16 and dense: already one packed sliver, as
				// channels-last weights of 16-output-channel convs are.
				bp = b[pc*ldb : (pc+kcur)*ldb]
			} else {
				packB(bp, asm, kcur, ncur, b[pc*ldb+jc:], ldb)
			}
			for ic := 0; ic < m; ic += mc {
				mcur := min(mc, m-ic)
				macroKernel(ws, asm, a[ic*lda+pc:], lda, mcur, ncur, kcur, bp, c[ic*ldc+jc:], ldc, accBlock)
			}
		}
	}
}

// groupRows is the size (6 or 4) of the next row group when left rows of
// an A block remain. Runs of 6 end in 4 or 4+4 rather than a padded 6, so
// any even count is covered with no wasted rows (16 = 6+6+4, 32 = 6·4+4+4)
// and an odd one wastes one.
func groupRows(left int) int {
	if left <= 4 || left == 7 || left == 8 {
		return 4
	}
	return mr
}

// macroKernel multiplies the mcur×kcur block of A (in place, row stride
// lda) by the packed kcur×ncur B block b (slivers of kcur×nr, one after the
// other) into C. The B sliver is the outer loop so that it stays in L1
// while every row group of the A block passes by it.
func macroKernel(ws *workspace, asm bool, a []float32, lda, mcur, ncur, kcur int, b, c []float32, ldc int, acc bool) {
	// A last group with fewer rows than its kernel must not read whatever
	// follows A: give it zero-padded rows (packed: element (i, p) at
	// ws.a[p*mr+i]).
	last := 0
	for ir := 0; ir < mcur; ir += groupRows(mcur - ir) {
		last = ir
	}
	if g := groupRows(mcur - last); mcur-last < g {
		packA(ws.a, mcur-last, kcur, a[last*lda:], lda)
	}
	for jr := 0; jr < ncur; jr += nr {
		nw := min(nr, ncur-jr)
		bp := b[jr*kcur : jr*kcur+kcur*nr]
		for ir := 0; ir < mcur; {
			g := groupRows(mcur - ir)
			h := min(g, mcur-ir)
			as, rs, cs := a[ir*lda:], lda, 1
			if h < g {
				as, rs, cs = ws.a, 1, mr
			}
			if h == g && nw == nr {
				microKernel(asm, g, kcur, as, rs, cs, bp, c[ir*ldc+jr:], ldc, acc)
				ir += g
				continue
			}
			// Edge tile: compute the full tile into scratch and copy out
			// only the part inside C.
			microKernel(asm, g, kcur, as, rs, cs, bp, ws.tile[:], nr, false)
			for i := 0; i < h; i++ {
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
			ir += g
		}
	}
}

// microKernel computes the rows×nr tile C (+)= A·B (rows is 6 or 4),
// reading element (i, p) of A at a[i*rsa + p*csa] (rsa = lda, csa = 1 in
// place; rsa = 1, csa = mr for a packed group) and row p of B at b[p*nr:]
// (a packed sliver).
func microKernel(asm bool, rows, k int, a []float32, rsa, csa int, b, c []float32, ldc int, acc bool) {
	// The kernels read a[:(rows-1)*rsa+(k-1)*csa+1], b[:k*nr] and write
	// c[i*ldc : i*ldc+nr] for i < rows. The callers size the slices; these
	// checks turn a driver bug into a panic instead of memory corruption.
	_ = a[(rows-1)*rsa+(k-1)*csa]
	_ = b[k*nr-1]
	_ = c[(rows-1)*ldc+nr-1]
	switch {
	case !asm:
		kernelGo(rows, k, a, rsa, csa, b, c, ldc, acc)
	case rows == mr:
		sgemmKernelAsm(k, &a[0], rsa, csa, &b[0], nr, &c[0], ldc, acc)
	default:
		sgemmKernel4Asm(k, &a[0], rsa, csa, &b[0], nr, &c[0], ldc, acc)
	}
}

// packB copies the kc×nc block of B into nr-wide slivers, each kc×nr and
// contiguous, zero-padding the last sliver. Rows are read in order because
// B is often far bigger than the caches, and sequential reads are what the
// hardware prefetcher follows.
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

// packA copies h < mr rows of kc columns of A into one zero-padded group:
// kc groups of mr, element (i, p) at dst[p*mr+i].
func packA(dst []float32, h, kc int, a []float32, lda int) {
	d := dst[:kc*mr]
	clear(d)
	for r := 0; r < h; r++ {
		row := a[r*lda : r*lda+kc]
		for p, v := range row {
			d[p*mr+r] = v
		}
	}
}

// kernelGo is the portable micro-kernel, with the contract of microKernel
// for any even rows: used on other architectures, on CPUs without AVX2/FMA,
// and in tests as the second opinion. It walks the tile in 2×4 pieces:
// eight scalar accumulators plus six operands fit the 15 usable XMM
// registers of Go's amd64 ABI as well as arm64's 32 (where each update
// becomes one FMADDS). Larger pieces spill on amd64, and a whole-tile array
// accumulator lives in memory everywhere.
func kernelGo(rows, k int, a []float32, rsa, csa int, b, c []float32, ldc int, acc bool) {
	b = b[:k*nr]
	for i := 0; i < rows; i += 2 {
		// Exact-length slices and offsets that step instead of multiply
		// let the compiler drop most bounds checks (a third faster).
		a0 := a[i*rsa : i*rsa+(k-1)*csa+1]
		a1 := a[(i+1)*rsa : (i+1)*rsa+(k-1)*csa+1]
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			ao := 0
			for bo := j; bo+4 <= len(b); bo += nr {
				bp := b[bo : bo+4 : bo+4]
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				x, y := a0[ao], a1[ao]
				ao += csa
				c00 += x * b0
				c01 += x * b1
				c02 += x * b2
				c03 += x * b3
				c10 += y * b0
				c11 += y * b1
				c12 += y * b2
				c13 += y * b3
			}
			d0 := (*[4]float32)(c[i*ldc+j:])
			d1 := (*[4]float32)(c[(i+1)*ldc+j:])
			if acc {
				d0[0] += c00
				d0[1] += c01
				d0[2] += c02
				d0[3] += c03
				d1[0] += c10
				d1[1] += c11
				d1[2] += c12
				d1[3] += c13
			} else {
				*d0 = [4]float32{c00, c01, c02, c03}
				*d1 = [4]float32{c10, c11, c12, c13}
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
