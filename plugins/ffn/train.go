package ffn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"unsafe"

	"gonum.org/v1/gonum/stat"
)

// Data is what Train learns from: row-major matrices of training and
// validation rows. Train only reads them, so concurrent trials may share
// one Data.
type Data struct {
	Features int       // columns of TrainX and ValX
	Targets  int       // columns of TrainY and ValY
	TrainX   []float64 // rows × Features
	TrainY   []float64 // rows × Targets
	ValX     []float64
	ValY     []float64

	// Optionally, the same four matrices rounded to float32 (float32(x)
	// of each value; Train does not check the values, only the lengths),
	// all four or none. A float32 network trains on them instead of
	// converting its own copy of the float64 ones, so that concurrent
	// float32 trials can share one (dataset.Dataset.Float32 maps one for
	// every process); a float64 network ignores them. The numbers are the
	// same either way.
	TrainX32, TrainY32, ValX32, ValY32 []float32
}

// has32 reports whether d carries float32 matrices.
func (d Data) has32() bool {
	return d.TrainX32 != nil || d.TrainY32 != nil || d.ValX32 != nil || d.ValY32 != nil
}

// trainRows and valRows count the rows of each split.
func (d Data) trainRows() int { return len(d.TrainY) / max(d.Targets, 1) }
func (d Data) valRows() int   { return len(d.ValY) / max(d.Targets, 1) }

// check reports a Data that does not fit the network.
func (d Data) check(cfg Config) error {
	switch {
	case d.Features != cfg.InputDim:
		return fmt.Errorf("ffn: data has %d features, the network takes %d inputs", d.Features, cfg.InputDim)
	case d.Targets != cfg.OutputDim:
		return fmt.Errorf("ffn: data has %d targets, the network has %d outputs", d.Targets, cfg.OutputDim)
	case len(d.TrainX) != d.trainRows()*d.Features || len(d.TrainY) != d.trainRows()*d.Targets:
		return fmt.Errorf("ffn: training matrices of %d and %d values do not hold whole rows", len(d.TrainX), len(d.TrainY))
	case len(d.ValX) != d.valRows()*d.Features || len(d.ValY) != d.valRows()*d.Targets:
		return fmt.Errorf("ffn: validation matrices of %d and %d values do not hold whole rows", len(d.ValX), len(d.ValY))
	case d.has32() && (len(d.TrainX32) != len(d.TrainX) || len(d.TrainY32) != len(d.TrainY) ||
		len(d.ValX32) != len(d.ValX) || len(d.ValY32) != len(d.ValY)):
		return fmt.Errorf("ffn: the float32 matrices (%d, %d, %d and %d values) are not the float64 ones' size (%d, %d, %d and %d)",
			len(d.TrainX32), len(d.TrainY32), len(d.ValX32), len(d.ValY32), len(d.TrainX), len(d.TrainY), len(d.ValX), len(d.ValY))
	case d.trainRows() < 1:
		return fmt.Errorf("ffn: no training rows")
	case d.valRows() < 1:
		return fmt.Errorf("ffn: no validation rows")
	}
	return nil
}

// TrainConfig holds the training hyperparameters.
type TrainConfig struct {
	LR           float64 // Adam's base learning rate, > 0
	WeightDecay  float64 // Adam's L2 term, ≥ 0
	BatchSize    int     // rows per step, ≥ 1; the last partial batch is kept
	Epochs       int     // at most this many epochs, ≥ 1
	Patience     int     // early stopping: stop after more than Patience epochs without improvement, ≥ 0
	MinDelta     float64 // early stopping: an improvement must exceed this, ≥ 0
	RestoreBest  bool    // restore the parameters of the best epoch when training ends
	Schedule     Schedule
	ClipGradNorm float64 // clip the gradients' total norm to this; 0 turns clipping off
}

