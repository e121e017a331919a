//go:build !amd64

package ffn

// supportedKernels lists the paths this processor executes: only the
// portable one, as there is no assembly for this architecture.
func supportedKernels() []kernelPath { return []kernelPath{generic} }

// The kernels of the generic path: gonum's BLAS, and Go loops for the rest.
var (
	kernels64 = kernels[float64]{blas: blasGemm64}
	kernels32 = kernels[float32]{blas: blasGemm32}
)
