package ffn

import (
	"fmt"
	"math"
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

// apply replaces every x in v by the activation of x.
func (a Activation) apply(v []float64) {
	switch a {
	case ReLU:
		// Clear negative values through their sign bit: a branch would be
		// mispredicted on about half the elements.
		for i, x := range v {
			b := math.Float64bits(x)
			v[i] = math.Float64frombits(b &^ uint64(int64(b)>>63))
		}
	case Tanh:
		for i, x := range v {
			v[i] = math.Tanh(x)
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
				v[i] = math.Expm1(x)
			}
		}
	}
}

// backward sets each gradient g[i] to g[i]·mask[i]·f′, the dropout mask's
// scale times the activation's derivative, given the activation's output
// h[i] (one pass instead of two). Every derivative is a function of the
// output (for ELU, exp(x) = h + 1 when x ≤ 0), so the input need not be
// kept. At 0 the derivative taken is PyTorch's: 0 for ReLU, the slope for
// LeakyReLU, 1 for ELU.
func (a Activation) backward(g, h, mask []float64) {
	h, mask = h[:len(g)], mask[:len(g)]
	switch a {
	case ReLU:
		// The output is +0 or positive: keep g where its bits are not zero,
		// without a branch that would be mispredicted half the time.
		for i, y := range h {
			b := math.Float64bits(y)
			keep := uint64(int64(b|-b) >> 63)
			g[i] = math.Float64frombits(math.Float64bits(g[i]*mask[i]) & keep)
		}
	case Tanh:
		for i, y := range h {
			g[i] = g[i] * mask[i] * (1 - y*y)
		}
	case LeakyReLU:
		for i, y := range h {
			d := 1.0
			if y <= 0 {
				d = leakySlope
			}
			g[i] = g[i] * mask[i] * d
		}
	case ELU:
		for i, y := range h {
			d := 1.0
			if y < 0 {
				d = y + 1
			}
			g[i] = g[i] * mask[i] * d
		}
	}
}
