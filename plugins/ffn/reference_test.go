package ffn

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// The reference runs in testdata/*.json were computed by PyTorch 1.13 in
// float64 (see testdata/README.md). They are compared within refTol,
// relative, with an absolute floor of refFloor: the gradient of a Linear bias
// that feeds BatchNorm is exactly zero in exact arithmetic, and PyTorch
// reports rounding residue of order 1e-17 there, which no relative
// tolerance can match.
const (
	refTol   = 1e-9
	refFloor = 1e-12
)

type refRun struct {
	Name         string                     `json:"name"`
	InputDim     int                        `json:"input_dim"`
	HiddenDims   []int                      `json:"hidden_dims"`
	OutputDim    int                        `json:"output_dim"`
	Activation   string                     `json:"activation"`
	LR           float64                    `json:"lr"`
	InitialState map[string]json.RawMessage `json:"initial_state"`
	Steps        []struct {
		X           [][]float64                `json:"x"`
		Y           [][]float64                `json:"y"`
		TrainOutput [][]float64                `json:"train_output"`
		Loss        float64                    `json:"loss"`
		Grads       map[string]json.RawMessage `json:"grads"`
		StateAfter  map[string]json.RawMessage `json:"state_after"`
	} `json:"steps"`
	Eval struct {
		X      [][]float64 `json:"x"`
		Y      [][]float64 `json:"y"`
		Output [][]float64 `json:"output"`
		Loss   float64     `json:"loss"`
	} `json:"eval"`
}

// flatTensor decodes a 1- or 2-dimensional JSON array into row-major values.
func flatTensor(t *testing.T, raw json.RawMessage) []float64 {
	t.Helper()
	var v []float64
	if err := json.Unmarshal(raw, &v); err == nil {
		return v
	}
	var m [][]float64
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("tensor: %v", err)
	}
	return slices.Concat(m...)
}

func loadRef(t *testing.T, path string) refRun {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r refRun
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// checkClose fails t for each element of got farther from want than refTol
// relative (with the refFloor absolute floor).
func checkClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if !scalar.EqualWithinAbsOrRel(got[i], want[i], refFloor, refTol) {
			t.Errorf("%s[%d] = %.17g, want %.17g (PyTorch)", what, i, got[i], want[i])
		}
	}
}

// setState copies a state_dict (keys without the "network." prefix) into
// the network's parameters and buffers.
func setState(t *testing.T, n *Net, state map[string]json.RawMessage) {
	t.Helper()
	for key, raw := range state {
		p, ok := n.Param("network." + key)
		if !ok {
			t.Fatalf("no parameter for state key %q", key)
		}
		v := flatTensor(t, raw)
		if len(v) != len(p.Value) {
			t.Fatalf("%s: %d values, want %d", p.Name, len(v), len(p.Value))
		}
		copy(p.Value, v)
	}
}

// adoptResidue replaces each gradient element whose reference value is
// rounding residue (at most refFloor in magnitude: the bias of a Linear that
// feeds BatchNorm, mathematically zero) by the reference value. Adam divides
// a gradient by its own root mean square, so residue of 1e-17 moves such a
// bias by up to lr·1e-9 in a direction that rounding alone decides, and the
// trajectories would part by more than refTol for reasons that say nothing
// about correctness. Every other element is this package's own gradient,
// already checked against PyTorch's.
func adoptResidue(got, want []float64) {
	for i, w := range want {
		if math.Abs(w) <= refFloor {
			got[i] = w
		}
	}
}

func TestPyTorchReference(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference runs in testdata: %v", err)
	}
	forEachKernel(t, func(t *testing.T) {
		for _, path := range files {
			checkReference(t, loadRef(t, path))
		}
	})
	// Every activation must be covered by a reference run.
	var acts []string
	for _, path := range files {
		acts = append(acts, loadRef(t, path).Activation)
	}
	for _, names := range activations {
		if !slices.Contains(acts, names.name) {
			t.Errorf("no reference run for activation %s (have %s)", names.name, strings.Join(acts, ", "))
		}
	}
}

// checkReference replays one PyTorch run step by step.
func checkReference(t *testing.T, ref refRun) {
	t.Run(ref.Name, func(t *testing.T) {
		act, err := ParseActivation(ref.Activation)
		if err != nil {
			t.Fatal(err)
		}
		net, err := New(Config{InputDim: ref.InputDim, HiddenDims: ref.HiddenDims, OutputDim: ref.OutputDim, Activation: act}, rand.NewPCG(1, 2))
		if err != nil {
			t.Fatal(err)
		}
		setState(t, net, ref.InitialState)
		adam := NewAdam[float64](net.NumParams(), ref.LR, 0)
		for s, step := range ref.Steps {
			x, y := slices.Concat(step.X...), slices.Concat(step.Y...)
			out := net.Forward(x, len(step.X), true)
			checkClose(t, fmt.Sprintf("step %d train_output", s), out, slices.Concat(step.TrainOutput...))
			dOut := make([]float64, len(out))
			loss := MSE(dOut, out, y)
			checkClose(t, fmt.Sprintf("step %d loss", s), []float64{loss}, []float64{step.Loss})
			net.Backward(dOut)
			for key, raw := range step.Grads {
				p, ok := net.Param("network." + key)
				if !ok || p.Grad == nil {
					t.Fatalf("no gradient for %q", key)
				}
				want := flatTensor(t, raw)
				checkClose(t, fmt.Sprintf("step %d grad %s", s, key), p.Grad, want)
				adoptResidue(p.Grad, want)
			}
			adam.Step(net.theta, net.grad)
			for key, raw := range step.StateAfter {
				p, _ := net.Param("network." + key)
				checkClose(t, fmt.Sprintf("step %d %s after Adam", s, key), p.Value, flatTensor(t, raw))
			}
			if len(step.StateAfter) != len(net.Params())+len(net.Buffers()) {
				t.Errorf("step %d: reference has %d tensors, the network %d", s, len(step.StateAfter), len(net.Params())+len(net.Buffers()))
			}
		}
		out := net.Forward(slices.Concat(ref.Eval.X...), len(ref.Eval.X), false)
		checkClose(t, "eval output", out, slices.Concat(ref.Eval.Output...))
		loss := MSE(nil, out, slices.Concat(ref.Eval.Y...))
		checkClose(t, "eval loss", []float64{loss}, []float64{ref.Eval.Loss})
	})
}
