package ffn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// The matrix products of a dense layer all have the form C = Â·B, where B is
// row-major (row p contiguous) and Â is read through two strides, so that
// one function serves a plain A (row stride lda, column stride 1) and a
// transposed one (row stride 1, column stride lda):
//
//	forward:      Z  = X·Wᵀ    (Wᵀ a copy that Adam's step keeps, see Network.transposed)
//	weight grad:  dW = dZᵀ·X   (Â = dZᵀ, read through strides)
//	input grad:   dX = dZ·W
//
// The assembly paths tile C into blocks whose sums stay in vector registers
// for the whole inner product (kernel_amd64.s): 4×8 in eight YMM registers
// with AVX2, 8×16 in sixteen ZMM registers with AVX-512 (float32: 4×16 and
// 8×32, kernel32_amd64.s). The generic path calls gonum's blas64.Gemm
// (blas32.Gemm for float32), which BenchmarkKernels measured a little
// faster than a register-tiled Go loop (about 8 against 6.5 GFLOP/s) and 5×
// slower than the assembly.

// microKernel is an assembly kernel: it sets the mr×nr block of C at c to
// Â·B over k terms (see kern4x8).
type microKernel[T Float] func(k int, a *T, rsA, psA int, b *T, ldb int, c *T, ldc int)

// tiling is a micro-kernel with its block size, and optionally smaller
// tilings for the edges, where padding a strip to whole blocks of this
// tiling would waste more arithmetic.
type tiling[T Float] struct {
	mr, nr int
	kern   microKernel[T]
	// narrow, if not nil, computes a column edge of at most narrow.nr
	// columns, or of at most narrowMax where that is larger (narrow then
	// hands its own edge on); short, a row edge of at most short.mr rows.
	narrow, short *tiling[T]
	narrowMax     int
	// edges, if not nil, are kernels for thin edges.
	edges *edgeKernels[T]
}

// edgeKernels compute edges one or a few elements thick without padding
// them to a block, each for the layout that lets it vectorise along the
// edge.
type edgeKernels[T Float] struct {
	// cols computes 16-row blocks of a column edge of 1 to colsMax
	// columns when Â's rows are contiguous (rsA = 1), as in a weight
	// gradient (see kernCols16).
	cols func(k int, a *T, psA int, b *T, ldb int, c *T, ldc int, cols int)
	// dot computes 8-row blocks of a column edge of one column when Â's
	// columns are contiguous (psA = 1), as in a regression output's
	// forward product (see kernDot8).
	dot func(k int, a *T, rsA int, b *T, ldb int, c *T, ldc int)
	// row computes 16-column blocks of a row edge of one row (see
	// kernRow16).
	row func(k int, a *T, psA int, b *T, ldb int, c *T)
}

// columns computes what it can of the column edge [j0, n) of rows [0, i0)
// of gemm's product with the edge kernels, in whole blocks from row 0, and
// returns the rows it computed; e may be nil (none).
func (e *edgeKernels[T]) columns(i0, j0, n, k int, a []T, rsA, psA int, b []T, ldb int, c []T, ldc int) int {
	i := 0
	switch {
	case e == nil:
	case rsA == 1 && n-j0 <= colsMax:
		for ; i+16 <= i0; i += 16 {
			for j := j0; j < n; j += 2 {
				e.cols(k, &a[i], psA, &b[j], ldb, &c[i*ldc+j], ldc, min(2, n-j))
			}
		}
	case psA == 1 && n-j0 == 1:
		for ; i+8 <= i0; i += 8 {
			e.dot(k, &a[i*rsA], rsA, &b[j0], ldb, &c[i*ldc+j0], ldc)
		}
	}
	return i
}

// colsMax is the widest column edge that edgeKernels.cols computes, in
// blocks of up to 2 columns.
const colsMax = 3

// The edge tilings: a narrow column edge costs one 8×4 block per 8 rows
// instead of a 4×8 one per 4 (or an 8×16 one per 8), and a short row edge
// a 4×8 block per 8 columns instead of an 8×16 one per 16. The thinnest
// edges of the textbook network's products go to the edge kernels
// (edgeKernels) where their layout allows: the 2 edge columns of a 50-wide
// weight gradient, the single output of a regression layer and the single
// row of its weight gradient. All the kernels compute each element as one
// FMA chain in the same order, with the same operand order, so the results
// do not depend on the tiling, bit for bit, NaN payloads included.
//
// The float32 tilings (kernel_amd64.go) have the same shapes with twice the
// columns, as a vector register holds twice as many float32 numbers.

// maxTile is the largest block of any tiling, the size of gemmTiled's edge
// buffer.
const maxTile = 8 * 32

