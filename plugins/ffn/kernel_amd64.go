package ffn

import "golang.org/x/sys/cpu"

// The float64 tilings: 8×16 with AVX-512F, with 4×8 (AVX2) blocks for its
// edges, and 8×4 blocks for the 4×8 tiling's narrow column edges. The two
// that meet the edges first have the edge kernels of cols_amd64.s
// (kernCols16 for column edges of 1 to 3 columns where Â's rows are
// contiguous, kernDot8 for one column where Â's columns are, kernRow16 for
// a row edge of one row); 8×4 only gets the few rows their blocks of 16 or
// 8 rows leave.
var (
	tiles8x4  = tiling[float64]{mr: 8, nr: 4, kern: kern8x4}
	tiles4x8  = tiling[float64]{mr: 4, nr: 8, kern: kern4x8, narrow: &tiles8x4, edges: &edges64}
	tiles8x16 = tiling[float64]{mr: 8, nr: 16, kern: kern8x16, narrow: &tiles4x8, short: &tiles4x8, edges: &edges64}
	edges64   = edgeKernels[float64]{cols: kernCols16, dot: kernDot8, row: kernRow16}
)

// kernels64 are the float64 kernels: AVX2 for everything, plus the 8×16
// AVX-512 matrix tiling.
var kernels64 = kernels[float64]{
	lanes: 4, avx512: &tiles8x16, avx2: &tiles4x8, blas: blasGemm64,
	adam: adamAVX2, adamT: adamTAVX2, bnSums: bnSumsAVX2, bnDz: bnDzAVX2, normAffine: normAffineAVX2, bnStats: bnStatsAVX2,
	transpose: transposeAVX2, dropout: dropoutAVX2, normDrop: normDropAVX2,
}

// The float32 tilings, the float64 ones with twice the columns
// (kernel32_amd64.s): 8×32 with AVX-512F and 4×16 blocks for its edges,
// and 8×8 blocks for the 4×16 tiling's narrow column edges. A column edge
// of the 8×32 tiling of up to 31 columns goes to the 4×16 tiling, whose
// own edge then goes to the 8×8 one: the 18 edge columns of a 50-wide
// product cost a 4×16 and an 8×8 block instead of a padded 8×32 one.
var (
	tiles8x8F32  = tiling[float32]{mr: 8, nr: 8, kern: kern8x8F32}
	tiles4x16F32 = tiling[float32]{mr: 4, nr: 16, kern: kern4x16F32, narrow: &tiles8x8F32}
	tiles8x32F32 = tiling[float32]{mr: 8, nr: 32, kern: kern8x32F32, narrow: &tiles4x16F32, narrowMax: 31, short: &tiles4x16F32}
)

// kernels32 are the float32 kernels, one for each of kernels64's but
// adamT: an 8-lane float32 update would need 8×8 transposes, so float32
// networks transpose their weights in each forward pass instead.
var kernels32 = kernels[float32]{
	lanes: 8, avx512: &tiles8x32F32, avx2: &tiles4x16F32, blas: blasGemm32,
	adam: adamAVX2F32, bnSums: bnSumsAVX2F32, bnDz: bnDzAVX2F32, normAffine: normAffineAVX2F32, bnStats: bnStatsAVX2F32,
	transpose: transposeAVX2F32, dropout: dropoutAVX2F32, normDrop: normDropAVX2F32,
}

//go:generate go run gen_f32asm.go

// The float32 kernels of kernel32_amd64.s, generated from the float64 ones
// above: each is its float64 twin on registers of twice the elements.

// kern4x16F32 is kern4x8 for a 4×16 float32 block.
//
//go:noescape
func kern4x16F32(k int, a *float32, rsA, psA int, b *float32, ldb int, c *float32, ldc int)

// kern8x8F32 is kern8x4 for an 8×8 float32 block.
//
//go:noescape
func kern8x8F32(k int, a *float32, rsA, psA int, b *float32, ldb int, c *float32, ldc int)

// kern8x32F32 is kern8x16 for an 8×32 float32 block, with AVX-512F.
//
//go:noescape
func kern8x32F32(k int, a *float32, rsA, psA int, b *float32, ldb int, c *float32, ldc int)

// adamAVX2F32 is adamAVX2 for n a multiple of 8.
//
//go:noescape
func adamAVX2F32(n int, theta, grad, m, v *float32, c *adamConsts[float32])

// bnSumsAVX2F32 is bnSumsAVX2 for w a multiple of 8.
//
//go:noescape
func bnSumsAVX2F32(rows, w int, dg, xhat, sg, sgx, h, mask *float32, mode int)

// bnDzAVX2F32 is bnDzAVX2 for w a multiple of 8.
//
//go:noescape
func bnDzAVX2F32(rows, w int, dg, xhat, k, mg, mgx, db *float32)

// normAffineAVX2F32 is normAffineAVX2 for w a multiple of 8.
//
//go:noescape
func normAffineAVX2F32(rows, w int, z, h, mean, invStd, gamma, beta *float32, relu int)

// dropoutAVX2F32 is dropoutAVX2 for float32 (in kernel_amd64.s: the
// float64 kernel widens each word's mask to 64 bits, this one does not).
//
//go:noescape
func dropoutAVX2F32(blocks int, h, d, mask *float32, dm *dropMask)

