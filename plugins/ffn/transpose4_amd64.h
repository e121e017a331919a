// TRANSPOSE4 transposes the 4×4 block of float64 rows R0–R3 into columns
// R0–R3 (R0 then holds the rows' first elements, and so on), by four
// unpacks and four lane permutations, with T0–T3 as scratch. The fused
// Adam step (adamt_amd64.s) and the dot-product edge kernel
// (cols_amd64.s) share it.
#define TRANSPOSE4(R0, R1, R2, R3, T0, T1, T2, T3) \
	VUNPCKLPD R1, R0, T0; \
	VUNPCKHPD R1, R0, T1; \
	VUNPCKLPD R3, R2, T2; \
	VUNPCKHPD R3, R2, T3; \
	VPERM2F128 $0x20, T2, T0, R0; \
	VPERM2F128 $0x20, T3, T1, R1; \
	VPERM2F128 $0x31, T2, T0, R2; \
	VPERM2F128 $0x31, T3, T1, R3
