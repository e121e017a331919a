// Package ridge is the example model plugin of sweep: ridge regression,
// min_w ½‖Xw − y‖²/n + ½λ‖w‖² (the intercept is not penalised), solved by
// conjugate gradients on the normal equations, one CG iteration per epoch.
// After at most as many epochs as there are weights it has the exact
// solution; it stops early once the gradient's norm falls below tol.
//
// It is a complete plugin: cmd/sweep-ridge serves it with plugins.Serve.
package ridge

import (
	"context"
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
)

// Model is ridge regression. The zero value is ready to use and safe for
// concurrent trials; it keeps each dataset it loads for later trials.
type Model struct{ data dataset.Cache }

// Describe implements plugins.Model.
func (*Model) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "ridge", Metrics: []string{"train_loss", "val_loss"}, Params: []plugins.ParamSpec{
		{Name: "lambda", Type: plugins.TypeFloat, Default: 1e-3, Help: "L2 penalty on the weights (>= 0)"},
		{Name: "epochs", Type: plugins.TypeInt, Default: int64(100), Help: "conjugate-gradient iterations at most"},
		{Name: "tol", Type: plugins.TypeFloat, Default: 1e-9, Help: "stop once the gradient norm is below tol"},
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
	d, err := m.data.Get(ctx, req.Data)
	if err != nil {
		return plugins.Outcome{}, err
	}
	if d.NumTrain == 0 || d.NumVal == 0 {
		return plugins.Outcome{}, errors.New("ridge: need training and validation rows")
	}
	xt, xv := design(d.TrainX, d.NumTrain, d.NumFeatures()), design(d.ValX, d.NumVal, d.NumFeatures())
	yt, yv := mat.NewVecDense(d.NumTrain, d.TrainY), mat.NewVecDense(d.NumVal, d.ValY)
	p := d.NumFeatures() + 1
	// The normal equations A w = b, scaled by 1/n so that lambda does not
	// depend on the number of rows.
	var a mat.SymDense
	a.SymOuterK(1/float64(d.NumTrain), xt.T())
	for i := range p - 1 {
		a.SetSym(i, i, a.At(i, i)+lambda)
	}
	b := mat.NewVecDense(p, nil)
	b.MulVec(xt.T(), yt)
	b.ScaleVec(1/float64(d.NumTrain), b)

	w, ap := mat.NewVecDense(p, nil), mat.NewVecDense(p, nil)
	r := mat.VecDenseCopyOf(b) // the residual b − Aw, minus the gradient
	dir := mat.VecDenseCopyOf(r)
	rr := mat.Dot(r, r)
	out := plugins.Outcome{BestValLoss: math.Inf(1)}
	for epoch := range epochs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if rr > 0 {
			ap.MulVec(&a, dir)
			step := rr / mat.Dot(dir, ap)
			w.AddScaledVec(w, step, dir)
			r.AddScaledVec(r, -step, ap)
			rrNext := mat.Dot(r, r)
			dir.AddScaledVec(r, rrNext/rr, dir)
			rr = rrNext
		}
		done := math.Sqrt(rr) < tol || epoch == epochs-1
		ev := plugins.Event{Step: epoch, Scalars: []plugins.Scalar{
			{Tag: "train_loss", Value: mse(xt, w, yt)}, {Tag: "val_loss", Value: mse(xv, w, yv)}}}
		if epoch == 0 {
			ev.Graph = graph(p - 1)
		}
		if n := int64(req.HistogramEvery); n > 0 && (epoch%n == 0 || done) {
			ev.Histograms = histograms(w, r)
		}
		if err := emit(ev); err != nil {
			return out, err
		}
		out.EpochsRun, out.FinalTrainLoss, out.FinalValLoss = epoch+1, ev.Scalars[0].Value, ev.Scalars[1].Value
		if out.FinalValLoss < out.BestValLoss {
			out.BestValLoss, out.BestEpoch = out.FinalValLoss, epoch
		}
		if done {
			out.StoppedEarly = epoch < epochs-1
			break
		}
	}
	return out, nil
}
