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
	"strconv"
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
// Per-trial data (the ranking, the history) is kept by column, an array
// per field, with repeated strings (hyperparameter values, statuses) as
// indices into their distinct values: at 100,000 configurations, an object
// per row repeated every key and the file was 27 MB.
type (
	htmlData struct {
		Title      string           `json:"title"`
		Objective  Objective        `json:"objective"`
		Tested     bool             `json:"tested"`
		Note       string           `json:"note"`
		Swept      []string         `json:"swept"`
		Table      htmlTable        `json:"table"`
		Importance *jsonImportance  `json:"importance"`
		History    htmlHistory      `json:"history"`
		Curves     []htmlCurve      `json:"curves"`
		Failed     []jsonFailure    `json:"failed"`
		Pruned     []htmlPrunedInfo `json:"pruned"`
		Search     string           `json:"search"`
		Grid       string           `json:"grid"`
		Warnings   []string         `json:"warnings"`
	}
	// htmlTable is the ranking, row i at index i of every column.
	htmlTable struct {
		Rank []int    `json:"rank"` // 0: not ranked
		Name []string `json:"name"`
		// Params holds a column per swept hyperparameter, in Swept order.
		Params []*htmlParam `json:"params"`
		Mean   []*float64   `json:"mean"` // full precision: the page sorts by it
		Lo     []*shown     `json:"lo"`   // empty when the ranking is not Tested
		Hi     []*shown     `json:"hi"`
		N      []int        `json:"n"`
		Versus *htmlStrings `json:"vs"`
		Tied   []int        `json:"tied"` // the rows tied with the best
		Kind   *htmlStrings `json:"kind"` // "ranked", "pruned" or "failed": the status filter
		Status *htmlStrings `json:"status"`
	}
	// htmlParam is a hyperparameter's column: its values as shown, and as
	// numbers where they are numbers (else null), so that the parallel
	// coordinates draw numeric axes to scale.
	htmlParam struct {
		htmlStrings
		Numbers []*float64 `json:"numbers"`
	}
	// htmlHistory is every finished trial's score in the order asked.
	htmlHistory struct {
		Number []int    `json:"i"`
		Score  []*shown `json:"y"`
		Pruned []int    `json:"pruned"` // indices of the pruned trials
	}
	htmlCurve struct {
		Name   string   `json:"name"`
		Config string   `json:"config"` // the configuration's name: one colour and checkbox per configuration
		Rank   int      `json:"rank"`
		Steps  []int    `json:"x"` // 1-based epochs
		Y      []*shown `json:"y"`
	}
	htmlPrunedInfo struct {
		Name   string   `json:"name"`
		Epochs int64    `json:"epochs"`
		Score  *float64 `json:"score"`
	}
)

// htmlStrings is a column of strings that repeat: each distinct string
// once, in Values, and for each row the index of its string.
type htmlStrings struct {
	Values []string `json:"values"`
	Codes  []int    `json:"codes"`
	index  map[string]int
}

func newHTMLStrings() *htmlStrings {
	return &htmlStrings{Values: []string{}, Codes: []int{}, index: map[string]int{}}
}

// add appends a row's string and reports whether it is new to the column.
func (c *htmlStrings) add(s string) bool {
	i, ok := c.index[s]
	if !ok {
		i = len(c.Values)
		c.index[s] = i
		c.Values = append(c.Values, s)
	}
	c.Codes = append(c.Codes, i)
	return !ok
}

// add appends a row's value of the hyperparameter.
func (p *htmlParam) add(v any) {
	if p.htmlStrings.add(FormatValue(v)) {
		x, ok := number(v)
		if !ok {
			x = math.NaN()
		}
		p.Numbers = append(p.Numbers, Metric(x))
	}
}

// shown is a number the page only displays or draws: six significant
// digits are more than it shows, and take half the bytes of the 17 that
// tell every float64 apart.
type shown float64

func (x shown) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(x), 'g', 6, 64), nil
}

// shownOf is x to display, or nil (null) when it is not finite.
func shownOf(x float64) *shown {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	v := shown(x)
	return &v
}

// WriteHTML writes r, with what s holds beyond it (every trial's score in
// order, the learning curves, the grid as run), as one self-contained HTML
// page: no network access, so that it opens from disk or a mail.
func WriteHTML(w io.Writer, s *Sweep, r Ranking, ids []string) error {
	d := htmlData{Title: filepath.Base(filepath.Clean(s.Dir)), Objective: r.Objective, Tested: r.Tested,
		Note: r.significanceNote(), Swept: nonNil(r.Swept), Warnings: nonNil(r.Warnings),
		Failed: []jsonFailure{}, Pruned: []htmlPrunedInfo{}}
	d.Importance = toJSONImportance(r.Importance)
	d.Table = htmlTableOf(&r)
	d.History = htmlHistoryOf(History(s, ids))
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

// htmlTableOf lays out r's rows by column.
func htmlTableOf(r *Ranking) htmlTable {
	n := len(r.Rows)
	t := htmlTable{Rank: make([]int, 0, n), Name: make([]string, 0, n), Mean: make([]*float64, 0, n),
		Lo: make([]*shown, 0, n), Hi: make([]*shown, 0, n), N: make([]int, 0, n), Tied: []int{},
		Versus: newHTMLStrings(), Kind: newHTMLStrings(), Status: newHTMLStrings(), Params: []*htmlParam{}}
	for range r.Swept {
		t.Params = append(t.Params, &htmlParam{htmlStrings: *newHTMLStrings(), Numbers: []*float64{}})
	}
	for i := range r.Rows {
		t.add(r, &r.Rows[i])
	}
	if !r.Tested { // no row has two scores, so none has an interval: a megabyte of nulls at 100,000
		t.Lo, t.Hi = []*shown{}, []*shown{}
	}
	return t
}

// add appends a row to every column.
func (t *htmlTable) add(r *Ranking, row *Row) {
	i := len(t.Rank)
	t.Rank = append(t.Rank, row.Rank)
	t.Name = append(t.Name, row.Name)
	t.Mean = append(t.Mean, Metric(row.Score.Mean))
	t.Lo = append(t.Lo, shownOf(row.CILow))
	t.Hi = append(t.Hi, shownOf(row.CIHigh))
	t.N = append(t.N, row.Score.N)
	t.Status.add(row.Status)
	kind := "ranked"
	switch {
	case row.pruned:
		kind = "pruned"
	case !row.ranked:
		kind = "failed"
	}
	t.Kind.add(kind)
	versus := ""
	if row.Versus != nil {
		versus = versusCell(row.Versus)
		if row.Versus.Tied {
			t.Tied = append(t.Tied, i)
		}
	}
	t.Versus.add(versus)
	for j, k := range r.Swept {
		t.Params[j].add(row.Params[k])
	}
}

// htmlHistoryOf lays out the history by column.
func htmlHistoryOf(points []HistoryPoint) htmlHistory {
	h := htmlHistory{Number: make([]int, len(points)), Score: make([]*shown, len(points)), Pruned: []int{}}
	for i, p := range points {
		h.Number[i], h.Score[i] = p.Number, shownOf(p.Score)
		if p.Pruned {
			h.Pruned = append(h.Pruned, i)
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
				c.Y = append(c.Y, shownOf(t.Curve[i]))
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
