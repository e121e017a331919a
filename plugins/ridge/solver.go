package ridge

import (
	"bytes"
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/plugins/safetensors"
)

// solver runs conjugate gradients on the normal equations A w = b, with
// A = XᵀX/n + λI′ and b = Xᵀy/n, where X has a last column of ones for the
// intercept and I′ is the identity without the intercept's entry. Scaling
// by 1/n keeps lambda's meaning independent of the number of rows.
type solver struct {
	xt, xv *mat.Dense    // training and validation design matrices
	yt, yv *mat.VecDense // their targets
	a      mat.SymDense
	b      *mat.VecDense
	w      *mat.VecDense // the weights, intercept last
	r      *mat.VecDense // the residual b − Aw: minus the gradient
	dir    *mat.VecDense // the search direction
	ap     *mat.VecDense // scratch: A·dir
	rr     float64       // r·r
}

func newSolver(d *dataset.Dataset, lambda float64) (*solver, error) {
	if d.NumTrain == 0 || d.NumVal == 0 {
		return nil, errors.New("ridge: need training and validation rows")
	}
	f, p := d.NumFeatures(), d.NumFeatures()+1
	s := &solver{
		xt: design(d.TrainX, d.NumTrain, f), xv: design(d.ValX, d.NumVal, f),
		yt: mat.NewVecDense(d.NumTrain, d.TrainY), yv: mat.NewVecDense(d.NumVal, d.ValY),
		b: mat.NewVecDense(p, nil), w: mat.NewVecDense(p, nil), ap: mat.NewVecDense(p, nil),
	}
	s.a.SymOuterK(1/float64(d.NumTrain), s.xt.T())
	for i := range f {
		s.a.SetSym(i, i, s.a.At(i, i)+lambda)
	}
	s.b.MulVec(s.xt.T(), s.yt)
	s.b.ScaleVec(1/float64(d.NumTrain), s.b)
	s.r = mat.VecDenseCopyOf(s.b) // w starts at 0
	s.dir = mat.VecDenseCopyOf(s.r)
	s.rr = mat.Dot(s.r, s.r)
	return s, nil
}

// design returns the n × (f+1) design matrix (n > 0): the row-major
// features x and a last column of ones.
func design(x []float64, n, f int) *mat.Dense {
	m := mat.NewDense(n, f+1, nil)
	for i := range n {
		row := m.RawRowView(i)
		copy(row, x[i*f:(i+1)*f])
		row[f] = 1
	}
	return m
}

// step makes one conjugate-gradient iteration; at the solution (r = 0) it
// does nothing.
func (s *solver) step() {
	if s.rr == 0 {
		return
	}
	s.ap.MulVec(&s.a, s.dir)
	alpha := s.rr / mat.Dot(s.dir, s.ap)
	s.w.AddScaledVec(s.w, alpha, s.dir)
	s.r.AddScaledVec(s.r, -alpha, s.ap)
	rr := mat.Dot(s.r, s.r)
	s.dir.AddScaledVec(s.r, rr/s.rr, s.dir)
	s.rr = rr
}

func (s *solver) gradNorm() float64 { return math.Sqrt(s.rr) }

// losses returns the mean squared errors on the training and validation rows.
func (s *solver) losses() (train, val float64) {
	return mse(s.xt, s.w, s.yt), mse(s.xv, s.w, s.yv)
}

func mse(x *mat.Dense, w, y *mat.VecDense) float64 {
	n, _ := x.Dims()
	var res mat.VecDense
	res.MulVec(x, w)
	res.SubVec(&res, y)
	return mat.Dot(&res, &res) / float64(n)
}

// histograms reports the weights and the bias with their gradients under the
// textbook's tag names: the model is one Linear layer, network.0.
func (s *solver) histograms() []plugins.Histogram {
	p := s.w.Len()
	w := mat.Col(nil, 0, s.w)
	grad := mat.Col(nil, 0, s.r)
	for i := range grad {
		grad[i] = -grad[i]
	}
	return []plugins.Histogram{
		{Tag: "weights/network.0.weight", Values: w[:p-1]},
		{Tag: "weights/network.0.bias", Values: w[p-1:]},
		{Tag: "gradients/network.0.weight", Values: grad[:p-1]},
		{Tag: "gradients/network.0.bias", Values: grad[p-1:]},
	}
}

// weights encodes the weights as an nn.Linear(features, 1)'s state_dict
// in safetensors, with meta (the trial's provenance) as its metadata.
func (s *solver) weights(meta map[string]string) []byte {
	w := mat.Col(nil, 0, s.w)
	p := len(w)
	var buf bytes.Buffer
	// Shapes match the data, so Write cannot fail.
	safetensors.Write(&buf, []safetensors.Tensor{
		{Name: "weight", Shape: []int{1, p - 1}, Float64: w[:p-1]},
		{Name: "bias", Shape: []int{1}, Float64: w[p-1:]},
	}, meta)
	return buf.Bytes()
}

// graph is the model's graph for TensorBoard: the input and one Linear layer.
func (s *solver) graph() *plugins.Graph {
	_, p := s.xt.Dims()
	return &plugins.Graph{Nodes: []plugins.GraphNode{
		{Name: "input", Op: "Placeholder", Shape: []int64{-1, int64(p - 1)}},
		{Name: "network/0", Op: "Linear", Inputs: []string{"input"}, Shape: []int64{-1, 1}},
	}}
}
