#include "textflag.h"

// KSTEP adds one step p of the inner product to the accumulators: B's row
// segment at B0 and B1 (Y8, Y9) times Â(r, p) at A0..A3 for rows 0-3.
#define KSTEP(B0, B1, A0, A1, A2, A3) \
	VMOVUPD B0, Y8; \
	VMOVUPD B1, Y9; \
	VBROADCASTSD A0, Y10; \
	VBROADCASTSD A1, Y11; \
	VFMADD231PD Y8, Y10, Y0; \
	VFMADD231PD Y9, Y10, Y1; \
	VBROADCASTSD A2, Y12; \
	VFMADD231PD Y8, Y11, Y2; \
	VFMADD231PD Y9, Y11, Y3; \
	VBROADCASTSD A3, Y13; \
	VFMADD231PD Y8, Y12, Y4; \
	VFMADD231PD Y9, Y12, Y5; \
	VFMADD231PD Y8, Y13, Y6; \
	VFMADD231PD Y9, Y13, Y7

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
	KSTEP((DI), 32(DI), (SI), (R12), (R13), (R14))
	KSTEP((DI)(R10*1), 32(DI)(R10*1), (SI)(R9*1), (R12)(R9*1), (R13)(R9*1), (R14)(R9*1))
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
	KSTEP((DI), 32(DI), (SI), (R12), (R13), (R14))

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

// KSTEP8x4 adds one step p of the inner product to the 8×4 accumulators
// Y0-Y7 (row r in Y(r)): B's row segment at B0 (Y8) times Â(r, p) at
// A0..A7, broadcast into Y9-Y12 in turn.
#define KSTEP8x4(B0, A0, A1, A2, A3, A4, A5, A6, A7) \
	VMOVUPD B0, Y8; \
	VBROADCASTSD A0, Y9; \
	VBROADCASTSD A1, Y10; \
	VFMADD231PD Y8, Y9, Y0; \
	VBROADCASTSD A2, Y11; \
	VFMADD231PD Y8, Y10, Y1; \
	VBROADCASTSD A3, Y12; \
	VFMADD231PD Y8, Y11, Y2; \
	VBROADCASTSD A4, Y9; \
	VFMADD231PD Y8, Y12, Y3; \
	VBROADCASTSD A5, Y10; \
	VFMADD231PD Y8, Y9, Y4; \
	VBROADCASTSD A6, Y11; \
	VFMADD231PD Y8, Y10, Y5; \
	VBROADCASTSD A7, Y12; \
	VFMADD231PD Y8, Y11, Y6; \
	VFMADD231PD Y8, Y12, Y7

// func kern8x4(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int)
//
// kern4x8's 8×4 block, for edges of at most four columns (the two last
// inputs of a 50-wide weight gradient, a layer of one output): one FMA
// per row and step instead of kern4x8's two. Each element is the same FMA
// chain over p in order from zero as in kern4x8, so the results are
// bit-identical. Â's rows are addressed as in kern8x16.
TEXT ·kern8x4(SB), NOSPLIT, $0-64
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
	LEAQ (R8)(R8*2), R15
	LEAQ (SI)(R15*1), R12
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	TESTQ CX, CX
	JZ store8x4

loop8x4:
	KSTEP8x4((DI), (SI), (SI)(R8*1), (SI)(R8*2), (SI)(R15*1), (SI)(R8*4), (R12)(R8*2), (R12)(R15*1), (R12)(R8*4))
	ADDQ R9, SI
	ADDQ R9, R12
	ADDQ R10, DI
	DECQ CX
	JNZ loop8x4

store8x4:
	VMOVUPD Y0, (DX)
	ADDQ R11, DX
	VMOVUPD Y1, (DX)
	ADDQ R11, DX
	VMOVUPD Y2, (DX)
	ADDQ R11, DX
	VMOVUPD Y3, (DX)
	ADDQ R11, DX
	VMOVUPD Y4, (DX)
	ADDQ R11, DX
	VMOVUPD Y5, (DX)
	ADDQ R11, DX
	VMOVUPD Y6, (DX)
	ADDQ R11, DX
	VMOVUPD Y7, (DX)
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
	VFMADD231PD Y1, Y12, Y0 // g += wd·θ, in the register only, as PyTorch leaves p.grad
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

