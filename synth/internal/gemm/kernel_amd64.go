//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA micro-kernel. It is decided once, at start-up,
// because the answer cannot change while the process runs.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sgemmKernelAsm is the 4×24 AVX2/FMA micro-kernel (sgemm_amd64.s) with the
// contract of kernelGo: C[i*ldc+j] (+)= Σp a[p*4+i]·b[p*24+j] for i<4, j<24.
//
//go:noescape
func sgemmKernelAsm(k int, a, b, c *float32, ldc int, acc bool)

// packBAsm packs panels full 24-wide slivers of kc rows of B (see packB);
// kc and panels must be at least 1.
//
//go:noescape
func packBAsm(kc, panels int, b *float32, ldb int, dst *float32)

// packAAsm packs 4 rows × 8·n8 columns of A (see packA); n8 must be at
// least 1.
//
//go:noescape
func packAAsm(n8 int, a *float32, lda int, dst *float32)
