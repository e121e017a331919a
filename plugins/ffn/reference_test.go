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
//
// The runs in testdata/float32/ are the same runs replayed by PyTorch 1.13
// in float32 (testdata/gen_float32.py). float32 keeps 24 bits (6e-8
// relative), and PyTorch rounds otherwise than this package (it sums
// BatchNorm's statistics in float64, fuses other operations and orders its
// sums otherwise). An element that is a sum of terms that nearly cancel,
// such as a weight gradient 100 times smaller than its tensor's largest,
// keeps few correct bits in either: the runs differ by up to 4e-4 relative
// to such elements while every tensor agrees to 2e-6 of its largest
// element. So a float32 tensor is compared within refTol32 relative to its
// largest element (normwise); a tensor of rounding residue only, all below
// refFloor32 (above the largest residue of the bias gradients PyTorch
// reports, 4.5e-7), within refFloor32 absolute.
const (
	refTol   = 1e-9
	refFloor = 1e-12

	refTol32   = 1e-5
	refFloor32 = 1e-6
)

// refTolerance is the relative tolerance and absolute floor of T's
// reference runs.
func refTolerance[T Float]() (tol, floor float64) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return refTol32, refFloor32
	}
	return refTol, refFloor
}

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

// checkClose fails t for each element of got farther from want than T's
// reference tolerance and returns the largest difference found, relative
// as the tolerance is. For float64 that is refTol relative to each element
// (with the refFloor absolute floor); for float32, refTol32 relative to the
// tensor's largest element, or refFloor32 absolute for a tensor whose
// elements are all below it, and the largest difference is reported for
// tensors above 100 times the floor only.
func checkClose[T Float](t *testing.T, what string, got []T, want []float64) (worst float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return 0
	}
	tol, floor := refTolerance[T]()
	if tol == refTol32 {
		var scale float64
		for _, w := range want {
			scale = max(scale, math.Abs(w))
		}
		for i, w := range want {
			d := math.Abs(float64(got[i]) - w)
			// A tensor of residue only (the gradient of a Linear bias
			// that feeds BatchNorm) is compared with the floor.
			if d > tol*scale && (scale > floor || d > floor) {
				t.Errorf("%s[%d] = %.9g, want %.9g (PyTorch), a difference of %.3g of the tensor's largest element %.6g",
					what, i, got[i], w, d/scale, scale)
			}
			if scale >= 100*floor {
				worst = max(worst, d/scale)
			}
		}
		return worst
	}
	for i := range got {
		g := float64(got[i])
		if !scalar.EqualWithinAbsOrRel(g, want[i], floor, tol) {
			t.Errorf("%s[%d] = %.17g, want %.17g (PyTorch)", what, i, g, want[i])
		}
		if math.Abs(want[i]) > floor {
			worst = max(worst, math.Abs(g-want[i])/math.Abs(want[i]))
		}
	}
	return worst
}

// setState copies a state_dict (keys without the "network." prefix) into
// the network's parameters and buffers.
func setState[T Float](t *testing.T, n *Network[T], state map[string]json.RawMessage) {
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
		narrow(p.Value, v)
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
//
// For float32 the floor is refFloor32.
func adoptResidue[T Float](got []T, want []float64) {
	_, floor := refTolerance[T]()
	for i, w := range want {
		if math.Abs(w) <= floor {
			got[i] = T(w)
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
			checkReference[float64](t, loadRef(t, path))
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

// TestPyTorchReference32 is TestPyTorchReference for the float32 network
// against PyTorch's float32 replays of the same runs (testdata/float32/,
// made by testdata/gen_float32.py), within refTol32, on every kernel path.
func TestPyTorchReference32(t *testing.T) {
	files, err := filepath.Glob("testdata/float32/*.json")
	if err != nil || len(files) != 5 {
		t.Fatalf("want the 5 float32 reference runs in testdata/float32, have %d: %v", len(files), err)
	}
	forEachKernel(t, func(t *testing.T) {
		var worst float64
		for _, path := range files {
			worst = max(worst, checkReference[float32](t, loadRef(t, path)))
		}
		t.Logf("largest difference from PyTorch's float32 numbers, relative to the tensor's largest element: %.3g", worst)
	})
}

// checkReference replays one PyTorch run step by step in T and returns the
// largest relative difference from its numbers (above the floor).
func checkReference[T Float](t *testing.T, ref refRun) (worst float64) {
	t.Run(ref.Name, func(t *testing.T) {
		act, err := ParseActivation(ref.Activation)
		if err != nil {
			t.Fatal(err)
		}
		net, err := NewNetwork[T](Config{InputDim: ref.InputDim, HiddenDims: ref.HiddenDims, OutputDim: ref.OutputDim, Activation: act}, rand.NewPCG(1, 2))
		if err != nil {
			t.Fatal(err)
		}
		checkClose := func(what string, got []T, want []float64) {
			t.Helper()
			worst = max(worst, checkClose(t, what, got, want))
		}
		setState(t, net, ref.InitialState)
		adam := NewAdam[T](net.NumParams(), ref.LR, 0)
		for s, step := range ref.Steps {
			x, y := asFloat[T](slices.Concat(step.X...)), asFloat[T](slices.Concat(step.Y...))
			out := net.Forward(x, len(step.X), true)
			checkClose(fmt.Sprintf("step %d train_output", s), out, slices.Concat(step.TrainOutput...))
			dOut := make([]T, len(out))
			loss := MSE(dOut, out, y)
			checkClose(fmt.Sprintf("step %d loss", s), []T{T(loss)}, []float64{step.Loss})
			net.Backward(dOut)
			for key, raw := range step.Grads {
				p, ok := net.Param("network." + key)
				if !ok || p.Grad == nil {
					t.Fatalf("no gradient for %q", key)
				}
				want := flatTensor(t, raw)
				checkClose(fmt.Sprintf("step %d grad %s", s, key), p.Grad, want)
				adoptResidue(p.Grad, want)
			}
			net.adamStep(adam)
			// Read without Param, which would mark the transposed copies
			// stale: the next step's Forward uses the ones Adam wrote.
			for key, raw := range step.StateAfter {
				checkClose(fmt.Sprintf("step %d %s after Adam", s, key), paramValue(t, net, "network."+key), flatTensor(t, raw))
			}
			if len(step.StateAfter) != len(net.params)+len(net.buffers) {
				t.Errorf("step %d: reference has %d tensors, the network %d", s, len(step.StateAfter), len(net.params)+len(net.buffers))
			}
		}
		out := net.Forward(asFloat[T](slices.Concat(ref.Eval.X...)), len(ref.Eval.X), false)
		checkClose("eval output", out, slices.Concat(ref.Eval.Output...))
		loss := MSE(nil, out, asFloat[T](slices.Concat(ref.Eval.Y...)))
		checkClose("eval loss", []T{T(loss)}, []float64{ref.Eval.Loss})
	})
	return worst
}

// paramValue returns the values of the parameter or buffer name, found
// without Param (which marks the transposed weights stale).
func paramValue[T Float](t *testing.T, net *Network[T], name string) []T {
	t.Helper()
	for _, list := range [][]Param[T]{net.params, net.buffers} {
		for _, p := range list {
			if p.Name == name {
				return p.Value
			}
		}
	}
	t.Fatalf("no parameter %q", name)
	return nil
}
