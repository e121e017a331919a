package results

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sweep-ml/sweep/results/atomicfile"
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
	LogY bool
	// Maximize marks each curve's highest point as its best, for a metric
	// whose objective mode is max; by default the lowest, as for a loss.
	Maximize      bool
	Width, Height vg.Length // default 16 cm × 10 cm
}

// plotFormats are the file extensions PlotCurves writes; gonum/plot picks
// the encoder from the extension.
var plotFormats = []string{".png", ".svg", ".pdf", ".eps", ".jpg", ".jpeg", ".tif", ".tiff"}

// PlotCurves draws curves (typically validation loss per epoch, one line per
// trial, in ranking order, each with its best epoch marked) with a legend
// and saves them to path, whose
// extension picks the format: .png or .svg, or another gonum/plot format
// (.pdf, .jpg, .eps, .tif). Points that are NaN or infinite (a diverged
// epoch) are left out and break nothing; a curve with no points left keeps
// its legend entry so that the reader sees it was there. PlotCurves fails
// for an unknown extension, mismatched Steps and Values, or when no curve
// has a point to draw.
func PlotCurves(path string, curves []Curve, opts PlotOptions) error {
	format, err := plotFormat(path)
	if err != nil {
		return err
	}
	p := newPlot("Validation loss", "epoch", "val_loss", opts)
	if opts.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}

	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	points := 0
	var marks plotter.XYs
	var markColors []color.Color
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
		// Colours repeat after the palette's ten (the default top); the dash
		// pattern changes with each round so that every line stays
		// distinguishable.
		line.Color = paletteColor(i)
		line.Dashes = plotutil.Dashes(i / len(palette))
		line.Width = vg.Points(1.5)
		p.Add(line)
		legend.Add(c.Name, line)
		if best, ok := bestPoint(xys, opts.Maximize); ok {
			marks = append(marks, best)
			markColors = append(markColors, line.Color)
		}
	}
	if points == 0 {
		return fmt.Errorf("results: plot %s: no finite points to draw in %d curves", path, len(curves))
	}
	// The best epochs go on top of every line, so that no curve hides one.
	for i, m := range marks {
		sc, err := plotter.NewScatter(plotter.XYs{m})
		if err != nil {
			return fmt.Errorf("results: plot %s: %w", path, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: draw.CircleGlyph{}, Color: markColors[i], Radius: vg.Points(3)}
		p.Add(sc)
		if i == 0 {
			// In black: the entry explains the dot, whatever its colour.
			legend.Add("best epoch", markerLegend{draw.GlyphStyle{Shape: draw.CircleGlyph{}, Color: color.Black, Radius: vg.Points(3)}})
		}
	}

	return savePlot(path, format, p, &legend, opts)
}

// palette is Tableau 10 (matplotlib's tab10): ten colours that stay apart
// on screen and in print, so that the default top 10 curves never share
// one (plotutil's seven gave ranks 1 and 8 one colour).
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // red
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // brown
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, // pink
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, // grey
	color.RGBA{0xbc, 0xbd, 0x22, 0xff}, // olive
	color.RGBA{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// paletteColor is the i-th colour of the palette, round again after ten.
func paletteColor(i int) color.Color { return palette[i%len(palette)] }

// bestPoint is a curve's best point: its lowest (its highest when
// maximize), the earliest of equals, as a trial's best epoch is.
func bestPoint(xys plotter.XYs, maximize bool) (plotter.XY, bool) {
	if len(xys) == 0 {
		return plotter.XY{}, false
	}
	best := xys[0]
	for _, p := range xys[1:] {
		if (maximize && p.Y > best.Y) || (!maximize && p.Y < best.Y) {
			best = p
		}
	}
	return best, true
}

// markerLegend draws a legend entry's thumbnail as one glyph, where a
// scatter's would draw nothing.
type markerLegend struct{ style draw.GlyphStyle }

func (m markerLegend) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(m.style, c.Center())
}

