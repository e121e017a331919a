#include "textflag.h"

// NDSTEP steps the four xorshift128+ lanes (s0 in Y0, s1 in Y1) once, as
// dropoutAVX2 does, and leaves in Y7 the eight words' drop flags: all ones
// in each 32-bit word below the threshold (Y2: threshold ^ 0x80000000; Y4:
// 0x80000000 in every word). Y5 and Y6 are scratch.
#define NDSTEP \
	VMOVDQA Y1, Y5; \
	VPSLLQ $23, Y0, Y6; \
	VPXOR Y6, Y0, Y0; \
	VPSRLQ $17, Y0, Y6; \
	VPXOR Y5, Y0, Y7; \
	VPXOR Y6, Y7, Y7; \
	VPSRLQ $26, Y5, Y6; \
	VPXOR Y6, Y7, Y1; \
	VMOVDQA Y5, Y0; \
	VPADDQ Y5, Y1, Y6; \
	VPXOR Y4, Y6, Y6; \
	VPCMPGTD Y6, Y2, Y7

// NDLOAD loads normDrop's arguments and the generator state, sets BX to
// the row length in bytes (w << SHIFT) and jumps to DONE if the matrix is
// empty.
#define NDLOAD(SHIFT, DONE) \
	MOVQ rows+0(FP), CX; \
	MOVQ w+8(FP), BX; \
	MOVQ z+16(FP), SI; \
	MOVQ d+24(FP), DI; \
	MOVQ mask+32(FP), R8; \
	MOVQ mean+40(FP), R9; \
	MOVQ invStd+48(FP), R10; \
	MOVQ gamma+56(FP), R12; \
	MOVQ beta+64(FP), R13; \
	MOVQ dm+72(FP), DX; \
	VMOVDQU 0(DX), Y0; \
	VMOVDQU 32(DX), Y1; \
	VPBROADCASTD 64(DX), Y2; \
	VPBROADCASTD 80(DX), Y4; \
	VXORPD Y15, Y15, Y15; \
	SHLQ $SHIFT, BX; \
	TESTQ CX, CX; \
	JLE DONE; \
	TESTQ BX, BX; \
	JZ DONE

// NDSAVE stores the generator state back for the next mask.
#define NDSAVE \
	VMOVDQU Y0, 0(DX); \
	VMOVDQU Y1, 32(DX)

// NORMDROP64 normalises, maps and rectifies four float64 elements at
// offset OFF of the block (z at SI, the per-column constants at R9, R10,
// R12, R13 indexed by R11), stores x̂ over z, and with the mask M (scale
// or 0) stores d = h·M and the mask M kept only where h ≠ 0. The
// arithmetic is normAffineAVX2's and dropoutAVX2's, operation for
// operation.
#define NORMDROP64(OFF, M) \
	VMOVUPD OFF(SI), Y10; \
	VSUBPD OFF(R9)(R11*1), Y10, Y10; \
	VMULPD OFF(R10)(R11*1), Y10, Y10; \
	VMOVUPD Y10, OFF(SI); \
	VMOVUPD OFF(R13)(R11*1), Y12; \
	VFMADD231PD OFF(R12)(R11*1), Y10, Y12; \
	VBLENDVPD Y12, Y15, Y12, Y12; \
	VMULPD M, Y12, Y13; \
	VMOVUPD Y13, OFF(DI); \
	VCMPPD $4, Y15, Y12, Y14; \
	VANDPD Y14, M, M; \
	VMOVUPD M, OFF(R8)

// func normDropAVX2(rows, w int, z, d, mask, mean, invStd, gamma, beta *float64, dm *dropMask)
//
// BatchNorm's normalisation and affine map, ReLU and dropout in one pass
// over a row-major rows × w matrix z, w a multiple of 8: for each element,
// x̂ = (z − mean)·invStd (stored over z), h = max(γ·x̂ + β, +0) (ReLU by
// the sign bit), d = h·m with m dropout's mask (0 or the scale) and, in
// mask, m where h ≠ 0 and 0 where ReLU cut h: the one factor by which the
// backward pass multiplies the gradient of d. h itself is not stored. The
// masks are dropoutAVX2's, drawn in the same element order (one generator
// step per eight elements), so d and every bit of the training are those
// of normAffineAVX2 followed by dropoutAVX2.
TEXT ·normDropAVX2(SB), NOSPLIT, $0-80
	NDLOAD(3, nddone)
	VBROADCASTSD 72(DX), Y3 // scale

ndrow:
	XORQ R11, R11 // offset of the block in the row

ndblock:
	NDSTEP
	VPMOVSXDQ X7, Y8        // words 0-3 to 64-bit flags
	VEXTRACTI128 $1, Y7, X9
	VPMOVSXDQ X9, Y9        // words 4-7
	VPANDN Y3, Y8, Y8       // m = scale where kept, 0 where dropped
	VPANDN Y3, Y9, Y9
	NORMDROP64(0, Y8)
	NORMDROP64(32, Y9)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R11
	CMPQ R11, BX
	JLT ndblock
	DECQ CX
	JNZ ndrow

	NDSAVE

nddone:
	VZEROUPPER
	RET

// func normDropAVX2F32(rows, w int, z, d, mask, mean, invStd, gamma, beta *float32, dm *dropMask)
//
// normDropAVX2 for float32: eight elements per generator step fill one
// register; the arithmetic is normAffineAVX2F32's and dropoutAVX2F32's.
TEXT ·normDropAVX2F32(SB), NOSPLIT, $0-80
	NDLOAD(2, nd32done)
	VBROADCASTSS 88(DX), Y3 // scale

nd32row:
	XORQ R11, R11

nd32block:
	NDSTEP
	VPANDN Y3, Y7, Y8 // m = scale where kept, 0 where dropped
	VMOVUPS (SI), Y10
	VSUBPS (R9)(R11*1), Y10, Y10
	VMULPS (R10)(R11*1), Y10, Y10
	VMOVUPS Y10, (SI)
	VMOVUPS (R13)(R11*1), Y12
	VFMADD231PS (R12)(R11*1), Y10, Y12
	VBLENDVPS Y12, Y15, Y12, Y12
	VMULPS Y8, Y12, Y13
	VMOVUPS Y13, (DI)
	VCMPPS $4, Y15, Y12, Y14
	VANDPS Y14, Y8, Y8
	VMOVUPS Y8, (R8)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R11
	CMPQ R11, BX
	JLT nd32block
	DECQ CX
	JNZ nd32row

	NDSAVE

nd32done:
	VZEROUPPER
	RET