// Validate reports the first invalid hyperparameter, naming it.
func (c TrainConfig) Validate() error {
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("lr: must be positive and finite, got %v", c.LR)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("weight_decay: must be non-negative and finite, got %v", c.WeightDecay)
	case c.BatchSize < 1:
		return fmt.Errorf("batch_size: must be at least 1, got %d", c.BatchSize)
	case c.Epochs < 1:
		return fmt.Errorf("epochs: must be at least 1, got %d", c.Epochs)
	case c.Patience < 0:
		return fmt.Errorf("patience: must not be negative, got %d", c.Patience)
	case !(c.MinDelta >= 0) || math.IsInf(c.MinDelta, 0):
		return fmt.Errorf("min_delta: must be non-negative and finite, got %v", c.MinDelta)
	case !(c.ClipGradNorm >= 0) || math.IsInf(c.ClipGradNorm, 0):
		return fmt.Errorf("clip_grad_norm: must be non-negative and finite (0 = off), got %v", c.ClipGradNorm)
	}
	return c.Schedule.Validate()
}

// EpochReport is what Train reports after each epoch.
type EpochReport struct {
	Epoch        int     // from 0
	TrainLoss    float64 // unweighted mean of the epoch's batch losses
	ValLoss      float64 // MSE over all validation rows, eval mode
	LearningRate float64 // the rate used during the epoch
	PredMean     float64 // mean of the validation predictions
	PredStd      float64 // their sample standard deviation (n − 1), 0 for one value
	Improved     bool    // the validation loss improved on the best by more than MinDelta
	Last         bool    // no epoch follows: the last allowed, or early stopping ends training
}

// Result is how a training run ended.
type Result struct {
	BestValLoss    float64 // the best validation loss (the one restored with RestoreBest)
	BestEpoch      int
	EpochsRun      int
	StoppedEarly   bool
	FinalTrainLoss float64 // the last epoch's losses, before any restore
	FinalValLoss   float64
}

// DivergedError reports a NaN or infinite loss.
type DivergedError struct {
	Epoch  int    // from 0
	Metric string // "train_loss" or "val_loss"
	Value  float64
}

// Error says where training diverged: "diverged at epoch 3: train_loss is NaN".
func (e *DivergedError) Error() string {
	return fmt.Sprintf("diverged at epoch %d: %s is %v", e.Epoch, e.Metric, e.Value)
}

// ctxCheckBatches is how often, in batches, Train checks for cancellation
// within an epoch, so that a cancel is honoured promptly even for epochs
// over millions of rows, at negligible cost.
const ctxCheckBatches = 64

// evalChunk is the rows per forward pass when evaluating; eval mode is row
// by row, so the chunk only trades workspace for call overhead.
const evalChunk = 256

// Train trains net on data with Adam and MSE, one epoch at a time, calling
// onEpoch (if not nil) after each epoch. The training rows are reshuffled
// every epoch with src; the validation rows are evaluated in order, in eval
// mode. Training ends after cfg.Epochs epochs, when early stopping triggers,
// when onEpoch returns an error (returned as is), when ctx is cancelled
// (ctx's error, checked every epoch and every 64 batches), or when a loss is
// NaN or infinite (a *DivergedError, at once). With cfg.RestoreBest a run
// that ends without an error leaves the network with the parameters and
// running statistics of its best epoch; an error leaves the last step's.
// The Result describes the epochs run, also when an error ends training.
func Train[T Float](ctx context.Context, net *Network[T], data Data, cfg TrainConfig, src rand.Source, onEpoch func(EpochReport) error) (Result, error) {
	return TrainWith(ctx, net, data, cfg, src, Options{OnEpoch: onEpoch})
}

