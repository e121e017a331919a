#include "textflag.h"

// func kern4x8(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int)
//
// Eight YMM accumulators hold the 4×8 block of C: Y0/Y1 row 0, Y2/Y3 row 1,
// Y4/Y5 row 2, Y6/Y7 row 3. Each step p loads B's row segment (Y8, Y9),
// broadcasts Â(r, p) for each row and adds the products with FMA.
TEXT ·kern4x8(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R8
	MOVQ psA+24(FP), R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	SHLQ $3, R11
	LEAQ (SI)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	// Two steps per iteration to halve the loop overhead; an odd step
	// last.
	MOVQ CX, BX
	SHRQ $1, BX
	JZ tail

loop2:
	VMOVUPD (DI), Y8
	VMOVUPD 32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD (R12), Y11
	VFMADD231PD Y8, Y10, Y0
	VFMADD231PD Y9, Y10, Y1
	VBROADCASTSD (R13), Y12
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VBROADCASTSD (R14), Y13
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7
	VMOVUPD (DI)(R10*1), Y8
	VMOVUPD 32(DI)(R10*1), Y9
	VBROADCASTSD (SI)(R9*1), Y10
	VBROADCASTSD (R12)(R9*1), Y11
	VFMADD231PD Y8, Y10, Y0
	VFMADD231PD Y9, Y10, Y1
	VBROADCASTSD (R13)(R9*1), Y12
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VBROADCASTSD (R14)(R9*1), Y13
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7
	LEAQ (SI)(R9*2), SI
	LEAQ (R12)(R9*2), R12
	LEAQ (R13)(R9*2), R13
	LEAQ (R14)(R9*2), R14
	LEAQ (DI)(R10*2), DI
	DECQ BX
	JNZ loop2

tail:
	TESTQ $1, CX
	JZ store
	VMOVUPD (DI), Y8
	VMOVUPD 32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD (R12), Y11
	VFMADD231PD Y8, Y10, Y0
	VFMADD231PD Y9, Y10, Y1
	VBROADCASTSD (R13), Y12
	VFMADD231PD Y8, Y11, Y2
	VFMADD231PD Y9, Y11, Y3
	VBROADCASTSD (R14), Y13
	VFMADD231PD Y8, Y12, Y4
	VFMADD231PD Y9, Y12, Y5
	VFMADD231PD Y8, Y13, Y6
	VFMADD231PD Y9, Y13, Y7

store:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ R11, DX
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ R11, DX
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ R11, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	VZEROUPPER
	RET

// func adamAVX2(n int, theta, grad, m, v *float64, c *adamConsts)
//
// Adam's update for n elements, n a multiple of 4, four at a time; the
// constants are broadcast from c (see adamConsts for the layout).
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ theta+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ c+40(FP), DX
	VBROADCASTSD 0(DX), Y8   // beta1
	VBROADCASTSD 8(DX), Y9   // 1 - beta1
	VBROADCASTSD 16(DX), Y10 // beta2
	VBROADCASTSD 24(DX), Y11 // 1 - beta2
	VBROADCASTSD 32(DX), Y12 // weight decay
	VBROADCASTSD 40(DX), Y13 // step size
	VBROADCASTSD 48(DX), Y14 // 1 / sqrt(bias correction 2)
	VBROADCASTSD 56(DX), Y15 // eps
	XORQ AX, AX
	SHRQ $2, CX
	JZ adamdone

adamloop:
	VMOVUPD (SI)(AX*8), Y1
	VMOVUPD (DI)(AX*8), Y0
	VFMADD231PD Y1, Y12, Y0 // g += wd·θ
	VMOVUPD Y0, (DI)(AX*8)
	VMOVUPD (R8)(AX*8), Y2
	VMULPD Y8, Y2, Y2
	VFMADD231PD Y0, Y9, Y2 // m = β1·m + (1−β1)·g
	VMOVUPD Y2, (R8)(AX*8)
	VMOVUPD (R9)(AX*8), Y3
	VMULPD Y10, Y3, Y3
	VMULPD Y0, Y0, Y4
	VFMADD231PD Y4, Y11, Y3 // v = β2·v + (1−β2)·g²
	VMOVUPD Y3, (R9)(AX*8)
	VSQRTPD Y3, Y5
	VMULPD Y14, Y5, Y5
	VADDPD Y15, Y5, Y5      // sqrt(v)/sqrt(bc2) + eps
	VDIVPD Y5, Y2, Y6       // m / denom
	VFNMADD231PD Y6, Y13, Y1 // θ −= step·m/denom
	VMOVUPD Y1, (SI)(AX*8)
	ADDQ $4, AX
	DECQ CX
	JNZ adamloop

adamdone:
	VZEROUPPER
	RET
