package results

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	_ "image/png" // registers the decoder image.Decode uses
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/sweep-ml/sweep/tests/golden"
)

// sampleCurves are three made-up validation-loss curves over 30 epochs:
// two decaying exponentials, and one that diverges to NaN after epoch 19.
func sampleCurves() []Curve {
	curve := func(name string, a, rate, floor float64, divergeAt int64) Curve {
		c := Curve{Name: name}
		for e := int64(0); e < 30; e++ {
			v := a*math.Exp(-rate*float64(e)) + floor
			if divergeAt > 0 && e >= divergeAt {
				v = math.NaN()
			}
			c.Steps = append(c.Steps, e)
			c.Values = append(c.Values, v)
		}
		return c
	}
	return []Curve{
		curve("ffn_dropout0.2_lr0.001", 1, 0.15, 0.04, 0),
		curve("ffn_dropout0.5_lr0.001", 0.8, 0.3, 0.042, 0),
		curve("ffn_dropout0.5_lr0.01", 1.2, 0.05, 0.1, 20),
	}
}

func TestPlotCurvesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.png")
	if err := PlotCurves(path, sampleCurves(), PlotOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, format, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 16 cm × 10 cm at gonum/plot's default 96 dpi for images is 605×378,
	// and the legend widens it.
	b := img.Bounds()
	if format != "png" || b.Dx() <= 605 || b.Dy() != 378 {
		t.Errorf("got a %s of %d×%d, want a png 378 high and wider than 605", format, b.Dx(), b.Dy())
	}
	// The first curve is drawn in the palette's first colour; some pixels
	// must have it, or nothing was drawn.
	want := sampleColor(t)
	found := false
	for y := b.Min.Y; y < b.Max.Y && !found; y++ {
		for x := b.Min.X; x < b.Max.X && !found; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			found = r>>8 == want[0] && g>>8 == want[1] && bl>>8 == want[2]
		}
	}
	if !found {
		t.Errorf("no pixel in the first curve's colour %v", want)
	}
	if golden.Update() {
		// Keep a copy to look at: go test -run PlotCurvesPNG -update.
		data, _ := os.ReadFile(path)
		if err := os.WriteFile(filepath.Join("testdata", "curves_example.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sampleColor is the 8-bit RGB of the palette's first colour.
func sampleColor(t *testing.T) [3]uint32 {
	t.Helper()
	r, g, b, _ := paletteColor(0).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

func TestPlotCurvesSVG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.svg")
	curves := sampleCurves()
	if err := PlotCurves(path, curves, PlotOptions{LogY: true, Title: "val & loss <log>"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Walk the XML: it must parse; each curve must be one path in its own
	// colour through each of its finite points, plus its legend thumbnail
	// (a two-point path in the same colour).
	dec := xml.NewDecoder(bytes.NewReader(data))
	pointsByStroke := map[string][]int{} // stroke colour -> points of each path
	texts := ""
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
			if tok.Name.Local != "path" {
				continue
			}
			d, style := pathAttrs(tok)
			for _, decl := range strings.Split(style, ";") {
				if c, ok := strings.CutPrefix(decl, "stroke:"); ok {
					pointsByStroke[c] = append(pointsByStroke[c], strings.Count(d, "M")+strings.Count(d, "L"))
				}
			}
		case xml.CharData:
			if inText {
				texts += string(tok) + "\n"
			}
		case xml.EndElement:
			inText = false
		}
	}
	for i, c := range curves {
		finite := 0
		for _, v := range c.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) && v > 0 {
				finite++
			}
		}
		r, g, b, _ := paletteColor(i).RGBA()
		stroke := fmt.Sprintf("#%02X%02X%02X", r>>8, g>>8, b>>8)
		got := fmt.Sprint(pointsByStroke[stroke])
		if want := fmt.Sprint([]int{finite, 2}); got != want {
			t.Errorf("curve %d (%s): paths with %s points, want %s", i, stroke, got, want)
		}
	}
	for _, want := range []string{curves[0].Name, curves[2].Name, "val & loss <log>", "epoch"} {
		if !strings.Contains(texts, want) {
			t.Errorf("no text %q in the SVG", want)
		}
	}
}

// The top 10 curves get 10 different colours (plotutil's palette gave ranks
// 1 and 8 the same), and each curve's best epoch is marked with a dot in
// its colour: the lowest point by default, the highest for a maximised
// metric.
func TestPlotCurvesColoursAndBest(t *testing.T) {
	for _, maximize := range []bool{false, true} {
		// Curve i is a parabola with its extremum at epoch i+3, inside the
		// curve, where no endpoint could pass for it.
		var curves []Curve
		for i := range 10 {
			c := Curve{Name: fmt.Sprintf("c%d", i)}
			for e := int64(0); e < 20; e++ {
				v := math.Pow(float64(e-int64(i)-3), 2)/100 + 0.1*float64(i) + 1
				if maximize {
					v = 10 - v
				}
				c.Steps, c.Values = append(c.Steps, e), append(c.Values, v)
			}
			curves = append(curves, c)
		}
		path := filepath.Join(t.TempDir(), "curves.svg")
		if err := PlotCurves(path, curves, PlotOptions{Maximize: maximize}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines, dots := svgCurvesAndDots(t, data)
		if len(lines) != len(curves) {
			t.Fatalf("maximize %v: %d lines of 20 points in the SVG, want %d", maximize, len(lines), len(curves))
		}
		colours := map[string]int{}
		for i, line := range lines {
			if j, seen := colours[line.colour]; seen {
				t.Errorf("curves %d and %d share the colour %s", j, i, line.colour)
			}
			colours[line.colour] = i
			var mine [][2]float64
			for _, d := range dots {
				if d.colour == line.colour {
					mine = append(mine, d.points[0])
				}
			}
			want := line.points[i+3]
			if len(mine) != 1 || math.Abs(mine[0][0]-want[0]) > 0.01 || math.Abs(mine[0][1]-want[1]) > 0.01 {
				t.Errorf("maximize %v: curve %d (%s): dots at %v, want one at its epoch %d, %v", maximize, i, line.colour, mine, i+3, want)
			}
		}
	}
}

// svgShape is a path of an SVG plot: its colour and its points.
type svgShape struct {
	colour string
	points [][2]float64
}

// svgCurvesAndDots reads an SVG plot: its stroked paths of more than two
// points (curves, not legend thumbnails), in drawing order; and its filled
// circles (the best-epoch dots), each as its centre.
func svgCurvesAndDots(t *testing.T, data []byte) (lines, dots []svgShape) {
	t.Helper()
	vertex := regexp.MustCompile(`[ML](-?[0-9.]+),(-?[0-9.]+)`)
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return lines, dots
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "path" {
			continue
		}
		d, style := pathAttrs(el)
		var pts [][2]float64
		for _, m := range vertex.FindAllStringSubmatch(d, -1) {
			x, _ := strconv.ParseFloat(m[1], 64)
			y, _ := strconv.ParseFloat(m[2], 64)
			pts = append(pts, [2]float64{x, y})
		}
		for _, decl := range strings.Split(style, ";") {
			if c, ok := strings.CutPrefix(decl, "stroke:"); ok && len(pts) > 2 {
				lines = append(lines, svgShape{c, pts})
			}
			// A circle glyph of radius 3 is "M cx+3,cy A3,3 ... Z".
			if c, ok := strings.CutPrefix(decl, "fill:"); ok && strings.Contains(d, "A3,3") && len(pts) > 0 {
				dots = append(dots, svgShape{c, [][2]float64{{pts[0][0] - 3, pts[0][1]}}})
			}
		}
	}
}

func TestPlotCurvesErrors(t *testing.T) {
	dir := t.TempDir()
	nan := Curve{Name: "nan", Steps: []int64{0, 1}, Values: []float64{math.NaN(), math.Inf(1)}}
	for _, tc := range []struct {
		name, file string
		curves     []Curve
		opts       PlotOptions
		want       string
	}{
		{"unknown format", "c.gif", sampleCurves(), PlotOptions{}, `unknown image format ".gif"`},
		{"no extension", "c", sampleCurves(), PlotOptions{}, "unknown image format"},
		{"lengths", "c.png", []Curve{{Name: "bad", Steps: []int64{0}, Values: []float64{1, 2}}}, PlotOptions{},
			`curve "bad" has 1 steps but 2 values`},
		{"no curves", "c.png", nil, PlotOptions{}, "no finite points"},
		{"only NaN", "c.png", []Curve{nan}, PlotOptions{}, "no finite points"},
		{"log of non-positive", "c.svg", []Curve{{Name: "z", Steps: []int64{0}, Values: []float64{0}}},
			PlotOptions{LogY: true}, "no finite points"},
		{"missing directory", filepath.Join("no", "such", "c.png"), sampleCurves(), PlotOptions{}, "no such"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			err := PlotCurves(path, tc.curves, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and containing %q", err, path, tc.want)
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	labels := func(ticks []plot.Tick) (major string, minor int) {
		var l []string
		for _, tk := range ticks {
			if tk.Label == "" {
				minor++
			} else {
				l = append(l, tk.Label)
			}
		}
		return strings.Join(l, " "), minor
	}
	// Expected by hand: the step is the smallest 1, 2 or 5 × 10^k at least
	// (hi-lo)/8 and at least minStep; minor ticks split a step of 1 or 5 ×
	// 10^k in five, one of 2 × 10^k in two, and are dropped under minStep.
	for _, tc := range []struct {
		lo, hi, minStep float64
		major           string
		minor           int
	}{
		{0, 29, 1, "0 5 10 15 20 25", 24},
		{0, 99, 1, "0 20 40 60 80", 5}, // step 20: minor ticks at the odd tens
		{0, 3, 1, "0 1 2 3", 0},
		{0, 1, 1, "0 1", 0},
		{0.04, 1.3, 0, "0.2 0.4 0.6 0.8 1.0 1.2", 7},
		// span/8 = 0.0006 rules out 0.0005; minor every 0.0002 from 0.0102.
		{0.0101, 0.0149, 0, "0.011 0.012 0.013 0.014", 20},
		{5, 5, 1, "5", 0},
		// A range a few ulps wide, where k++ no longer moves k: it used to
		// loop forever. Its ticks are the few floats in range.
		{1e17, 1e17 + 16, 0, "100000000000000000 100000000000000016", 0},
	} {
		major, minor := labels(niceTicks(tc.lo, tc.hi, tc.minStep))
		if major != tc.major || minor != tc.minor {
			t.Errorf("niceTicks(%v, %v, %v): major %q, %d minor; want %q, %d",
				tc.lo, tc.hi, tc.minStep, major, minor, tc.major, tc.minor)
		}
	}
}

// pathAttrs returns an SVG path element's outline (d) and style.
func pathAttrs(el xml.StartElement) (d, style string) {
	for _, a := range el.Attr {
		switch a.Name.Local {
		case "d":
			d = a.Value
		case "style":
			style = a.Value
		}
	}
	return d, style
}
