// Package builtin holds the models that ship inside the sweep binary; FFN
// exposes package ffn's feedforward network as a plugins.Model.
package builtin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/plugins/ffn"
)

// FFNName is the built-in network's model name, as a grid's model key
// selects it.
const FFNName = "ffn"

// FFNVersion is the version of the built-in network's implementation, which
// the identity of every trial it runs includes. Bump it with any change
// that changes its numbers for the same hyperparameters, data and seed: in
// package ffn (layers, kernels, Adam, the training loop, early stopping,
// schedules), in how package dataset reads, splits and standardises data,
// or in how Train maps hyperparameters onto them. Then `sweep run` runs
// finished trials again instead of keeping numbers the code no longer
// gives; their earlier runs stay on disk. A change that leaves every number
// as it was (speed, messages) keeps the version. TestFFNNumbers fails when
// the numbers change, to remind.
const FFNVersion = "1"

// The scalar tags the network reports every epoch.
const (
	MetricTrainLoss    = "train_loss"
	MetricValLoss      = "val_loss"
	MetricLearningRate = "learning_rate"
	MetricPredMean     = "pred_mean"
	MetricPredStd      = "pred_std"
)

// maxWidth bounds a hidden layer's size so that a typo (64000000) is an
// error rather than an attempt to allocate terabytes.
const maxWidth = 1 << 16

// maxParams bounds the network's size so that an oversized hidden_dims is an
// error naming it rather than an out-of-memory crash: 50 million
// parameters take 400 MB each for values, gradients and Adam's two moments.
const maxParams = 50_000_000

// streamTrial is the PCG stream of a trial's generator; the trial's seed is
// the generator's seed. One generator draws, in order, the initial weights,
// then every epoch's shuffle and dropout masks.
const streamTrial = 0xff1_7121a1

// shareFloat32 makes float32 trials train on their dataset's shared float32
// matrices (dataset.Dataset.Float32) rather than each on its own converted
// copy; the numbers are the same. Tests turn it off to compare.
var shareFloat32 = true

// processCache shares loaded datasets among all trials of the process.
var processCache dataset.Cache

// FFN returns the built-in feedforward network model. Its trials load their
// data through one process-wide dataset cache, so concurrent trials on the
// same data share one read-only copy; float32 trials share its float32
// matrices (dataset.Dataset.Float32), mapped from one file for every
// process where the data was prepared.
func FFN() plugins.Model { return ffnModel{cache: &processCache} }

type ffnModel struct{ cache *dataset.Cache }

var ffnParams = []plugins.ParamSpec{
	{Name: "hidden_dims", Type: plugins.TypeIntList, Default: []int64{64, 32}, Help: "width of each hidden layer (Linear → BatchNorm1d → activation → Dropout)",
		Constraints: plugins.Constraints{Min: plugins.AtLeast(1), Max: plugins.AtLeast(maxWidth)}},
	{Name: "dropout", Type: plugins.TypeFloat, Default: 0.3, Help: "dropout probability after each hidden layer",
		Constraints: plugins.Constraints{Min: plugins.AtLeast(0), Max: plugins.Beyond(1)}},
	{Name: "activation", Type: plugins.TypeString, Default: "relu", Help: "leaky_relu has slope 0.01, elu alpha 1",
		Constraints: plugins.Constraints{Choices: ffn.ActivationNames()}},
	{Name: "lr", Type: plugins.TypeFloat, Default: 0.001, Help: "Adam's learning rate (the schedule's base rate)",
		Constraints: plugins.Constraints{Min: plugins.Beyond(0)}},
	{Name: "weight_decay", Type: plugins.TypeFloat, Default: 0.0, Help: "Adam's L2 penalty, added to the gradient as PyTorch's Adam does",
		Constraints: nonNegative},
	{Name: "batch_size", Type: plugins.TypeInt, Default: int64(64), Help: "training rows per step; the last partial batch is kept",
		Constraints: positive},
	{Name: "epochs", Type: plugins.TypeInt, Default: int64(100), Help: "maximum number of epochs",
		Constraints: positive},
	{Name: "patience", Type: plugins.TypeInt, Default: int64(10), Help: "early stopping: stop after more than this many epochs in a row without improvement",
		Constraints: nonNegative},
	{Name: "min_delta", Type: plugins.TypeFloat, Default: 0.0, Help: "early stopping: the validation loss must fall by more than this to count as an improvement",
		Constraints: nonNegative},
	{Name: "restore_best", Type: plugins.TypeBool, Default: true, Help: "end with the weights of the epoch with the best validation loss"},
	{Name: "lr_schedule", Type: plugins.TypeString, Default: "none", Help: "step (step_size, gamma), cosine (t_max, eta_min) or warmup_cosine (warmup_epochs, t_max, eta_min); applied per epoch",
		Constraints: plugins.Constraints{Choices: ffn.ScheduleNames()}},
	{Name: "step_size", Type: plugins.TypeInt, Default: int64(30), Help: "step schedule: epochs between multiplications by gamma",
		Constraints: positive},
	{Name: "gamma", Type: plugins.TypeFloat, Default: 0.1, Help: "step schedule: factor applied every step_size epochs",
		Constraints: plugins.Constraints{Min: plugins.Beyond(0)}},
	{Name: "t_max", Type: plugins.TypeInt, Default: int64(0), Help: "cosine schedules: epochs from the base rate down to eta_min; 0 means the epochs left after any warm-up",
		Constraints: nonNegative},
	{Name: "eta_min", Type: plugins.TypeFloat, Default: 0.0, Help: "cosine schedules: the lowest learning rate",
		Constraints: nonNegative},
	{Name: "warmup_epochs", Type: plugins.TypeInt, Default: int64(5), Help: "warmup_cosine: epochs of linear warm-up to the base rate",
		Constraints: nonNegative},
	{Name: "clip_grad_norm", Type: plugins.TypeFloat, Default: 0.0, Help: "clip the gradients' total L2 norm to this before each step; 0 turns clipping off",
		Constraints: nonNegative},
	{Name: "dtype", Type: plugins.TypeString, Default: DTypeFloat64, Help: "the numbers the network computes in: float64 (PyTorch float64 parity to 1e-9) or float32 (faster; checkpoints hold F32 tensors)",
		Constraints:    plugins.Constraints{Choices: []string{DTypeFloat64, DTypeFloat32}},
		NeutralDefault: true}, // trials from before dtype existed keep their IDs
}

