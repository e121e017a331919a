// Package ridge is the example model plugin of sweep: ridge regression,
// min_w ½‖Xw − y‖²/n + ½λ‖w‖² (the intercept is not penalised), solved by
// conjugate gradients, one iteration per epoch. It reaches the exact
// solution in at most as many epochs as there are weights, and stops early
// once the gradient's norm is below tol. cmd/sweep-ridge serves it.
package ridge

import (
	"context"
	"errors"
	"math"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
)

// Model is ridge regression. The zero value is ready to use and safe for
// concurrent trials; it keeps each dataset it loads for later trials.
type Model struct{ data dataset.Cache }

// Describe implements plugins.Model.
func (*Model) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "ridge", Metrics: []string{"train_loss", "val_loss"}, Params: []plugins.ParamSpec{
		{Name: "lambda", Type: plugins.TypeFloat, Default: 1e-3, Help: "L2 penalty on the weights",
			Constraints: plugins.Constraints{Min: plugins.AtLeast(0)}},
		{Name: "epochs", Type: plugins.TypeInt, Default: int64(100), Help: "conjugate-gradient iterations at most",
			Constraints: plugins.Constraints{Min: plugins.AtLeast(1)}},
		{Name: "tol", Type: plugins.TypeFloat, Default: 1e-9, Help: "stop once the gradient norm is below tol",
			Constraints: plugins.Constraints{Min: plugins.AtLeast(0)}},
	}}, nil
}

// Train implements plugins.Model.
func (m *Model) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	lambda, err1 := plugins.Get[float64](req.Params, "lambda")
	epochs, err2 := plugins.Get[int64](req.Params, "epochs")
	tol, err3 := plugins.Get[float64](req.Params, "tol")
	if err := errors.Join(err1, err2, err3); err != nil {
		return plugins.Outcome{}, err
	}
	if lambda < 0 || epochs < 1 {
		return plugins.Outcome{}, errors.New("ridge: want lambda >= 0 and epochs >= 1")
	}
	d, err := m.data.Get(ctx, req.Data) // loaded once per process
	if err != nil {
		return plugins.Outcome{}, err
	}
	s, err := newSolver(d, lambda)
	if err != nil {
		return plugins.Outcome{}, err
	}
	out := plugins.Outcome{BestValLoss: math.Inf(1)}
	for epoch := range epochs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		s.step()
		done := s.gradNorm() < tol || epoch == epochs-1
		train, val := s.losses()
		ev := plugins.Event{Step: epoch, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: train}, {Tag: "val_loss", Value: val}}}
		if epoch == 0 {
			ev.Graph = s.graph()
		}
		if n := int64(req.HistogramEvery); n > 0 && (epoch%n == 0 || done) {
			ev.Histograms = s.histograms()
		}
		if err := emit(ev); err != nil {
			return out, err
		}
		out.EpochsRun, out.FinalTrainLoss, out.FinalValLoss = epoch+1, train, val
		if val < out.BestValLoss {
			out.BestValLoss, out.BestEpoch = val, epoch
		}
		if done {
			out.StoppedEarly = epoch < epochs-1
			break
		}
	}
	// Keep the fitted weights in the run directory, if the grid asks for it.
	err = plugins.SaveFile(req, "model.safetensors", s.weights(req.Checkpoint.Metadata))
	if errors.Is(err, plugins.ErrNoCheckpoint) {
		err = nil
	}
	return out, err
}
