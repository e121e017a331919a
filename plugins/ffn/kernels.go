package ffn

// The three matrix products a dense layer needs, for row-major matrices with
// explicit leading dimensions. The shapes of the textbook network are small
// (a few dozen on each side), so the kernels block the output 4×4 and keep
// the 16 partial sums in registers; the edges fall back to the plain loops,
// which the tests also use as the reference. BenchmarkKernels compares them
// with gonum's blas64 on the textbook shapes: for these sizes the register
// blocking wins, because blas64.Gemm's generic blocking and bounds checks
// cost more than the arithmetic.

// gemmNT sets c = a·bᵀ + bias, with a m×k, b n×k and c m×n. A nil bias adds
// nothing. It is the forward pass of a Linear layer: a holds the batch, b the
// weight in PyTorch's [out][in] layout.
func gemmNT(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, bias []float64) {
	i := 0
	for ; i+4 <= m; i += 4 {
		a0 := a[i*lda : i*lda+k]
		a1 := a[(i+1)*lda : (i+1)*lda+k]
		a2 := a[(i+2)*lda : (i+2)*lda+k]
		a3 := a[(i+3)*lda : (i+3)*lda+k]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*ldb : j*ldb+k]
			b1 := b[(j+1)*ldb : (j+1)*ldb+k]
			b2 := b[(j+2)*ldb : (j+2)*ldb+k]
			b3 := b[(j+3)*ldb : (j+3)*ldb+k]
			var c00, c01, c02, c03, c10, c11, c12, c13 float64
			var c20, c21, c22, c23, c30, c31, c32, c33 float64
			for p := range a0 {
				x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
				y0, y1, y2, y3 := b0[p], b1[p], b2[p], b3[p]
				c00 += x0 * y0
				c01 += x0 * y1
				c02 += x0 * y2
				c03 += x0 * y3
				c10 += x1 * y0
				c11 += x1 * y1
				c12 += x1 * y2
				c13 += x1 * y3
				c20 += x2 * y0
				c21 += x2 * y1
				c22 += x2 * y2
				c23 += x2 * y3
				c30 += x3 * y0
				c31 += x3 * y1
				c32 += x3 * y2
				c33 += x3 * y3
			}
			if bias != nil {
				d0, d1, d2, d3 := bias[j], bias[j+1], bias[j+2], bias[j+3]
				c00, c01, c02, c03 = c00+d0, c01+d1, c02+d2, c03+d3
				c10, c11, c12, c13 = c10+d0, c11+d1, c12+d2, c13+d3
				c20, c21, c22, c23 = c20+d0, c21+d1, c22+d2, c23+d3
				c30, c31, c32, c33 = c30+d0, c31+d1, c32+d2, c33+d3
			}
			store4(c[i*ldc+j:], c00, c01, c02, c03)
			store4(c[(i+1)*ldc+j:], c10, c11, c12, c13)
			store4(c[(i+2)*ldc+j:], c20, c21, c22, c23)
			store4(c[(i+3)*ldc+j:], c30, c31, c32, c33)
		}
		gemmNTRef(i, i+4, j, n, k, a, lda, b, ldb, c, ldc, bias)
	}
	gemmNTRef(i, m, 0, n, k, a, lda, b, ldb, c, ldc, bias)
}

// gemmNTRef computes the rows [i0, i1) and columns [j0, j1) of gemmNT with
// plain loops.
func gemmNTRef(i0, i1, j0, j1, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, bias []float64) {
	for i := i0; i < i1; i++ {
		ai := a[i*lda : i*lda+k]
		for j := j0; j < j1; j++ {
			bj := b[j*ldb : j*ldb+k]
			var s float64
			for p, v := range ai {
				s += v * bj[p]
			}
			if bias != nil {
				s += bias[j]
			}
			c[i*ldc+j] = s
		}
	}
}

