package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/results"
)

func runReport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", "SWEEP_DIR | GRID.toml", stderr)
	top := fs.Int("top", 0, "show only the best N configurations (0: all)")
	format := fs.String("format", results.FormatTable, "output format: "+strings.Join(results.Formats, ", "))
	plot := fs.String("plot", "", "also draw the validation-loss curves of the top configurations (default 10) to FILE.png or FILE.svg")
	target, err := exactlyOne(fs, args, "sweep directory or grid file")
	if err != nil {
		return err
	}
	if !slices.Contains(results.Formats, *format) {
		return usageError{msg: fmt.Sprintf("--format %q: want one of %s", *format, strings.Join(results.Formats, ", "))}
	}
	dir, err := sweepDir(target)
	if err != nil {
		return err
	}
	sweep, err := results.LoadSweep(dir)
	if err != nil {
		return err
	}
	if len(sweep.Trials) == 0 {
		return fmt.Errorf("%s holds no trial runs yet", dir)
	}
	ranking := results.Rank(sweep, results.RankOptions{})
	if err := results.Render(stdout, ranking, *format, results.RenderOptions{Top: *top}); err != nil {
		return err
	}
	if *plot != "" {
		if err := plotCurves(*plot, sweep.Dir, ranking, *top, stderr); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "sweep: wrote %s\n", *plot)
	}
	return nil
}

// sweepDir resolves report's argument: a sweep directory, or a grid file
// whose sweep directory is <log_dir>/<name>.
func sweepDir(target string) (string, error) {
	fi, err := os.Stat(target)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return target, nil
	}
	spec, err := orchestrator.Load(target)
	if err != nil {
		return "", err
	}
	return filepath.Join(spec.LogDir, spec.Name), nil
}

// plotCurves draws the validation-loss curves of the top configurations
// (10 unless --top says otherwise).
func plotCurves(path, dir string, ranking results.Ranking, top int, stderr io.Writer) error {
	if top <= 0 {
		top = 10
	}
	curves, warnings := results.ReadCurves(ranking, "val_loss", top)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "sweep: warning: %s\n", w)
	}
	return results.PlotCurves(path, curves, results.PlotOptions{Title: "Validation loss: " + filepath.Base(dir)})
}