// SUMRELU adds one row of a group of four columns to the sums SG and SGX
// after applying dropout's mask and ReLU's derivative to g in place (see
// bnSumsAVX2); G, M, H and X address the group's g, mask, h and xhat, and
// T, T2 are scratch. Y15 is 0.
#define SUMRELU(G, M, H, X, SG, SGX, T, T2) \
	VMOVUPD G, T; \
	VMULPD M, T, T; \
	VMOVUPD H, T2; \
	VCMPPD $4, Y15, T2, T2; \
	VANDPD T2, T, T; \
	VMOVUPD T, G; \
	VADDPD T, SG, SG; \
	VFMADD231PD X, T, SGX

// SUMMASK is SUMRELU for a mask that is already zero where ReLU cut h (see
// hiddenLayer.fused): g = g·mask, without h.
#define SUMMASK(G, M, X, SG, SGX, T) \
	VMOVUPD G, T; \
	VMULPD M, T, T; \
	VMOVUPD T, G; \
	VADDPD T, SG, SG; \
	VFMADD231PD X, T, SGX

// SUMPLAIN is SUMRELU for g that is already final.
#define SUMPLAIN(G, X, SG, SGX, T) \
	VMOVUPD G, T; \
	VADDPD T, SG, SG; \
	VFMADD231PD X, T, SGX

// func bnSumsAVX2(rows, w int, dg, xhat, sg, sgx, h, mask *float64, mode int)
//
// sg[j] += Σ_r g[r][j] and sgx[j] += Σ_r g[r][j]·xhat[r][j] for row-major
// rows × w matrices, w a multiple of 4, down the rows. With mode 1 it
// first applies dropout's mask and ReLU's derivative to g, in place:
// g = g·mask where h ≠ 0, else 0; with mode 2 only the mask (h is not
// read). Sixteen columns (four groups of four)
// go down the rows together, so that the four groups' add and FMA chains
// overlap instead of each waiting out its latency; the columns left over
// go four at a time. Each column's sums run over the rows in order either
// way, so the results do not depend on the grouping.
TEXT ·bnSumsAVX2(SB), NOSPLIT, $0-72
	MOVQ rows+0(FP), CX
	MOVQ w+8(FP), BX
	MOVQ dg+16(FP), SI
	MOVQ xhat+24(FP), DI
	MOVQ sg+32(FP), R8
	MOVQ sgx+40(FP), R9
	MOVQ h+48(FP), R13
	MOVQ mask+56(FP), AX
	MOVQ mode+64(FP), R12
	VXORPD Y15, Y15, Y15
	MOVQ BX, R10
	SHLQ $3, R10 // row stride in bytes
	SHRQ $2, BX  // column groups

sums16:
	CMPQ BX, $4
	JLT sumstail
	VMOVUPD (R8), Y0
	VMOVUPD 32(R8), Y1
	VMOVUPD 64(R8), Y2
	VMOVUPD 96(R8), Y3
	VMOVUPD (R9), Y4
	VMOVUPD 32(R9), Y5
	VMOVUPD 64(R9), Y6
	VMOVUPD 96(R9), Y7
	XORQ R11, R11 // offset of the row
	MOVQ CX, DX
	TESTQ R12, R12
	JZ sums16plain
	CMPQ R12, $2
	JEQ sums16mask

sums16relu:
	SUMRELU((SI)(R11*1), (AX)(R11*1), (R13)(R11*1), (DI)(R11*1), Y0, Y4, Y8, Y9)
	SUMRELU(32(SI)(R11*1), 32(AX)(R11*1), 32(R13)(R11*1), 32(DI)(R11*1), Y1, Y5, Y10, Y11)
	SUMRELU(64(SI)(R11*1), 64(AX)(R11*1), 64(R13)(R11*1), 64(DI)(R11*1), Y2, Y6, Y12, Y13)
	SUMRELU(96(SI)(R11*1), 96(AX)(R11*1), 96(R13)(R11*1), 96(DI)(R11*1), Y3, Y7, Y8, Y9)
	ADDQ R10, R11
	DECQ DX
	JNZ sums16relu
	JMP sums16store

sums16mask:
	SUMMASK((SI)(R11*1), (AX)(R11*1), (DI)(R11*1), Y0, Y4, Y8)
	SUMMASK(32(SI)(R11*1), 32(AX)(R11*1), 32(DI)(R11*1), Y1, Y5, Y9)
	SUMMASK(64(SI)(R11*1), 64(AX)(R11*1), 64(DI)(R11*1), Y2, Y6, Y10)
	SUMMASK(96(SI)(R11*1), 96(AX)(R11*1), 96(DI)(R11*1), Y3, Y7, Y11)
	ADDQ R10, R11
	DECQ DX
	JNZ sums16mask
	JMP sums16store