// gemmTN sets c = aᵀ·b, with a m×n, b m×k and c n×k. It is the weight
// gradient of a Linear layer: a holds the output gradients of the batch, b
// the layer's input, and the sum runs over the batch rows.
func gemmTN(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	j := 0
	for ; j+4 <= n; j += 4 {
		p := 0
		for ; p+4 <= k; p += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float64
			var c20, c21, c22, c23, c30, c31, c32, c33 float64
			for i := 0; i < m; i++ {
				ar := a[i*lda+j : i*lda+j+4]
				br := b[i*ldb+p : i*ldb+p+4]
				x0, x1, x2, x3 := ar[0], ar[1], ar[2], ar[3]
				y0, y1, y2, y3 := br[0], br[1], br[2], br[3]
				c00 += x0 * y0
				c01 += x0 * y1
				c02 += x0 * y2
				c03 += x0 * y3
				c10 += x1 * y0
				c11 += x1 * y1
				c12 += x1 * y2
				c13 += x1 * y3
				c20 += x2 * y0
				c21 += x2 * y1
				c22 += x2 * y2
				c23 += x2 * y3
				c30 += x3 * y0
				c31 += x3 * y1
				c32 += x3 * y2
				c33 += x3 * y3
			}
			store4(c[j*ldc+p:], c00, c01, c02, c03)
			store4(c[(j+1)*ldc+p:], c10, c11, c12, c13)
			store4(c[(j+2)*ldc+p:], c20, c21, c22, c23)
			store4(c[(j+3)*ldc+p:], c30, c31, c32, c33)
		}
		gemmTNRef(m, j, j+4, p, k, a, lda, b, ldb, c, ldc)
	}
	gemmTNRef(m, j, n, 0, k, a, lda, b, ldb, c, ldc)
}

// gemmTNRef computes the rows [j0, j1) and columns [p0, p1) of gemmTN with
// plain loops.
func gemmTNRef(m, j0, j1, p0, p1 int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	for j := j0; j < j1; j++ {
		cj := c[j*ldc+p0 : j*ldc+p1]
		for p := range cj {
			cj[p] = 0
		}
		for i := 0; i < m; i++ {
			x := a[i*lda+j]
			br := b[i*ldb+p0 : i*ldb+p1]
			for p, y := range br {
				cj[p] += x * y
			}
		}
	}
}

// gemmNN sets c = a·b, with a m×n, b n×k and c m×k. It is the input gradient
// of a Linear layer: a holds the output gradients, b the weight.
func gemmNN(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	i := 0
	for ; i+4 <= m; i += 4 {
		p := 0
		for ; p+4 <= k; p += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float64
			var c20, c21, c22, c23, c30, c31, c32, c33 float64
			for j := 0; j < n; j++ {
				br := b[j*ldb+p : j*ldb+p+4]
				x0, x1, x2, x3 := a[i*lda+j], a[(i+1)*lda+j], a[(i+2)*lda+j], a[(i+3)*lda+j]
				y0, y1, y2, y3 := br[0], br[1], br[2], br[3]
				c00 += x0 * y0
				c01 += x0 * y1
				c02 += x0 * y2
				c03 += x0 * y3
				c10 += x1 * y0
				c11 += x1 * y1
				c12 += x1 * y2
				c13 += x1 * y3
				c20 += x2 * y0
				c21 += x2 * y1
				c22 += x2 * y2
				c23 += x2 * y3
				c30 += x3 * y0
				c31 += x3 * y1
				c32 += x3 * y2
				c33 += x3 * y3
			}
			store4(c[i*ldc+p:], c00, c01, c02, c03)
			store4(c[(i+1)*ldc+p:], c10, c11, c12, c13)
			store4(c[(i+2)*ldc+p:], c20, c21, c22, c23)
			store4(c[(i+3)*ldc+p:], c30, c31, c32, c33)
		}
		gemmNNRef(i, i+4, p, k, n, a, lda, b, ldb, c, ldc)
	}
	gemmNNRef(i, m, 0, k, n, a, lda, b, ldb, c, ldc)
}

// gemmNNRef computes the rows [i0, i1) and columns [p0, p1) of gemmNN with
// plain loops.
func gemmNNRef(i0, i1, p0, p1, n int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	for i := i0; i < i1; i++ {
		ci := c[i*ldc+p0 : i*ldc+p1]
		for p := range ci {
			ci[p] = 0
		}
		for j := 0; j < n; j++ {
			x := a[i*lda+j]
			br := b[j*ldb+p0 : j*ldb+p1]
			for p, y := range br {
				ci[p] += x * y
			}
		}
	}
}

// store4 writes four values to the start of dst.
func store4(dst []float64, v0, v1, v2, v3 float64) {
	dst = dst[:4]
	dst[0], dst[1], dst[2], dst[3] = v0, v1, v2, v3
}

// colSum sets dst[j] to the sum of column j of the m×n matrix a.
func colSum(dst []float64, m, n int, a []float64, lda int) {
	dst = dst[:n]
	for j := range dst {
		dst[j] = 0
	}
	for i := 0; i < m; i++ {
		row := a[i*lda : i*lda+n]
		for j, v := range row {
			dst[j] += v
		}
	}
}
