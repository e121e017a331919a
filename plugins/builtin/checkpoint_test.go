package builtin

import (
	"bytes"
	"context"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/plugins/ffn"
	"github.com/sweep-ml/sweep/plugins/safetensors"
)

// TestCheckpoint trains with checkpoints asked for and reads them back: the
// tensors are PyTorch's state_dict of the textbook network, and each file's
// weights give exactly the validation loss the trial reported for its
// epoch (the best, and the last), so they are that epoch's weights. A
// float32 trial's tensors are F32, and its metadata says dtype float32;
// Predict on raw rows gives the same numbers as the network on the
// standardised ones.
func TestCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name        string
		params      plugins.Params
		last        bool
		wantBatches int64 // per epoch
	}{
		{"best restored", plugins.Params{"epochs": int64(8), "hidden_dims": []int64{6, 4}, "batch_size": int64(64)}, false, 25},
		{"best and last", plugins.Params{"epochs": int64(8), "hidden_dims": []int64{5}, "restore_best": false, "activation": "tanh",
			"batch_size": int64(99), "patience": int64(1)}, true, 17}, // 1600 rows: 16 batches of 99 and one of 16
		{"no hidden layer", plugins.Params{"epochs": int64(3), "hidden_dims": []int64{}}, true, 0},
		{"float32, best and last", plugins.Params{"epochs": int64(8), "hidden_dims": []int64{16, 8}, "restore_best": false, "dtype": "float32",
			"dropout": 0.1, "batch_size": int64(64)}, true, 25},
		{"float32, best restored", plugins.Params{"epochs": int64(6), "hidden_dims": []int64{5}, "dtype": "float32",
			"batch_size": int64(64)}, false, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var vals []float64
			req := plugins.TrainRequest{TrialID: "t1", Params: tc.params, Data: smallData, Seed: 5,
				Checkpoint: plugins.Checkpoint{Dir: dir, Last: tc.last, Metadata: map[string]string{"trial_id": "t1", "sweep": "s"}}}
			out, err := FFN().Train(context.Background(), req, func(e plugins.Event) error {
				vals = append(vals, e.Scalars[1].Value)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			data, err := dataset.Load(context.Background(), smallData)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]int64{CheckpointFile: out.BestEpoch}
			if tc.last {
				files[LastCheckpointFile] = out.EpochsRun - 1
			} else if _, err := os.Stat(filepath.Join(dir, LastCheckpointFile)); err == nil {
				t.Errorf("%s kept without last", LastCheckpointFile)
			}
			for file, epoch := range files {
				tr, err := ReadCheckpoint(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				m := tr.Metadata
				if m["trial_id"] != "t1" || m["sweep"] != "s" || m[MetaEpoch] != strconv.FormatInt(epoch, 10) ||
					m[MetaTarget] != data.Target || !slices.Equal(tr.Features, data.Features) ||
					!slices.Equal(tr.Mean, data.Mean) || !slices.Equal(tr.Std, data.Scale) {
					t.Errorf("%s: metadata %v", file, m)
				}
				// Predict standardises raw rows; these are standardised
				// already, so they go through the network directly, in the
				// chunks that Train evaluates in.
				var got float64
				var preds []float64
				dtype, wantDType := safetensors.F64, DTypeFloat64
				if tc.params["dtype"] == DTypeFloat32 {
					dtype, wantDType = safetensors.F32, DTypeFloat32
					got, preds = valLoss(tr.Net32, data)
				} else {
					got, preds = valLoss(tr.Net, data)
				}
				if tr.DType != wantDType || m[MetaDType] != wantDType {
					t.Errorf("%s: dtype %q, metadata %q; want %s", file, tr.DType, m[MetaDType], wantDType)
				}
				if got != vals[epoch] {
					t.Errorf("%s: the weights give val_loss %v, the trial reported %v at epoch %d", file, got, vals[epoch], epoch)
				}
				// Predict takes raw rows: unstandardise the validation rows.
				raw := slices.Clone(data.ValX)
				for i := range raw {
					raw[i] = raw[i]*data.Scale[i%8] + data.Mean[i%8]
				}
				p, err := tr.Predict(raw)
				if err != nil {
					t.Fatal(err)
				}
				// Only the round trip through the standardisation differs:
				// by rounding, which float32 inputs make coarser.
				tol := 1e-12
				if tc.params["dtype"] == "float32" {
					tol = 1e-5
				}
				if !slices.EqualFunc(p, preds, func(a, b float64) bool { return math.Abs(a-b) <= tol*(math.Abs(b)+0.1) }) {
					t.Errorf("%s: Predict on raw rows differs from the network on standardised rows", file)
				}
				b, _ := os.ReadFile(filepath.Join(dir, file))
				f, err := safetensors.Read(b)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, x := range f.Tensors {
					names = append(names, x.Name)
					if x.DType() != safetensors.I64 && x.DType() != dtype {
						t.Errorf("%s: %s is %s, want %s", file, x.Name, x.DType(), dtype)
					}
					if x.DType() == safetensors.I64 && x.Int64[0] != tc.wantBatches*(epoch+1) {
						t.Errorf("%s: %s = %d, want %d", file, x.Name, x.Int64[0], tc.wantBatches*(epoch+1))
					}
				}
				if want := stateDictNames(len(tc.params["hidden_dims"].([]int64))); !slices.Equal(names, want) {
					t.Errorf("%s: tensors %v\nwant %v", file, names, want)
				}
			}
		})
	}
}

