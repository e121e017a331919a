package builtin

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/ffn"
)

// BenchmarkTextbookTrial is a trial of the textbook configuration (all
// defaults: 50 features of the default synthetic dataset, 16,000 training
// and 4,000 validation rows, [64, 32], dropout 0.3, batch 64) cut to 5
// epochs, through the model interface: data from the process cache, events
// built and emitted. It reports the time per epoch; the textbook's 100
// epochs take 100 times that.
func BenchmarkTextbookTrial(b *testing.B) {
	const epochs = 5
	ctx := context.Background()
	req := plugins.TrainRequest{Params: plugins.Params{"epochs": int64(epochs), "patience": int64(epochs)}, Seed: 1}
	if _, err := processCache.Get(ctx, req.Data); err != nil { // load outside the timing
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := FFN().Train(ctx, req, func(plugins.Event) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*epochs)*1e3, "ms/epoch")
}

// BenchmarkTextbookCheckpoint is what keeping the textbook network's
// weights costs a trial: taking a copy of its state (done after every
// improving epoch) and, once at the end, encoding and writing
// model.safetensors atomically (fsync included). It reports the file's size.
func BenchmarkTextbookCheckpoint(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	req := plugins.TrainRequest{Seed: 1, Checkpoint: plugins.Checkpoint{Dir: dir}}
	data, err := processCache.Get(ctx, req.Data)
	if err != nil {
		b.Fatal(err)
	}
	h, err := resolve(req.Params)
	if err != nil {
		b.Fatal(err)
	}
	h.net.InputDim = data.NumFeatures()
	net, err := ffn.New(h.net, rand.NewPCG(1, 2))
	if err != nil {
		b.Fatal(err)
	}
	ck := newCheckpointer(req, net, data, h)
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			ck.observe(ffn.EpochReport{Improved: true})
		}
	})
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if err := ck.save(); err != nil {
				b.Fatal(err)
			}
		}
		fi, err := os.Stat(filepath.Join(dir, CheckpointFile))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size()), "bytes")
	})
}

// BenchmarkTextbookState is what resuming costs the textbook trial at
// checkpoint_every's default: one training state (weights, Adam's moments,
// the rows' order, the best copies, 10 epochs of events) taken, encoded and
// written atomically (fsync included), against BenchmarkTextbookTrial's
// ms/epoch. It reports the file's size.
func BenchmarkTextbookState(b *testing.B) {
	const every = 10
	ctx := context.Background()
	dir := b.TempDir()
	req := plugins.TrainRequest{Seed: 1, Params: plugins.Params{"epochs": int64(every + 1)},
		Checkpoint: plugins.Checkpoint{Dir: dir, StateEvery: every, StateFile: stateFile}}
	var saved []byte
	var hist history
	data, err := processCache.Get(ctx, req.Data)
	if err != nil {
		b.Fatal(err)
	}
	h, _ := resolve(req.Params)
	h.net.InputDim = data.NumFeatures()
	src := rand.NewPCG(1, 2)
	net, _ := ffn.New(h.net, src)
	ck := newCheckpointer(req, net, data, h)
	fd := ffn.Data{Features: data.NumFeatures(), Targets: 1, TrainX: data.TrainX, TrainY: data.TrainY, ValX: data.ValX, ValY: data.ValY}
	var state *ffn.State
	_, err = ffn.TrainWith(ctx, net, fd, h.train, src, ffn.Options{StateEvery: every,
		OnEpoch: func(r ffn.EpochReport) error { hist.add(r); ck.observe(r); return nil },
		OnState: func(s *ffn.State) error { state = s; return errors.New("stop") }})
	if state == nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if saved, err = encodeState(req, state, &hist, ck); err != nil {
			b.Fatal(err)
		}
		if err := plugins.SaveFile(req, stateFile, saved); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(saved)), "bytes")
}
