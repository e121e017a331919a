package logger_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/plugins"
)

// A trial's logging: one run directory per trial, one HParams session per
// run, the model's events logged as they stream in, the textbook's
// MetricsTracker for the best epoch, and the curves read back as a report
// reads them.
func Example() {
	root, err := os.MkdirTemp("", "sweep-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)

	l, err := logger.Open(filepath.Join(root, "hyperparam_search", "ffn_lr0.01", "20261125-193000"), logger.Options{})
	if err != nil {
		log.Fatal(err)
	}
	params := plugins.Params{"lr": 0.01, "hidden_dims": []int64{64, 32}}
	if err := l.LogHyperparameters(params); err != nil {
		log.Fatal(err)
	}
	tracker := logger.NewMetricsTracker()
	events := []plugins.Event{
		{Step: 0, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 0.9}, {Tag: "val_loss", Value: 1.0}},
			Histograms: []plugins.Histogram{{Tag: "weights/network.0.weight", Values: []float64{-0.1, 0.2}}},
			Graph:      &plugins.Graph{Nodes: []plugins.GraphNode{{Name: "input/x", Op: "IO Node", Shape: []int64{-1, 2}}}}},
		{Step: 1, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 0.5}, {Tag: "val_loss", Value: 0.75}}},
	}
	for _, ev := range events {
		if ev.Graph != nil {
			g := &logger.Graph{}
			for _, n := range ev.Graph.Nodes {
				g.Nodes = append(g.Nodes, logger.Node(n)) // same fields: a conversion
			}
			if err := l.LogModelGraph(g); err != nil {
				log.Fatal(err)
			}
		}
		scalars := make([]logger.Scalar, len(ev.Scalars))
		values := map[string]float64{}
		for i, s := range ev.Scalars {
			scalars[i] = logger.Scalar(s)
			values[s.Tag] = s.Value
		}
		if err := l.LogScalarList(ev.Step, scalars); err != nil {
			log.Fatal(err)
		}
		tracker.Update(ev.Step, values)
		hs := make([]logger.Param, len(ev.Histograms))
		for i, h := range ev.Histograms {
			hs[i] = logger.Param{Name: h.Tag, Values: h.Values}
		}
		if err := l.LogHistograms(ev.Step, hs); err != nil {
			log.Fatal(err)
		}
	}
	best, epoch, _ := tracker.Best("val_loss", logger.Min)
	if err := l.LogScalarList(epoch, []logger.Scalar{{Tag: "best_val_loss", Value: best}}); err != nil {
		log.Fatal(err)
	}
	if err := l.EndSession(logger.StatusSuccess); err != nil {
		log.Fatal(err)
	}
	if err := l.Close(); err != nil {
		log.Fatal(err)
	}

	run, err := logger.ReadRun(l.Dir())
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range run.Scalars["val_loss"] {
		fmt.Printf("epoch %d: val_loss %.2f\n", p.Step, p.Value)
	}
	fmt.Println("hidden_dims:", run.SessionStart.HParams["hidden_dims"].String)
	fmt.Println("status success:", run.SessionEnd.Status == logger.StatusSuccess)
	fmt.Println("graph nodes:", len(run.Graph.Nodes))
	// Output:
	// epoch 0: val_loss 1.00
	// epoch 1: val_loss 0.75
	// hidden_dims: [64, 32]
	// status success: true
	// graph nodes: 1
}
