package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/ffn"
	"github.com/sweep-ml/sweep/plugins/safetensors"
)

// A trial's training state (plugins.Checkpoint.StateFile) is a safetensors
// file, so that one reader checks its layout: the network's and Adam's
// arrays as F64 tensors (also for a float32 network, whose numbers widen
// to float64 and narrow back exactly), the rows' order as I64, the events reported so
// far as one F64 tensor per metric (epoch i at index i), and the rest as
// JSON in the metadata key stateMeta. float64 numbers survive JSON bit for
// bit (Go writes the shortest text that reads back exactly), and a state
// holds none that is NaN or infinite: a diverged trial stops with an error.
const (
	stateMeta       = "sweep_state"
	stTheta         = "theta"
	stStats         = "stats"
	stAdamM         = "adam.m"
	stAdamV         = "adam.v"
	stPerm          = "perm"
	stBestTheta     = "best.theta" // with restore_best
	stBestStats     = "best.stats"
	stKeptBest      = "kept.best" // the checkpointer's copy of the best epoch, its tensors end to end
	stHistoryPrefix = "history."  // + a metric's tag
)

// stateHeader is the JSON of a state's scalars.
type stateHeader struct {
	TrialID  string             `json:"trial_id"`
	Version  string             `json:"ffn_version"`
	Epochs   int                `json:"epochs"`
	Result   ffn.Result         `json:"result"`
	AdamStep int                `json:"adam_step"`
	RNG      []byte             `json:"rng"`
	Stop     ffn.EarlyStopState `json:"early_stopping"`
	// The checkpointer's best epoch, when it keeps one.
	KeptEpoch int     `json:"kept_epoch"`
	KeptLoss  float64 `json:"kept_val_loss"`
	KeptOK    bool    `json:"kept"`
}

// history is the scalars a trial reported, per metric in eventMetrics'
// order, epoch i at index i: what a resumed run replays.
type history [len(eventMetrics)][]float64

// eventMetrics are the scalars of every epoch's event, in order.
var eventMetrics = [...]string{MetricTrainLoss, MetricValLoss, MetricLearningRate, MetricPredMean, MetricPredStd}

func (h *history) add(r ffn.EpochReport) {
	for i, v := range [len(eventMetrics)]float64{r.TrainLoss, r.ValLoss, r.LearningRate, r.PredMean, r.PredStd} {
		h[i] = append(h[i], v)
	}
}

// event is epoch e's event as first reported.
func (h *history) event(e int) plugins.Event {
	ev := plugins.Event{Step: int64(e), Scalars: make([]plugins.Scalar, len(eventMetrics))}
	for i, tag := range eventMetrics {
		ev.Scalars[i] = plugins.Scalar{Tag: tag, Value: h[i][e]}
	}
	return ev
}

// encodeState writes a training state with the events so far and the
// checkpointer's copy of the best epoch (nil: none kept).
func encodeState[T ffn.Float](req plugins.TrainRequest, s *ffn.State, h *history, ck *checkpointer[T]) ([]byte, error) {
	hdr := stateHeader{TrialID: req.TrialID, Version: FFNVersion, Epochs: s.Epochs, Result: s.Result,
		AdamStep: s.AdamStep, RNG: s.RNG, Stop: s.Stop}
	perm := make([]int64, len(s.Perm))
	for i, r := range s.Perm {
		perm[i] = int64(r)
	}
	vec := func(name string, v []float64) safetensors.Tensor {
		return safetensors.Tensor{Name: name, Shape: []int{len(v)}, Float64: v}
	}
	tensors := []safetensors.Tensor{vec(stTheta, s.Theta), vec(stStats, s.Stats), vec(stAdamM, s.AdamM), vec(stAdamV, s.AdamV),
		{Name: stPerm, Shape: []int{len(perm)}, Int64: perm}}
	if s.BestTheta != nil {
		tensors = append(tensors, vec(stBestTheta, s.BestTheta), vec(stBestStats, s.BestStats))
	}
	if ck != nil && ck.best.ok {
		hdr.KeptEpoch, hdr.KeptLoss, hdr.KeptOK = ck.best.epoch, ck.best.loss, true
		tensors = append(tensors, vec(stKeptBest, widen(slices.Concat(ck.best.values...))))
	}
	for i, tag := range eventMetrics {
		tensors = append(tensors, vec(stHistoryPrefix+tag, h[i]))
	}
	meta, err := json.Marshal(hdr)
	if err != nil {
		return nil, fmt.Errorf("training state: %w", err)
	}
	var buf bytes.Buffer
	err = safetensors.Write(&buf, tensors, map[string]string{stateMeta: string(meta)})
	return buf.Bytes(), err
}

