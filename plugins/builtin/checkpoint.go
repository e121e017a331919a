package builtin

import (
	"bytes"
	"cmp"
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
	MetaDType       = "dtype"    // float64 or float32, the tensors' F64 or F32; absent (float64) before dtype existed
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
// if asked, the last's) while a trial trains and writes them when it ends,
// as F64 tensors for a float64 network and F32 for a float32 one.
type checkpointer[T ffn.Float] struct {
	req     plugins.TrainRequest
	meta    map[string]string // everything but the per-file keys
	tensors []safetensors.Tensor
	views   [][]T // the network's storage behind each float tensor; nil for a counter
	batches int64 // training batches per epoch that update BatchNorm's running statistics
	best    state[T]
	last    state[T]
}

// state is one copy of the network's tensors.
type state[T ffn.Float] struct {
	values [][]T
	epoch  int
	loss   float64
	ok     bool
}

// newCheckpointer returns nil when the request asks for no checkpoint.
func newCheckpointer[T ffn.Float](req plugins.TrainRequest, net *ffn.Network[T], data *dataset.Dataset, h hyper) *checkpointer[T] {
	if req.Checkpoint.Dir == "" {
		return nil
	}
	c := &checkpointer[T]{req: req, meta: maps.Clone(req.Checkpoint.Metadata)}
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
		MetaDType: h.dtype,
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
func (c *checkpointer[T]) observe(r ffn.EpochReport) {
	if r.Improved {
		c.best.take(c.views, r)
	}
	if r.Last && c.req.Checkpoint.Last {
		c.last.take(c.views, r)
	}
}

func (s *state[T]) take(views [][]T, r ffn.EpochReport) {
	if s.values == nil {
		s.values = make([][]T, len(views))
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
func (c *checkpointer[T]) save() error {
	for _, f := range []struct {
		name, kind string
		s          *state[T]
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

func (c *checkpointer[T]) encode(s *state[T], kind string) ([]byte, error) {
	meta := maps.Clone(c.meta)
	meta[MetaWeights], meta[MetaEpoch] = kind, strconv.Itoa(s.epoch)
	meta[MetaValLoss] = strconv.FormatFloat(s.loss, 'g', -1, 64)
	tensors := slices.Clone(c.tensors)
	for i := range tensors {
		if c.views[i] == nil {
			tensors[i].Int64 = []int64{c.batches * int64(s.epoch+1)}
			continue
		}
		switch v := any(s.values[i]).(type) {
		case []float64:
			tensors[i].Float64 = v
		case []float32:
			tensors[i].Float32 = v
		}
	}
	var buf bytes.Buffer
	err := safetensors.Write(&buf, tensors, meta)
	return buf.Bytes(), err
}

// Trained is a built-in network read back from a checkpoint file, ready to
// predict on raw (unstandardised) feature rows.
type Trained struct {
	// Net is the network of a float64 checkpoint (F64 tensors), Net32 that
	// of a float32 one (F32 tensors); the other is nil.
	Net      *ffn.Net
	Net32    *ffn.Net32
	DType    string   // DTypeFloat64 or DTypeFloat32
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
	switch t.DType = cmp.Or(m[MetaDType], DTypeFloat64); t.DType {
	case DTypeFloat64:
		t.Net, err = load[float64](f, cfg, safetensors.F64)
	case DTypeFloat32:
		t.Net32, err = load[float32](f, cfg, safetensors.F32)
	default:
		err = fmt.Errorf("metadata: dtype %q is not one of %s, %s", t.DType, DTypeFloat64, DTypeFloat32)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// load returns the network of cfg in T with the parameters of f, whose
// tensors must be of dtype (F64 for float64, F32 for float32).
func load[T ffn.Float](f *safetensors.File, cfg ffn.Config, dtype string) (*ffn.Network[T], error) {
	// The source draws the initial weights, which the file's replace.
	net, err := ffn.NewNetwork[T](cfg, rand.NewPCG(0, 0))
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	want := 0
	for _, l := range net.Layers() {
		for _, name := range l.Params {
			p, _ := net.Param(name)
			x, ok := f.Tensor(name)
			switch {
			case !ok:
				return nil, fmt.Errorf("no tensor %s", name)
			case x.DType() != dtype || !slices.Equal(x.Shape, p.Shape):
				return nil, fmt.Errorf("tensor %s is %s %v, want %s %v", name, x.DType(), x.Shape, dtype, p.Shape)
			}
			switch v := any(p.Value).(type) {
			case []float64:
				copy(v, x.Float64)
			case []float32:
				copy(v, x.Float32)
			}
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
	return net, nil
}

// predictChunk is the rows per forward pass of Predict.
const predictChunk = 256

// Predict returns the network's outputs, in eval mode, for rows of raw
// features x (rows × len(Features), row-major, in Features' order),
// standardised first as training standardised them. x is not modified.
// A float32 network predicts from the standardised rows rounded to
// float32, as it trained.
func (t *Trained) Predict(x []float64) ([]float64, error) {
	nf := len(t.Features)
	if len(x)%nf != 0 {
		return nil, fmt.Errorf("%d values are not rows of %d features", len(x), nf)
	}
	if t.Net32 != nil {
		return predict(t, t.Net32, x), nil
	}
	return predict(t, t.Net, x), nil
}

func predict[T ffn.Float](t *Trained, net *ffn.Network[T], x []float64) []float64 {
	nf := len(t.Features)
	rows := len(x) / nf
	out := make([]float64, 0, rows*net.Config().OutputDim)
	buf := make([]float64, min(rows, predictChunk)*nf)
	in := make([]T, len(buf))
	for start := 0; start < rows; start += predictChunk {
		n := min(predictChunk, rows-start)
		chunk := buf[:n*nf]
		copy(chunk, x[start*nf:])
		if t.Mean != nil {
			dataset.Standardise(chunk, t.Mean, t.Std)
		}
		for i, v := range chunk {
			in[i] = T(v)
		}
		for _, v := range net.Forward(in[:len(chunk)], n, false) {
			out = append(out, float64(v))
		}
	}
	return out
}