sums16plain:
	SUMPLAIN((SI)(R11*1), (DI)(R11*1), Y0, Y4, Y8)
	SUMPLAIN(32(SI)(R11*1), 32(DI)(R11*1), Y1, Y5, Y9)
	SUMPLAIN(64(SI)(R11*1), 64(DI)(R11*1), Y2, Y6, Y10)
	SUMPLAIN(96(SI)(R11*1), 96(DI)(R11*1), Y3, Y7, Y11)
	ADDQ R10, R11
	DECQ DX
	JNZ sums16plain

sums16store:
	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	VMOVUPD Y2, 64(R8)
	VMOVUPD Y3, 96(R8)
	VMOVUPD Y4, (R9)
	VMOVUPD Y5, 32(R9)
	VMOVUPD Y6, 64(R9)
	VMOVUPD Y7, 96(R9)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $128, R9
	ADDQ $128, R13
	ADDQ $128, AX
	SUBQ $4, BX
	JMP sums16

sumstail:
	TESTQ BX, BX
	JZ sumsdone

sumscol:
	VMOVUPD (R8), Y0
	VMOVUPD (R9), Y1
	XORQ R11, R11
	MOVQ CX, DX

sumsrow:
	TESTQ R12, R12
	JZ sumsplain
	CMPQ R12, $2
	JEQ sumsmask
	SUMRELU((SI)(R11*1), (AX)(R11*1), (R13)(R11*1), (DI)(R11*1), Y0, Y1, Y2, Y3)
	JMP sumsnext

sumsmask:
	SUMMASK((SI)(R11*1), (AX)(R11*1), (DI)(R11*1), Y0, Y1, Y2)
	JMP sumsnext

sumsplain:
	SUMPLAIN((SI)(R11*1), (DI)(R11*1), Y0, Y1, Y2)

sumsnext:
	ADDQ R10, R11
	DECQ DX
	JNZ sumsrow

	VMOVUPD Y0, (R8)
	VMOVUPD Y1, (R9)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R13
	ADDQ $32, AX
	DECQ BX
	JNZ sumscol

sumsdone:
	VZEROUPPER
	RET

// DZSTEP sets one row of a group of four columns of g (at G, xhat at X, k
// at K) to k·(g − MG − xhat·MGX) and adds it to DB; T and T2 are scratch.
#define DZSTEP(G, X, K, MG, MGX, DB, T, T2) \
	VMOVUPD G, T; \
	VSUBPD MG, T, T; \
	VMOVUPD X, T2; \
	VFNMADD231PD MGX, T2, T; \
	VMULPD K, T, T; \
	VMOVUPD T, G; \
	VADDPD T, DB, DB

// func bnDzAVX2(rows, w int, dg, xhat, k, mg, mgx, db *float64)
//
// For row-major rows × w matrices, w a multiple of 4, sets
// g[r][j] = k[j]·(g[r][j] − mg[j] − xhat[r][j]·mgx[j]) and adds each new
// g[r][j] to db[j], down the rows: sixteen columns at a time with their
// four db chains interleaved (k read from memory, for want of registers),
// then four at a time, as bnSumsAVX2 does; the same results either way.
TEXT ·bnDzAVX2(SB), NOSPLIT, $0-64
	MOVQ rows+0(FP), CX
	MOVQ w+8(FP), BX
	MOVQ dg+16(FP), SI
	MOVQ xhat+24(FP), DI
	MOVQ k+32(FP), R8
	MOVQ mg+40(FP), R9
	MOVQ mgx+48(FP), R13
	MOVQ db+56(FP), R14
	MOVQ BX, R10
	SHLQ $3, R10
	SHRQ $2, BX

dz16:
	CMPQ BX, $4
	JLT dztail
	VMOVUPD (R9), Y0 // mg
	VMOVUPD 32(R9), Y1
	VMOVUPD 64(R9), Y2
	VMOVUPD 96(R9), Y3
	VMOVUPD (R13), Y4 // mgx
	VMOVUPD 32(R13), Y5
	VMOVUPD 64(R13), Y6
	VMOVUPD 96(R13), Y7
	VMOVUPD (R14), Y8 // db
	VMOVUPD 32(R14), Y9
	VMOVUPD 64(R14), Y10
	VMOVUPD 96(R14), Y11
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ CX, DX

