package ffn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// The textbook network and data of the benchmarks: 50 inputs, hidden
// [64, 32], batch 64, 16,000 training and 4,000 validation rows.
const (
	benchInputs = 50
	benchTrain  = 16000
	benchVal    = 4000
	benchBatch  = 64
)

var benchHidden = []int{64, 32}

// benchWeights is the number of Linear weights, which the FLOP count uses:
// 6 FLOPs per weight per training sample (forward, input and weight
// gradients) and 2 per validation sample.
var benchWeights = func() int {
	weights, in := 0, benchInputs
	for _, h := range benchHidden {
		weights += in * h
		in = h
	}
	return weights + in // the output Linear's single row
}()

func benchTrainer[T Float](b *testing.B) *trainer[T] {
	// The tests' check of the transposed weights costs about what the
	// transposes it checks did: measured, it would hide their saving.
	checkTransposed = false
	b.Cleanup(func() { checkTransposed = true })
	data := randomData(1, benchTrain, benchInputs) // benchTrain/4 = benchVal validation rows
	net, err := NewNetwork[T](Config{InputDim: benchInputs, HiddenDims: benchHidden, OutputDim: 1, Dropout: 0.3}, rand.NewPCG(1, 2))
	if err != nil {
		b.Fatal(err)
	}
	return newTrainer(net, data, TrainConfig{LR: 0.001, BatchSize: benchBatch, Epochs: 1}, rand.NewPCG(1, 1))
}

// BenchmarkEpoch is one epoch of the textbook network: a shuffled pass over
// the training rows with an Adam step per batch, then the validation pass.
func BenchmarkEpoch(b *testing.B) { benchEpoch[float64](b) }

// BenchmarkEpoch32 is BenchmarkEpoch for the float32 network.
func BenchmarkEpoch32(b *testing.B) { benchEpoch[float32](b) }

func benchEpoch[T Float](b *testing.B) {
	t := benchTrainer[T](b)
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := t.epoch(ctx, i, 0.001); err != nil {
			b.Fatal(err)
		}
		t.evaluate()
	}
	flops := 6*float64(benchWeights)*benchTrain + 2*float64(benchWeights)*benchVal
	reportCPU[T](b, cpu0, benchTrain/benchBatch, flops)
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(benchTrain/sec, "train-samples/s")
	b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	b.ReportMetric(sec/(benchTrain/benchBatch)*1e6, "µs/step")
}

