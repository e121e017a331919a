package ffn

import (
	"fmt"
	"math"
	"unsafe"
)

// Activation is a hidden layer's nonlinearity.
type Activation int

// The activations a network may use, named as the "activation"
// hyperparameter spells them.
const (
	ReLU      Activation = iota // max(0, x)
	Tanh                        // tanh(x)
	LeakyReLU                   // x for x > 0, 0.01·x otherwise (PyTorch's default slope)
	ELU                         // x for x > 0, exp(x) − 1 otherwise (alpha 1)
)

// leakySlope is nn.LeakyReLU's default negative slope.
const leakySlope = 0.01

// activations names each activation as the "activation" hyperparameter
// spells it and as PyTorch's module class (for the graph).
var activations = [...]struct{ name, torch string }{
	ReLU:      {"relu", "ReLU"},
	Tanh:      {"tanh", "Tanh"},
	LeakyReLU: {"leaky_relu", "LeakyReLU"},
	ELU:       {"elu", "ELU"},
}

// ActivationNames lists the activations' names, as ParseActivation accepts
// them.
func ActivationNames() []string {
	names := make([]string, len(activations))
	for i, a := range activations {
		names[i] = a.name
	}
	return names
}

// ParseActivation returns the activation named s: "relu", "tanh",
// "leaky_relu" or "elu".
func ParseActivation(s string) (Activation, error) {
	for a, names := range activations {
		if names.name == s {
			return Activation(a), nil
		}
	}
	return 0, fmt.Errorf("activation: %q is not one of relu, tanh, leaky_relu, elu", s)
}

// valid reports whether a is one of the declared activations.
func (a Activation) valid() bool { return a >= 0 && int(a) < len(activations) }

// String returns the activation's name, as ParseActivation accepts it.
func (a Activation) String() string {
	if !a.valid() {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activations[a].name
}

// torchName is the activation's module class in PyTorch, for the graph.
func (a Activation) torchName() string { return activations[a].torch }

// activate replaces every x in v by a(x).
func activate[T Float](a Activation, v []T) {
	switch a {
	case ReLU:
		// Clear negative values through their sign bit: a branch would be
		// mispredicted on about half the elements.
		for i, x := range v {
			v[i] = reluBits(x)
		}
	case Tanh:
		for i, x := range v {
			v[i] = T(math.Tanh(float64(x)))
		}
	case LeakyReLU:
		for i, x := range v {
			if x < 0 {
				v[i] = leakySlope * x
			}
		}
	case ELU:
		for i, x := range v {
			if x <= 0 {
				v[i] = T(math.Expm1(float64(x)))
			}
		}
	}
}

// activationBackward sets each gradient g[i] to g[i]·mask[i]·f′, the dropout mask's
// scale times the activation's derivative, given the activation's output
// h[i] (one pass instead of two). Every derivative is a function of the
// output (for ELU, exp(x) = h + 1 when x ≤ 0), so the input need not be
// kept. At 0 the derivative taken is PyTorch's: 0 for ReLU, the slope for
// LeakyReLU, 1 for ELU.
func activationBackward[T Float](a Activation, g, h, mask []T) {
	h, mask = h[:len(g)], mask[:len(g)]
	switch a {
	case ReLU:
		// The output is +0 or positive: keep g where its bits are not zero,
		// without a branch that would be mispredicted half the time.
		for i, y := range h {
			g[i] = keepNonzero(g[i]*mask[i], y)
		}
	case Tanh:
		for i, y := range h {
			g[i] = g[i] * mask[i] * (1 - y*y)
		}
	case LeakyReLU:
		for i, y := range h {
			d := T(1)
			if y <= 0 {
				d = leakySlope
			}
			g[i] = g[i] * mask[i] * d
		}
	case ELU:
		for i, y := range h {
			d := T(1)
			if y < 0 {
				d = y + 1
			}
			g[i] = g[i] * mask[i] * d
		}
	}
}

// reluBits returns x with its bits cleared when its sign bit is set: +0
// for a negative x or −0, else x. The size test is a constant of each
// instantiation.
func reluBits[T Float](x T) T {
	if unsafe.Sizeof(x) == 4 {
		b := math.Float32bits(float32(x))
		return T(math.Float32frombits(b &^ uint32(int32(b)>>31)))
	}
	b := math.Float64bits(float64(x))
	return T(math.Float64frombits(b &^ uint64(int64(b)>>63)))
}

// keepNonzero returns g where the bits of y are not all zero (y is not +0),
// else +0, without a branch.
func keepNonzero[T Float](g, y T) T {
	if unsafe.Sizeof(y) == 4 {
		b := math.Float32bits(float32(y))
		keep := uint32(int32(b|-b) >> 31)
		return T(math.Float32frombits(math.Float32bits(float32(g)) & keep))
	}
	b := math.Float64bits(float64(y))
	keep := uint64(int64(b|-b) >> 63)
	return T(math.Float64frombits(math.Float64bits(float64(g)) & keep))
}
