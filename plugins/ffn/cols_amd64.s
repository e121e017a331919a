#include "textflag.h"

// func kernCols16(k int, a *float64, psA int, b *float64, ldb int, c *float64, ldc int, cols int)
//
// kernCols16 sets the 16×cols block of C at c (row stride ldc), cols 1 or
// 2, to Â·B over k ≥ 1 terms, where Â's rows are contiguous: Â(r, p) =
// a[r + p*psA] for r < 16, B(p, j) = b[p*ldb + j]. It is the column edge
// of a weight gradient, whose Â is the transposed gradient of the layer's
// outputs: it goes down Â's 16 rows in four vectors and multiplies them
// by one broadcast element of B per column, where the other kernels would
// pad the one or two columns to a block of 4 or 8 and broadcast Â's
// elements instead. Each element is one FMA chain over p from zero, as in
// the other kernels, so the results are theirs bit for bit. With one
// column, the second column's chain repeats the first and is not stored.
// Strides are in elements. The caller checks the bounds.
TEXT ·kernCols16(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ psA+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	MOVQ cols+56(FP), BX
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	MOVQ BX, R11
	DECQ R11
	SHLQ $3, R11 // the second column's offset in B: 8 bytes, or 0 for one column
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

colsloop:
	VMOVUPD (SI), Y8
	VMOVUPD 32(SI), Y9
	VMOVUPD 64(SI), Y10
	VMOVUPD 96(SI), Y11
	VBROADCASTSD (DI), Y12
	VBROADCASTSD (DI)(R11*1), Y13
	VFMADD231PD Y8, Y12, Y0
	VFMADD231PD Y9, Y12, Y1
	VFMADD231PD Y10, Y12, Y2
	VFMADD231PD Y11, Y12, Y3
	VFMADD231PD Y8, Y13, Y4
	VFMADD231PD Y9, Y13, Y5
	VFMADD231PD Y10, Y13, Y6
	VFMADD231PD Y11, Y13, Y7
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ colsloop

	LEAQ (R10)(R10*2), R12 // 3 rows of C
	CMPQ BX, $2
	JLT colsone

	// Two columns: interleave each column vector pair into rows of two,
	// rows 0 and 2 of the four from the low halves, 1 and 3 the high.
#define STORE2(C0, C1) \
	VUNPCKLPD C1, C0, Y8; \
	VUNPCKHPD C1, C0, Y9; \
	VMOVUPD X8, (DX); \
	VMOVUPD X9, (DX)(R10*1); \
	VEXTRACTF128 $1, Y8, X8; \
	VEXTRACTF128 $1, Y9, X9; \
	VMOVUPD X8, (DX)(R10*2); \
	VMOVUPD X9, (DX)(R12*1); \
	LEAQ (DX)(R10*4), DX
	STORE2(Y0, Y4)
	STORE2(Y1, Y5)
	STORE2(Y2, Y6)
	STORE2(Y3, Y7)
	VZEROUPPER
	RET

colsone:
#define STORE1(Y, X) \
	VMOVSD X, (DX); \
	VMOVHPD X, (DX)(R10*1); \
	VEXTRACTF128 $1, Y, X8; \
	VMOVSD X8, (DX)(R10*2); \
	VMOVHPD X8, (DX)(R12*1); \
	LEAQ (DX)(R10*4), DX
	STORE1(Y0, X0)
	STORE1(Y1, X1)
	STORE1(Y2, X2)
	STORE1(Y3, X3)
	VZEROUPPER
	RET