dz16row:
	DZSTEP((R11), (R12), (R8), Y0, Y4, Y8, Y12, Y13)
	DZSTEP(32(R11), 32(R12), 32(R8), Y1, Y5, Y9, Y14, Y15)
	DZSTEP(64(R11), 64(R12), 64(R8), Y2, Y6, Y10, Y12, Y13)
	DZSTEP(96(R11), 96(R12), 96(R8), Y3, Y7, Y11, Y14, Y15)
	ADDQ R10, R11
	ADDQ R10, R12
	DECQ DX
	JNZ dz16row

	VMOVUPD Y8, (R14)
	VMOVUPD Y9, 32(R14)
	VMOVUPD Y10, 64(R14)
	VMOVUPD Y11, 96(R14)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $128, R9
	ADDQ $128, R13
	ADDQ $128, R14
	SUBQ $4, BX
	JMP dz16

dztail:
	TESTQ BX, BX
	JZ dzdone

dzcol:
	VMOVUPD (R8), Y4  // k
	VMOVUPD (R9), Y5  // mg
	VMOVUPD (R13), Y6 // mgx
	VMOVUPD (R14), Y7 // db
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ CX, DX

dzrow:
	DZSTEP((R11), (R12), Y4, Y5, Y6, Y7, Y0, Y1)
	ADDQ R10, R11
	ADDQ R10, R12
	DECQ DX
	JNZ dzrow

	VMOVUPD Y7, (R14)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R13
	ADDQ $32, R14
	DECQ BX
	JNZ dzcol

dzdone:
	VZEROUPPER
	RET

// RELUMASK sets Y11 to the sign bit in every lane where the register REG is
// non-zero, else to zero, and Y15 to zero. It uses DX.
#define RELUMASK(REG) \
	VXORPD Y15, Y15, Y15; \
	XORQ DX, DX; \
	TESTQ REG, REG; \
	JZ 2(PC); \
	MOVQ $0x8000000000000000, DX; \
	MOVQ DX, X11; \
	VPBROADCASTQ X11, Y11

// func normAffineAVX2(rows, w int, z, h, mean, invStd, gamma, beta *float64, relu int)
//
// For row-major rows × w matrices, w a multiple of 4, sets
// x = (z[r][j] − mean[j])·invStd[j], z[r][j] = x and
// h[r][j] = gamma[j]·x + beta[j], then with relu ≠ 0 replaces h by +0 where
// the sign bit of h is set (ReLU by the sign bit, as the Go loop does,
// without a branch): four columns at a time along each row, the per-column
// constants read from memory (they stay in the L1 cache). Going along the
// rows rather than down columns matters: with a power-of-two width the
// rows of a column strip of z and h fall into the same few cache sets and
// evict each other.
TEXT ·normAffineAVX2(SB), NOSPLIT, $0-72
	MOVQ rows+0(FP), CX
	MOVQ w+8(FP), BX
	MOVQ z+16(FP), SI
	MOVQ h+24(FP), DI
	MOVQ mean+32(FP), R8
	MOVQ invStd+40(FP), R9
	MOVQ gamma+48(FP), R13
	MOVQ beta+56(FP), R14
	MOVQ relu+64(FP), AX
	RELUMASK(AX)
	MOVQ BX, R10
	SHLQ $3, R10 // row stride in bytes
	SHRQ $2, BX  // column groups
	JZ nadone

narow:
	XORQ R11, R11 // offset of the group in the row
	MOVQ BX, DX

nagroup:
	VMOVUPD (SI)(R11*1), Y0
	VSUBPD (R8)(R11*1), Y0, Y0
	VMULPD (R9)(R11*1), Y0, Y0
	VMOVUPD Y0, (SI)(R11*1)
	VMOVUPD (R14)(R11*1), Y1
	VFMADD231PD (R13)(R11*1), Y0, Y1
	VANDPD Y11, Y1, Y2
	VBLENDVPD Y2, Y15, Y1, Y1
	VMOVUPD Y1, (DI)(R11*1)
	ADDQ $32, R11
	DECQ DX
	JNZ nagroup

	ADDQ R10, SI
	ADDQ R10, DI
	DECQ CX
	JNZ narow

nadone:
	VZEROUPPER
	RET

// VARSTEP adds one row of a group of four columns at Z to the sum of
// squared deviations ACC from the group's mean MEAN; T is scratch.
#define VARSTEP(Z, MEAN, ACC, T) \
	VMOVUPD Z, T; \
	VSUBPD MEAN, T, T; \
	VMULPD T, T, T; \
	VADDPD T, ACC, ACC

