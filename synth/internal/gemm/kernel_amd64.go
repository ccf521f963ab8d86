//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA micro-kernel. It is decided once, at start-up,
// because the answer cannot change while the process runs.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sgemmKernelAsm is the 6×16 AVX2/FMA micro-kernel (sgemm_amd64.s) with the
// contract of kernelGo.
//
//go:noescape
func sgemmKernelAsm(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, acc bool)

// sgemmKernel4Asm is sgemmKernelAsm for a 4×16 tile.
//
//go:noescape
func sgemmKernel4Asm(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, acc bool)

// packBAsm packs panels full 16-wide slivers of kc rows of B (see packB);
// kc and panels must be at least 1.
//
//go:noescape
func packBAsm(kc, panels int, b *float32, ldb int, dst *float32)

// affineAsm is AffineAct for n >= 1 pixels of c channels, c a positive
// multiple of 8 (affine_amd64.s, AVX2).
//
//go:noescape
func affineAsm(n, c int, x, a, b, o *float32, leaky bool)

// modulateAsm is ModulateAct for n >= 1 pixels of c channels, c a positive
// multiple of 8 (affine_amd64.s, AVX2).
//
//go:noescape
func modulateAsm(n, c int, x, scale, shift, gb, o *float32, leaky bool)

// sumRowsAsm is SumRows for n values, n a positive multiple of 8 and
// nrows >= 0 (affine_amd64.s, AVX2).
//
//go:noescape
func sumRowsAsm(n int, dst, bias *float32, rows **float32, nrows int, relu bool)

// addAsm is AddTo for n values, n a positive multiple of 8 (affine_amd64.s).
//
//go:noescape
func addAsm(n int, dst, src *float32)
