#include "textflag.h"

// The roofline loops: independent FMA chains on registers only, no memory
// traffic, so that the loop runs at the core's FMA throughput. An FMA has a
// latency of about 4 cycles and modern cores issue two per cycle, so at
// least 8 chains must be in flight; the AVX2 loops run 12 (of 16 YMM
// registers), the AVX-512 loops 24 (of 32 ZMM registers). The operands are
// zero, so no value ever becomes subnormal.

// func fmaPeakAVX2F64(iters int)
TEXT ·fmaPeakAVX2F64(SB), NOSPLIT, $0-8
	MOVQ iters+0(FP), CX
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	TESTQ CX, CX
	JLE p2ddone

p2dloop:
	VFMADD231PD Y12, Y13, Y0
	VFMADD231PD Y12, Y13, Y1
	VFMADD231PD Y12, Y13, Y2
	VFMADD231PD Y12, Y13, Y3
	VFMADD231PD Y12, Y13, Y4
	VFMADD231PD Y12, Y13, Y5
	VFMADD231PD Y12, Y13, Y6
	VFMADD231PD Y12, Y13, Y7
	VFMADD231PD Y12, Y13, Y8
	VFMADD231PD Y12, Y13, Y9
	VFMADD231PD Y12, Y13, Y10
	VFMADD231PD Y12, Y13, Y11
	DECQ CX
	JNZ p2dloop

p2ddone:
	VZEROUPPER
	RET

// func fmaPeakAVX2F32(iters int)
TEXT ·fmaPeakAVX2F32(SB), NOSPLIT, $0-8
	MOVQ iters+0(FP), CX
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	TESTQ CX, CX
	JLE p2sdone

p2sloop:
	VFMADD231PS Y12, Y13, Y0
	VFMADD231PS Y12, Y13, Y1
	VFMADD231PS Y12, Y13, Y2
	VFMADD231PS Y12, Y13, Y3
	VFMADD231PS Y12, Y13, Y4
	VFMADD231PS Y12, Y13, Y5
	VFMADD231PS Y12, Y13, Y6
	VFMADD231PS Y12, Y13, Y7
	VFMADD231PS Y12, Y13, Y8
	VFMADD231PS Y12, Y13, Y9
	VFMADD231PS Y12, Y13, Y10
	VFMADD231PS Y12, Y13, Y11
	DECQ CX
	JNZ p2sloop

p2sdone:
	VZEROUPPER
	RET

// FMA24 issues one FMA of the given form into each of Z0-Z23 from Z24
// and Z25.
#define FMA24(OP) \
	OP Z24, Z25, Z0; \
	OP Z24, Z25, Z1; \
	OP Z24, Z25, Z2; \
	OP Z24, Z25, Z3; \
	OP Z24, Z25, Z4; \
	OP Z24, Z25, Z5; \
	OP Z24, Z25, Z6; \
	OP Z24, Z25, Z7; \
	OP Z24, Z25, Z8; \
	OP Z24, Z25, Z9; \
	OP Z24, Z25, Z10; \
	OP Z24, Z25, Z11; \
	OP Z24, Z25, Z12; \
	OP Z24, Z25, Z13; \
	OP Z24, Z25, Z14; \
	OP Z24, Z25, Z15; \
	OP Z24, Z25, Z16; \
	OP Z24, Z25, Z17; \
	OP Z24, Z25, Z18; \
	OP Z24, Z25, Z19; \
	OP Z24, Z25, Z20; \
	OP Z24, Z25, Z21; \
	OP Z24, Z25, Z22; \
	OP Z24, Z25, Z23

// func fmaPeakAVX512F64(iters int)
TEXT ·fmaPeakAVX512F64(SB), NOSPLIT, $0-8
	MOVQ iters+0(FP), CX
	VPXORQ Z24, Z24, Z24
	VPXORQ Z25, Z25, Z25
	TESTQ CX, CX
	JLE p5ddone

p5dloop:
	FMA24(VFMADD231PD)
	DECQ CX
	JNZ p5dloop

p5ddone:
	VZEROUPPER
	RET

// func fmaPeakAVX512F32(iters int)
TEXT ·fmaPeakAVX512F32(SB), NOSPLIT, $0-8
	MOVQ iters+0(FP), CX
	VPXORQ Z24, Z24, Z24
	VPXORQ Z25, Z25, Z25
	TESTQ CX, CX
	JLE p5sdone

p5sloop:
	FMA24(VFMADD231PS)
	DECQ CX
	JNZ p5sloop

p5sdone:
	VZEROUPPER
	RET