// INVSTD sets ACC to the variance ACC·inv (Y12), stores it at VAR and
// 1/sqrt(variance + eps) (eps in Y13, 1 in Y14) at INV; T is scratch.
#define INVSTD(ACC, VAR, INV, T) \
	VMULPD Y12, ACC, ACC; \
	VMOVUPD ACC, VAR; \
	VADDPD Y13, ACC, T; \
	VSQRTPD T, T; \
	VDIVPD T, Y14, T; \
	VMOVUPD T, INV

// func bnStatsAVX2(rows, w int, z, mean, variance, invStd *float64, inv, eps float64)
//
// BatchNorm's batch statistics for a row-major rows × w matrix z, w a
// multiple of 4, rows ≥ 1: for each column it sums z down the rows, sets
// mean = sum·inv, sums (z − mean)² down the rows, and sets variance = that
// sum·inv and invStd = 1/sqrt(variance + eps). Sixteen columns (four groups
// of four) go down the rows together, so that the groups' add chains
// overlap, then four at a time for the rest. The sums run row by row with
// separate multiplies and adds, as batchStatistics' loops do, so the
// statistics are bit-identical to the Go path's whatever the grouping.
TEXT ·bnStatsAVX2(SB), NOSPLIT, $0-64
	MOVQ rows+0(FP), CX
	MOVQ w+8(FP), BX
	MOVQ z+16(FP), SI
	MOVQ mean+24(FP), R8
	MOVQ variance+32(FP), R9
	MOVQ invStd+40(FP), R13
	VBROADCASTSD inv+48(FP), Y12
	VBROADCASTSD eps+56(FP), Y13
	MOVQ $0x3ff0000000000000, DX // 1.0
	MOVQ DX, X14
	VPBROADCASTQ X14, Y14
	MOVQ BX, R10
	SHLQ $3, R10
	SHRQ $2, BX

bs16:
	CMPQ BX, $4
	JLT bstail
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ SI, R11
	MOVQ CX, DX

bssum16:
	VADDPD (R11), Y0, Y0
	VADDPD 32(R11), Y1, Y1
	VADDPD 64(R11), Y2, Y2
	VADDPD 96(R11), Y3, Y3
	ADDQ R10, R11
	DECQ DX
	JNZ bssum16

	VMULPD Y12, Y0, Y4 // means
	VMULPD Y12, Y1, Y5
	VMULPD Y12, Y2, Y6
	VMULPD Y12, Y3, Y7
	VMOVUPD Y4, (R8)
	VMOVUPD Y5, 32(R8)
	VMOVUPD Y6, 64(R8)
	VMOVUPD Y7, 96(R8)
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ SI, R11
	MOVQ CX, DX

bsvar16:
	VARSTEP((R11), Y4, Y0, Y8)
	VARSTEP(32(R11), Y5, Y1, Y9)
	VARSTEP(64(R11), Y6, Y2, Y10)
	VARSTEP(96(R11), Y7, Y3, Y11)
	ADDQ R10, R11
	DECQ DX
	JNZ bsvar16

	INVSTD(Y0, (R9), (R13), Y8)
	INVSTD(Y1, 32(R9), 32(R13), Y9)
	INVSTD(Y2, 64(R9), 64(R13), Y10)
	INVSTD(Y3, 96(R9), 96(R13), Y11)
	ADDQ $128, SI
	ADDQ $128, R8
	ADDQ $128, R9
	ADDQ $128, R13
	SUBQ $4, BX
	JMP bs16

bstail:
	TESTQ BX, BX
	JZ bsdone

bscol:
	VXORPD Y0, Y0, Y0
	MOVQ SI, R11
	MOVQ CX, DX

bssum:
	VADDPD (R11), Y0, Y0
	ADDQ R10, R11
	DECQ DX
	JNZ bssum

	VMULPD Y12, Y0, Y4 // mean
	VMOVUPD Y4, (R8)
	VXORPD Y0, Y0, Y0
	MOVQ SI, R11
	MOVQ CX, DX

bsvar:
	VARSTEP((R11), Y4, Y0, Y8)
	ADDQ R10, R11
	DECQ DX
	JNZ bsvar

	INVSTD(Y0, (R9), (R13), Y8)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R13
	DECQ BX
	JNZ bscol

bsdone:
	VZEROUPPER
	RET

