package builtin

import (
	"context"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
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
