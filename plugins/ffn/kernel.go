package ffn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"os"
	"slices"
	"strings"
)

// kernelPath is one implementation of the numerical kernels. The paths
// differ in speed and, between generic and the assembly ones, in the last
// bits of results (see the package README); each is deterministic.
type kernelPath int

const (
	// generic is portable Go, with gonum's blas64 (blas32 for float32) for the
	// matrix products.
	generic kernelPath = iota
	// avx2 is the AVX2/FMA assembly: the 4×8 matrix kernel and the
	// element-wise kernels (BatchNorm, dropout, Adam).
	avx2
	// avx512 is avx2 with the 8×16 AVX-512F matrix kernel, whose results
	// are bit-identical to avx2's.
	avx512
)

var kernelNames = [...]string{generic: "generic", avx2: "avx2", avx512: "avx512"}

func (k kernelPath) String() string { return kernelNames[k] }

// kernelEnv names the environment variable that forces a kernel path, so
// that a machine with AVX-512 can also run (and test) the others.
const kernelEnv = "SWEEP_FFN_KERNEL"

// kernel is the path in use: the one kernelEnv names, or else the fastest
// this processor supports. Tests switch it to run every path.
var kernel = mustChooseKernel(os.Getenv(kernelEnv), supportedKernels())

// chooseKernel returns the path named by name, or the last (fastest) of
// supported where name is empty. It returns an error for an unknown name
// or a path the processor cannot execute.
func chooseKernel(name string, supported []kernelPath) (kernelPath, error) {
	if name == "" {
		return supported[len(supported)-1], nil
	}
	i := slices.Index(kernelNames[:], name)
	if i < 0 {
		return 0, fmt.Errorf("%s=%q: not one of %s", kernelEnv, name, strings.Join(kernelNames[:], ", "))
	}
	if !slices.Contains(supported, kernelPath(i)) {
		return 0, fmt.Errorf("%s=%q: this processor lacks the instructions for it", kernelEnv, name)
	}
	return kernelPath(i), nil
}

// mustChooseKernel is chooseKernel for the package's initialisation. It
// panics on an error: a forced path that silently fell back to another
// would make a test run on the wrong path look like a pass.
func mustChooseKernel(name string, supported []kernelPath) kernelPath {
	k, err := chooseKernel(name, supported)
	if err != nil {
		panic("ffn: " + err.Error())
	}
	return k
}

// vectorised reports whether the element-wise assembly kernels are in use.
func vectorised() bool { return kernel >= avx2 }

// Float is the element type a network computes in: float64, the default,
// which agrees with PyTorch's float64 to 1e-9, or float32, about twice as
// fast, which agrees with PyTorch's float32 to about 1e-5. The constraint
// names the two types exactly (no ~): the kernels are chosen by type.
type Float interface{ float32 | float64 }

// kernels are the implementations of the numerical kernels for one element
// type. A nil function has no assembly for that type (or this processor's
// architecture), and the Go loop serves on every path.
type kernels[T Float] struct {
	// lanes is the element-wise kernels' unit: they take widths that are
	// multiples of it (one YMM register's elements).
	lanes int
	// avx512 and avx2 are the matrix tilings of those paths.
	avx512, avx2 *tiling[T]
	// blas is gonum's matrix product of this type, for the generic path.
	blas func(tA blas.Transpose, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int)

	adam       func(n int, theta, grad, m, v *T, c *adamConsts[T])
	adamT      func(rows, cols int, theta, grad, m, v, wt *T, ldt int, c *adamConsts[T])
	bnSums     func(rows, w int, dg, xhat, sg, sgx, h, mask *T, mode int)
	bnDz       func(rows, w int, dg, xhat, k, mg, mgx, db *T)
	normAffine func(rows, w int, z, h, mean, invStd, gamma, beta *T, relu int)
	bnStats    func(rows, w int, z, mean, variance, invStd *T, inv, eps T)
	transpose  func(rows, cols int, dst, src *T)
	dropout    func(blocks int, h, d, mask *T, dm *dropMask)
	// normDrop fuses normAffine (with ReLU) and dropout for widths that are
	// multiples of dropBlock.
	normDrop func(rows, w int, z, d, mask, mean, invStd, gamma, beta *T, dm *dropMask)
}

// kernelsOf returns the kernels of T, kernels64 or kernels32 (defined per
// architecture).
func kernelsOf[T Float]() *kernels[T] {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(&kernels32).(*kernels[T])
	}
	return any(&kernels64).(*kernels[T])
}

// elementwise reports whether the element-wise assembly kernels of T apply
// to rows of w elements on the path in use.
func (ks *kernels[T]) elementwise(w int) bool {
	return vectorised() && ks.lanes > 0 && w%ks.lanes == 0
}
