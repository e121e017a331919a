package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/plugins/ffn"
	"github.com/sweep-ml/sweep/plugins/safetensors"
)

// The files a trial of the built-in network keeps in its run directory
// when the host asks for checkpoints (plugins.Checkpoint).
const (
	// CheckpointFile holds the weights of the trial's best epoch: the
	// lowest validation loss, as early stopping counts it (an improvement
	// must beat min_delta), which are the weights restore_best ends with.
	CheckpointFile = "model.safetensors"
	// LastCheckpointFile holds the weights after the last epoch, before
	// any restore_best.
	LastCheckpointFile = "model_last.safetensors"
)

// The __metadata__ keys of a checkpoint besides the host's provenance
// (plugins.Checkpoint.Metadata). Lists and numbers are JSON text, since
// safetensors' metadata holds strings only; a float64 written as JSON
// reads back bit for bit.
const (
	MetaModel       = "model"       // "ffn"
	MetaVersion     = "ffn_version" // FFNVersion
	MetaInputDim    = "input_dim"
	MetaHiddenDims  = "hidden_dims" // [64,32]
	MetaOutputDim   = "output_dim"
	MetaActivation  = "activation" // the grid's name: relu, tanh, leaky_relu, elu
	MetaDropout     = "dropout"
	MetaFeatures    = "features" // the feature columns in input order, ["f1","f2"]
	MetaTarget      = "target"
	MetaMean        = "standardize_mean" // per feature; null when standardisation is off
	MetaStd         = "standardize_std"  // x ← (x − mean)/std; null when off
	MetaWeights     = "weights"          // "best" or "last"
	MetaEpoch       = "epoch"            // the epoch (from 0) the weights are from
	MetaValLoss     = "val_loss"         // the validation loss after that epoch
	metaFormat      = "format"           // "pt": safetensors' convention for PyTorch tensors
	numBatchesTrack = "num_batches_tracked"
)

// checkpointer keeps copies of the network's state (the best epoch's and,
// if asked, the last's) while a trial trains and writes them when it ends.
type checkpointer struct {
	req     plugins.TrainRequest
	meta    map[string]string // everything but the per-file keys
	tensors []safetensors.Tensor
	views   [][]float64 // the network's storage behind each F64 tensor; nil for a counter
	batches int64       // training batches per epoch that update BatchNorm's running statistics
	best    state
	last    state
}

// state is one copy of the network's tensors.
type state struct {
	values [][]float64
	epoch  int
	loss   float64
	ok     bool
}

// newCheckpointer returns nil when the request asks for no checkpoint.
func newCheckpointer(req plugins.TrainRequest, net *ffn.Net, data *dataset.Dataset, h hyper) *checkpointer {
	if req.Checkpoint.Dir == "" {
		return nil
	}
	c := &checkpointer{req: req, meta: maps.Clone(req.Checkpoint.Metadata)}
	if c.meta == nil {
		c.meta = map[string]string{}
	}
	js := func(v any) string {
		b, _ := json.Marshal(v) // of slices and strings: cannot fail
		return string(b)
	}
	cfg := net.Config()
	for k, v := range map[string]string{
		metaFormat: "pt", MetaModel: FFNName, MetaVersion: FFNVersion,
		MetaInputDim: strconv.Itoa(cfg.InputDim), MetaHiddenDims: js(cfg.HiddenDims), MetaOutputDim: strconv.Itoa(cfg.OutputDim),
		MetaActivation: cfg.Activation.String(), MetaDropout: strconv.FormatFloat(cfg.Dropout, 'g', -1, 64),
		MetaFeatures: js(data.Features), MetaTarget: data.Target, MetaMean: js(data.Mean), MetaStd: js(data.Scale),
	} {
		c.meta[k] = v
	}
	// A batch of one row normalises with the running statistics and
	// leaves them as they are (see ffn.Net.Forward); PyTorch counts only
	// the batches that update them.
	if bs := h.train.BatchSize; bs >= 2 {
		c.batches = int64(data.NumTrain / bs)
		if data.NumTrain%bs >= 2 {
			c.batches++
		}
	}
	for _, l := range net.Layers() {
		for _, name := range l.Params {
			p, _ := net.Param(name)
			c.tensors = append(c.tensors, safetensors.Tensor{Name: name, Shape: p.Shape})
			c.views = append(c.views, p.Value)
		}
		if l.Op == "BatchNorm1d" {
			c.tensors = append(c.tensors, safetensors.Tensor{Name: l.Name + "." + numBatchesTrack, Shape: []int{}, Int64: []int64{0}})
			c.views = append(c.views, nil)
		}
	}
	return c
}

