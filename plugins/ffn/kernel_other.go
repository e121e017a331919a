//go:build !amd64

package ffn

// supportedKernels lists the paths this processor executes: only the
// portable one, as there is no assembly for this architecture.
func supportedKernels() []kernelPath { return []kernelPath{generic} }

// kern4x8 is never called on the generic path.
func kern4x8(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int) {
	panic("ffn: no assembly kernel on this architecture")
}

// kern8x4 is never called on the generic path.
func kern8x4(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int) {
	panic("ffn: no assembly kernel on this architecture")
}

// kern8x16 is never called on the generic path.
func kern8x16(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int) {
	panic("ffn: no assembly kernel on this architecture")
}

// adamAVX2 is never called on the generic path.
func adamAVX2(n int, theta, grad, m, v *float64, c *adamConsts) {
	panic("ffn: no assembly kernel on this architecture")
}

// bnSumsAVX2 is never called on the generic path.
func bnSumsAVX2(rows, w int, dg, xhat, sg, sgx, h, mask *float64, relu int) {
	panic("ffn: no assembly kernel on this architecture")
}

// bnDzAVX2 is never called on the generic path.
func bnDzAVX2(rows, w int, dg, xhat, k, mg, mgx, db *float64) {
	panic("ffn: no assembly kernel on this architecture")
}

// normAffineAVX2 is never called on the generic path.
func normAffineAVX2(rows, w int, z, h, mean, invStd, gamma, beta *float64, relu int) {
	panic("ffn: no assembly kernel on this architecture")
}

// bnStatsAVX2 is never called on the generic path.
func bnStatsAVX2(rows, w int, z, mean, variance, invStd *float64, inv, eps float64) {
	panic("ffn: no assembly kernel on this architecture")
}

// transposeAVX2 is never called on the generic path.
func transposeAVX2(rows, cols int, dst, src *float64) {
	panic("ffn: no assembly kernel on this architecture")
}

// dropoutAVX2 is never called on the generic path.
func dropoutAVX2(blocks int, h, d, mask *float64, dm *dropMask) {
	panic("ffn: no assembly kernel on this architecture")
}