// The values of the dtype hyperparameter. float64 is the default, with
// which every trial ran before dtype existed: its numbers are unchanged.
const (
	DTypeFloat64 = "float64"
	DTypeFloat32 = "float32"
)

// The two commonest constraints of ffnParams.
var (
	nonNegative = plugins.Constraints{Min: plugins.AtLeast(0)}
	positive    = plugins.Constraints{Min: plugins.AtLeast(1)} // for integers
)

// Describe declares the network's hyperparameters and metrics.
func (ffnModel) Describe(ctx context.Context) (plugins.Description, error) {
	params := make([]plugins.ParamSpec, len(ffnParams))
	copy(params, ffnParams)
	for i := range params {
		if d, ok := params[i].Default.([]int64); ok {
			params[i].Default = slices.Clone(d)
		}
	}
	return plugins.Description{
		Name:    FFNName,
		Params:  params,
		Metrics: slices.Clone(eventMetrics[:]), // the scalars every event carries
	}, nil
}

// hyper is a trial's resolved configuration.
type hyper struct {
	net   ffn.Config
	train ffn.TrainConfig
	dtype string // DTypeFloat64 or DTypeFloat32
}

// ffnDefaults maps each declared hyperparameter to its default (read only).
var ffnDefaults = func() map[string]any {
	m := make(map[string]any, len(ffnParams))
	for _, s := range ffnParams {
		m[s.Name] = s.Default
	}
	return m
}()

// resolve reads the hyperparameters p, filling in missing ones with their
// defaults, and validates them. Errors name the hyperparameter; of several
// undeclared names, the first in sorted order.
func resolve(p plugins.Params) (hyper, error) {
	for _, name := range slices.Sorted(maps.Keys(p)) {
		if _, ok := ffnDefaults[name]; !ok {
			return hyper{}, fmt.Errorf("%s: not a hyperparameter of the %s model", name, FFNName)
		}
	}
	r := reader{p: p}
	var h hyper
	dims := get[[]int64](&r, "hidden_dims")
	for i, d := range dims {
		if d < 1 || d > maxWidth {
			return hyper{}, fmt.Errorf("hidden_dims: layer %d has size %d, must be in [1, %d]", i, d, maxWidth)
		}
		h.net.HiddenDims = append(h.net.HiddenDims, int(d))
	}
	h.net.OutputDim = 1
	h.net.Dropout = get[float64](&r, "dropout")
	actName := get[string](&r, "activation")
	h.dtype = get[string](&r, "dtype")
	h.train = ffn.TrainConfig{
		LR:           get[float64](&r, "lr"),
		WeightDecay:  get[float64](&r, "weight_decay"),
		BatchSize:    r.int("batch_size"),
		Epochs:       r.int("epochs"),
		Patience:     r.int("patience"),
		MinDelta:     get[float64](&r, "min_delta"),
		RestoreBest:  get[bool](&r, "restore_best"),
		ClipGradNorm: get[float64](&r, "clip_grad_norm"),
		Schedule: ffn.Schedule{
			Kind:         get[string](&r, "lr_schedule"),
			StepSize:     r.int("step_size"),
			Gamma:        get[float64](&r, "gamma"),
			TMax:         r.int("t_max"),
			EtaMin:       get[float64](&r, "eta_min"),
			WarmupEpochs: r.int("warmup_epochs"),
		},
	}
	if r.err != nil {
		return hyper{}, r.err
	}
	act, err := ffn.ParseActivation(actName)
	if err != nil {
		return hyper{}, err
	}
	if h.dtype != DTypeFloat64 && h.dtype != DTypeFloat32 {
		return hyper{}, fmt.Errorf("dtype: %q is not one of %s, %s", h.dtype, DTypeFloat64, DTypeFloat32)
	}
	h.net.Activation = act
	s := &h.train.Schedule
	if s.TMax == 0 && (s.Kind == "cosine" || s.Kind == "warmup_cosine") {
		s.TMax = h.train.Epochs
		if s.Kind == "warmup_cosine" {
			s.TMax = max(h.train.Epochs-s.WarmupEpochs, 1)
		}
	}
	if err := h.train.Validate(); err != nil {
		return hyper{}, err
	}
	// InputDim comes from the data; validate the rest with a placeholder.
	probe := h.net
	probe.InputDim = 1
	return h, probe.Validate()
}

