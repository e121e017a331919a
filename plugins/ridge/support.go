package ridge

import (
	"gonum.org/v1/gonum/mat"

	"github.com/sweep-ml/sweep/plugins"
)

// design returns the n × (f+1) design matrix (n > 0): the row-major features x and a
// last column of ones for the intercept.
func design(x []float64, n, f int) *mat.Dense {
	m := mat.NewDense(n, f+1, nil)
	for i := range n {
		row := m.RawRowView(i)
		copy(row, x[i*f:(i+1)*f])
		row[f] = 1
	}
	return m
}

// mse is the mean squared error of the predictions x·w against y.
func mse(x *mat.Dense, w, y *mat.VecDense) float64 {
	n, _ := x.Dims()
	var res mat.VecDense
	res.MulVec(x, w)
	res.SubVec(&res, y)
	return mat.Dot(&res, &res) / float64(n)
}

// histograms reports the weights and the bias with the gradient of the
// objective, which is −r, under the textbook's tag names (the model is one
// Linear layer, network.0).
func histograms(w, r *mat.VecDense) []plugins.Histogram {
	p := w.Len()
	grad := make([]float64, p)
	for i := range grad {
		grad[i] = -r.AtVec(i)
	}
	weights := mat.Col(nil, 0, w)
	return []plugins.Histogram{
		{Tag: "weights/network.0.weight", Values: weights[:p-1]},
		{Tag: "weights/network.0.bias", Values: weights[p-1:]},
		{Tag: "gradients/network.0.weight", Values: grad[:p-1]},
		{Tag: "gradients/network.0.bias", Values: grad[p-1:]},
	}
}

// graph is the model's graph for TensorBoard: the input and one Linear layer.
func graph(features int) *plugins.Graph {
	return &plugins.Graph{Nodes: []plugins.GraphNode{
		{Name: "input", Op: "Placeholder", Shape: []int64{-1, int64(features)}},
		{Name: "network/0", Op: "Linear", Inputs: []string{"input"}, Shape: []int64{-1, 1}},
	}}
}
