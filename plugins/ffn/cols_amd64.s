#include "textflag.h"
#include "transpose4_amd64.h"

// STORECOL stores the four rows of a column vector at DX, DX + ldc, …,
// and moves DX on four rows.
#define STORECOL(Y, X) \
	VMOVSD X, (DX); \
	VMOVHPD X, (DX)(R10*1); \
	VEXTRACTF128 $1, Y, X8; \
	VMOVSD X8, (DX)(R10*2); \
	VMOVHPD X8, (DX)(R12*1); \
	LEAQ (DX)(R10*4), DX

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
// the other kernels and with B's element as the first operand as there
// (which of two NaNs an FMA returns depends on it), so the results are
// theirs bit for bit. With one
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
	VFMADD231PD Y12, Y8, Y0
	VFMADD231PD Y12, Y9, Y1
	VFMADD231PD Y12, Y10, Y2
	VFMADD231PD Y12, Y11, Y3
	VFMADD231PD Y13, Y8, Y4
	VFMADD231PD Y13, Y9, Y5
	VFMADD231PD Y13, Y10, Y6
	VFMADD231PD Y13, Y11, Y7
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
	STORECOL(Y0, X0)
	STORECOL(Y1, X1)
	STORECOL(Y2, X2)
	STORECOL(Y3, X3)
	VZEROUPPER
	RET

// func kernRow16(k int, a *float64, psA int, b *float64, ldb int, c *float64)
//
// kernRow16 sets the 1×16 block of C at c to Â·B over k ≥ 1 terms: Â(0, p)
// = a[p*psA], B(p, j) = b[p*ldb + j] for j < 16. It is the row edge of one
// row, as in the weight gradient of a single output: one broadcast of Â's
// element times four vectors of B's row, where the 4×8 kernel would pad
// the row to four. Each element is one FMA chain over p from zero, as in
// the other kernels. Strides are in elements. The caller checks the bounds.
TEXT ·kernRow16(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ psA+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	SHLQ $3, R8
	SHLQ $3, R9
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

rowloop:
	VBROADCASTSD (SI), Y4
	VFMADD231PD (DI), Y4, Y0
	VFMADD231PD 32(DI), Y4, Y1
	VFMADD231PD 64(DI), Y4, Y2
	VFMADD231PD 96(DI), Y4, Y3
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ rowloop

	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, 64(DX)
	VMOVUPD Y3, 96(DX)
	VZEROUPPER
	RET

// DOT4 adds four terms p, …, p+3 of four rows' dot products to ACC: it
// loads the rows' four elements at R0–R3, transposes them into one vector
// per term (TRANSPOSE4) and multiplies them by B's broadcast elements in
// Y10–Y13, in p's order. Y2–Y9 are scratch.
#define DOT4(R0, R1, R2, R3, ACC) \
	VMOVUPD R0, Y2; \
	VMOVUPD R1, Y3; \
	VMOVUPD R2, Y4; \
	VMOVUPD R3, Y5; \
	TRANSPOSE4(Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9); \
	VFMADD231PD Y10, Y2, ACC; \
	VFMADD231PD Y11, Y3, ACC; \
	VFMADD231PD Y12, Y4, ACC; \
	VFMADD231PD Y13, Y5, ACC

// DOT1 adds one term of four rows' dot products to ACC: the rows' elements
// at R0–R3 times B's broadcast element in Y10. Y2 and Y3 are scratch.
#define DOT1(R0, R1, R2, R3, ACC) \
	VMOVSD R0, X2; \
	VMOVHPD R1, X2, X2; \
	VMOVSD R2, X3; \
	VMOVHPD R3, X3, X3; \
	VINSERTF128 $1, X3, Y2, Y2; \
	VFMADD231PD Y10, Y2, ACC

// func kernDot8(k int, a *float64, rsA int, b *float64, ldb int, c *float64, ldc int)
//
// kernDot8 sets the 8×1 block of C at c (row stride ldc) to Â·B over k ≥ 1
// terms, where Â's columns are contiguous: Â(r, p) = a[r*rsA + p] for r <
// 8, B(p, 0) = b[p*ldb]. It is the single column of a regression output,
// eight dot products along Â's rows: it transposes 4×4 blocks of Â in
// registers, so that each of two vectors holds four rows' terms, where the
// 8×4 kernel would pad the column to four and broadcast Â's elements. Each
// element is one FMA chain over p from zero, as in the other kernels.
// Strides are in elements. The caller checks the bounds.
TEXT ·kernDot8(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	LEAQ (R8)(R8*2), R11   // 3 rows of Â
	LEAQ (SI)(R8*4), R13   // Â's row 4
	LEAQ (R10)(R10*2), R12 // 3 rows of C
	LEAQ (R9)(R9*2), R14   // 3 terms of B
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ CX, BX
	SHRQ $2, BX
	JZ dottail

dotloop:
	VBROADCASTSD (DI), Y10
	VBROADCASTSD (DI)(R9*1), Y11
	VBROADCASTSD (DI)(R9*2), Y12
	VBROADCASTSD (DI)(R14*1), Y13
	DOT4((SI), (SI)(R8*1), (SI)(R8*2), (SI)(R11*1), Y0)
	DOT4((R13), (R13)(R8*1), (R13)(R8*2), (R13)(R11*1), Y1)
	ADDQ $32, SI
	ADDQ $32, R13
	LEAQ (DI)(R9*4), DI
	DECQ BX
	JNZ dotloop

dottail:
	ANDQ $3, CX
	JZ dotstore

dottailloop:
	VBROADCASTSD (DI), Y10
	DOT1((SI), (SI)(R8*1), (SI)(R8*2), (SI)(R11*1), Y0)
	DOT1((R13), (R13)(R8*1), (R13)(R8*2), (R13)(R11*1), Y1)
	ADDQ $8, SI
	ADDQ $8, R13
	ADDQ R9, DI
	DECQ CX
	JNZ dottailloop

dotstore:
	STORECOL(Y0, X0)
	STORECOL(Y1, X1)
	VZEROUPPER
	RET
