package results

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sweep-ml/sweep/results/atomicfile"
)

// DefaultPlotTop is how many configurations Report plots when
// ReportOptions.Top is 0: more lines than this are hard to tell apart.
const DefaultPlotTop = 10

// ReportOptions is what `sweep report` asks of Report.
type ReportOptions struct {
	Format string   // one of Formats; "" means FormatTable
	Top    int      // keep the first Top configurations; 0 keeps all
	IDs    []string // rank only these trial IDs; empty ranks every trial found
	// Metrics are the metrics whose columns the table and Markdown add to
	// the objective's and the losses' (see RenderOptions.Metrics).
	Metrics []string
	// Plot, if not empty, is an image path (.png, .svg, ...) for the
	// validation-loss curves of the first Top configurations (of the first
	// DefaultPlotTop when Top is 0), read from their event files.
	Plot string
	// PlotTag is the scalar to plot; "" means "val_loss".
	PlotTag string
	// LogY plots on a log scale.
	LogY bool
	// History, if not empty, is an image path for the best score so far
	// against the configuration number (see PlotHistory).
	History string
	// Search, for an adaptive search, is shown with the ranking.
	Search *SearchInfo
	// HTML, if not empty, is a path for the whole report as one
	// self-contained HTML page (see WriteHTML).
	HTML string
	// Reread reads every trial.json, ignoring the sweep's record index
	// (which it then writes anew); see LoadSweepIndexed.
	Reread bool
}

// Report loads the sweep in sweepDir (with its record index, see
// LoadSweepIndexed), ranks it, renders the ranking to w
// and draws the plot if asked: the whole of `sweep report`. It returns the
// warnings that the chosen format does not show itself (for CSV, the
// loading warnings; for any format, trials the plot had to leave out), for
// the caller to print apart from w, on stderr. The error is for a sweep
// directory that cannot be read, an unknown format, a failed write, or a
// plot that cannot be drawn; the report is rendered before the plot is
// attempted.
func Report(w io.Writer, sweepDir string, opts ReportOptions) (warnings []string, err error) {
	s, _, err := loadIndexed(sweepDir, !opts.Reread)
	if err != nil {
		return nil, err
	}
	format := opts.Format
	if format == "" {
		format = FormatTable
	}
	// Importance takes a quarter second at 10,000 trials and more; it needs
	// only the trials and which parameters are swept, so it runs beside
	// the ranking.
	importance := make(chan *ImportanceReport, 1)
	go func() { importance <- paramImportance(s, sweptParams(s, idFilter(opts.IDs)), opts.IDs) }()
	r := Rank(s, RankOptions{IDs: opts.IDs})
	r.Search = opts.Search
	r.Importance = <-importance
	if err := Render(w, r, format, RenderOptions{Top: opts.Top, Metrics: opts.Metrics}); err != nil {
		return nil, err
	}
	if format == FormatCSV {
		warnings = append(warnings, r.Warnings...)
	}
	if opts.HTML != "" {
		if err := writeHTMLFile(opts.HTML, s, r, opts.IDs); err != nil {
			return warnings, err
		}
	}
	if opts.History != "" {
		if err := PlotHistory(opts.History, History(s, opts.IDs), r.Objective, PlotOptions{
			Title: filepath.Base(filepath.Clean(sweepDir)) + ": best " + r.Objective.Metric + " so far"}); err != nil {
			return warnings, err
		}
	}
	if opts.Plot == "" {
		return warnings, nil
	}
	top := opts.Top
	if top <= 0 {
		top = DefaultPlotTop
	}
	tag := opts.PlotTag
	if tag == "" {
		tag = "val_loss"
	}
	curves, missing := ReadCurves(r, tag, top)
	warnings = append(warnings, missing...)
	err = PlotCurves(opts.Plot, curves, PlotOptions{
		Title:  fmt.Sprintf("%s: %s of the top %d", filepath.Base(filepath.Clean(sweepDir)), tag, min(top, len(r.Rows))),
		YLabel: tag,
		LogY:   opts.LogY,
		// Any other metric is marked at its lowest, as a loss is.
		Maximize: tag == r.Objective.Metric && r.Objective.Mode == ModeMax,
	})
	return warnings, err
}

// writeHTMLFile writes the HTML report to path, atomically so that a page
// open in a browser is never half-written.
func writeHTMLFile(path string, s *Sweep, r Ranking, ids []string) error {
	var b bytes.Buffer
	if err := WriteHTML(&b, s, r, ids); err != nil {
		return err
	}
	return atomicfile.Write(path, b.Bytes())
}
