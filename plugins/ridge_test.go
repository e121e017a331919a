package plugins_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/plugins/ridge"
)

// TestRidgePluginMatchesInProcess trains the example plugin through a real
// process and the same model in process: every epoch is streamed, and both
// Trainers give the same events and outcome, bit for bit.
func TestRidgePluginMatchesInProcess(t *testing.T) {
	req := plugins.TrainRequest{
		TrialID: "r", Params: plugins.Params{"lambda": 0.01, "epochs": int64(8), "tol": 1e-300}, HistogramEvery: 3,
		Data: dataset.Spec{Synthetic: &dataset.SyntheticSpec{Rows: 500, Features: 5, Noise: 0.2}, Seed: 1},
	}
	pool := plugins.NewPool(plugins.Command{Path: plugins.RidgePluginPath()}, 1, plugins.PoolOptions{})
	defer pool.Close()
	d, err := pool.Describe(context.Background())
	if err != nil || d.Name != "ridge" || len(d.Params) != 3 {
		t.Fatalf("describe: %+v, %v", d, err)
	}
	viaPlugin, outPlugin := collect(t, pool, req)
	inProc, outProc := collect(t, plugins.InProcess(&ridge.Model{}), req)
	if len(viaPlugin) != 8 {
		t.Errorf("%d events, want 8 (one per epoch)", len(viaPlugin))
	}
	for i, e := range viaPlugin {
		if e.Step != int64(i) || len(e.Scalars) != 2 || (len(e.Histograms) > 0) != (i%3 == 0 || i == 7) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if !reflect.DeepEqual(viaPlugin, inProc) || outPlugin != outProc {
		t.Errorf("plugin and in-process runs differ:\nplugin     %+v\nin process %+v", outPlugin, outProc)
	}
}