// BenchmarkStateCapture is the copy of the textbook run's state that
// Options.StateOnStop takes after every epoch (parameters, running
// statistics, Adam's moments, the order of the training rows, the random
// source), to set against BenchmarkEpoch.
func BenchmarkStateCapture(b *testing.B) {
	t := benchTrainer[float64](b)
	var s State
	stop := EarlyStopping{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := t.capture(&s, i, Result{}, &stop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStep is one training step of 64 rows (forward, MSE, backward,
// Adam); allocs/op is the allocations per step, which should be 0.
func BenchmarkStep(b *testing.B) { benchStep[float64](b) }

// BenchmarkStep32 is BenchmarkStep for the float32 network; its
// peak-fraction is of the float32 peak.
func BenchmarkStep32(b *testing.B) { benchStep[float32](b) }

func benchStep[T Float](b *testing.B) {
	t := benchTrainer[T](b)
	// The first rows, laid out as the trainer gathers a batch.
	for r := range benchBatch {
		copy(t.xb[r*t.ldx:], t.data.TrainX[r*benchInputs:(r+1)*benchInputs])
	}
	y := t.data.TrainY[:benchBatch]
	dOut := make([]T, benchBatch)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		out := t.net.forward(t.xb, t.ldx, benchBatch, true)
		MSE(dOut, out, y)
		t.net.Backward(dOut)
		t.net.adamStep(t.adam)
	}
	flops := 6 * float64(benchWeights) * benchBatch
	reportCPU[T](b, cpu0, 1, flops)
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	b.ReportMetric(benchBatch/sec, "samples/s")
}

// reportCPU reports the process's CPU time per training step since cpu0,
// for an operation of steps steps and flops FLOPs, and the fraction of this
// core's FMA peak in T (measuredPeak) that the FLOPs per CPU second reach.
// On a shared machine CPU time is the number to compare, as the wall-clock
// figures include time spent waiting for a core.
func reportCPU[T Float](b *testing.B, cpu0 time.Duration, steps int, flops float64) {
	cpu := cpuTime() - cpu0
	if cpu <= 0 {
		return
	}
	perOp := cpu.Seconds() / float64(b.N)
	b.ReportMetric(perOp/float64(steps)*1e6, "cpu-µs/step")
	reportPeakFraction[T](b, flops, perOp)
}

// reportPeakFraction reports flops per perOp CPU seconds as a fraction of
// this core's FMA peak in T (measuredPeak).
func reportPeakFraction[T Float](b *testing.B, flops, perOp float64) {
	var zero T
	_, f32 := any(zero).(float32)
	if peak := measuredPeak(f32); peak > 0 {
		b.ReportMetric(flops/perOp/peak, "peak-fraction")
	}
}

// peakRuns and peakIters size measuredPeak's measurement: the best of five
// runs of 2²¹ iterations (about 6 ms each at 50 GFLOP/s), so that one run
// undisturbed by the machine's other work is enough.
const (
	peakRuns  = 5
	peakIters = 1 << 21
)

var (
	peakOnce sync.Once
	peaks    [2]float64 // FLOP/s, float64 and float32
)

// measuredPeak returns the best FLOP/s of the roofline loops of the given
// float type on this processor, measured once per process; 0 where there
// is no roofline loop.
func measuredPeak(float32 bool) float64 {
	peakOnce.Do(func() {
		for _, l := range fmaLoops() {
			for range peakRuns {
				t0 := time.Now()
				l.run(peakIters)
				rate := l.flops * peakIters / time.Since(t0).Seconds()
				p := &peaks[flag(l.float32)]
				*p = max(*p, rate)
			}
		}
	})
	return peaks[flag(float32)]
}

// BenchmarkPeak is the roofline: each register-only FMA loop this processor
// executes (fmaLoops), in GFLOP/s. The fastest float64 loop is the peak
// that BenchmarkStep and BenchmarkEpoch report their fraction of.
func BenchmarkPeak(b *testing.B) {
	loops := fmaLoops()
	if len(loops) == 0 {
		b.Skip("no roofline loop for this architecture")
	}
	for _, l := range loops {
		b.Run(l.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				l.run(peakIters)
			}
			b.ReportMetric(l.flops*peakIters/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(l.flops*peakIters/(cpu.Seconds()/float64(b.N))/1e9, "cpu-GFLOP/s")
			}
		})
	}
}

// BenchmarkKernels runs gemm on every kernel path this processor executes
// (generic is gonum's blas64.Gemm) on each matrix product of a textbook
// training step (batch 64, 50 → 64 → 32 → 1), laid out as the step lays
// them out: the batch's rows padded to whole cache lines (paddedStride),
// the weights and their transposes row-major. peak-fraction is of this
// core's FMA peak in T, measured in the same process (measuredPeak).
func BenchmarkKernels(b *testing.B) { benchKernels[float64](b) }

// BenchmarkKernels32 is BenchmarkKernels for the float32 kernels (generic
// is gonum's blas32.Gemm).
func BenchmarkKernels32(b *testing.B) { benchKernels[float32](b) }

func benchKernels[T Float](b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	fillRand := func(n int) []T {
		v := alignedSlice[T](n)
		for i := range v {
			v[i] = T(rng.NormFloat64())
		}
		return v
	}
	const batch, in, h1, h2 = benchBatch, benchInputs, 64, 32
	ldx := paddedStride[T](in)
	// Each product sets the m×n C to Â·B over k terms, Â read through the
	// strides rsA and psA, B with row stride ldb.
	products := []struct {
		name          string
		m, n, k       int
		rsA, psA, ldb int
	}{
		{"forward", batch, h1, in, ldx, 1, h1}, // the batch times the first weight's transpose
		{"forward2", batch, h2, h1, h1, 1, h2},
		{"forward3", batch, 1, h2, h2, 1, 1},
		{"weightgrad", h1, in, batch, 1, h1, ldx}, // the first layer's gradient times the batch
		{"weightgrad2", h2, h1, batch, 1, h2, h1},
		{"weightgrad3", 1, h2, batch, 1, 1, h2},
		{"inputgrad2", batch, h1, h2, h2, 1, h1},
		{"inputgrad3", batch, h2, 1, 1, 1, h2},
	}
	var sc scratch[T]
	for _, p := range products {
		a := fillRand((p.m-1)*p.rsA + (p.k-1)*p.psA + 1)
		bm := fillRand((p.k-1)*p.ldb + p.n)
		c := fillRand(p.m * p.n)
		flops := 2 * float64(p.m*p.n*p.k)
		for _, path := range supportedKernels() {
			b.Run(fmt.Sprintf("%s/%dx%dx%d/%s", p.name, p.m, p.n, p.k, path), func(b *testing.B) {
				defer func(saved kernelPath) { kernel = saved }(kernel)
				kernel = path
				cpu0 := cpuTime()
				for b.Loop() {
					gemm(&sc, p.m, p.n, p.k, a, p.rsA, p.psA, bm, p.ldb, c, p.n)
				}
				b.ReportMetric(flops/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
				if cpu := cpuTime() - cpu0; cpu > 0 {
					perOp := cpu.Seconds() / float64(b.N)
					b.ReportMetric(flops/perOp/1e9, "cpu-GFLOP/s")
					b.ReportMetric(perOp*1e6, "cpu-µs")
					reportPeakFraction[T](b, flops, perOp)
				}
			})
		}
	}
}