// reader collects the first error while reading typed hyperparameters.
type reader struct {
	p   plugins.Params
	err error
}

// get returns the hyperparameter name as a T, or its default when it is
// absent; a value of another type records an error naming it.
func get[T any](r *reader, name string) T {
	var zero T
	v, ok := r.p[name]
	if !ok {
		v = ffnDefaults[name]
	}
	t, ok := v.(T)
	if !ok && r.err == nil {
		r.err = fmt.Errorf("%s: got %v (%T), want a %T", name, v, v, zero)
	}
	return t
}

// int reads an int hyperparameter and checks that it fits an int.
func (r *reader) int(name string) int {
	v := get[int64](r, name)
	if v != int64(int(v)) && r.err == nil {
		r.err = fmt.Errorf("%s: %d is out of range", name, v)
	}
	return int(v)
}

// Train runs one trial: it loads the data through the process-wide cache,
// builds the network from req.Seed and trains it, emitting one event per
// epoch (Step = epoch from 0) with the scalars train_loss, val_loss,
// learning_rate, pred_mean and pred_std; the first event also carries the
// layer graph; every req.HistogramEvery epochs and at the last epoch an
// event carries the histograms weights/<param> and gradients/<param> (the
// gradients of the epoch's last batch) of every trainable parameter. When
// the request asks for a checkpoint, a trial that ends without an error
// keeps the weights of its best epoch as CheckpointFile (and the last
// epoch's as LastCheckpointFile) in the checkpoint directory.
func (m ffnModel) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	if emit == nil {
		emit = func(plugins.Event) error { return nil }
	}
	h, err := resolve(req.Params)
	if err != nil {
		return plugins.Outcome{}, err
	}
	data, err := m.cache.Get(ctx, req.Data)
	if err != nil {
		return plugins.Outcome{}, err
	}
	h.net.InputDim = data.NumFeatures()
	if n := h.net.NumParams(); n > maxParams {
		return plugins.Outcome{}, fmt.Errorf("hidden_dims: %v with %d inputs makes %d parameters, more than the limit of %d",
			h.net.HiddenDims, h.net.InputDim, n, maxParams)
	}
	var res ffn.Result
	if h.dtype == DTypeFloat32 {
		res, err = train[float32](ctx, req, emit, h, data)
	} else {
		res, err = train[float64](ctx, req, emit, h, data)
	}
	out := plugins.Outcome{
		BestValLoss:    res.BestValLoss,
		BestEpoch:      int64(res.BestEpoch),
		EpochsRun:      int64(res.EpochsRun),
		StoppedEarly:   res.StoppedEarly,
		FinalTrainLoss: res.FinalTrainLoss,
		FinalValLoss:   res.FinalValLoss,
	}
	if res.EpochsRun == 0 {
		out.BestValLoss = math.NaN()
	}
	var div *ffn.DivergedError
	if errors.As(err, &div) {
		return out, fmt.Errorf("%w (try a lower lr or clip_grad_norm)", err)
	}
	return out, err
}

