package ffn

// The matrix products of a dense layer all have the form C = Â·B, where B is
// row-major (row p contiguous) and Â is read through two strides, so that
// one kernel serves a plain A (row stride lda, column stride 1) and a
// transposed one (row stride 1, column stride lda):
//
//	forward:      Z  = X·Wᵀ    (Wᵀ materialised once per pass, see Net.Forward)
//	weight grad:  dW = dZᵀ·X   (Â = dZᵀ, read through strides)
//	input grad:   dX = dZ·W
//
// gemm tiles C into 4×8 blocks whose 32 sums stay in registers for the
// whole inner product: with AVX2 and FMA an assembly micro-kernel
// (kernel_amd64.s) holds them in eight 4-wide vector registers; elsewhere a
// Go loop blocks 2×4 (more partial sums than that spill, as the amd64
// compiler has 15 usable vector registers). BenchmarkKernels compares these
// with gonum's blas64.Gemm on the textbook shapes.

// gemm sets c = Â·b for m×k Â (element (r, p) at a[r*rsA+p*psA]), k×n b
// with row stride ldb, and m×n c with row stride ldc.
func gemm(m, n, k int, a []float64, rsA, psA int, b []float64, ldb int, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			fill(c[i*ldc:i*ldc+n], 0)
		}
		return
	}
	// Bounds for the unchecked kernels: the last element each one reads.
	_ = a[(m-1)*rsA+(k-1)*psA]
	_ = b[(k-1)*ldb+n-1]
	_ = c[(m-1)*ldc+n-1]
	i0, j0 := 0, 0
	if useAsm {
		i0, j0 = m&^3, n&^7
		for i := 0; i < i0; i += 4 {
			for j := 0; j < j0; j += 8 {
				kern4x8(k, &a[i*rsA], rsA, psA, &b[j], ldb, &c[i*ldc+j], ldc)
			}
		}
	} else {
		i0, j0 = m&^1, n&^3
		for i := 0; i < i0; i += 2 {
			for j := 0; j < j0; j += 4 {
				kern2x4(k, a[i*rsA:], rsA, psA, b[j:], ldb, c[i*ldc+j:], ldc)
			}
		}
	}
	// The right edge of the tiled rows, then the bottom rows.
	gemmRef(0, i0, j0, n, k, a, rsA, psA, b, ldb, c, ldc)
	gemmRef(i0, m, 0, n, k, a, rsA, psA, b, ldb, c, ldc)
}

// gemmRef computes rows [i0, i1) and columns [j0, j1) of gemm with plain
// loops, one strided dot product per element; it is the kernels' edge
// handler (and the whole product for one-output layers).
func gemmRef(i0, i1, j0, j1, k int, a []float64, rsA, psA int, b []float64, ldb int, c []float64, ldc int) {
	for i := i0; i < i1; i++ {
		for j := j0; j < j1; j++ {
			var s float64
			pa, pb := i*rsA, j
			for p := 0; p < k; p++ {
				s += a[pa] * b[pb]
				pa += psA
				pb += ldb
			}
			c[i*ldc+j] = s
		}
	}
}

// kern2x4 sets the 2×4 block of c at its start to Â·b for the blocks of Â
// and b at their starts, in Go.
func kern2x4(k int, a []float64, rsA, psA int, b []float64, ldb int, c []float64, ldc int) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float64
	pa := 0
	for p := 0; p < k; p++ {
		br := b[p*ldb : p*ldb+4]
		x0, x1 := a[pa], a[pa+rsA]
		y0, y1, y2, y3 := br[0], br[1], br[2], br[3]
		c00 += x0 * y0
		c01 += x0 * y1
		c02 += x0 * y2
		c03 += x0 * y3
		c10 += x1 * y0
		c11 += x1 * y1
		c12 += x1 * y2
		c13 += x1 * y3
		pa += psA
	}
	r0, r1 := c[0:4], c[ldc:ldc+4]
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
}

// transpose sets dst (cols × rows) to the transpose of the rows × cols
// row-major src.
func transpose(dst []float64, rows, cols int, src []float64) {
	_ = dst[rows*cols-1]
	for i := 0; i < rows; i++ {
		for j, v := range src[i*cols : (i+1)*cols] {
			dst[j*rows+i] = v
		}
	}
}

// addRow adds v to every row of the row-major matrix a with len(v) columns.
func addRow(a, v []float64) {
	w := len(v)
	for r := 0; r+w <= len(a); r += w {
		row := a[r : r+w]
		for j, x := range v {
			row[j] += x
		}
	}
}

// colSum sets dst[j] to the sum of column j of the m×n matrix a.
func colSum(dst []float64, m, n int, a []float64, lda int) {
	dst = dst[:n]
	fill(dst, 0)
	for i := 0; i < m; i++ {
		row := a[i*lda : i*lda+n]
		for j, v := range row {
			dst[j] += v
		}
	}
}