// TrainWith is Train with options: it can save the run's state every few
// epochs and continue a run from such a state (see Options), bit for bit
// as the uninterrupted run. Both need a source whose state can be saved
// and set, such as *rand.PCG.
//
// A float32 network trains on data's float32 matrices if it has them, else
// on a float32 copy of the float64 ones, converted once per run.
func TrainWith[T Float](ctx context.Context, net *Network[T], data Data, cfg TrainConfig, src rand.Source, opts Options) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if err := data.check(net.cfg); err != nil {
		return Result{}, err
	}
	t := newTrainer(net, data, cfg, src)
	stop := EarlyStopping{Patience: cfg.Patience, MinDelta: cfg.MinDelta}
	var res Result
	first := 0
	if opts.From != nil {
		if err := t.resume(opts.From, &stop); err != nil {
			return Result{}, err
		}
		res, first = opts.From.Result, opts.From.Epochs
	}
	var state State
	saved := first // the epochs of the newest state OnState has had, or the run resumed from
	saveOnStop := opts.StateOnStop && opts.OnState != nil
	onStop := func(err error) (Result, error) {
		if saveOnStop && ctx.Err() != nil && state.Epochs > saved {
			if serr := opts.OnState(&state); serr != nil {
				err = errors.Join(err, serr)
			}
		}
		return res, err
	}
	for epoch := first; epoch < cfg.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return onStop(err)
		}
		rate := cfg.Schedule.Rate(cfg.LR, epoch)
		trainLoss, err := t.epoch(ctx, epoch, rate)
		if err != nil {
			return onStop(err)
		}
		valLoss, mean, std := t.evaluate()
		res.EpochsRun, res.FinalTrainLoss, res.FinalValLoss = epoch+1, trainLoss, valLoss
		if math.IsNaN(valLoss) || math.IsInf(valLoss, 0) {
			return res, &DivergedError{Epoch: epoch, Metric: "val_loss", Value: valLoss}
		}
		improved, early := stop.Observe(epoch, valLoss)
		if improved {
			res.BestValLoss, res.BestEpoch = valLoss, epoch
			if cfg.RestoreBest {
				t.snapshot()
			}
		}
		last := early || epoch == cfg.Epochs-1
		res.StoppedEarly = early && epoch < cfg.Epochs-1
		periodic := opts.StateEvery > 0 && opts.OnState != nil && (epoch+1)%opts.StateEvery == 0 && !last
		// The state after this epoch is the same before OnEpoch as after
		// it; taken before, it is the one to save if OnEpoch is where the
		// run stops. After the last epoch there is nothing to continue.
		if periodic || (saveOnStop && !last) {
			if err := t.capture(&state, epoch+1, res, &stop); err != nil {
				return res, err
			}
		}
		if opts.OnEpoch != nil {
			err := opts.OnEpoch(EpochReport{Epoch: epoch, TrainLoss: trainLoss, ValLoss: valLoss, LearningRate: rate,
				PredMean: mean, PredStd: std, Improved: improved, Last: last})
			// It may have written the parameters through views taken before
			// training: one transpose an epoch keeps that safe.
			t.net.transposed = false
			if err != nil && last {
				// No state to save: the one taken before this epoch would
				// miss what OnEpoch has seen of it.
				return res, err
			}
			if err != nil {
				return onStop(err)
			}
		}
		if last {
			break
		}
		if periodic {
			if err := opts.OnState(&state); err != nil {
				return res, err
			}
			saved = state.Epochs
		}
	}
	if cfg.RestoreBest {
		t.restore()
	}
	return res, nil
}

// trainer holds one run's optimiser state and buffers, so that a training
// step allocates nothing.
type trainer[T Float] struct {
	net  *Network[T]
	data dataOf[T]
	cfg  TrainConfig
	src  rand.Source // behind rng; its state is part of a saved State
	rng  *rand.Rand
	adam *Adam[T]
	perm []int
	xb   []T // the batch's rows, gathered, ldx apart from a cache line's start
	ldx  int
	yb   []T
	dOut []T
	// The validation predictions of the last evaluation, and in float64
	// for their statistics (the same slice for a float64 network).
	preds   []T
	preds64 []float64

	// With RestoreBest, the parameters and running statistics of the best
	// epoch so far. The first epoch always improves, so they are set
	// before Train can reach restore.
	bestTheta, bestStats []T
}

// dataOf is Data in T.
type dataOf[T Float] struct {
	Features, Targets          int
	TrainX, TrainY, ValX, ValY []T
}

