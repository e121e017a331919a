package plugins_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
	"github.com/sweep-ml/sweep/plugins/dataset"
)

// withDefaults returns the model's declared defaults overlaid with params,
// as the orchestrator sends them.
func withDefaults(d plugins.Description, params plugins.Params) plugins.Params {
	out := plugins.Params{}
	for _, s := range d.Params {
		out[s.Name] = s.Default
	}
	for k, v := range params {
		out[k] = v
	}
	return out
}

// collect runs one trial and returns its events and outcome.
func collect(t *testing.T, tr plugins.Trainer, req plugins.TrainRequest) ([]plugins.Event, plugins.Outcome) {
	t.Helper()
	var evs []plugins.Event
	out, err := tr.Train(context.Background(), req, nil, func(e plugins.Event) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, out
}

// TestFFNPluginMatchesInProcess serves the built-in FFN from a plugin
// process, as the sweep binary does, and trains it there and in process:
// every epoch is streamed, and the two runs agree bit for bit.
func TestFFNPluginMatchesInProcess(t *testing.T) {
	ctx := context.Background()
	pool := plugins.NewPool(plugins.Command{Path: plugins.MisbehavingPluginPath(), Args: []string{"ffn"}}, 1, plugins.PoolOptions{})
	defer pool.Close()
	desc, err := pool.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inProc := plugins.InProcess(builtin.FFN())
	want, err := inProc.Describe(ctx)
	if err != nil || !reflect.DeepEqual(desc, want) {
		t.Fatalf("description through the plugin differs from in process: %v", err)
	}
	req := plugins.TrainRequest{
		TrialID: "ffn", Seed: 7, HistogramEvery: 2,
		Params: withDefaults(desc, plugins.Params{"epochs": int64(5), "hidden_dims": []int64{8}, "patience": int64(100)}),
		Data:   dataset.Spec{Synthetic: &dataset.SyntheticSpec{Rows: 300, Features: 4, Noise: 0.1}, Seed: 2},
	}
	viaPlugin, outPlugin := collect(t, pool, req)
	local, outLocal := collect(t, inProc, req)
	if len(viaPlugin) != 5 || outPlugin.EpochsRun != 5 {
		t.Errorf("%d events, %d epochs run; want 5 of each", len(viaPlugin), outPlugin.EpochsRun)
	}
	for i, e := range viaPlugin {
		if e.Step != int64(i) || (e.Graph != nil) != (i == 0) || (len(e.Histograms) > 0) != (i%2 == 0 || i == 4) {
			t.Errorf("event %d: step %d, graph %v, %d histograms", i, e.Step, e.Graph != nil, len(e.Histograms))
		}
	}
	if !reflect.DeepEqual(viaPlugin, local) || outPlugin != outLocal {
		t.Errorf("plugin and in-process runs differ:\nplugin     %+v\nin process %+v", outPlugin, outLocal)
	}
}
