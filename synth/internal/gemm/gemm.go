// Package gemm multiplies float32 matrices: the one kernel behind every
// convolution and linear layer of the SPADE engine (im2col + GEMM).
//
// All matrices are row-major with explicit leading dimensions, as in BLAS.
package gemm

// Sgemm computes C = A·B, or C += A·B when acc is true, where A is m×k
// (row stride lda), B is k×n (row stride ldb) and C is m×n (row stride ldc).
// It runs on the calling goroutine.
func Sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	sgemmRef(m, n, k, a, lda, b, ldb, c, ldc, acc)
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