// readState reads the training state at path that a run of req's trial
// wrote. The arrays' sizes are checked against the network when training
// continues (ffn.TrainWith); here, what only this file knows: that it is
// the trial's, of this version of the network, and whole. ck, if not nil,
// gets back its copy of the best epoch.
func readState[T ffn.Float](path string, req plugins.TrainRequest, ck *checkpointer[T]) (*ffn.State, *history, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := safetensors.Read(data)
	if err != nil {
		return nil, nil, err
	}
	var hdr stateHeader
	if err := json.Unmarshal([]byte(f.Metadata[stateMeta]), &hdr); err != nil {
		return nil, nil, fmt.Errorf("not a training state of the built-in network: %v", err)
	}
	switch {
	case hdr.TrialID != req.TrialID:
		return nil, nil, fmt.Errorf("the state of trial %q, not of %q", hdr.TrialID, req.TrialID)
	case hdr.Version != FFNVersion:
		return nil, nil, fmt.Errorf("the state of version %q of the network, this is version %q", hdr.Version, FFNVersion)
	}
	s := &ffn.State{Epochs: hdr.Epochs, Result: hdr.Result, AdamStep: hdr.AdamStep, RNG: hdr.RNG, Stop: hdr.Stop}
	var errs []error
	f64 := func(name string, optional bool) []float64 {
		t, ok := f.Tensor(name)
		switch {
		case !ok && optional:
			return nil
		case !ok || t.DType() != safetensors.F64 || len(t.Shape) != 1:
			errs = append(errs, fmt.Errorf("no F64 vector %s", name))
			return nil
		}
		return t.Float64
	}
	s.Theta, s.Stats, s.AdamM, s.AdamV = f64(stTheta, false), f64(stStats, false), f64(stAdamM, false), f64(stAdamV, false)
	s.BestTheta, s.BestStats = f64(stBestTheta, true), f64(stBestStats, true)
	h := new(history)
	for i, tag := range eventMetrics {
		if h[i] = f64(stHistoryPrefix+tag, false); h[i] != nil && len(h[i]) != hdr.Epochs {
			errs = append(errs, fmt.Errorf("%d values of %s for %d epochs", len(h[i]), tag, hdr.Epochs))
		}
	}
	if p, ok := f.Tensor(stPerm); ok && p.DType() == safetensors.I64 {
		s.Perm = make([]int, len(p.Int64))
		for i, r := range p.Int64 {
			// ffn checks the permutation; keep an out-of-range value out of range.
			s.Perm[i] = int(max(min(r, math.MaxInt32), -1))
		}
	} else {
		errs = append(errs, fmt.Errorf("no I64 vector %s", stPerm))
	}
	if ck != nil && hdr.KeptOK {
		if err := ck.best.set(f64(stKeptBest, false), ck.views, hdr.KeptEpoch, hdr.KeptLoss); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return s, h, nil
}

// set makes s a copy of flat, the tensors of views end to end, in T.
func (s *state[T]) set(flat []float64, views [][]T, epoch int, loss float64) error {
	n := 0
	for _, v := range views {
		n += len(v)
	}
	if len(flat) != n {
		return fmt.Errorf("a best-epoch copy of %d numbers for a network of %d", len(flat), n)
	}
	s.values = make([][]T, len(views))
	for i, v := range views {
		s.values[i] = make([]T, len(v))
		for j, x := range flat[:len(v)] {
			s.values[i][j] = T(x)
		}
		flat = flat[len(v):]
	}
	s.epoch, s.loss, s.ok = epoch, loss, true
	return nil
}