// valLoss is the validation loss of net on data's (standardised) rows, in
// the chunks that Train evaluates in, and its predictions in float64.
func valLoss[T ffn.Float](net *ffn.Network[T], data *dataset.Dataset) (float64, []float64) {
	x, y := make([]T, len(data.ValX)), make([]T, len(data.ValY))
	for i, v := range data.ValX {
		x[i] = T(v)
	}
	for i, v := range data.ValY {
		y[i] = T(v)
	}
	preds := make([]T, 0, data.NumVal)
	for s := 0; s < data.NumVal; s += 256 {
		n := min(256, data.NumVal-s)
		preds = append(preds, net.Forward(x[s*8:(s+n)*8], n, false)...)
	}
	return ffn.MSE(nil, preds, y), widen(preds)
}

// stateDictNames is FeedforwardNet(...).state_dict().keys() with that many
// hidden layers, as PyTorch lists them.
func stateDictNames(hidden int) []string {
	var names []string
	for i := range hidden {
		lin, bn := "network."+strconv.Itoa(4*i), "network."+strconv.Itoa(4*i+1)
		names = append(names, lin+".weight", lin+".bias", bn+".weight", bn+".bias", bn+".running_mean", bn+".running_var", bn+".num_batches_tracked")
	}
	last := "network." + strconv.Itoa(4*hidden)
	return append(names, last+".weight", last+".bias")
}

func TestReadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	good := plugins.TrainRequest{Params: plugins.Params{"epochs": int64(1), "hidden_dims": []int64{3}}, Data: smallData,
		Checkpoint: plugins.Checkpoint{Dir: dir}}
	if _, err := FFN().Train(context.Background(), good, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Read(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*safetensors.File)
	}{
		{"other model", func(f *safetensors.File) { f.Metadata[MetaModel] = "ridge" }},
		{"no features", func(f *safetensors.File) { delete(f.Metadata, MetaFeatures) }},
		{"bad hidden_dims", func(f *safetensors.File) { f.Metadata[MetaHiddenDims] = "[3," }},
		{"wrong width", func(f *safetensors.File) { f.Metadata[MetaHiddenDims] = "[4]" }},
		{"activation", func(f *safetensors.File) { f.Metadata[MetaActivation] = "gelu" }},
		{"features and input_dim", func(f *safetensors.File) { f.Metadata[MetaInputDim] = "7" }},
		{"missing tensor", func(f *safetensors.File) { f.Tensors = f.Tensors[1:] }},
		{"extra tensor", func(f *safetensors.File) {
			f.Tensors = append(f.Tensors, safetensors.Tensor{Name: "x", Shape: []int{1}, Float64: []float64{1}})
		}},
		{"unknown dtype", func(f *safetensors.File) { f.Metadata[MetaDType] = "float16" }},
		{"float32 with F64 tensors", func(f *safetensors.File) { f.Metadata[MetaDType] = DTypeFloat32 }},
		{"float64 with an F32 tensor", func(f *safetensors.File) {
			w := f.Tensors[0]
			w.Float32, w.Float64 = make([]float32, len(w.Float64)), nil
			f.Tensors[0] = w
		}},
	} {
		g := &safetensors.File{Metadata: maps.Clone(f.Metadata), Tensors: slices.Clone(f.Tensors)}
		tc.change(g)
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, g.Tensors, g.Metadata); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "bad.safetensors")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadCheckpoint(path); err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}
