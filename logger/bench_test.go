package logger

import (
	"math/rand/v2"
	"testing"
)

func benchLogger(b *testing.B) *TrainingLogger {
	b.Helper()
	l, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkLogScalars logs the three per-epoch scalars of a trial.
func BenchmarkLogScalars(b *testing.B) {
	l := benchLogger(b)
	values := map[string]float64{"train_loss": 0.5, "val_loss": 0.6, "learning_rate": 0.001}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := l.LogScalars(int64(i), values); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogWeights logs histograms of the textbook network's ten
// parameters (5,601 values: 50→64→32→1 with BatchNorm).
func BenchmarkLogWeights(b *testing.B) {
	l := benchLogger(b)
	params := textbookParams(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := l.LogWeights(int64(i), params); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEpochLogging is the logging a textbook trial does per epoch:
// train_loss, val_loss and learning_rate every epoch, and weight and
// gradient histograms every 10 epochs. It reports the cost per epoch as a
// share of a 20 ms epoch (16,000 rows; the fast end of the range measured
// for training), which the design requires to stay well under 2%.
func BenchmarkEpochLogging(b *testing.B) {
	l := benchLogger(b)
	weights := textbookParams(rand.NewPCG(1, 2))
	grads := textbookParams(rand.NewPCG(3, 4))
	values := map[string]float64{}
	b.ReportAllocs()
	epochs := 0
	for b.Loop() {
		step := int64(epochs)
		values["train_loss"], values["val_loss"], values["learning_rate"] = 1/float64(epochs+1), 1.1/float64(epochs+1), 0.001
		if err := l.LogScalars(step, values); err != nil {
			b.Fatal(err)
		}
		if epochs%10 == 0 {
			if err := l.LogWeights(step, weights); err != nil {
				b.Fatal(err)
			}
			if err := l.LogGradients(step, grads); err != nil {
				b.Fatal(err)
			}
		}
		epochs++
	}
	perEpoch := float64(b.Elapsed().Nanoseconds()) / float64(epochs)
	b.ReportMetric(100*perEpoch/20e6, "%of20msEpoch")
}

// BenchmarkFillHistogram bins the textbook network's largest parameter
// (network.0.weight, 3,200 values).
func BenchmarkFillHistogram(b *testing.B) {
	values := textbookParams(rand.NewPCG(1, 2))[0].Values
	var h Histogram
	b.ReportAllocs()
	for b.Loop() {
		if err := FillHistogram(&h, values); err != nil {
			b.Fatal(err)
		}
	}
}
