package results

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HistoryPoint is one finished trial of a search in the order it was
// asked: its configuration number and score, and whether it was pruned
// (then Score is its best before it stopped).
type HistoryPoint struct {
	Number int
	Score  float64
	Pruned bool
}

// History lists the succeeded and pruned trials of s with a finite score,
// by configuration number (then repeat). ids, if not empty, restricts it
// to those trial IDs.
func History(s *Sweep, ids []string) []HistoryPoint {
	keep := idFilter(ids)
	var runs []*Trial
	for _, tr := range s.Trials {
		if !keep(tr.ID) || tr.Finished == nil {
			continue
		}
		t := tr.Finished.Trial
		if (t.Status == StatusSucceeded || t.Status == StatusPruned) && finite(t.ScoreOrDefault()) {
			runs = append(runs, t)
		}
	}
	slices.SortStableFunc(runs, func(a, b *Trial) int {
		if a.Number != b.Number {
			return a.Number - b.Number
		}
		return a.Repeat - b.Repeat
	})
	out := make([]HistoryPoint, len(runs))
	for i, t := range runs {
		out[i] = HistoryPoint{Number: t.Number, Score: *t.ScoreOrDefault(), Pruned: t.Status == StatusPruned}
	}
	return out
}

// BestSoFar returns, for each point, the best score of the completed
// (not pruned) trials up to it under obj; NaN before the first.
func BestSoFar(points []HistoryPoint, obj Objective) []float64 {
	out := make([]float64, len(points))
	best := math.NaN()
	for i, p := range points {
		if !p.Pruned && (math.IsNaN(best) || obj.Better(p.Score, best)) {
			best = p.Score
		}
		out[i] = best
	}
	return out
}

// PlotHistory draws a search's progress: every trial's score against its
// configuration number (pruned ones hollow) and the best completed score
// so far as a step line, and saves it to path as PlotCurves does. It fails
// for an unknown extension or when no trial has a score.
func PlotHistory(path string, points []HistoryPoint, obj Objective, opts PlotOptions) error {
	format, err := plotFormat(path)
	if err != nil {
		return err
	}
	if len(points) == 0 {
		return fmt.Errorf("results: plot %s: no finished trial with a score yet", path)
	}
	p := newPlot("best "+obj.Metric+" so far", "configuration (in the order asked)", obj.Metric, opts)
	legend := plot.NewLegend()

	var done, pruned, best plotter.XYs
	for i, b := range BestSoFar(points, obj) {
		pt := plotter.XY{X: float64(points[i].Number), Y: points[i].Score}
		if points[i].Pruned {
			pruned = append(pruned, pt)
		} else {
			done = append(done, pt)
		}
		if !math.IsNaN(b) {
			best = append(best, plotter.XY{X: pt.X, Y: b})
		}
	}
	if err := addScatter(p, &legend, "completed", done, draw.CircleGlyph{}, 0); err != nil {
		return err
	}
	if err := addScatter(p, &legend, "pruned", pruned, draw.RingGlyph{}, 1); err != nil {
		return err
	}
	if len(best) > 0 {
		line, err := plotter.NewLine(best)
		if err != nil {
			return fmt.Errorf("results: plot %s: %w", path, err)
		}
		line.StepStyle = plotter.PreStep
		line.Color, line.Width = plotutil.Color(2), vg.Points(2)
		p.Add(line)
		legend.Add("best so far", line)
	}
	return savePlot(path, format, p, &legend, opts)
}

// addScatter adds points drawn with glyph in palette colour i, if any.
func addScatter(p *plot.Plot, legend *plot.Legend, name string, xys plotter.XYs, glyph draw.GlyphDrawer, i int) error {
	if len(xys) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Shape, sc.GlyphStyle.Color, sc.GlyphStyle.Radius = glyph, plotutil.Color(i), vg.Points(3)
	p.Add(sc)
	legend.Add(name, sc)
	return nil
}
