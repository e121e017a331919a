#include "textflag.h"
#include "transpose4_amd64.h"

// ADAMCORE applies Adam's update to the four elements in registers: θ in
// R, g in G, m in M, v in T; it leaves the new θ in R, m in M and v in T,
// and uses G and Y7 as scratch. The instructions, their operands and their
// order are adamAVX2's loop body's (kernel_amd64.s) with registers renamed
// and the loads and stores taken out, so that each element comes out bit
// for bit as adamAVX2 computes it. The constants are in Y8–Y15, as
// adamAVX2 loads them.
#define ADAMCORE(R, G, M, T) \
	VFMADD231PD R, Y12, G; \
	VMULPD Y8, M, M; \
	VFMADD231PD G, Y9, M; \
	VMULPD Y10, T, T; \
	VMULPD G, G, G; \
	VFMADD231PD G, Y11, T; \
	VSQRTPD T, Y7; \
	VMULPD Y14, Y7, Y7; \
	VADDPD Y15, Y7, Y7; \
	VDIVPD Y7, M, Y7; \
	VFNMADD231PD Y7, Y13, R

// ADAMROW updates the four elements of one row at θ, g, m and v, leaving
// the new θ in R. Y4, Y5, Y6 and Y7 are scratch.
#define ADAMROW(TH, GR, MM, VV, R) \
	VMOVUPD TH, R; \
	VMOVUPD GR, Y4; \
	VMOVUPD MM, Y5; \
	VMOVUPD VV, Y6; \
	ADAMCORE(R, Y4, Y5, Y6); \
	VMOVUPD Y5, MM; \
	VMOVUPD Y6, VV; \
	VMOVUPD R, TH

// ADAMROW1, ADAMROW2 and ADAMROW3 are ADAMROW for the first 1, 2 or 3
// elements of a row, the row's column edge: the other lanes hold zeros,
// which Adam's update keeps finite and which are not stored. YR and XR
// name one register; TH16 and the like address the third element.
#define ADAMROW1(TH, GR, MM, VV, YR, XR) \
	VMOVSD TH, XR; \
	VMOVSD GR, X4; \
	VMOVSD MM, X5; \
	VMOVSD VV, X6; \
	ADAMCORE(YR, Y4, Y5, Y6); \
	VMOVSD X5, MM; \
	VMOVSD X6, VV; \
	VMOVSD XR, TH

#define ADAMROW2(TH, GR, MM, VV, YR, XR) \
	VMOVUPD TH, XR; \
	VMOVUPD GR, X4; \
	VMOVUPD MM, X5; \
	VMOVUPD VV, X6; \
	ADAMCORE(YR, Y4, Y5, Y6); \
	VMOVUPD X5, MM; \
	VMOVUPD X6, VV; \
	VMOVUPD XR, TH

#define LOAD3(A, A16, Y, X) \
	VMOVUPD A, X; \
	VMOVSD A16, X7; \
	VINSERTF128 $1, X7, Y, Y

#define STORE3(Y, X, A, A16) \
	VMOVUPD X, A; \
	VEXTRACTF128 $1, Y, X7; \
	VMOVSD X7, A16

#define ADAMROW3(TH, TH16, GR, GR16, MM, MM16, VV, VV16, YR, XR) \
	LOAD3(TH, TH16, YR, XR); \
	LOAD3(GR, GR16, Y4, X4); \
	LOAD3(MM, MM16, Y5, X5); \
	LOAD3(VV, VV16, Y6, X6); \
	ADAMCORE(YR, Y4, Y5, Y6); \
	STORE3(Y5, X5, MM, MM16); \
	STORE3(Y6, X6, VV, VV16); \
	STORE3(YR, XR, TH, TH16)

// func adamTAVX2(rows, cols int, theta, grad, m, v, wt *float64, ldt int, c *adamConsts[float64])
//
// adamAVX2's update of the rows × cols matrix at theta (row-major; grad, m
// and v laid out as theta), rows a multiple of 4, which also writes the
// updated matrix's transpose to wt (cols × rows, row stride ldt), so that
// the transpose the forward pass reads stays current without a pass of its
// own. It goes down the rows four at a time, across them in 4×4 blocks,
// each transposed in registers by four unpacks and four lane permutations
// (transposeAVX2's), and then the rows' last cols%4 elements as one partial
// row each, transposed alike. adamAVX2 waits on VSQRTPD and VDIVPD; the
// shuffles and the extra stores go to ports that its loop leaves idle.
TEXT ·adamTAVX2(SB), NOSPLIT, $0-72
	MOVQ rows+0(FP), CX
	MOVQ cols+8(FP), BX
	MOVQ theta+16(FP), SI
	MOVQ grad+24(FP), DI
	MOVQ m+32(FP), R8
	MOVQ v+40(FP), R9
	MOVQ wt+48(FP), R15
	MOVQ ldt+56(FP), R12
	MOVQ c+64(FP), DX
	VBROADCASTSD 0(DX), Y8   // beta1
	VBROADCASTSD 8(DX), Y9   // 1 - beta1
	VBROADCASTSD 16(DX), Y10 // beta2
	VBROADCASTSD 24(DX), Y11 // 1 - beta2
	VBROADCASTSD 32(DX), Y12 // weight decay
	VBROADCASTSD 40(DX), Y13 // step size
	VBROADCASTSD 48(DX), Y14 // 1 / sqrt(bias correction 2)
	VBROADCASTSD 56(DX), Y15 // eps
	MOVQ BX, R11
	SHLQ $3, R11           // row stride of theta in bytes
	SHLQ $3, R12           // row stride of wt in bytes
	LEAQ (R11)(R11*2), R13 // 3 rows of theta
	LEAQ (R12)(R12*2), R14 // 3 rows of wt
	MOVQ R11, AX
	SHLQ $2, AX
	MOVQ BX, DX
	ANDQ $-4, DX
	SHLQ $3, DX
	SUBQ DX, AX            // from a row block's column edge to the next row block
	SHRQ $2, CX            // row blocks
	JZ adamtdone
	SHRQ $2, BX            // column blocks

