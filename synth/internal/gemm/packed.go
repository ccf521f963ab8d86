package gemm

import "fmt"

// PanelWidth is the column granularity of a PackedB: products with a column
// range of one must start at a multiple of it.
const PanelWidth = nr

// PackedB is a k×n matrix B, typically a layer's weights in the
// channels-last form (9·Cin)×Cout, packed once into the layout the
// micro-kernel reads. Sgemm repacks B on every call, which costs as much as
// the multiply itself when A has only a few rows (a small im2col tile
// against deep weights); SgemmPacked skips that. A PackedB is read-only
// after PackB and may be shared by any number of goroutines.
type PackedB struct {
	k, n int
	kc   int       // K block size the data was packed with
	np   int       // n rounded up to a multiple of nr
	data []float32 // K block pc: ceil(n/nr) slivers of kcur×nr at pc*np
}

// PackB packs the k×n matrix b (row stride ldb). It panics if b is too
// short for its dimensions.
func PackB(k, n int, b []float32, ldb int) *PackedB {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("gemm: PackB: negative dimension k=%d n=%d", k, n))
	}
	if k > 0 && n > 0 && (ldb < n || len(b) < (k-1)*ldb+n) {
		panic(fmt.Sprintf("gemm: PackB: len(b)=%d, ldb=%d too small for k=%d n=%d", len(b), ldb, k, n))
	}
	pb := &PackedB{k: k, n: n, kc: blockSize(max(k, 1), kcBlock, 1), np: (n + nr - 1) / nr * nr}
	pb.data = make([]float32, k*pb.np)
	if n == 0 {
		return pb
	}
	for pc := 0; pc < k; pc += pb.kc {
		kcur := min(pb.kc, k-pc)
		packB(pb.data[pc*pb.np:], useAsm, kcur, n, b[pc*ldb:], ldb)
	}
	return pb
}

// K reports the number of rows of the packed matrix.
func (pb *PackedB) K() int { return pb.k }

// N reports the number of columns of the packed matrix.
func (pb *PackedB) N() int { return pb.n }

// SgemmPacked computes C = A·B[:, j0:j1], or C += A·B[:, j0:j1] when acc is
// true, where A is m×K (row stride lda), B is the packed K×N matrix and C is
// m×(j1-j0) (row stride ldc). j0 must be a multiple of PanelWidth. A's rows
// may overlap (1 <= lda < K): row i of a 3×3 convolution's implicit im2col
// over a zero-padded channels-last map is 3·Cin contiguous values per
// kernel row, Cin after row i-1's. It runs on the calling goroutine and
// allocates nothing after the first calls.
func SgemmPacked(m int, a []float32, lda int, b *PackedB, j0, j1 int, c []float32, ldc int, acc bool) {
	checkPacked(m, a, lda, b, j0, j1, c, ldc)
	if m == 0 || j1 == j0 {
		return
	}
	ws := getWorkspace()
	gemmPacked(ws, useAsm, m, a, lda, b, j0, j1, c, ldc, acc)
	putWorkspace(ws)
}

func checkPacked(m int, a []float32, lda int, b *PackedB, j0, j1 int, c []float32, ldc int) {
	if b == nil {
		panic("gemm: SgemmPacked: nil PackedB")
	}
	if j0 < 0 || j1 < j0 || j1 > b.n || j0%nr != 0 {
		panic(fmt.Sprintf("gemm: SgemmPacked: columns [%d,%d) of %d: need 0 <= j0 <= j1 <= n, j0 a multiple of %d", j0, j1, b.n, nr))
	}
	// The same bounds as Sgemm's, except that rows of A may overlap; B's
	// were checked by PackB.
	checkAC(m, j1-j0, b.k, a, lda, c, ldc, true)
}

// gemmPacked is gemmSerial with B already packed: no column blocking is
// needed, since the slivers are read straight from the PackedB.
func gemmPacked(ws *workspace, asm bool, m int, a []float32, lda int, b *PackedB, j0, j1 int, c []float32, ldc int, acc bool) {
	n, k := j1-j0, b.k
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	mc := blockSize(m, mcBlock, mr)
	ws.reserve(mr*b.kc, 0)
	for pc := 0; pc < k; pc += b.kc {
		kcur := min(b.kc, k-pc)
		bp := b.data[pc*b.np+j0*kcur : pc*b.np+b.np*kcur]
		for ic := 0; ic < m; ic += mc {
			mcur := min(mc, m-ic)
			macroKernel(ws, asm, a[ic*lda+pc:], lda, mcur, n, kcur, bp, c[ic*ldc:], ldc, acc || pc > 0)
		}
	}
}

// Unpack returns B as a row-major k×n matrix (row stride n), the inverse of
// PackB. It allocates; callers use it to check a packed path against Sgemm
// without keeping a second copy of the weights.
func (pb *PackedB) Unpack() []float32 {
	out := make([]float32, pb.k*pb.n)
	for pc := 0; pc < pb.k; pc += pb.kc {
		kcur := min(pb.kc, pb.k-pc)
		blk := pb.data[pc*pb.np:]
		for p := 0; p < kcur; p++ {
			row := out[(pc+p)*pb.n : (pc+p+1)*pb.n]
			for j0 := 0; j0 < pb.n; j0 += nr {
				copy(row[j0:min(j0+nr, pb.n)], blk[j0*kcur+p*nr:])
			}
		}
	}
	return out
}