// observe copies the network's state after an epoch: as the best when the
// epoch improved, as the last when it is the last and the request asks
// for it. It copies a few thousand numbers per improving epoch, against an
// epoch of training.
func (c *checkpointer) observe(r ffn.EpochReport) {
	if r.Improved {
		c.best.take(c.views, r)
	}
	if r.Last && c.req.Checkpoint.Last {
		c.last.take(c.views, r)
	}
}

func (s *state) take(views [][]float64, r ffn.EpochReport) {
	if s.values == nil {
		s.values = make([][]float64, len(views))
		for i, v := range views {
			s.values[i] = slices.Clone(v)
		}
	}
	for i, v := range views {
		copy(s.values[i], v)
	}
	s.epoch, s.loss, s.ok = r.Epoch, r.ValLoss, true
}

// save writes the copies taken.
func (c *checkpointer) save() error {
	for _, f := range []struct {
		name, kind string
		s          *state
	}{{CheckpointFile, "best", &c.best}, {LastCheckpointFile, "last", &c.last}} {
		if !f.s.ok {
			continue
		}
		b, err := c.encode(f.s, f.kind)
		if err != nil {
			return err
		}
		if err := plugins.SaveFile(c.req, f.name, b); err != nil {
			return fmt.Errorf("keeping %s: %w", f.name, err)
		}
	}
	return nil
}

func (c *checkpointer) encode(s *state, kind string) ([]byte, error) {
	meta := maps.Clone(c.meta)
	meta[MetaWeights], meta[MetaEpoch] = kind, strconv.Itoa(s.epoch)
	meta[MetaValLoss] = strconv.FormatFloat(s.loss, 'g', -1, 64)
	tensors := slices.Clone(c.tensors)
	for i := range tensors {
		if c.views[i] == nil {
			tensors[i].Int64 = []int64{c.batches * int64(s.epoch+1)}
		} else {
			tensors[i].Float64 = s.values[i]
		}
	}
	var buf bytes.Buffer
	err := safetensors.Write(&buf, tensors, meta)
	return buf.Bytes(), err
}

// Trained is a built-in network read back from a checkpoint file, ready to
// predict on raw (unstandardised) feature rows.
type Trained struct {
	Net      *ffn.Net
	Features []string // the input columns, in order
	Target   string
	// Mean and Std standardise a row's features as training did; nil when
	// the sweep did not standardise.
	Mean, Std []float64
	// Metadata is the file's __metadata__: the architecture, the host's
	// provenance (trial_id, ...), the epoch.
	Metadata map[string]string
}