// gemm sets c = Â·b for m×k Â (element (r, p) at a[r*rsA+p*psA]), k×n b
// with row stride ldb, and m×n c with row stride ldc. sc holds the packing
// buffers of the edges; a nil sc allocates them. It panics if a slice is
// too short for its shape.
func gemm[T Float](sc *scratch[T], m, n, k int, a []T, rsA, psA int, b []T, ldb int, c []T, ldc int) {
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
	ks := kernelsOf[T]()
	switch {
	case kernel == avx512 && ks.avx512 != nil:
		gemmTiled(sc, *ks.avx512, m, n, k, a, rsA, psA, b, ldb, c, ldc)
	case kernel >= avx2 && ks.avx2 != nil:
		gemmTiled(sc, *ks.avx2, m, n, k, a, rsA, psA, b, ldb, c, ldc)
	case psA == 1 && rsA >= k:
		ks.blas(blas.NoTrans, m, n, k, a, rsA, b, ldb, c, ldc)
	case rsA == 1 && psA >= m:
		ks.blas(blas.Trans, m, n, k, a, psA, b, ldb, c, ldc)
	default:
		gemmRef(m, n, k, a, rsA, psA, b, ldb, c, ldc)
	}
}

// blasGemm64 and blasGemm32 set c = op(a)·b with gonum's BLAS, op(a) being
// the m×k a (row stride lda) or, with tA = blas.Trans, the transpose of the
// k×m a: the generic path's matrix products.
func blasGemm64(tA blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ga := blas64.General{Rows: m, Cols: k, Stride: lda, Data: a}
	if tA == blas.Trans {
		ga.Rows, ga.Cols = k, m
	}
	blas64.Gemm(tA, blas.NoTrans, 1, ga, blas64.General{Rows: k, Cols: n, Stride: ldb, Data: b}, 0, blas64.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}

func blasGemm32(tA blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ga := blas32.General{Rows: m, Cols: k, Stride: lda, Data: a}
	if tA == blas.Trans {
		ga.Rows, ga.Cols = k, m
	}
	blas32.Gemm(tA, blas.NoTrans, 1, ga, blas32.General{Rows: k, Cols: n, Stride: ldb, Data: b}, 0, blas32.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}

// scratch holds gemm's packing buffers and edge block, so that
// steady-state training allocates nothing (a block on the stack would
// escape through the micro-kernel's function value).
type scratch[T Float] struct {
	a, b []T
	tile [maxTile]T
}

// gemmTiled is gemm with the micro-kernel t.kern, or an edge tiling's on a
// narrow or short edge: the edges that do not fill a block (columns beyond
// a multiple of t.nr, rows beyond a multiple of t.mr, e.g. the 50 inputs of
// a weight gradient or a layer of one output) go to t.edges' kernels where
// those apply, and otherwise are packed into zero-padded blocks, computed
// whole, and the valid part copied out. The wasted arithmetic on the
// padding costs less than a scalar loop over the edge.
func gemmTiled[T Float](sc *scratch[T], t tiling[T], m, n, k int, a []T, rsA, psA int, b []T, ldb int, c []T, ldc int) {
	if sc == nil {
		sc = new(scratch[T])
	}
	mr, nr := t.mr, t.nr
	i0, j0 := m-m%mr, n-n%nr
	tile := sc.tile[:]
	for i := 0; i < i0; i += mr {
		for j := 0; j < j0; j += nr {
			t.kern(k, &a[i*rsA], rsA, psA, &b[j], ldb, &c[i*ldc+j], ldc)
		}
	}
	// The column edge, rows [0, i0); then the row edge, all columns.
	// bp is b's edge columns padded to nr, packed when first needed (a
	// narrow tiling reuses sc.b); ap is Â's edge rows padded to mr, laid
	// out p-major (row stride 1, column stride mr).
	var bp []T
	packB := func() {
		sc.b = growTo(sc.b, nr*k)
		bp = sc.b
		for p := 0; p < k; p++ {
			// Element loops, as in copyTile: a call to memmove per row
			// cost more than the few columns of an edge.
			row, src := bp[p*nr:p*nr+nr], b[p*ldb+j0:p*ldb+n]
			for j, v := range src {
				row[j] = v
			}
			clear(row[len(src):])
		}
	}
	if j0 < n && i0 > 0 {
		i := t.edges.columns(i0, j0, n, k, a, rsA, psA, b, ldb, c, ldc)
		switch e := t.narrow; {
		case i == i0: // all in the edge kernels' blocks
		case e != nil && n-j0 <= max(e.nr, t.narrowMax):
			gemmTiled(sc, *e, i0-i, n-j0, k, a[i*rsA:], rsA, psA, b[j0:], ldb, c[i*ldc+j0:], ldc)
		default:
			packB()
			for ; i < i0; i += mr {
				t.kern(k, &a[i*rsA], rsA, psA, &bp[0], nr, &tile[0], nr)
				copyTile(c[i*ldc+j0:], ldc, tile, nr, mr, n-j0)
			}
		}
	}
	if i0 == m {
		return
	}
	if e := t.short; e != nil && m-i0 <= e.mr {
		gemmTiled(sc, *e, m-i0, n, k, a[i0*rsA:], rsA, psA, b, ldb, c[i0*ldc:], ldc)
		return
	}
	j := 0
	if t.edges != nil && m-i0 == 1 && 16%nr == 0 {
		for ; j+16 <= n; j += 16 {
			t.edges.row(k, &a[i0*rsA], psA, &b[j], ldb, &c[i0*ldc+j])
		}
		if j == n {
			return
		}
	}
	sc.a = growTo(sc.a, mr*k)
	ap := sc.a
	clear(ap[:mr*k])
	for r := range m - i0 {
		src := a[(i0+r)*rsA:]
		for p := 0; p < k; p++ {
			ap[p*mr+r] = src[p*psA]
		}
	}
	for ; j < j0; j += nr { // j is a multiple of nr, which divides 16
		t.kern(k, &ap[0], 1, mr, &b[j], ldb, &tile[0], nr)
		copyTile(c[i0*ldc+j:], ldc, tile, nr, m-i0, nr)
	}
	if j0 < n {
		if bp == nil {
			packB()
		}
		t.kern(k, &ap[0], 1, mr, &bp[0], nr, &tile[0], nr)
		copyTile(c[i0*ldc+j0:], ldc, tile, nr, m-i0, n-j0)
	}
}

// copyTile copies the top-left rows × cols of a block with row stride
// ldt into c.
func copyTile[T Float](c []T, ldc int, tile []T, ldt, rows, cols int) {
	for r := 0; r < rows; r++ {
		// An element loop: the edges are a few columns wide, too few
		// for copy's call to memmove to pay.
		dst, src := c[r*ldc:r*ldc+cols], tile[r*ldt:r*ldt+cols]
		for j, v := range src {
			dst[j] = v
		}
	}
}

// gemmRef is gemm with plain loops, one strided dot product per element:
// the portable fallback for strides that gonum's BLAS cannot express.
func gemmRef[T Float](m, n, k int, a []T, rsA, psA int, b []T, ldb int, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
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

// transpose sets dst (cols × rows) to the transpose of the rows × cols
// row-major src. It panics if either is shorter than rows·cols.
func transpose[T Float](dst []T, rows, cols int, src []T) {
	src, dst = src[:rows*cols], dst[:rows*cols]
	r0, c0 := 0, 0
	if tr := kernelsOf[T]().transpose; tr != nil && vectorised() && rows >= 4 && cols >= 4 {
		// The kernel does the 4×4 blocks; the loops below, the edges.
		r0, c0 = rows&^3, cols&^3
		tr(rows, cols, &dst[0], &src[0])
	}
	transposeBlock(dst, rows, cols, src, 0, rows, c0, cols)
	transposeBlock(dst, rows, cols, src, r0, rows, 0, c0)
}

// transposeBlock is transpose restricted to src's rows [i0, i1) and
// columns [j0, j1).
func transposeBlock[T Float](dst []T, rows, cols int, src []T, i0, i1, j0, j1 int) {
	for j := j0; j < j1; j++ {
		d := dst[j*rows+i0 : j*rows+i1]
		for i := range d {
			d[i] = src[(i0+i)*cols+j]
		}
	}
}

// addRow adds v to every row of the row-major matrix a with len(v) columns.
func addRow[T Float](a, v []T) {
	w := len(v)
	if w == 1 { // one output: a plain loop, not one row slice per element
		x := v[0]
		for i := range a {
			a[i] += x
		}
		return
	}
	for r := 0; r+w <= len(a); r += w {
		row := a[r : r+w]
		for j, x := range v[:len(row)] {
			row[j] += x
		}
	}
}

// colSum sets dst[j] to the sum of column j of the m×n matrix a.
func colSum[T Float](dst []T, m, n int, a []T, lda int) {
	dst = dst[:n]
	if n == 1 { // one column: the same sum in the same order, without a row slice per element
		var s T
		for i := 0; i < m; i++ {
			s += a[i*lda]
		}
		dst[0] = s
		return
	}
	clear(dst)
	for i := 0; i < m; i++ {
		row := a[i*lda : i*lda+n]
		d := dst[:len(row)]
		for j, v := range row {
			d[j] += v
		}
	}
}
