package benchfn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"

	"github.com/sweep-ml/sweep/plugins"
)

// Model is the benchmark model. It holds no state: the zero value is ready
// to use and safe for concurrent trials.
type Model struct{}

var _ plugins.Model = Model{}

// params declares the hyperparameters. The defaults are an ordinary,
// far from optimal configuration, so that a grid that searches nothing
// still trains something sensible.
var params = []plugins.ParamSpec{
	{Name: "lr", Type: plugins.TypeFloat, Default: 1e-2, Help: "learning rate in [1e-4, 1e-1]; search it on a log scale (best near 2.7e-3)"},
	{Name: "width", Type: plugins.TypeInt, Default: int64(64), Help: "hidden width, an integer in [8, 256] (best 171)"},
	{Name: "act", Type: plugins.TypeString, Default: "relu", Help: "activation: gelu (best), relu (+0.05), tanh (+0.2) or sigmoid (+0.5)"},
	{Name: "dropout", Type: plugins.TypeFloat, Default: 0.5, Help: "in [0, 1] (best 0.20169); also raises the early losses"},
	{Name: "warmup", Type: plugins.TypeFloat, Default: 0.5, Help: "in [0, 1] (best 0.150011)"},
	{Name: "momentum", Type: plugins.TypeFloat, Default: 0.5, Help: "in [0, 1] (best 0.275332)"},
	{Name: "smoothing", Type: plugins.TypeFloat, Default: 0.5, Help: "in [0, 1] (best 0.311652)"},
	{Name: "epochs", Type: plugins.TypeInt, Default: int64(DefaultEpochs), Help: "epochs to train (>= 1)"},
	{Name: "noise", Type: plugins.TypeFloat, Default: DefaultNoise, Help: "standard deviation of the losses' per-epoch noise (>= 0)"},
}

// Describe implements plugins.Model.
func (Model) Describe(context.Context) (plugins.Description, error) {
	ps := make([]plugins.ParamSpec, len(params))
	copy(ps, params) // so that a caller cannot change the declaration
	return plugins.Description{Name: "benchfn", Params: ps, Metrics: []string{"train_loss", "val_loss"}}, nil
}

// Params returns p as the hyperparameters of a trial, with epochs and noise
// at their defaults.
func (p Point) Params() plugins.Params {
	return plugins.Params{
		"lr": p.LR, "width": p.Width, "act": p.Act,
		"dropout": p.Dropout, "warmup": p.Warmup, "momentum": p.Momentum, "smoothing": p.Smoothing,
		"epochs": int64(DefaultEpochs), "noise": DefaultNoise,
	}
}

// PointOf reads the searched hyperparameters from ps and checks their
// ranges.
func PointOf(ps plugins.Params) (Point, error) {
	var p Point
	var errs [7]error
	p.LR, errs[0] = plugins.Get[float64](ps, "lr")
	p.Width, errs[1] = plugins.Get[int64](ps, "width")
	p.Act, errs[2] = plugins.Get[string](ps, "act")
	p.Dropout, errs[3] = plugins.Get[float64](ps, "dropout")
	p.Warmup, errs[4] = plugins.Get[float64](ps, "warmup")
	p.Momentum, errs[5] = plugins.Get[float64](ps, "momentum")
	p.Smoothing, errs[6] = plugins.Get[float64](ps, "smoothing")
	if err := errors.Join(errs[:]...); err != nil {
		return Point{}, err
	}
	return p, p.Validate()
}

// Curve returns the noise-free training and validation losses of p after
// epoch (counted from 0); see the package documentation.
func Curve(p Point, epoch int64) (train, val float64) {
	f := F(p)
	a := 1 + 0.5*p.Dropout
	tau := 2 + 2*(1-p.Cube()[2])
	gap := 0.1 * (1 - p.Dropout)
	decay := math.Exp(-float64(epoch+1) / tau)
	return f - gap*(1-decay) + a*decay, f + a*decay
}

// Train implements plugins.Model. It reports train_loss and val_loss once
// per epoch; HistogramEvery is ignored, as the model has no weights.
func (Model) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	p, err := PointOf(req.Params)
	if err != nil {
		return plugins.Outcome{}, err
	}
	epochs, err1 := plugins.Get[int64](req.Params, "epochs")
	noise, err2 := plugins.Get[float64](req.Params, "noise")
	if err := errors.Join(err1, err2); err != nil {
		return plugins.Outcome{}, err
	}
	if epochs < 1 || !(noise >= 0) {
		return plugins.Outcome{}, errors.New("benchfn: want epochs >= 1 and noise >= 0")
	}
	// The second PCG word is fixed so that the seed alone decides the noise.
	rng := rand.New(rand.NewPCG(uint64(req.Seed), 0x62656e6368666e))
	out := plugins.Outcome{BestValLoss: math.Inf(1)}
	for epoch := range epochs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		train, val := Curve(p, epoch)
		val += noise * rng.NormFloat64()
		train += noise * rng.NormFloat64()
		ev := plugins.Event{Step: epoch, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: train}, {Tag: "val_loss", Value: val}}}
		if epoch == 0 {
			ev.Graph = graph()
		}
		if err := emit(ev); err != nil {
			return out, err
		}
		out.EpochsRun, out.FinalTrainLoss, out.FinalValLoss = epoch+1, train, val
		if val < out.BestValLoss {
			out.BestValLoss, out.BestEpoch = val, epoch
		}
	}
	return out, nil
}

// graph is what TensorBoard shows for the model: the hyperparameters mapped
// onto the cube, Hartmann-6, and the learning curve.
func graph() *plugins.Graph {
	return &plugins.Graph{Nodes: []plugins.GraphNode{
		{Name: "hyperparameters", Op: "Placeholder", Shape: []int64{7}},
		{Name: "benchfn/cube", Op: "Map", Inputs: []string{"hyperparameters"}, Shape: []int64{6}},
		{Name: "benchfn/hartmann6", Op: "Hartmann6", Inputs: []string{"benchfn/cube"}, Shape: []int64{1}},
		{Name: "benchfn/curve", Op: "Curve", Inputs: []string{"benchfn/hartmann6", "hyperparameters"}, Shape: []int64{2}},
	}}
}