// transposeAVX2F32 is transposeAVX2 for float32 (in kernel_amd64.s: 4×4
// blocks of XMM registers, shuffled otherwise than doubles).
//
//go:noescape
func transposeAVX2F32(rows, cols int, dst, src *float32)

// bnStatsAVX2F32 is bnStatsAVX2 for w a multiple of 8.
//
//go:noescape
func bnStatsAVX2F32(rows, w int, z, mean, variance, invStd *float32, inv, eps float32)

// kernCols16 sets the 16×cols block of C at c (row stride ldc), cols 1 or
// 2, to Â·B over k ≥ 1 terms for Â with contiguous rows: Â(r, p) =
// a[r + p*psA] for r < 16, B(p, j) = b[p*ldb + j]. Strides are in
// elements. The caller checks the bounds.
//
//go:noescape
func kernCols16(k int, a *float64, psA int, b *float64, ldb int, c *float64, ldc int, cols int)

// kernDot8 sets the 8×1 block of C at c (row stride ldc) to Â·B over k ≥ 1
// terms for Â with contiguous columns: Â(r, p) = a[r*rsA + p] for r < 8,
// B(p, 0) = b[p*ldb]. Strides are in elements. The caller checks the
// bounds.
//
//go:noescape
func kernDot8(k int, a *float64, rsA int, b *float64, ldb int, c *float64, ldc int)

// kernRow16 sets the 1×16 block of C at c to Â·B over k ≥ 1 terms: Â(0,
// p) = a[p*psA], B(p, j) = b[p*ldb + j]. Strides are in elements. The
// caller checks the bounds.
//
//go:noescape
func kernRow16(k int, a *float64, psA int, b *float64, ldb int, c *float64)

// supportedKernels lists the paths this processor executes, slowest first.
func supportedKernels() []kernelPath {
	paths := []kernelPath{generic}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		paths = append(paths, avx2)
		if cpu.X86.HasAVX512F {
			paths = append(paths, avx512)
		}
	}
	return paths
}

// kern4x8 sets the 4×8 block of C at c (row stride ldc) to Â·B over k terms:
// Â(r, p) = a[r*rsA + p*psA] for r < 4, B(p, j) = b[p*ldb + j] for j < 8.
// Strides are in elements. The caller checks the bounds.
//
//go:noescape
func kern4x8(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int)

// kern8x4 is kern4x8 for an 8×4 block.
//
//go:noescape
func kern8x4(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int)

// kern8x16 is kern4x8 for an 8×16 block, with AVX-512F.
//
//go:noescape
func kern8x16(k int, a *float64, rsA, psA int, b *float64, ldb int, c *float64, ldc int)

// adamAVX2 applies Adam's update to n elements, n a multiple of 4, with the
// constants in c; see Adam.Step.
//
//go:noescape
func adamAVX2(n int, theta, grad, m, v *float64, c *adamConsts[float64])

// bnSumsAVX2 adds the column sums of dg and of dg·xhat (rows × w, w a
// multiple of 4, rows ≥ 1) to sg and sgx; with mode sumsReLU it first
// applies the dropout mask and ReLU's derivative (from its output h) to dg,
// with sumsMask only the mask. See batchNormBackward.
//
//go:noescape
func bnSumsAVX2(rows, w int, dg, xhat, sg, sgx, h, mask *float64, mode int)

// bnDzAVX2 is batchNormBackward's second pass for w a multiple of 4 and
// rows ≥ 1.
//
//go:noescape
func bnDzAVX2(rows, w int, dg, xhat, k, mg, mgx, db *float64)

// normAffineAVX2 is normaliseAffine over rows × w matrices, w a multiple of
// 4, followed by ReLU when relu ≠ 0.
//
//go:noescape
func normAffineAVX2(rows, w int, z, h, mean, invStd, gamma, beta *float64, relu int)

// bnStatsAVX2 is batchStatistics (the batch's mean, biased variance and
// 1/sqrt(variance + eps), without the running statistics) for w a multiple
// of 4 and rows ≥ 1; inv is 1/rows and eps BatchNorm's epsilon.
//
//go:noescape
func bnStatsAVX2(rows, w int, z, mean, variance, invStd *float64, inv, eps float64)

// transposeAVX2 is transpose for the top-left (rows&^3) × (cols&^3) part
// of src.
//
//go:noescape
func transposeAVX2(rows, cols int, dst, src *float64)

// dropoutAVX2 runs dropMask.apply over blocks of 8 elements: the same
// generator steps and the same masks as the Go loop.
//
//go:noescape
func dropoutAVX2(blocks int, h, d, mask *float64, dm *dropMask)

// normDropAVX2 is normaliseAffine, ReLU and dropout in one pass over
// rows × w matrices, w a multiple of 8, leaving in mask the dropout mask
// with ReLU's derivative applied; see Network.Forward.
//
//go:noescape
func normDropAVX2(rows, w int, z, d, mask, mean, invStd, gamma, beta *float64, dm *dropMask)

// normDropAVX2F32 is normDropAVX2 for float32 (normdrop_amd64.s, written
// by hand like dropoutAVX2F32).
//
//go:noescape
func normDropAVX2F32(rows, w int, z, d, mask, mean, invStd, gamma, beta *float32, dm *dropMask)