adamtrow:
	MOVQ R15, R10 // wt at column (row block) i, row 0
	MOVQ BX, DX
	TESTQ DX, DX
	JZ adamtedge

adamtcol:
	ADAMROW((SI), (DI), (R8), (R9), Y0)
	ADAMROW((SI)(R11*1), (DI)(R11*1), (R8)(R11*1), (R9)(R11*1), Y1)
	ADAMROW((SI)(R11*2), (DI)(R11*2), (R8)(R11*2), (R9)(R11*2), Y2)
	ADAMROW((SI)(R13*1), (DI)(R13*1), (R8)(R13*1), (R9)(R13*1), Y3)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMOVUPD Y0, (R10)
	VMOVUPD Y1, (R10)(R12*1)
	VMOVUPD Y2, (R10)(R12*2)
	VMOVUPD Y3, (R10)(R14*1)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	LEAQ (R10)(R12*4), R10
	DECQ DX
	JNZ adamtcol

adamtedge:
	// The column edge: cols%4 elements of each of the four rows, from
	// where the column blocks ended, into wt's last cols%4 rows.
	MOVQ cols+8(FP), DX
	ANDQ $3, DX
	JZ adamtnext
	CMPQ DX, $2
	JB adamtedge1
	JE adamtedge2
	ADAMROW3((SI), 16(SI), (DI), 16(DI), (R8), 16(R8), (R9), 16(R9), Y0, X0)
	ADAMROW3((SI)(R11*1), 16(SI)(R11*1), (DI)(R11*1), 16(DI)(R11*1), (R8)(R11*1), 16(R8)(R11*1), (R9)(R11*1), 16(R9)(R11*1), Y1, X1)
	ADAMROW3((SI)(R11*2), 16(SI)(R11*2), (DI)(R11*2), 16(DI)(R11*2), (R8)(R11*2), 16(R8)(R11*2), (R9)(R11*2), 16(R9)(R11*2), Y2, X2)
	ADAMROW3((SI)(R13*1), 16(SI)(R13*1), (DI)(R13*1), 16(DI)(R13*1), (R8)(R13*1), 16(R8)(R13*1), (R9)(R13*1), 16(R9)(R13*1), Y3, X3)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMOVUPD Y0, (R10)
	VMOVUPD Y1, (R10)(R12*1)
	VMOVUPD Y2, (R10)(R12*2)
	JMP adamtnext

adamtedge2:
	ADAMROW2((SI), (DI), (R8), (R9), Y0, X0)
	ADAMROW2((SI)(R11*1), (DI)(R11*1), (R8)(R11*1), (R9)(R11*1), Y1, X1)
	ADAMROW2((SI)(R11*2), (DI)(R11*2), (R8)(R11*2), (R9)(R11*2), Y2, X2)
	ADAMROW2((SI)(R13*1), (DI)(R13*1), (R8)(R13*1), (R9)(R13*1), Y3, X3)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMOVUPD Y0, (R10)
	VMOVUPD Y1, (R10)(R12*1)
	JMP adamtnext

adamtedge1:
	ADAMROW1((SI), (DI), (R8), (R9), Y0, X0)
	ADAMROW1((SI)(R11*1), (DI)(R11*1), (R8)(R11*1), (R9)(R11*1), Y1, X1)
	ADAMROW1((SI)(R11*2), (DI)(R11*2), (R8)(R11*2), (R9)(R11*2), Y2, X2)
	ADAMROW1((SI)(R13*1), (DI)(R13*1), (R8)(R13*1), (R9)(R13*1), Y3, X3)
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMOVUPD Y0, (R10)

adamtnext:
	ADDQ AX, SI
	ADDQ AX, DI
	ADDQ AX, R8
	ADDQ AX, R9
	ADDQ $32, R15
	DECQ CX
	JNZ adamtrow

adamtdone:
	VZEROUPPER
	RET
