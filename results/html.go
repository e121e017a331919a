package results

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The page: its markup, style and script, written for this report (no
// library: the charts are a few hundred lines of canvas drawing, and a
// vendored library would outweigh the data of a small sweep).
//
//go:embed report.html
var htmlPage string

// htmlDataMarker is where the page takes its data, a JSON document.
const htmlDataMarker = "/*SWEEP_DATA*/"

// HTMLCurves is how many configurations the HTML report keeps learning
// curves for, and HTMLCurvePoints how many points each curve keeps at most:
// the file must stay small at 100,000 trials.
const (
	HTMLCurves      = 10
	HTMLCurvePoints = 200
)

// The data the page draws from. Numbers that are not finite are null.
type (
	htmlData struct {
		Title      string           `json:"title"`
		Objective  Objective        `json:"objective"`
		Tested     bool             `json:"tested"`
		Note       string           `json:"note"`
		Swept      []string         `json:"swept"`
		Rows       []htmlRow        `json:"rows"`
		Importance *jsonImportance  `json:"importance"`
		History    []htmlPoint      `json:"history"`
		Curves     []htmlCurve      `json:"curves"`
		Failed     []jsonFailure    `json:"failed"`
		Pruned     []htmlPrunedInfo `json:"pruned"`
		Search     string           `json:"search"`
		Grid       string           `json:"grid"`
		Warnings   []string         `json:"warnings"`
	}
	htmlRow struct {
		Rank   int      `json:"rank"` // 0: not ranked
		Name   string   `json:"name"`
		Params []string `json:"params"` // as shown, in Swept order
		// Values are the params as numbers where they are numbers (else
		// null): the parallel coordinates draw numeric axes to scale.
		Values []*float64 `json:"values"`
		Mean   *float64   `json:"mean"`
		Lo     *float64   `json:"lo"`
		Hi     *float64   `json:"hi"`
		N      int        `json:"n"`
		Versus string     `json:"vs"`
		Tied   bool       `json:"tied"`
		Kind   string     `json:"kind"` // "ranked", "pruned" or "failed": the status filter
		Status string     `json:"status"`
	}
	htmlPoint struct {
		Number int      `json:"i"`
		Score  *float64 `json:"y"`
		Pruned bool     `json:"p"`
	}
	htmlCurve struct {
		Name   string     `json:"name"`
		Config string     `json:"config"` // the configuration's name: one colour and checkbox per configuration
		Rank   int        `json:"rank"`
		Steps  []int      `json:"x"` // 1-based epochs
		Y      []*float64 `json:"y"`
	}
	htmlPrunedInfo struct {
		Name   string   `json:"name"`
		Epochs int64    `json:"epochs"`
		Score  *float64 `json:"score"`
	}
)

// WriteHTML writes r, with what s holds beyond it (every trial's score in
// order, the learning curves, the grid as run), as one self-contained HTML
// page: no network access, so that it opens from disk or a mail.
func WriteHTML(w io.Writer, s *Sweep, r Ranking, ids []string) error {
	d := htmlData{Title: filepath.Base(filepath.Clean(s.Dir)), Objective: r.Objective, Tested: r.Tested,
		Note: r.significanceNote(), Swept: nonNil(r.Swept), Warnings: nonNil(r.Warnings),
		Failed: []jsonFailure{}, Pruned: []htmlPrunedInfo{}, Rows: []htmlRow{}, Curves: []htmlCurve{}}
	d.Importance = toJSONImportance(r.Importance)
	for i := range r.Rows {
		d.Rows = append(d.Rows, htmlRowOf(&r, &r.Rows[i]))
	}
	for _, p := range History(s, ids) {
		d.History = append(d.History, htmlPoint{Number: p.Number, Score: Metric(p.Score), Pruned: p.Pruned})
	}
	d.Curves = htmlCurves(s, &r)
	for _, f := range r.Failed {
		d.Failed = append(d.Failed, jsonFailure{Trial: f.Name, ID: f.ID, Seed: f.Seed, Repeat: f.Repeat,
			Attempt: f.Attempt, Error: f.Error, Dir: r.rel(f.Dir)})
	}
	keep := idFilter(ids)
	for _, tr := range s.Trials {
		if keep(tr.ID) && tr.Finished != nil && tr.Finished.Trial.Status == StatusPruned {
			t := tr.Finished.Trial
			d.Pruned = append(d.Pruned, htmlPrunedInfo{Name: t.Name, Epochs: t.EpochsRun, Score: scoreOf(t)})
		}
	}
	d.Search = r.searchLine()
	if grid, err := os.ReadFile(filepath.Join(s.Dir, GridFile)); err == nil {
		d.Grid = string(grid)
	}
	data, err := json.Marshal(d) // escapes <, > and &: safe inside <script>
	if err != nil {
		return fmt.Errorf("results: html: %w", err)
	}
	page := strings.Replace(htmlPage, htmlDataMarker, string(data), 1)
	if _, err := io.WriteString(w, page); err != nil {
		return fmt.Errorf("results: html: %w", err)
	}
	return nil
}

func scoreOf(t *Trial) *float64 {
	if p := t.ScoreOrDefault(); finite(p) {
		return p
	}
	return nil
}

func htmlRowOf(r *Ranking, row *Row) htmlRow {
	h := htmlRow{Rank: row.Rank, Name: row.Name, Mean: Metric(row.Score.Mean), Lo: Metric(row.CILow),
		Hi: Metric(row.CIHigh), N: row.Score.N, Status: row.Status, Kind: "ranked"}
	switch {
	case row.pruned:
		h.Kind = "pruned"
	case !row.ranked:
		h.Kind = "failed"
	}
	if row.Versus != nil {
		h.Versus, h.Tied = versusCell(row.Versus), row.Versus.Tied
	}
	for _, k := range r.Swept {
		v := row.Params[k]
		h.Params = append(h.Params, FormatValue(v))
		if x, ok := number(v); ok {
			h.Values = append(h.Values, Metric(x))
		} else {
			h.Values = append(h.Values, nil)
		}
	}
	return h
}

// htmlCurves are the objective's curves of every trial of the first
// HTMLCurves ranked configurations, each down-sampled to at most
// HTMLCurvePoints points (evenly spaced, the best epoch kept).
func htmlCurves(s *Sweep, r *Ranking) []htmlCurve {
	// By run directory, which tells apart trials of the same name (an
	// earlier grid's, in the same directory): the row's runs are the ones
	// it counted.
	byDir := map[string]*Trial{}
	for _, tr := range s.Trials {
		if tr.Finished != nil {
			byDir[tr.Finished.Dir] = tr.Finished.Trial
		}
	}
	out := []htmlCurve{}
	for i, row := range r.Rows {
		if !row.ranked || i >= HTMLCurves {
			break
		}
		for j, name := range row.Trials {
			t := byDir[row.Dirs[j]]
			if t == nil || len(t.Curve) == 0 {
				continue
			}
			c := htmlCurve{Name: name, Config: row.Name, Rank: row.Rank}
			for _, i := range downsample(len(t.Curve), HTMLCurvePoints, int(t.BestEpoch)-1) {
				c.Steps = append(c.Steps, i+1)
				c.Y = append(c.Y, Metric(t.Curve[i]))
			}
			out = append(out, c)
		}
	}
	return out
}

// downsample picks k of the indices 0..n-1, evenly spaced with the first
// and the last, plus keep when it is not one of them.
func downsample(n, k, keep int) []int {
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	for j := range k {
		out = append(out, int(math.Round(float64(j)*float64(n-1)/float64(k-1))))
	}
	if keep >= 0 && keep < n && !slices.Contains(out, keep) {
		out = append(out, keep)
		slices.Sort(out)
	}
	return slices.Compact(out)
}

func toJSONImportance(imp *ImportanceReport) *jsonImportance {
	if imp == nil {
		return nil
	}
	rep := &jsonImportance{Method: "fanova-random-forest", Trials: imp.Trials, Trees: imp.Trees,
		Interactions: imp.Interactions}
	for _, p := range imp.Params {
		rep.Params = append(rep.Params, jsonParamShare{p.Param, p.Share, p.Std})
	}
	return rep
}
