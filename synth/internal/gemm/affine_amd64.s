#include "textflag.h"

// func affineAsm(n, c int, x, a, b, o *float32, leaky bool)
// n pixels of c channels (c a multiple of 8): o = x*a + b, then, with
// leaky, times 0.2 where the sum's sign bit is set (VBLENDVPS on it).
TEXT ·affineAsm(SB), NOSPLIT, $0-49
	MOVQ n+0(FP), CX
	MOVQ c+8(FP), R11
	SHLQ $2, R11
	MOVQ x+16(FP), SI
	MOVQ a+24(FP), R8
	MOVQ b+32(FP), R9
	MOVQ o+40(FP), DI
	MOVBLZX leaky+48(FP), R10
	MOVL $0x3f800000, AX
	MOVQ AX, X14
	VBROADCASTSS X14, Y14
	MOVL $0x3e4ccccd, AX
	MOVQ AX, X15
	VBROADCASTSS X15, Y15

pixel:
	XORQ BX, BX

chan:
	VMOVUPS (SI)(BX*1), Y0
	VMULPS  (R8)(BX*1), Y0, Y0
	VADDPS  (R9)(BX*1), Y0, Y0
	TESTQ   R10, R10
	JZ      store
	VBLENDVPS Y0, Y15, Y14, Y1
	VMULPS  Y1, Y0, Y0

store:
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, R11
	JLT     chan
	ADDQ    R11, SI
	ADDQ    R11, DI
	DECQ    CX
	JNZ     pixel
	VZEROUPPER
	RET

// func addAsm(n int, dst, src *float32)
// dst[i] += src[i] for n values, n a positive multiple of 8.
TEXT ·addAsm(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	SHLQ $2, CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	XORQ BX, BX

loop:
	VMOVUPS (DI)(BX*1), Y0
	VADDPS  (SI)(BX*1), Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, CX
	JLT     loop
	VZEROUPPER
	RET

// func modulateAsm(n, c int, x, scale, shift, gb, o *float32, leaky bool)
// n pixels of c channels (c a multiple of 8), each with its own row of 2c
// values γ|β in gb: o = (x*scale + shift) * (1 + γ) + β, each operation
// rounded on its own (no FMA) as in Go, then leaky as in affineAsm.
TEXT ·modulateAsm(SB), NOSPLIT, $0-57
	MOVQ n+0(FP), CX
	MOVQ c+8(FP), R11
	SHLQ $2, R11
	MOVQ x+16(FP), SI
	MOVQ scale+24(FP), R8
	MOVQ shift+32(FP), R9
	MOVQ gb+40(FP), DX
	MOVQ o+48(FP), DI
	MOVBLZX leaky+56(FP), R10
	LEAQ (DX)(R11*1), R12 // β of the first pixel
	MOVL $0x3f800000, AX
	MOVQ AX, X14
	VBROADCASTSS X14, Y14
	MOVL $0x3e4ccccd, AX
	MOVQ AX, X15
	VBROADCASTSS X15, Y15

mpixel:
	XORQ BX, BX

mchan:
	VMOVUPS (SI)(BX*1), Y0
	VMULPS  (R8)(BX*1), Y0, Y0
	VADDPS  (R9)(BX*1), Y0, Y0
	VMOVUPS (DX)(BX*1), Y1
	VADDPS  Y14, Y1, Y1
	VMULPS  Y1, Y0, Y0
	VADDPS  (R12)(BX*1), Y0, Y0
	TESTQ   R10, R10
	JZ      mstore
	VBLENDVPS Y0, Y15, Y14, Y1
	VMULPS  Y1, Y0, Y0

mstore:
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, R11
	JLT     mchan
	ADDQ    R11, SI
	ADDQ    R11, DI
	LEAQ    (DX)(R11*2), DX
	LEAQ    (R12)(R11*2), R12
	DECQ    CX
	JNZ     mpixel
	VZEROUPPER
	RET

// func sumRowsAsm(n int, dst, bias *float32, rows **float32, nrows int, relu bool)
// dst = bias + rows[0] + rows[1] + ... (n values each, n a positive multiple
// of 8), summed in that order, then with relu negative values (sign bit
// set) become +0.
TEXT ·sumRowsAsm(SB), NOSPLIT, $0-41
	MOVQ n+0(FP), CX
	SHLQ $2, CX
	MOVQ dst+8(FP), DI
	MOVQ bias+16(FP), SI
	MOVQ rows+24(FP), R8
	MOVQ nrows+32(FP), R9
	MOVBLZX relu+40(FP), R10
	XORQ BX, BX

schunk:
	VMOVUPS (SI)(BX*1), Y0
	XORQ DX, DX

srow:
	CMPQ DX, R9
	JGE  sdone
	MOVQ (R8)(DX*8), AX
	VADDPS (AX)(BX*1), Y0, Y0
	INCQ DX
	JMP  srow

sdone:
	TESTQ R10, R10
	JZ    sstore
	VPSRAD $31, Y0, Y1
	VANDNPS Y0, Y1, Y0

sstore:
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, CX
	JLT  schunk
	VZEROUPPER
	RET