// plotFormat is the image format a plot's path asks for, by its extension.
func plotFormat(path string) (string, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if !slices.Contains(plotFormats, ext) {
		return "", fmt.Errorf("results: plot %s: unknown image format %q (want one of %s)",
			path, ext, strings.Join(plotFormats, ", "))
	}
	return ext[1:], nil
}

// newPlot starts a plot with a grid and readable ticks; opts' title and
// labels win over the defaults given.
func newPlot(title, xLabel, yLabel string, opts PlotOptions) *plot.Plot {
	p := plot.New()
	p.Title.Text = orDefault(opts.Title, title)
	p.X.Label.Text = orDefault(opts.XLabel, xLabel)
	p.Y.Label.Text = orDefault(opts.YLabel, yLabel)
	p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick { return niceTicks(lo, hi, 1) })
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick { return niceTicks(lo, hi, 0) })
	p.Add(plotter.NewGrid())
	return p
}

// savePlot draws p with its legend and writes the image to path. It is
// written like trial.json, so that a report re-run while someone views the
// image never leaves a half-written file.
func savePlot(path, format string, p *plot.Plot, legend *plot.Legend, opts PlotOptions) error {
	data, err := drawWithLegend(p, legend, opts, format)
	if err == nil {
		err = atomicfile.Write(path, data)
	}
	if err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	return nil
}

// drawWithLegend draws p with the legend to the right of its axes, outside
// the data, where a dozen names cannot hide the curves, and encodes the
// image in format. The image is the plot's size plus the legend's width.
func drawWithLegend(p *plot.Plot, legend *plot.Legend, opts PlotOptions, format string) ([]byte, error) {
	w, h := opts.Width, opts.Height
	if w <= 0 {
		w = 16 * vg.Centimeter
	}
	if h <= 0 {
		h = 10 * vg.Centimeter
	}
	gap := 3 * vg.Millimeter
	size := legend.Rectangle(draw.Canvas{}).Size()
	// Align the legend's top with the top of the axes, below the title.
	top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	h = max(h, size.Y+top+gap)
	c, err := draw.NewFormattedCanvas(w+size.X+2*gap, h, format)
	if err != nil {
		return nil, err
	}
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -(size.X + 2*gap), 0, 0))
	legend.Draw(draw.Crop(dc, w+gap, -gap, 0, -top))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// niceTicks places four to nine labelled ticks at whole multiples of 1, 2 or 5
// times a power of ten, no closer than minStep, with unlabelled minor ticks
// between them. gonum/plot's default labels few ticks and shows epochs as
// "25.00".
func niceTicks(lo, hi, minStep float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	raw := span / 8 // the smallest step that gives at most 9 labels
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, minor := mag, mag/5
	for _, m := range []float64{1, 2, 5, 10} {
		step, minor = m*mag, m*mag/5
		if m == 2 {
			minor = mag
		}
		if step >= raw {
			break
		}
	}
	if step < minStep {
		step, minor = minStep, 0
	}
	if minor < minStep {
		minor = 0
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	multiples(lo, hi, step, func(k float64) {
		ticks = append(ticks, plot.Tick{Value: k * step, Label: strconv.FormatFloat(k*step, 'f', decimals, 64)})
	})
	if minor > 0 {
		per := math.Round(step / minor)
		multiples(lo, hi, minor, func(k float64) {
			if math.Mod(k, per) != 0 {
				ticks = append(ticks, plot.Tick{Value: k * minor})
			}
		})
	}
	return ticks
}

// multiples calls fn, in increasing order, with each whole k for which
// k·step lies in [lo, hi]. The values are multiples of an index, not a
// running sum, so that rounding errors do not accumulate. The loop is
// bounded by an integer count and skips a k that did not move, because
// past 2^53 adding 1 no longer changes a float: a range a few ulps wide
// (1e17 to 1e17+16) looped forever.
func multiples(lo, hi, step float64, fn func(k float64)) {
	first := math.Ceil(lo / step)
	n := int(math.Floor(hi/step)-first) + 1 // one more: rounding can put it under hi
	prev := math.NaN()
	for i := 0; i <= n; i++ {
		k := first + float64(i)
		if k*step > hi {
			return
		}
		if k != prev {
			fn(k)
		}
		prev = k
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
