#include "textflag.h"

// One k step of the 4x24 tile: three ymm of B, four broadcasts of A,
// twelve FMAs into Y0..Y11. boff and aoff are byte offsets from DI and SI.
#define STEP(boff, aoff) \
	VMOVUPS (boff)(DI), Y12; \
	VMOVUPS (boff+32)(DI), Y13; \
	VMOVUPS (boff+64)(DI), Y14; \
	VBROADCASTSS (aoff+0)(SI), Y15; \
	VFMADD231PS Y12, Y15, Y0; \
	VFMADD231PS Y13, Y15, Y1; \
	VFMADD231PS Y14, Y15, Y2; \
	VBROADCASTSS (aoff+4)(SI), Y15; \
	VFMADD231PS Y12, Y15, Y3; \
	VFMADD231PS Y13, Y15, Y4; \
	VFMADD231PS Y14, Y15, Y5; \
	VBROADCASTSS (aoff+8)(SI), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VFMADD231PS Y14, Y15, Y8; \
	VBROADCASTSS (aoff+12)(SI), Y15; \
	VFMADD231PS Y12, Y15, Y9; \
	VFMADD231PS Y13, Y15, Y10; \
	VFMADD231PS Y14, Y15, Y11

// func sgemmKernelAsm(k int, a, b, c *float32, ldc int, acc bool)
TEXT ·sgemmKernelAsm(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R9
	SHLQ $2, R9

	// C rows are an image row apart, so the tile's 12 cache lines are cold
	// and each on its own page. Ask for them now; the k loop below is long
	// enough to hide the misses before the stores need them.
	LEAQ       (DX)(R9*2), R10
	PREFETCHT0 (DX)
	PREFETCHT0 64(DX)
	PREFETCHT0 95(DX)
	PREFETCHT0 (DX)(R9*1)
	PREFETCHT0 64(DX)(R9*1)
	PREFETCHT0 95(DX)(R9*1)
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 95(R10)
	PREFETCHT0 (R10)(R9*1)
	PREFETCHT0 64(R10)(R9*1)
	PREFETCHT0 95(R10)(R9*1)
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

	// Four k steps per iteration: the loop overhead is then small next to
	// 48 FMAs, and the packed slivers are read strictly in order.
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tail

loop4:
	PREFETCHT0 512(DI)
	STEP(0, 0)
	STEP(96, 16)
	STEP(192, 32)
	STEP(288, 48)
	ADDQ $384, DI
	ADDQ $64, SI
	DECQ BX
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP(0, 0)
	ADDQ $96, DI
	ADDQ $16, SI
	DECQ CX
	JNZ  loop1

store:
	MOVBLZX acc+40(FP), AX
	TESTL AX, AX
	JZ   overwrite
	VADDPS 0(DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VADDPS 64(DX), Y2, Y2
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y3, Y3
	VADDPS 32(DX), Y4, Y4
	VADDPS 64(DX), Y5, Y5
	VMOVUPS Y3, 0(DX)
	VMOVUPS Y4, 32(DX)
	VMOVUPS Y5, 64(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y6, Y6
	VADDPS 32(DX), Y7, Y7
	VADDPS 64(DX), Y8, Y8
	VMOVUPS Y6, 0(DX)
	VMOVUPS Y7, 32(DX)
	VMOVUPS Y8, 64(DX)
	ADDQ R9, DX
	VADDPS 0(DX), Y9, Y9
	VADDPS 32(DX), Y10, Y10
	VADDPS 64(DX), Y11, Y11
	VMOVUPS Y9, 0(DX)
	VMOVUPS Y10, 32(DX)
	VMOVUPS Y11, 64(DX)
	VZEROUPPER
	RET

overwrite:
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	ADDQ R9, DX
	VMOVUPS Y3, 0(DX)
	VMOVUPS Y4, 32(DX)
	VMOVUPS Y5, 64(DX)
	ADDQ R9, DX
	VMOVUPS Y6, 0(DX)
	VMOVUPS Y7, 32(DX)
	VMOVUPS Y8, 64(DX)
	ADDQ R9, DX
	VMOVUPS Y9, 0(DX)
	VMOVUPS Y10, 32(DX)
	VMOVUPS Y11, 64(DX)
	VZEROUPPER
	RET

// func packBAsm(kc, panels int, b *float32, ldb int, dst *float32)
//
// Copies kc rows of panels×24 floats from B (row stride ldb) into panels
// slivers of kc×24, the layout the kernel reads. Go's version of this loop
// turns each 96-byte row piece into a runtime.memmove call, which made
// packing as slow as the multiply itself on small-M, large-N layers.
TEXT ·packBAsm(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ panels+8(FP), DX
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), R8
	SHLQ $2, R8
	MOVQ dst+32(FP), DI
	MOVQ CX, R9
	IMULQ $96, R9 // bytes from one sliver to the next: kc*24*4

packrow:
	MOVQ SI, R10
	MOVQ DI, R11
	MOVQ DX, BX

packpanel:
	// B rows are far apart (a whole image row of im2col columns), so each
	// row piece is a fresh page for the hardware prefetcher. Fetch the same
	// columns two rows ahead ourselves.
	PREFETCHT0 (R10)(R8*2)
	PREFETCHT0 64(R10)(R8*2)
	VMOVUPS    (R10), Y0
	VMOVUPS 32(R10), Y1
	VMOVUPS 64(R10), Y2
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	VMOVUPS Y2, 64(R11)
	ADDQ    $96, R10
	ADDQ    R9, R11
	DECQ    BX
	JNZ     packpanel

	ADDQ R8, SI
	ADDQ $96, DI
	DECQ CX
	JNZ  packrow
	VZEROUPPER
	RET

// func packAAsm(n8 int, a *float32, lda int, dst *float32)
//
// Packs 4 rows × 8·n8 columns of A into 8·n8 groups of 4 (one column of the
// sliver per group): a 4×8 transpose per iteration, done with unpack and
// shuffle in registers instead of 32 scalar moves. On deep layers (K in the
// thousands) packing A in Go took a fifth of the whole product.
TEXT ·packAAsm(SB), NOSPLIT, $0-32
	MOVQ n8+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	LEAQ (SI)(R8*1), R9
	LEAQ (SI)(R8*2), R10
	LEAQ (R9)(R8*2), R11

packa:
	VMOVUPS    (SI), Y0             // r0: a00 .. a07
	VMOVUPS    (R9), Y1             // r1
	VMOVUPS    (R10), Y2            // r2
	VMOVUPS    (R11), Y3            // r3
	VUNPCKLPS  Y1, Y0, Y4           // r0[0] r1[0] r0[1] r1[1] | same for 4,5
	VUNPCKHPS  Y1, Y0, Y5           // r0[2] r1[2] r0[3] r1[3] | 6,7
	VUNPCKLPS  Y3, Y2, Y6
	VUNPCKHPS  Y3, Y2, Y7
	VSHUFPS    $0x44, Y6, Y4, Y0    // column 0 | column 4
	VSHUFPS    $0xEE, Y6, Y4, Y1    // column 1 | column 5
	VSHUFPS    $0x44, Y7, Y5, Y2    // column 2 | column 6
	VSHUFPS    $0xEE, Y7, Y5, Y3    // column 3 | column 7
	VPERM2F128 $0x20, Y1, Y0, Y4    // columns 0, 1
	VPERM2F128 $0x20, Y3, Y2, Y5    // columns 2, 3
	VPERM2F128 $0x31, Y1, Y0, Y6    // columns 4, 5
	VPERM2F128 $0x31, Y3, Y2, Y7    // columns 6, 7
	VMOVUPS    Y4, (DI)
	VMOVUPS    Y5, 32(DI)
	VMOVUPS    Y6, 64(DI)
	VMOVUPS    Y7, 96(DI)
	ADDQ       $32, SI
	ADDQ       $32, R9
	ADDQ       $32, R10
	ADDQ       $32, R11
	ADDQ       $128, DI
	DECQ       CX
	JNZ        packa
	VZEROUPPER
	RET
