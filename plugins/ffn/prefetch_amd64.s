#include "textflag.h"

// func prefetchRows(base unsafe.Pointer, idx []int, rowBytes int)
//
// A PREFETCHT1 for every cache line of the rows base + idx[i]·rowBytes,
// rowBytes > 0: the start of each 64 bytes and the row's last byte.
TEXT ·prefetchRows(SB), NOSPLIT, $0-40
	MOVQ base+0(FP), SI
	MOVQ idx_base+8(FP), DI
	MOVQ idx_len+16(FP), CX
	MOVQ rowBytes+32(FP), BX
	TESTQ CX, CX
	JLE done

row:
	MOVQ (DI), AX
	IMULQ BX, AX
	LEAQ (SI)(AX*1), DX
	LEAQ (DX)(BX*1), R8

line:
	PREFETCHT1 (DX)
	ADDQ $64, DX
	CMPQ DX, R8
	JLT line
	PREFETCHT1 -1(R8)
	ADDQ $8, DI
	DECQ CX
	JNZ row

done:
	RET
