package results

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Curve is one trial's metric over training: Values[i] at step (epoch)
// Steps[i], as read from its TensorBoard event file.
type Curve struct {
	Name   string
	Steps  []int64
	Values []float64
}

// PlotOptions adjusts PlotCurves. The zero value draws a 16 cm × 10 cm
// "validation loss" plot with a linear y axis.
type PlotOptions struct {
	Title  string // default "Validation loss"
	XLabel string // default "epoch"
	YLabel string // default "val_loss"
	// LogY draws the y axis on a log scale, which separates curves whose
	// losses differ by orders of magnitude; values <= 0 are then left out.
	LogY          bool
	Width, Height vg.Length // default 16 cm × 10 cm
}

// plotFormats are the file extensions PlotCurves writes; gonum/plot picks
// the encoder from the extension.
var plotFormats = []string{".png", ".svg", ".pdf", ".jpg", ".jpeg", ".eps", ".tif", ".tiff"}

// PlotCurves draws curves (typically validation loss per epoch, one line per
// trial, in ranking order) with a legend and saves them to path, whose
// extension picks the format: .png or .svg, or another gonum/plot format
// (.pdf, .jpg, .eps, .tif). Points that are NaN or infinite (a diverged
// epoch) are left out and break nothing; a curve with no points left keeps
// its legend entry so that the reader sees it was there. PlotCurves fails
// for an unknown extension, mismatched Steps and Values, or when no curve
// has a point to draw.
func PlotCurves(path string, curves []Curve, opts PlotOptions) error {
	ext := strings.ToLower(filepath.Ext(path))
	if !slices.Contains(plotFormats, ext) {
		return fmt.Errorf("results: plot %s: unknown image format %q (want one of %s)",
			path, ext, strings.Join(plotFormats, ", "))
	}
	p := plot.New()
	p.Title.Text = orDefault(opts.Title, "Validation loss")
	p.X.Label.Text = orDefault(opts.XLabel, "epoch")
	p.Y.Label.Text = orDefault(opts.YLabel, "val_loss")
	p.Legend.Top = true // loss curves fall from the top left: keep the legend clear of their ends
	p.Add(plotter.NewGrid())
	if opts.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}

	points := 0
	for i, c := range curves {
		if len(c.Steps) != len(c.Values) {
			return fmt.Errorf("results: plot %s: curve %q has %d steps but %d values",
				path, c.Name, len(c.Steps), len(c.Values))
		}
		xys := make(plotter.XYs, 0, len(c.Values))
		for j, v := range c.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || (opts.LogY && v <= 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(c.Steps[j]), Y: v})
		}
		points += len(xys)
		line, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("results: plot %s: curve %q: %w", path, c.Name, err)
		}
		// Colours repeat after plotutil's palette; the dash pattern changes
		// with each round so that every line stays distinguishable.
		n := len(plotutil.DefaultColors)
		line.Color = plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i / n)
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(c.Name, line)
	}
	if points == 0 {
		return fmt.Errorf("results: plot %s: no finite points to draw in %d curves", path, len(curves))
	}

	w, h := opts.Width, opts.Height
	if w <= 0 {
		w = 16 * vg.Centimeter
	}
	if h <= 0 {
		h = 10 * vg.Centimeter
	}
	if err := p.Save(w, h, path); err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