// train builds the trial's network in T from req.Seed and trains it: Train
// after the hyperparameters and the data.
func train[T ffn.Float](ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error, h hyper, data *dataset.Dataset) (ffn.Result, error) {
	src := rand.NewPCG(uint64(req.Seed), streamTrial)
	net, err := ffn.NewNetwork[T](h.net, src)
	if err != nil {
		return ffn.Result{}, err
	}
	ck := newCheckpointer(req, net, data, h)
	fd := ffn.Data{Features: data.NumFeatures(), Targets: 1,
		TrainX: data.TrainX, TrainY: data.TrainY, ValX: data.ValX, ValY: data.ValY}
	if _, ok := any(T(0)).(float32); ok && shareFloat32 {
		// The dataset's one float32 copy, mapped from a file every
		// process shares where the data was prepared: no copy per trial.
		f := data.Float32()
		if f.Err != nil {
			fmt.Fprintf(os.Stderr, "ffn: float32 data converted in memory, not shared between processes: %v\n", f.Err)
		}
		fd.TrainX32, fd.TrainY32, fd.ValX32, fd.ValY32 = f.TrainX, f.TrainY, f.ValX, f.ValY
	}
	var hist history
	opts := ffn.Options{}
	if req.ResumeFrom != "" {
		if opts.From, err = resume(req, ck, &hist, emit, net); err != nil {
			return ffn.Result{}, err
		}
	}
	first := opts.From == nil // the graph goes with a run's first event
	opts.OnEpoch = func(r ffn.EpochReport) error {
		hist.add(r)
		ev := hist.event(r.Epoch)
		if first {
			ev.Graph, first = Graph(net), false
		}
		if req.HistogramEvery > 0 && (r.Epoch%req.HistogramEvery == 0 || r.Last) {
			ev.Histograms = histograms(net)
		}
		if ck != nil {
			ck.observe(r)
		}
		return emit(ev)
	}
	if c := req.Checkpoint; c.StateEvery > 0 && c.StateFile != "" {
		opts.StateEvery, opts.StateOnStop = c.StateEvery, true
		opts.OnState = func(s *ffn.State) error {
			b, err := encodeState(req, s, &hist, ck)
			if err == nil {
				err = plugins.SaveFile(req, c.StateFile, b)
			}
			if err != nil {
				return fmt.Errorf("saving the training state: %w", err)
			}
			return nil
		}
	}
	res, err := ffn.TrainWith(ctx, net, fd, h.train, src, opts)
	if err == nil && ck != nil {
		err = ck.save()
	}
	return res, err
}

// resume reads the training state req.ResumeFrom names and replays the
// events of the epochs it covers; the network then continues from it. A
// state that is missing or unusable (the interrupted run saved none, or
// another version of the network did) is no error: the trial starts from
// epoch 0, as an uninterrupted run would, and says so in its log.
func resume[T ffn.Float](req plugins.TrainRequest, ck *checkpointer[T], hist *history, emit func(plugins.Event) error, net *ffn.Network[T]) (*ffn.State, error) {
	s, h, err := readState(req.ResumeFrom, req, ck)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ffn: not resuming from %s (%v): starting from epoch 0\n", req.ResumeFrom, err)
		if ck != nil {
			ck.best = state[T]{}
		}
		return nil, nil
	}
	*hist = *h
	for e := range s.Epochs {
		ev := hist.event(e)
		ev.Replayed = true
		if e == 0 {
			ev.Graph = Graph(net)
		}
		if err := emit(ev); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(os.Stderr, "ffn: resuming after epoch %d from %s\n", s.Epochs-1, req.ResumeFrom)
	return s, nil
}

// histograms copies every trainable parameter and its gradient, in
// float64: the event may outlive the next training step.
func histograms[T ffn.Float](net *ffn.Network[T]) []plugins.Histogram {
	params := net.Params()
	hs := make([]plugins.Histogram, 0, 2*len(params))
	for _, p := range params {
		hs = append(hs, plugins.Histogram{Tag: "weights/" + p.Name, Values: widen(p.Value)})
	}
	for _, p := range params {
		hs = append(hs, plugins.Histogram{Tag: "gradients/" + p.Name, Values: widen(p.Grad)})
	}
	return hs
}

// widen returns a float64 copy of v.
func widen[T ffn.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// Graph describes net's layers for TensorBoard's graph view: an input node,
// then one node per module under the FeedforwardNet scope, each fed by the
// one before, with output shapes [-1, width] (-1 for the batch).
func Graph[T ffn.Float](net *ffn.Network[T]) *plugins.Graph {
	layers := net.Layers()
	g := &plugins.Graph{Nodes: make([]plugins.GraphNode, 0, len(layers)+1)}
	prev := "input"
	g.Nodes = append(g.Nodes, plugins.GraphNode{Name: prev, Op: "Input", Shape: []int64{-1, int64(net.Config().InputDim)}})
	for _, l := range layers {
		name := "FeedforwardNet/" + l.Name
		g.Nodes = append(g.Nodes, plugins.GraphNode{Name: name, Op: l.Op, Inputs: []string{prev}, Shape: []int64{-1, int64(l.Out)}})
		prev = name
	}
	return g
}