// convert returns d in T: d's own slices for float64, its float32 slices
// for float32 when it has them, else converted copies.
func convert[T Float](d Data) dataOf[T] {
	if _, ok := any(T(0)).(float32); ok && d.has32() {
		return dataOf[T]{Features: d.Features, Targets: d.Targets,
			TrainX: any(d.TrainX32).([]T), TrainY: any(d.TrainY32).([]T), ValX: any(d.ValX32).([]T), ValY: any(d.ValY32).([]T)}
	}
	return dataOf[T]{Features: d.Features, Targets: d.Targets,
		TrainX: asFloat[T](d.TrainX), TrainY: asFloat[T](d.TrainY), ValX: asFloat[T](d.ValX), ValY: asFloat[T](d.ValY)}
}

// asFloat returns v itself as a []T when T is float64, else a copy of v
// rounded to T.
func asFloat[T Float](v []float64) []T {
	if same, ok := any(v).([]T); ok {
		return same
	}
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

func newTrainer[T Float](net *Network[T], data Data, cfg TrainConfig, src rand.Source) *trainer[T] {
	n := data.trainRows()
	b := min(cfg.BatchSize, n)
	t := &trainer[T]{
		net: net, data: convert[T](data), cfg: cfg, src: src, rng: rand.New(src),
		adam:  NewAdam[T](net.NumParams(), cfg.LR, cfg.WeightDecay),
		perm:  make([]int, n),
		ldx:   paddedStride[T](data.Features),
		yb:    make([]T, b*data.Targets),
		dOut:  make([]T, b*data.Targets),
		preds: make([]T, data.valRows()*data.Targets),
	}
	if p, ok := any(t.preds).([]float64); ok {
		t.preds64 = p
	} else {
		t.preds64 = make([]float64, len(t.preds))
	}
	t.xb = alignedSlice[T](b * t.ldx)
	for i := range t.perm {
		t.perm[i] = i
	}
	if cfg.RestoreBest {
		t.bestTheta = make([]T, len(net.theta))
		t.bestStats = make([]T, len(net.stats))
	}
	net.reserve(max(b, min(evalChunk, data.valRows())))
	return t
}

// epoch runs one pass over the shuffled training rows at learning rate
// rate and returns the mean batch loss.
func (t *trainer[T]) epoch(ctx context.Context, epoch int, rate float64) (float64, error) {
	t.shuffle()
	t.adam.LR = rate
	o := t.data.Targets
	n := len(t.perm)
	var sum float64
	batches := 0
	for start := 0; start < n; start += t.cfg.BatchSize {
		if batches > 0 && batches%ctxCheckBatches == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		rows := min(t.cfg.BatchSize, n-start)
		xb, yb, dOut := t.xb, t.yb[:rows*o], t.dOut[:rows*o]
		t.gatherBatch(xb, yb, t.perm[start:start+rows])
		out := t.net.forward(xb, t.ldx, rows, true)
		loss := MSE(dOut, out, yb)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return 0, &DivergedError{Epoch: epoch, Metric: "train_loss", Value: loss}
		}
		t.net.Backward(dOut)
		if t.cfg.ClipGradNorm > 0 {
			clipGradNorm(t.net.grad, t.cfg.ClipGradNorm)
		}
		t.net.adamStep(t.adam)
		sum += loss
		batches++
	}
	return sum / float64(batches), nil
}

// gatherAhead is how many rows ahead of the one it copies gatherBatch asks
// for the training rows to be brought into the caches.
const gatherAhead = 16

// gatherBatch copies the training rows batch, in order, into xb (rows
// t.ldx apart) and yb.
//
// The rows are drawn at random from the training matrices (6.4 MB for the
// textbook's 16,000 rows, beyond the L2 cache), so each comes from memory:
// copied on demand, they waited for it one after another. gatherBatch asks
// for them (PREFETCHT1) gatherAhead rows before it copies them, so that
// some 16 rows are on their way at once and each arrives shortly before its
// copy. Asking for the whole next batch just before Adam's step, as this
// did before, cost more (see the README's Speed section): the rows then
// waited 7 µs or more in the cache, and on a shared machine the longer
// they wait there, the longer their copy takes (other work evicts them).
func (t *trainer[T]) gatherBatch(xb, yb []T, batch []int) {
	f, o := t.data.Features, t.data.Targets
	size := int(unsafe.Sizeof(T(0)))
	x := unsafe.Pointer(&t.data.TrainX[0])
	prefetchRows(unsafe.Pointer(&t.data.TrainY[0]), batch, o*size)
	prefetchRows(x, batch[:min(gatherAhead, len(batch))], f*size)
	for r := 0; r < len(batch); r += gatherAhead {
		e := min(r+gatherAhead, len(batch))
		prefetchRows(x, batch[e:min(e+gatherAhead, len(batch))], f*size)
		gather(xb[r*t.ldx:], t.ldx, t.data.TrainX, batch[r:e], f)
	}
	gather(yb, o, t.data.TrainY, batch, o)
}

