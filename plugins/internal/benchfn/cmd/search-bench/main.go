// Command search-bench runs the benchfn search benchmark through the real
// sweep binary: for each variant (random, tpe, random+asha, tpe+asha) and
// each seed it runs a search of the benchfn plugin's seven dimensions, then
// reads the trial records and prints, per variant, the mean and median best
// score over the seeds, f itself at each seed's best configuration, and the
// epochs trained. scripts/bench/README.md shows how to run it beside
// Optuna's side (optuna_search.py).
//
//	go build -o bin/sweep ./cmd/sweep
//	go build -o bin/sweep-benchfn ./plugins/internal/benchfn/cmd/sweep-benchfn
//	go run ./plugins/internal/benchfn/cmd/search-bench -sweep bin/sweep -plugin bin/sweep-benchfn
package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/plugins/internal/benchfn"
	"github.com/sweep-ml/sweep/results"
)

func main() {
	sweepBin := flag.String("sweep", "bin/sweep", "the sweep binary")
	plugin := flag.String("plugin", "bin/sweep-benchfn", "the benchfn plugin binary")
	seeds := flag.Int("seeds", 10, "seeds per variant (0, 1, ...)")
	trials := flag.Int("trials", 60, "configurations per search")
	workers := flag.Int("workers", 2, "trials at once")
	only := flag.String("variants", "random,tpe,random+asha,tpe+asha", "comma-separated variants to run")
	flag.Parse()
	if err := run(*sweepBin, *plugin, *seeds, *trials, *workers, strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "search-bench:", err)
		os.Exit(1)
	}
}

// outcome is one search's result.
type outcome struct {
	best, fAtBest float64
	epochs        int64
	seconds       float64
}

func run(sweepBin, plugin string, seeds, trials, workers int, variants []string) error {
	sweepBin, err1 := filepath.Abs(sweepBin)
	plugin, err2 := filepath.Abs(plugin)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "search-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Printf("%d seeds x %d configurations x %d epochs, %d workers\n\n", seeds, trials, benchfn.DefaultEpochs, workers)
	fmt.Printf("| variant | mean best | median best | f at best (mean) | epochs (mean) | fraction | seconds |\n|---|---|---|---|---|---|---|\n")
	for _, v := range variants {
		var outs []outcome
		for seed := range seeds {
			o, err := search(work, sweepBin, plugin, v, seed, trials, workers)
			if err != nil {
				return fmt.Errorf("%s, seed %d: %w", v, seed, err)
			}
			outs = append(outs, o)
		}
		printRow(v, outs, trials)
	}
	return nil
}

// search runs one variant's search with one seed and reads its outcome.
func search(work, sweepBin, plugin, variant string, seed, trials, workers int) (outcome, error) {
	name := fmt.Sprintf("%s_%d", strings.ReplaceAll(variant, "+", "_"), seed)
	grid := filepath.Join(work, name+".toml")
	if err := os.WriteFile(grid, []byte(gridText(name, plugin, variant, seed, trials, workers)), 0o644); err != nil {
		return outcome{}, err
	}
	cmd := exec.Command(sweepBin, "run", grid, "--json")
	cmd.Dir = work
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return outcome{}, fmt.Errorf("%v\n%s", err, out)
	}
	o := outcome{best: math.Inf(1), seconds: time.Since(start).Seconds()}
	s, err := results.LoadSweep(filepath.Join(work, "runs", name))
	if err != nil {
		return outcome{}, err
	}
	for _, tr := range s.Trials {
		t := tr.Finished.Trial
		o.epochs += t.EpochsRun
		if (t.Status == results.StatusSucceeded || t.Status == results.StatusPruned) && t.Score != nil && *t.Score < o.best {
			p, err := benchfn.PointOf(t.Params)
			if err != nil {
				return outcome{}, err
			}
			o.best, o.fAtBest = *t.Score, benchfn.F(p)
		}
	}
	return o, nil
}

// gridText is the search's grid file.
func gridText(name, plugin, variant string, seed, trials, workers int) string {
	sampler, prune, _ := strings.Cut(variant, "+")
	g := fmt.Sprintf(`name = %q
plugin = %q
seed = %d
workers = %d
log_every = 0
trial_name = "t{trial}"

[search]
sampler = %q
trials = %d

[search.space]
lr        = { log_uniform = [%g, %g] }
width     = { int = [%d, %d] }
act       = { choice = ["gelu", "relu", "tanh", "sigmoid"] }
dropout   = { uniform = [0.0, 1.0] }
warmup    = { uniform = [0.0, 1.0] }
momentum  = { uniform = [0.0, 1.0] }
smoothing = { uniform = [0.0, 1.0] }
`, name, plugin, seed, workers, sampler, trials, benchfn.MinLR, benchfn.MaxLR, benchfn.MinWidth, benchfn.MaxWidth)
	if prune != "" {
		g += fmt.Sprintf("\n[prune]\nmethod = %q\nmin_epochs = 1\neta = 3\n", prune)
	}
	return g
}

func printRow(variant string, outs []outcome, trials int) {
	var best, f, epochs, secs []float64
	for _, o := range outs {
		best, f = append(best, o.best), append(f, o.fAtBest)
		epochs, secs = append(epochs, float64(o.epochs)), append(secs, o.seconds)
	}
	full := float64(trials * benchfn.DefaultEpochs)
	fmt.Printf("| %s | %.4f | %.4f | %.4f | %.1f | %.3f | %.1f |\n",
		variant, mean(best), median(best), mean(f), mean(epochs), mean(epochs)/full, mean(secs)*float64(len(outs)))
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func median(x []float64) float64 {
	y := slices.Sorted(slices.Values(x))
	n := len(y)
	if n%2 == 1 {
		return y[n/2]
	}
	return (y[n/2-1] + y[n/2]) / 2
}
