#include "textflag.h"

// One k step of a 6x16 (STEP6) or 4x16 (STEP4) tile: two ymm of B, one
// broadcast of A per row (rows at SI, SI+rs, SI+2rs, R11, R11+rs, R11+2rs
// with rs in R8), two FMAs per row into Y0..Y11, then every pointer moves
// one step along k. Two broadcast registers alternate so that consecutive
// broadcasts never wait on a register still being read.
#define STEP6 \
	VMOVUPS (DI), Y12; \
	VMOVUPS 32(DI), Y13; \
	VBROADCASTSS (SI), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS (SI)(R8*1), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS (SI)(R8*2), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS (R11), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VBROADCASTSS (R11)(R8*1), Y14; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VBROADCASTSS (R11)(R8*2), Y15; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11; \
	ADDQ R13, DI; \
	ADDQ R12, SI; \
	ADDQ R12, R11

// func sgemmKernelAsm(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemmKernelAsm(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	MOVQ csa+24(FP), R12
	SHLQ $2, R12
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R13
	SHLQ $2, R13
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R8*2), R11
	ADDQ R8, R11

	// C rows are often far apart (an image row of channels, or a whole
	// image plane), so the tile's lines are cold and each on its own page.
	// Ask for them now; the k loop is long enough to hide the misses before
	// the stores need them. Offsets 0 and 63 cover the 64 bytes however
	// they straddle lines.
	MOVQ DX, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	// Four k steps per iteration keep the loop overhead small next to 48 FMAs.
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail6

loop6_4:
	STEP6
	STEP6
	STEP6
	STEP6
	DECQ BX
	JNZ  loop6_4

tail6:
	ANDQ $3, CX
	JZ   store6

loop6_1:
	STEP6
	DECQ CX
	JNZ  loop6_1

store6:
	MOVBLZX acc+64(FP), AX
	TESTL AX, AX
	JZ   overwrite6
	VADDPS 0(DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y2, Y2
	VADDPS 32(DX), Y3, Y3
	VMOVUPS Y2, 0(DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y4, Y4
	VADDPS 32(DX), Y5, Y5
	VMOVUPS Y4, 0(DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y6, Y6
	VADDPS 32(DX), Y7, Y7
	VMOVUPS Y6, 0(DX)
	VMOVUPS Y7, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y8, Y8
	VADDPS 32(DX), Y9, Y9
	VMOVUPS Y8, 0(DX)
	VMOVUPS Y9, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y10, Y10
	VADDPS 32(DX), Y11, Y11
	VMOVUPS Y10, 0(DX)
	VMOVUPS Y11, 32(DX)
	VZEROUPPER
	RET

overwrite6:
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y2, 0(DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y4, 0(DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y6, 0(DX)
	VMOVUPS Y7, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y8, 0(DX)
	VMOVUPS Y9, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y10, 0(DX)
	VMOVUPS Y11, 32(DX)
	VZEROUPPER
	RET

// The 4-row kernel exists so that row counts that are not multiples of 6
// (Cout = 16, 32 in channels-first products) split into groups of 6 and 4
// with no padding rows. Its 8 accumulators are just enough FMA chains for
// two pipes at Zen 3's 4-cycle FMA latency.
#define STEP4 \
	VMOVUPS (DI), Y12; \
	VMOVUPS 32(DI), Y13; \
	VBROADCASTSS (SI), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS (SI)(R8*1), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS (SI)(R8*2), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS (R11), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	ADDQ R13, DI; \
	ADDQ R12, SI; \
	ADDQ R12, R11

// func sgemmKernel4Asm(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, acc bool)
TEXT ·sgemmKernel4Asm(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	MOVQ csa+24(FP), R12
	SHLQ $2, R12
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R13
	SHLQ $2, R13
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R8*2), R11
	ADDQ R8, R11

	// Prefetch the C tile, as in the 6-row kernel.
	MOVQ DX, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R9, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail4

loop4_4:
	STEP4
	STEP4
	STEP4
	STEP4
	DECQ BX
	JNZ  loop4_4

tail4:
	ANDQ $3, CX
	JZ   store4

loop4_1:
	STEP4
	DECQ CX
	JNZ  loop4_1

store4:
	MOVBLZX acc+64(FP), AX
	TESTL AX, AX
	JZ   overwrite4
	VADDPS 0(DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y2, Y2
	VADDPS 32(DX), Y3, Y3
	VMOVUPS Y2, 0(DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y4, Y4
	VADDPS 32(DX), Y5, Y5
	VMOVUPS Y4, 0(DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y6, Y6
	VADDPS 32(DX), Y7, Y7
	VMOVUPS Y6, 0(DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

overwrite4:
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y2, 0(DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y4, 0(DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y6, 0(DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func packBAsm(kc, panels int, b *float32, ldb int, dst *float32)
//
// Copies kc rows of panels×16 floats from B (row stride ldb) into panels
// slivers of kc×16, the layout the kernel reads. Go's version of this loop
// turns each 64-byte row piece into a runtime.memmove call, which made
// packing as slow as the multiply itself on small-M, large-N products.
TEXT ·packBAsm(SB), NOSPLIT, $0-40
	MOVQ  kc+0(FP), CX
	MOVQ  panels+8(FP), DX
	MOVQ  b+16(FP), SI
	MOVQ  ldb+24(FP), R8
	SHLQ  $2, R8
	MOVQ  dst+32(FP), DI
	MOVQ  CX, R9
	SHLQ  $6, R9 // bytes from one sliver to the next: kc*16*4

packrow:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ DX, BX

packpanel:
	// B rows may be far apart (a whole image plane of im2col columns), so
	// each row piece is a fresh page for the hardware prefetcher. Fetch the
	// same columns eight rows ahead ourselves: a row piece takes a few dozen
	// cycles to copy, so that is a DRAM latency ahead. (Prefetches past the
	// end of B are harmless: they never fault.)
	PREFETCHT0 (R10)(R8*8)
	VMOVUPS    (R10), Y0
	VMOVUPS    32(R10), Y1
	VMOVUPS    Y0, (R11)
	VMOVUPS    Y1, 32(R11)
	ADDQ       $64, R10
	ADDQ       R9, R11
	DECQ       BX
	JNZ        packpanel

	ADDQ R8, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  packrow
	VZEROUPPER
	RET
