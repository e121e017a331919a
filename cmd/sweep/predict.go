package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/sweep-ml/sweep/predict"
	"github.com/sweep-ml/sweep/results/atomicfile"
)

func runPredict(ctx context.Context, args []string, ios *ioStreams) error {
	fs := newFlagSet("predict", "SWEEP_DIR | GRID.toml DATA.csv", ios.ErrOut)
	var opts predict.Options
	fs.StringVar(&opts.Trial, "trial", predict.Best, "the trial whose model predicts: its id, its name, or best (the ranking's best configuration; with repeats, its best seed)")
	out := fs.String("o", "", "write the predictions to this CSV file (default: standard output)")
	keep := fs.String("keep", "", "comma-separated input columns to copy to the output before the predictions, e.g. date,asset")
	fs.BoolVar(&opts.Ensemble, "ensemble", false, "average the predictions of every succeeded seed of the trial's configuration (with repeats)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return usageError{msg: "sweep predict takes a sweep directory or grid file, and a CSV file of rows to predict"}
	}
	opts.Keep = metricNames(*keep)
	dir, err := sweepDir(pos[0])
	if err != nil {
		return err
	}
	var buf strings.Builder
	w := ios.Out
	if *out != "" {
		w = &buf
	}
	sum, err := predict.Run(ctx, dir, pos[1], opts, w)
	if err != nil {
		return err
	}
	if *out != "" {
		// Whole or not at all: a half-written file of predictions would
		// pass for a complete one.
		if err := atomicfile.Write(*out, []byte(buf.String())); err != nil {
			return err
		}
	}
	for i, t := range sum.Trials {
		fmt.Fprintf(ios.ErrOut, "sweep: model of trial %s (id %s, seed %d): %s\n", t.Name, t.ID, t.Seed, sum.Files[i])
	}
	what := "the model"
	if len(sum.Trials) > 1 {
		what = fmt.Sprintf("the mean of %d models", len(sum.Trials))
	}
	dest := "standard output"
	if *out != "" {
		dest = *out
	}
	fmt.Fprintf(ios.ErrOut, "sweep: predicted %d rows with %s to %s\n", sum.Rows, what, dest)
	return nil
}