// gather copies the rows idx of src, rows of w elements, into dst, ld
// elements apart. A row of one element (the usual single target) is
// assigned: copy's call to memmove would cost more than the 4 or 8 bytes
// it moves.
func gather[T Float](dst []T, ld int, src []T, idx []int, w int) {
	if w == 1 {
		for r, i := range idx {
			dst[r*ld] = src[i]
		}
		return
	}
	for r, i := range idx {
		copy(dst[r*ld:r*ld+w], src[i*w:(i+1)*w])
	}
}

// cacheLine is the size of a cache line in bytes, to which the trainer
// aligns its batch rows.
const cacheLine = 64

// paddedStride returns the row stride, in elements, of the trainer's batch
// for rows of width elements: width rounded up to whole cache lines. The
// first weight gradient reads the batch as its right-hand matrix, in
// vectors of 8 or 16 elements along each row; rows a whole number of lines
// apart, from a line's start, make none of those loads span two lines.
// With the textbook's 50 inputs, unpadded, most did, and the product took
// 11.2 µs of CPU against 9.8 µs padded to 56 (AMD EPYC, Zen 4; medians of
// 3 runs).
func paddedStride[T Float](width int) int {
	per := cacheLine / int(unsafe.Sizeof(T(0)))
	return (width + per - 1) / per * per
}

// alignedSlice returns n zeros starting at a cache line's start (Go's heap
// does not move objects).
func alignedSlice[T Float](n int) []T {
	size := int(unsafe.Sizeof(T(0)))
	s := make([]T, n+cacheLine/size)
	skip := (cacheLine - int(uintptr(unsafe.Pointer(&s[0]))%cacheLine)) % cacheLine / size
	return s[skip : skip+n : skip+n]
}

// shuffle permutes t.perm in place (Fisher–Yates) with the trial's source.
func (t *trainer[T]) shuffle() {
	for i := len(t.perm) - 1; i > 0; i-- {
		j := t.rng.IntN(i + 1)
		t.perm[i], t.perm[j] = t.perm[j], t.perm[i]
	}
}

// evaluate returns the validation MSE over all rows and the mean and sample
// standard deviation of the predictions.
func (t *trainer[T]) evaluate() (loss, mean, std float64) {
	f, o := t.data.Features, t.data.Targets
	n := len(t.data.ValY) / o
	for start := 0; start < n; start += evalChunk {
		rows := min(evalChunk, n-start)
		out := t.net.Forward(t.data.ValX[start*f:(start+rows)*f], rows, false)
		copy(t.preds[start*o:], out)
	}
	loss = MSE(nil, t.preds, t.data.ValY)
	for i, p := range t.preds {
		t.preds64[i] = float64(p)
	}
	mean, std = meanStd(t.preds64)
	return loss, mean, std
}

// meanStd returns the mean and the sample standard deviation of v, which
// is 0 (not gonum's NaN) for a single prediction: it is logged every epoch.
func meanStd(v []float64) (mean, std float64) {
	if len(v) < 2 {
		return stat.Mean(v, nil), 0
	}
	return stat.MeanStdDev(v, nil)
}

// snapshot keeps the current parameters and running statistics as the best.
func (t *trainer[T]) snapshot() {
	copy(t.bestTheta, t.net.theta)
	copy(t.bestStats, t.net.stats)
}

// restore puts back the best snapshot.
func (t *trainer[T]) restore() {
	t.net.transposed = false
	copy(t.net.theta, t.bestTheta)
	copy(t.net.stats, t.bestStats)
}