// func dropoutAVX2(blocks int, h, d, mask *float64, dm *dropMask)
//
// Four xorshift128+ lanes (s0 in Y0, s1 in Y1) step once per block of eight
// elements; the eight 32-bit words of the output decide the elements in
// order (word q of the vector, little-endian, for element q). Words are
// compared with the threshold as signed numbers after flipping their sign
// bits, which AVX2's signed compare turns into the unsigned compare.
TEXT ·dropoutAVX2(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ h+8(FP), SI
	MOVQ d+16(FP), DI
	MOVQ mask+24(FP), R8
	MOVQ dm+32(FP), DX
	VMOVDQU 0(DX), Y0
	VMOVDQU 32(DX), Y1
	VPBROADCASTD 64(DX), Y2 // threshold ^ 0x80000000
	VBROADCASTSD 72(DX), Y3 // scale
	VPBROADCASTD 80(DX), Y4 // 0x80000000
	TESTQ CX, CX
	JLE dropdone

droploop:
	VMOVDQA Y1, Y5          // y = s1
	VPSLLQ $23, Y0, Y6
	VPXOR Y6, Y0, Y0        // x ^= x << 23
	VPSRLQ $17, Y0, Y6
	VPXOR Y5, Y0, Y7        // x ^ y
	VPXOR Y6, Y7, Y7        // ^ x >> 17
	VPSRLQ $26, Y5, Y6
	VPXOR Y6, Y7, Y1        // s1 = x ^ y ^ x>>17 ^ y>>26
	VMOVDQA Y5, Y0          // s0 = y
	VPADDQ Y5, Y1, Y6       // out = s1 + y
	VPXOR Y4, Y6, Y6        // flip each word's sign bit
	VPCMPGTD Y6, Y2, Y7     // drop where threshold > word
	VPMOVSXDQ X7, Y8        // words 0-3 to 64-bit masks
	VEXTRACTI128 $1, Y7, X9
	VPMOVSXDQ X9, Y9        // words 4-7
	VPANDN Y3, Y8, Y8       // mask = scale where kept, 0 where dropped
	VPANDN Y3, Y9, Y9
	VMOVUPD Y8, (R8)
	VMOVUPD Y9, 32(R8)
	VMULPD (SI), Y8, Y10
	VMULPD 32(SI), Y9, Y11
	VMOVUPD Y10, (DI)
	VMOVUPD Y11, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	DECQ CX
	JNZ droploop

	VMOVDQU Y0, 0(DX)
	VMOVDQU Y1, 32(DX)

dropdone:
	VZEROUPPER
	RET

// func dropoutAVX2F32(blocks int, h, d, mask *float32, dm *dropMask)
//
// dropoutAVX2 for float32: the same generator steps and words, and one
// vector of eight float32 masks per block (the float32 scale at 88(DX)).
TEXT ·dropoutAVX2F32(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ h+8(FP), SI
	MOVQ d+16(FP), DI
	MOVQ mask+24(FP), R8
	MOVQ dm+32(FP), DX
	VMOVDQU 0(DX), Y0
	VMOVDQU 32(DX), Y1
	VPBROADCASTD 64(DX), Y2 // threshold ^ 0x80000000
	VBROADCASTSS 88(DX), Y3 // scale
	VPBROADCASTD 80(DX), Y4 // 0x80000000
	TESTQ CX, CX
	JLE drop32done

drop32loop:
	VMOVDQA Y1, Y5          // y = s1
	VPSLLQ $23, Y0, Y6
	VPXOR Y6, Y0, Y0        // x ^= x << 23
	VPSRLQ $17, Y0, Y6
	VPXOR Y5, Y0, Y7        // x ^ y
	VPXOR Y6, Y7, Y7        // ^ x >> 17
	VPSRLQ $26, Y5, Y6
	VPXOR Y6, Y7, Y1        // s1 = x ^ y ^ x>>17 ^ y>>26
	VMOVDQA Y5, Y0          // s0 = y
	VPADDQ Y5, Y1, Y6       // out = s1 + y
	VPXOR Y4, Y6, Y6        // flip each word's sign bit
	VPCMPGTD Y6, Y2, Y7     // drop where threshold > word
	VPANDN Y3, Y7, Y8       // mask = scale where kept, 0 where dropped
	VMOVUPS Y8, (R8)
	VMULPS (SI), Y8, Y10
	VMOVUPS Y10, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ CX
	JNZ drop32loop

	VMOVDQU Y0, 0(DX)
	VMOVDQU Y1, 32(DX)

drop32done:
	VZEROUPPER
	RET

// KSTEP16 adds one step p of the inner product to the 8×16 accumulators:
// B's row segment at B0 and B1 (Z24, Z25) times Â(r, p) for rows 0-7 at
// A0..A7, each broadcast into Z26-Z29 in turn.
#define KSTEP16(B0, B1, A0, A1, A2, A3, A4, A5, A6, A7) \
	VMOVUPD B0, Z24; \
	VMOVUPD B1, Z25; \
	VBROADCASTSD A0, Z26; \
	VBROADCASTSD A1, Z27; \
	VFMADD231PD Z24, Z26, Z0; \
	VFMADD231PD Z25, Z26, Z1; \
	VBROADCASTSD A2, Z28; \
	VFMADD231PD Z24, Z27, Z2; \
	VFMADD231PD Z25, Z27, Z3; \
	VBROADCASTSD A3, Z29; \
	VFMADD231PD Z24, Z28, Z4; \
	VFMADD231PD Z25, Z28, Z5; \
	VBROADCASTSD A4, Z26; \
	VFMADD231PD Z24, Z29, Z6; \
	VFMADD231PD Z25, Z29, Z7; \
	VBROADCASTSD A5, Z27; \
	VFMADD231PD Z24, Z26, Z8; \
	VFMADD231PD Z25, Z26, Z9; \
	VBROADCASTSD A6, Z28; \
	VFMADD231PD Z24, Z27, Z10; \
	VFMADD231PD Z25, Z27, Z11; \
	VBROADCASTSD A7, Z29; \
	VFMADD231PD Z24, Z28, Z12; \
	VFMADD231PD Z25, Z28, Z13; \
	VFMADD231PD Z24, Z29, Z14; \
	VFMADD231PD Z25, Z29, Z15

// func kern8x16(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int)
//
// kern4x8 with AVX-512F: sixteen ZMM accumulators hold the 8×16 block of C,
// Z(2r) and Z(2r+1) row r. Each element is still one FMA chain over p in
// order from zero, as in kern4x8, so both kernels give bit-identical
// results. Â's eight rows are addressed from two pointers: SI (rows 0, 1, 2,
// 3 and 4 as SI + {0, 1, 2, 3, 4}·rsA) and R12 = SI + 3·rsA (rows 5, 6 and 7
// as R12 + {2, 3, 4}·rsA), with R8 = rsA and R15 = 3·rsA in bytes.
TEXT ·kern8x16(SB), NOSPLIT, $0-64
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
	LEAQ (R8)(R8*2), R15
	LEAQ (SI)(R15*1), R12
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	TESTQ CX, CX
	JZ store16

loop16:
	KSTEP16((DI), 64(DI), (SI), (SI)(R8*1), (SI)(R8*2), (SI)(R15*1), (SI)(R8*4), (R12)(R8*2), (R12)(R15*1), (R12)(R8*4))
	ADDQ R9, SI
	ADDQ R9, R12
	ADDQ R10, DI
	DECQ CX
	JNZ loop16

store16:
	VMOVUPD Z0, (DX)
	VMOVUPD Z1, 64(DX)
	ADDQ R11, DX
	VMOVUPD Z2, (DX)
	VMOVUPD Z3, 64(DX)
	ADDQ R11, DX
	VMOVUPD Z4, (DX)
	VMOVUPD Z5, 64(DX)
	ADDQ R11, DX
	VMOVUPD Z6, (DX)
	VMOVUPD Z7, 64(DX)
	ADDQ R11, DX
	VMOVUPD Z8, (DX)
	VMOVUPD Z9, 64(DX)
	ADDQ R11, DX
	VMOVUPD Z10, (DX)
	VMOVUPD Z11, 64(DX)
	ADDQ R11, DX
	VMOVUPD Z12, (DX)
	VMOVUPD Z13, 64(DX)
	ADDQ R11, DX
	VMOVUPD Z14, (DX)
	VMOVUPD Z15, 64(DX)
	VZEROUPPER
	RET

// func transposeAVX2(rows, cols int, dst, src *float64)
//
// Sets the (cols&^3) × (rows&^3) top-left part of dst (row stride rows) to
// the transpose of the (rows&^3) × (cols&^3) top-left part of src (row
// stride cols), in 4×4 blocks: four row loads, two rounds of shuffles,
// four column stores, where the Go loop makes a strided load per element.
TEXT ·transposeAVX2(SB), NOSPLIT, $0-32
	MOVQ rows+0(FP), CX
	MOVQ cols+8(FP), DX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ DX, R8
	SHLQ $3, R8          // src row stride in bytes
	MOVQ CX, R9
	SHLQ $3, R9          // dst row stride in bytes
	LEAQ (R8)(R8*2), R15 // 3 src rows
	LEAQ (R9)(R9*2), BX  // 3 dst rows
	SHRQ $2, CX          // row blocks
	SHRQ $2, DX          // column blocks
	JZ trdone
	TESTQ CX, CX
	JZ trdone
	MOVQ SI, R11 // src at row block i
	MOVQ DI, R12 // dst at column block i

trrow:
	MOVQ R11, R13
	MOVQ R12, R14
	MOVQ DX, AX

trcol:
	VMOVUPD (R13), Y0
	VMOVUPD (R13)(R8*1), Y1
	VMOVUPD (R13)(R8*2), Y2
	VMOVUPD (R13)(R15*1), Y3
	VUNPCKLPD Y1, Y0, Y4 // r0[0] r1[0] r0[2] r1[2]
	VUNPCKHPD Y1, Y0, Y5 // r0[1] r1[1] r0[3] r1[3]
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y8 // column 0
	VPERM2F128 $0x20, Y7, Y5, Y9 // column 1
	VPERM2F128 $0x31, Y6, Y4, Y10 // column 2
	VPERM2F128 $0x31, Y7, Y5, Y11 // column 3
	VMOVUPD Y8, (R14)
	VMOVUPD Y9, (R14)(R9*1)
	VMOVUPD Y10, (R14)(R9*2)
	VMOVUPD Y11, (R14)(BX*1)
	ADDQ $32, R13
	LEAQ (R14)(R9*4), R14
	DECQ AX
	JNZ trcol

	LEAQ (R11)(R8*4), R11
	ADDQ $32, R12
	DECQ CX
	JNZ trrow

trdone:
	VZEROUPPER
	RET

// func transposeAVX2F32(rows, cols int, dst, src *float32)
//
// transposeAVX2 for float32, in 4×4 blocks of XMM registers: four row
// loads, two rounds of unpacks (singles, then pairs of singles as doubles),
// four column stores.
TEXT ·transposeAVX2F32(SB), NOSPLIT, $0-32
	MOVQ rows+0(FP), CX
	MOVQ cols+8(FP), DX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ DX, R8
	SHLQ $2, R8          // src row stride in bytes
	MOVQ CX, R9
	SHLQ $2, R9          // dst row stride in bytes
	LEAQ (R8)(R8*2), R15 // 3 src rows
	LEAQ (R9)(R9*2), BX  // 3 dst rows
	SHRQ $2, CX          // row blocks
	SHRQ $2, DX          // column blocks
	JZ tr32done
	TESTQ CX, CX
	JZ tr32done
	MOVQ SI, R11 // src at row block i
	MOVQ DI, R12 // dst at column block i

tr32row:
	MOVQ R11, R13
	MOVQ R12, R14
	MOVQ DX, AX

tr32col:
	VMOVUPS (R13), X0
	VMOVUPS (R13)(R8*1), X1
	VMOVUPS (R13)(R8*2), X2
	VMOVUPS (R13)(R15*1), X3
	VUNPCKLPS X1, X0, X4 // r0[0] r1[0] r0[1] r1[1]
	VUNPCKHPS X1, X0, X5 // r0[2] r1[2] r0[3] r1[3]
	VUNPCKLPS X3, X2, X6 // r2[0] r3[0] r2[1] r3[1]
	VUNPCKHPS X3, X2, X7
	VUNPCKLPD X6, X4, X8  // column 0
	VUNPCKHPD X6, X4, X9  // column 1
	VUNPCKLPD X7, X5, X10 // column 2
	VUNPCKHPD X7, X5, X11 // column 3
	VMOVUPS X8, (R14)
	VMOVUPS X9, (R14)(R9*1)
	VMOVUPS X10, (R14)(R9*2)
	VMOVUPS X11, (R14)(BX*1)
	ADDQ $16, R13
	LEAQ (R14)(R9*4), R14
	DECQ AX
	JNZ tr32col

	LEAQ (R11)(R8*4), R11
	ADDQ $16, R12
	DECQ CX
	JNZ tr32row

tr32done:
	VZEROUPPER
	RET