// ReadCheckpoint reads a checkpoint that a trial of the built-in network
// wrote (CheckpointFile or LastCheckpointFile). Every tensor of the
// network must be there with its shape, and no other, as PyTorch's
// load_state_dict(strict=True) demands.
func ReadCheckpoint(path string) (*Trained, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Read(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t, err := fromFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func fromFile(f *safetensors.File) (*Trained, error) {
	m := f.Metadata
	if m[MetaModel] != FFNName {
		return nil, fmt.Errorf("not a checkpoint of the built-in %s network (its metadata says model %q)", FFNName, m[MetaModel])
	}
	t := &Trained{Target: m[MetaTarget], Metadata: m}
	var cfg ffn.Config
	var act string
	var errs []error
	for _, field := range []struct {
		key string
		dst any
	}{
		{MetaInputDim, &cfg.InputDim}, {MetaHiddenDims, &cfg.HiddenDims}, {MetaOutputDim, &cfg.OutputDim},
		{MetaDropout, &cfg.Dropout}, {MetaFeatures, &t.Features}, {MetaMean, &t.Mean}, {MetaStd, &t.Std},
		{MetaActivation, nil},
	} {
		v, ok := m[field.key]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("metadata: no %s", field.key))
		case field.dst == nil:
			act = v
		default:
			if err := json.Unmarshal([]byte(v), field.dst); err != nil {
				errs = append(errs, fmt.Errorf("metadata: %s: %v", field.key, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var err error
	if cfg.Activation, err = ffn.ParseActivation(act); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	switch {
	case len(t.Features) != cfg.InputDim:
		return nil, fmt.Errorf("metadata: %d features for input_dim %d", len(t.Features), cfg.InputDim)
	case (t.Mean == nil) != (t.Std == nil) || t.Mean != nil && (len(t.Mean) != cfg.InputDim || len(t.Std) != cfg.InputDim):
		return nil, fmt.Errorf("metadata: standardisation of %d means and %d deviations for %d features", len(t.Mean), len(t.Std), cfg.InputDim)
	case cfg.NumParams() > maxParams:
		return nil, fmt.Errorf("metadata: hidden_dims %v with %d inputs makes more than %d parameters", cfg.HiddenDims, cfg.InputDim, maxParams)
	}
	// The source draws the initial weights, which the file's replace.
	if t.Net, err = ffn.New(cfg, rand.NewPCG(0, 0)); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	want := 0
	for _, l := range t.Net.Layers() {
		for _, name := range l.Params {
			p, _ := t.Net.Param(name)
			x, ok := f.Tensor(name)
			switch {
			case !ok:
				return nil, fmt.Errorf("no tensor %s", name)
			case x.DType() != safetensors.F64 || !slices.Equal(x.Shape, p.Shape):
				return nil, fmt.Errorf("tensor %s is %s %v, want %s %v", name, x.DType(), x.Shape, safetensors.F64, p.Shape)
			}
			copy(p.Value, x.Float64)
			want++
		}
		if l.Op == "BatchNorm1d" {
			if _, ok := f.Tensor(l.Name + "." + numBatchesTrack); !ok {
				return nil, fmt.Errorf("no tensor %s.%s", l.Name, numBatchesTrack)
			}
			want++
		}
	}
	if len(f.Tensors) != want {
		return nil, fmt.Errorf("%d tensors, the network of its metadata has %d", len(f.Tensors), want)
	}
	return t, nil
}

// predictChunk is the rows per forward pass of Predict.
const predictChunk = 256

// Predict returns the network's outputs, in eval mode, for rows of raw
// features x (rows × len(Features), row-major, in Features' order),
// standardised first as training standardised them. x is not modified.
func (t *Trained) Predict(x []float64) ([]float64, error) {
	nf := len(t.Features)
	if len(x)%nf != 0 {
		return nil, fmt.Errorf("%d values are not rows of %d features", len(x), nf)
	}
	rows := len(x) / nf
	out := make([]float64, 0, rows*t.Net.Config().OutputDim)
	buf := make([]float64, min(rows, predictChunk)*nf)
	for start := 0; start < rows; start += predictChunk {
		n := min(predictChunk, rows-start)
		chunk := buf[:n*nf]
		copy(chunk, x[start*nf:])
		if t.Mean != nil {
			dataset.Standardise(chunk, t.Mean, t.Std)
		}
		out = append(out, t.Net.Forward(chunk, n, false)...)
	}
	return out, nil
}
