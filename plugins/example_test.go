package plugins_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/ridge"
)

// A plugin's main serves its model; sweep starts the program.
func ExampleServe() {
	plugins.Serve(&ridge.Model{})
}

// The host runs trials on a pool of plugin processes, one per worker.
func ExampleNewPool() {
	pool := plugins.NewPool(plugins.Command{Path: "bin/sweep-ridge"}, 2, plugins.PoolOptions{})
	defer pool.Close()

	ctx := context.Background()
	desc, err := pool.Describe(ctx) // a bad plugin is reported here, before any trial
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("model", desc.Name)

	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute) // the trial's timeout
	defer cancel()
	req := plugins.TrainRequest{TrialID: "ridge_lambda0.1", Params: plugins.Params{"lambda": 0.1, "epochs": int64(50), "tol": 1e-9}}
	out, err := pool.Train(ctx, req, os.Stderr, func(e plugins.Event) error {
		fmt.Println(e.Step, e.Scalars)
		return nil
	})
	if err != nil {
		log.Fatal(err) // this trial failed; the pool goes on
	}
	fmt.Println("best validation loss", out.BestValLoss)
}
