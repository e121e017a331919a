package results

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The report formats Render writes.
const (
	FormatTable    = "table"    // aligned text for a terminal
	FormatCSV      = "csv"      // one row per configuration, RFC 4180
	FormatJSON     = "json"     // the whole ranking, for scripts
	FormatMarkdown = "markdown" // a GitHub-flavoured table and lists
)

// Formats lists the formats Render accepts.
var Formats = []string{FormatTable, FormatCSV, FormatJSON, FormatMarkdown}

// RenderOptions adjusts a report.
type RenderOptions struct {
	// Top, if positive, keeps only the first Top rows of the ranking.
	// Failed and in-progress trials are always listed in full.
	Top int
	// Metrics names metrics of Ranking.Metrics whose best and final values
	// the table and Markdown show besides the columns they always have;
	// CSV and JSON carry every metric anyway. A name the ranking does not
	// know is an error.
	Metrics []string
}

// Render writes r to w in format (one of Formats).
//
// Every format has, per configuration: rank, trial, each swept
// hyperparameter, the objective's best value, best epoch, final train and
// validation loss, epochs run, duration and status; with repeats the mean ±
// sample std and n. CSV and JSON add every metric's best and final value
// (see Ranking.Metrics), the table and Markdown those opts.Metrics names. The table and Markdown formats then list the failed
// trials with their reasons, the trials still in progress and the loading
// warnings. CSV has one row per configuration, so it carries the failure
// reasons in a final "error" column and leaves out trials in progress; JSON
// carries everything. Missing numbers are "-" in the table and Markdown,
// empty in CSV and null in JSON. Run directories are shown relative to
// Ranking.Dir when they lie inside it.
func Render(w io.Writer, r Ranking, format string, opts RenderOptions) error {
	for _, name := range opts.Metrics {
		if !slices.Contains(r.Metrics, name) {
			return r.unknownMetric(name)
		}
	}
	if opts.Top > 0 && len(r.Rows) > opts.Top {
		r.Rows = r.Rows[:opts.Top]
	}
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case FormatTable:
		renderTable(bw, r, opts.Metrics)
	case FormatMarkdown:
		renderMarkdown(bw, r, opts.Metrics)
	case FormatCSV:
		err = renderCSV(bw, r)
	case FormatJSON:
		err = renderJSON(bw, r)
	default:
		return fmt.Errorf("results: unknown report format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("results: render %s: %w", format, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("results: render %s: %w", format, err)
	}
	return nil
}

// noRows stands in for an empty ranking in the table and Markdown formats.
const noRows = "(no finished trials yet)"

// column is one column of the ranking table: a header, how to show a row
// for people (table, Markdown), and whether it holds numbers (right-aligned).
type column struct {
	header  string
	numeric bool
	cell    func(*Row) string
}

// unknownMetric is the error for a metric name that no record of r sums up.
func (r *Ranking) unknownMetric(name string) error {
	if len(r.Metrics) == 0 {
		return fmt.Errorf("no metric %q: no finished trial of %s has its metrics recorded (records written before sweep kept them have none)", name, r.Dir)
	}
	return fmt.Errorf("no metric %q in the records of %s; they have: %s", name, r.Dir, strings.Join(r.Metrics, ", "))
}

// metricColumn is a column of one metric's best or final values, beyond
// the columns every report has.
type metricColumn struct {
	name string // best_<metric> or final_<metric>
	best bool
	stat func(*Row) Stat
}

// metricColumns are the columns of the best and final values of the named
// metrics, less those every report has already: the objective's best and
// the final losses.
func metricColumns(r *Ranking, names []string) []metricColumn {
	var cols []metricColumn
	for _, name := range names {
		if name != r.Objective.Metric {
			cols = append(cols, metricColumn{"best_" + name, true, func(row *Row) Stat { return row.metric(name).Best }})
		}
		if name != "train_loss" && name != "val_loss" {
			cols = append(cols, metricColumn{"final_" + name, false, func(row *Row) Stat { return row.metric(name).Final }})
		}
	}
	return cols
}

// metric returns the row's statistics of a metric, NaN where its trials'
// records have none.
func (row *Row) metric(name string) MetricStat {
	if m, ok := row.Metrics[name]; ok {
		return m
	}
	return MetricStat{Best: newStat(nil), Final: newStat(nil)}
}

// bestCell shows a best value for people: with repeats, mean ± std.
func bestCell(r *Ranking, s Stat) string {
	if r.Repeats && s.N > 1 {
		return fmtMeanStd(s.Mean, s.Std)
	}
	return fmtLoss(s.Mean)
}

// humanColumns are the table and Markdown columns of r, with the best and
// final values of the metrics named.
func humanColumns(r *Ranking, metrics []string) []column {
	cols := []column{
		{"rank", true, func(row *Row) string {
			if row.Rank == 0 {
				return "-"
			}
			return strconv.Itoa(row.Rank)
		}},
		{"trial", false, func(row *Row) string { return row.Name }},
	}
	for _, k := range r.Swept {
		cols = append(cols, column{k, false, func(row *Row) string { return FormatValue(row.Params[k]) }})
	}
	score := "best " + strings.ReplaceAll(r.Objective.Metric, "_", " ")
	switch {
	case r.Tested:
		cols = append(cols,
			column{score + " (mean)", true, func(row *Row) string { return fmtMean(row.Score.Mean) }},
			column{fmt.Sprintf("%g%% CI", 100*(1-Alpha)), true, func(row *Row) string {
				return fmtInterval(row.Score.Mean, row.CILow, row.CIHigh)
			}},
			column{"n", true, func(row *Row) string { return strconv.Itoa(row.Score.N) }},
			column{"vs best", false, func(row *Row) string { return versusCell(row.Versus) }},
		)
	case r.Repeats:
		cols = append(cols,
			column{score, true, func(row *Row) string { return bestCell(r, row.Score) }},
			column{"n", true, func(row *Row) string { return strconv.Itoa(row.Score.N) }})
	default:
		cols = append(cols, column{score, true, func(row *Row) string { return bestCell(r, row.Score) }})
	}
	if r.Folds {
		cols = append(cols, column{"folds (mean ± std)", true, func(row *Row) string {
			return fmt.Sprintf("%s (%d)", fmtMeanStd(row.FoldScores.Mean, row.FoldScores.Std), row.FoldScores.N)
		}})
	}
	cols = append(cols,
		column{"best epoch", true, func(row *Row) string { return fmtCount(row.BestEpoch.Mean) }},
		column{"final train loss", true, func(row *Row) string { return fmtLoss(row.FinalTrainLoss.Mean) }},
		column{"final val loss", true, func(row *Row) string { return fmtLoss(row.FinalValLoss.Mean) }},
	)
	for _, mc := range metricColumns(r, metrics) {
		cols = append(cols, column{strings.ReplaceAll(mc.name, "_", " "), true, func(row *Row) string {
			if mc.best {
				return bestCell(r, mc.stat(row))
			}
			return fmtLoss(mc.stat(row).Mean)
		}})
	}
	return append(cols,
		column{"epochs", true, func(row *Row) string { return fmtCount(row.EpochsRun.Mean) }},
		column{"duration", true, func(row *Row) string { return fmtDuration(row.DurationSeconds.Mean) }},
		column{"status", false, func(row *Row) string { return row.Status }},
	)
}

// cells evaluates cols over r's rows.
func cells(cols []column, r *Ranking) [][]string {
	out := make([][]string, len(r.Rows))
	for i := range r.Rows {
		out[i] = make([]string, len(cols))
		for j, c := range cols {
			out[i][j] = c.cell(&r.Rows[i])
		}
	}
	return out
}

func renderTable(w *bufio.Writer, r Ranking, metrics []string) {
	cols := humanColumns(&r, metrics)
	body := cells(cols, &r)
	width := make([]int, len(cols))
	for j, c := range cols {
		width[j] = utf8.RuneCountInString(c.header)
		for _, row := range body {
			width[j] = max(width[j], utf8.RuneCountInString(row[j]))
		}
	}
	// One buffer for every line: at 100,000 rows, building each line as
	// strings was a fifth of the report's allocations.
	var buf []byte
	line := func(row []string) {
		buf = buf[:0]
		for j, s := range row {
			if j > 0 {
				buf = append(buf, "  "...)
			}
			pad := width[j] - utf8.RuneCountInString(s)
			if !cols[j].numeric {
				buf = append(buf, s...)
			}
			for range pad {
				buf = append(buf, ' ')
			}
			if cols[j].numeric {
				buf = append(buf, s...)
			}
		}
		w.Write(append(bytes.TrimRight(buf, " "), '\n'))
	}
	header := make([]string, len(cols))
	for j, c := range cols {
		header[j] = c.header
	}
	line(header)
	for _, row := range body {
		line(row)
	}
	if len(body) == 0 {
		w.WriteString(noRows + "\n")
	}
	if note := r.significanceNote(); note != "" {
		w.WriteString("\n" + note + "\n")
	}
	writeImportance(w, r.Importance, "", "  ")
	writeSections(w, r, "", "")
}

func renderMarkdown(w *bufio.Writer, r Ranking, metrics []string) {
	cols := humanColumns(&r, metrics)
	row := func(cells []string) {
		w.WriteString("|")
		for _, s := range cells {
			w.WriteString(" " + strings.ReplaceAll(oneLine(s), "|", `\|`) + " |")
		}
		w.WriteString("\n")
	}
	header := make([]string, len(cols))
	rule := make([]string, len(cols))
	for j, c := range cols {
		header[j] = c.header
		rule[j] = ":---"
		if c.numeric {
			rule[j] = "---:"
		}
	}
	row(header)
	row(rule)
	for _, cells := range cells(cols, &r) {
		row(cells)
	}
	if len(r.Rows) == 0 {
		w.WriteString("\n" + noRows + "\n")
	}
	if note := r.significanceNote(); note != "" {
		w.WriteString("\n" + note + "\n")
	}
	writeImportance(w, r.Importance, "**", "    ")
	writeSections(w, r, "**", "- ")
}

// importanceBar is how many characters a share of 1 fills.
const importanceBar = 40

// writeImportance writes one line per hyperparameter with its share of
// the score's variance and a bar, then the share left to interactions;
// bold wraps the title, indent starts the lines (Markdown shows them as a
// code block, where the bars line up). Nothing when imp is nil.
func writeImportance(w *bufio.Writer, imp *ImportanceReport, bold, indent string) {
	if imp == nil {
		return
	}
	fmt.Fprintf(w, "\n%sImportance%s (fANOVA on a %d-tree random forest over %d trials: the share of the score's variance each hyperparameter explains alone)\n",
		bold, bold, imp.Trees, imp.Trials)
	if bold != "" {
		w.WriteString("\n")
	}
	width := utf8.RuneCountInString("interactions")
	for _, p := range imp.Params {
		width = max(width, utf8.RuneCountInString(p.Param))
	}
	line := func(name string, share float64, bar string) {
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(name))
		w.WriteString(strings.TrimRight(fmt.Sprintf("%s%s%s  %5.3f  %s", indent, name, pad, share, bar), " ") + "\n")
	}
	for _, p := range imp.Params {
		line(p.Param, p.Share, strings.Repeat("█", int(math.Round(p.Share*importanceBar))))
	}
	line("interactions", imp.Interactions, "")
}

// writeSections writes the failed trials, the trials in progress and the
// warnings after a table, each as a titled list; bold wraps the titles and
// bullet starts the items (Markdown), or both are empty (plain text).
func writeSections(w *bufio.Writer, r Ranking, bold, bullet string) {
	if bullet == "" {
		bullet = "  "
	}
	section := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s%s (%d)%s\n", bold, title, len(items), bold)
		if bold != "" {
			w.WriteString("\n")
		}
		for _, it := range items {
			w.WriteString(bullet + oneLine(it) + "\n")
		}
	}
	var failed, pending []string
	for _, f := range r.Failed {
		failed = append(failed, fmt.Sprintf("%s (seed %d, attempt %d, %s): %s",
			f.Name, f.Seed, f.Attempt, r.rel(f.Dir), f.Error))
	}
	for _, p := range r.InProgress {
		s := fmt.Sprintf("%s: %s (%s)", p.Name, p.Status, r.rel(p.Dir))
		if p.Status == StatusRunning {
			s = fmt.Sprintf("%s: running on %s, pid %d, since %s (%s)",
				p.Name, p.Host, p.PID, p.StartedAt.UTC().Format(time.RFC3339), r.rel(p.Dir))
		}
		if p.Abandoned() {
			s += "; that process is gone (killed?): `sweep run` again resumes it"
		}
		pending = append(pending, s)
	}
	if s := r.searchLine(); s != "" {
		fmt.Fprintf(w, "\n%sSearch%s\n", bold, bold)
		if bold != "" {
			w.WriteString("\n")
		}
		w.WriteString(bullet + s + "\n")
	}
	section("Failed trials", failed)
	section("In progress", pending)
	section("Warnings", r.Warnings)
}

// searchLine says what the search spent and what was pruned where: "tpe: 12
// of 12 configurations asked; asha pruned 7 trials: 4 after 1 epoch, 3
// after 3 epochs". It is empty for a grid that pruned nothing.
func (r *Ranking) searchLine() string {
	var parts []string
	if r.Search != nil {
		parts = append(parts, fmt.Sprintf("%s: %d of %d configurations asked", r.Search.Sampler, r.Search.Asked, r.Search.Budget))
	}
	if len(r.Pruned) > 0 {
		total := 0
		var at []string
		for _, epochs := range slices.Sorted(maps.Keys(r.Pruned)) {
			n := r.Pruned[epochs]
			total += n
			unit := "epochs"
			if epochs == 1 {
				unit = "epoch"
			}
			at = append(at, fmt.Sprintf("%d after %d %s", n, epochs, unit))
		}
		pruner := "pruned"
		if r.Search != nil && r.Search.Pruner != "" {
			pruner = r.Search.Pruner + " pruned"
		}
		parts = append(parts, fmt.Sprintf("%s %d trials: %s", pruner, total, strings.Join(at, ", ")))
	}
	return strings.Join(parts, "; ")
}

func renderCSV(w io.Writer, r Ranking) error {
	header := []string{"rank", "trial"}
	header = append(header, r.Swept...)
	best := "best_" + r.Objective.Metric
	header = append(header, best, best+"_std", "n", "ci95_low", "ci95_high", "vs_best_test", "vs_best_p",
		"vs_best_p_holm", "tied_with_best", "fold_scores_mean", "fold_scores_std", "fold_scores_n",
		"best_epoch", "final_train_loss", "final_val_loss")
	metrics := metricColumns(&r, r.Metrics)
	for _, mc := range metrics {
		header = append(header, mc.name)
	}
	header = append(header, "epochs_run", "duration_seconds", "status", "error")
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range r.Rows {
		row := &r.Rows[i]
		rank := ""
		if row.Rank > 0 {
			rank = strconv.Itoa(row.Rank)
		}
		rec := []string{rank, row.Name}
		for _, k := range r.Swept {
			rec = append(rec, FormatValue(row.Params[k]))
		}
		var reasons []string
		for _, f := range row.Failures {
			reasons = append(reasons, f.Name+": "+f.Error)
		}
		test, p, pHolm, tied := "", "", "", ""
		if v := row.Versus; v != nil {
			test, p, pHolm, tied = v.Test, fmtFull(v.P), fmtFull(v.PHolm), strconv.FormatBool(v.Tied)
		}
		rec = append(rec, fmtFull(row.Score.Mean), fmtFull(row.Score.Std), strconv.Itoa(row.Score.N),
			fmtFull(row.CILow), fmtFull(row.CIHigh), test, p, pHolm, tied,
			fmtFull(row.FoldScores.Mean), fmtFull(row.FoldScores.Std), strconv.Itoa(row.FoldScores.N),
			fmtFull(row.BestEpoch.Mean), fmtFull(row.FinalTrainLoss.Mean),
			fmtFull(row.FinalValLoss.Mean))
		for _, mc := range metrics {
			rec = append(rec, fmtFull(mc.stat(row).Mean))
		}
		rec = append(rec, fmtFull(row.EpochsRun.Mean), fmtFull(row.DurationSeconds.Mean),
			row.Status, strings.Join(reasons, "; "))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// The JSON report's shape. Numbers that are NaN are null.
type (
	jsonReport struct {
		Objective Objective   `json:"objective"`
		Search    *jsonSearch `json:"search,omitempty"`
		// Tested: rows carry ci95 and versus_best (see Ranking.Tested) at
		// this alpha.
		Tested     bool            `json:"tested"`
		Alpha      float64         `json:"alpha"`
		Swept      []string        `json:"swept"`
		Importance *jsonImportance `json:"importance"` // null below MinImportanceTrials
		Rows       []jsonRow       `json:"rows"`
		Failed     []jsonFailure   `json:"failed"`
		InProgress []jsonPending   `json:"in_progress"`
		Warnings   []string        `json:"warnings"`
	}
	jsonRow struct {
		Rank            int            `json:"rank"` // 0: not ranked
		Trial           string         `json:"trial"`
		ConfigID        string         `json:"config_id"`
		Trials          []string       `json:"trials"`
		Runs            []string       `json:"runs"` // each trial's counted run directory
		Params          map[string]any `json:"params"`
		Score           jsonStat       `json:"score"` // the best value of the objective's metric
		CI95            jsonInterval   `json:"ci95"`  // of score.mean
		VersusBest      *jsonVersus    `json:"versus_best"`
		FoldScores      jsonStat       `json:"fold_scores"` // walk-forward: every fold's score; n 0 without folds
		BestEpoch       jsonStat       `json:"best_epoch"`
		FinalTrainLoss  jsonStat       `json:"final_train_loss"`
		FinalValLoss    jsonStat       `json:"final_val_loss"`
		EpochsRun       jsonStat       `json:"epochs_run"`
		DurationSeconds jsonStat       `json:"duration_seconds"`
		// Metrics holds every metric's best and final values by name.
		Metrics map[string]jsonMetric `json:"metrics"`
		Status  string                `json:"status"`
	}
	jsonMetric struct {
		Mode  string   `json:"mode"` // what best means: "min" or "max"
		Best  jsonStat `json:"best"`
		Final jsonStat `json:"final"`
	}
	jsonSearch struct {
		*SearchInfo
		PrunedAt map[string]int `json:"pruned_at"` // epochs run when stopped -> trials
	}
	jsonImportance struct {
		Method       string           `json:"method"`
		Trials       int              `json:"trials"`
		Trees        int              `json:"trees"`
		Params       []jsonParamShare `json:"params"` // largest share first
		Interactions float64          `json:"interactions"`
	}
	jsonParamShare struct {
		Param string  `json:"param"`
		Share float64 `json:"share"` // of the score's variance, explained alone
		Std   float64 `json:"std"`   // over the forest's trees
	}
	jsonInterval struct {
		Low  *float64 `json:"low"`
		High *float64 `json:"high"`
	}
	jsonVersus struct {
		Test  string   `json:"test"`  // "best", "paired t", "Welch t" or "none"
		Pairs int      `json:"pairs"` // shared seeds, for "paired t"
		Diff  *float64 `json:"diff"`  // mean minus the best's mean
		P     *float64 `json:"p"`
		PHolm *float64 `json:"p_holm"`
		Tied  bool     `json:"tied_with_best"`
	}
	jsonStat struct {
		Mean *float64 `json:"mean"`
		Std  *float64 `json:"std"`
		N    int      `json:"n"`
	}
	jsonFailure struct {
		Trial   string `json:"trial"`
		ID      string `json:"id"`
		Seed    int64  `json:"seed"`
		Repeat  int    `json:"repeat"`
		Attempt int    `json:"attempt"`
		Error   string `json:"error"`
		Dir     string `json:"dir"`
	}
	jsonPending struct {
		Trial     string    `json:"trial"`
		ID        string    `json:"id"`
		Status    Status    `json:"status"`
		Dir       string    `json:"dir"`
		StartedAt time.Time `json:"started_at"`
		Host      string    `json:"host"`
		PID       int       `json:"pid"`
	}
)

func renderJSON(w io.Writer, r Ranking) error {
	rep := jsonReport{
		Objective: r.Objective, Tested: r.Tested, Alpha: Alpha, Swept: nonNil(r.Swept), Rows: []jsonRow{}, Failed: []jsonFailure{}, InProgress: []jsonPending{},
		Warnings: nonNil(r.Warnings),
	}
	if r.Search != nil || len(r.Pruned) > 0 {
		rep.Search = &jsonSearch{SearchInfo: r.Search, PrunedAt: map[string]int{}}
		for epochs, n := range r.Pruned {
			rep.Search.PrunedAt[strconv.FormatInt(epochs, 10)] = n
		}
	}
	rep.Importance = toJSONImportance(r.Importance)
	st := func(s Stat) jsonStat { return jsonStat{Mean: Metric(s.Mean), Std: Metric(s.Std), N: s.N} }
	for _, row := range r.Rows {
		metrics := make(map[string]jsonMetric, len(row.Metrics))
		for name, m := range row.Metrics {
			metrics[name] = jsonMetric{Mode: m.Mode, Best: st(m.Best), Final: st(m.Final)}
		}
		var versus *jsonVersus
		if v := row.Versus; v != nil {
			versus = &jsonVersus{Test: v.Test, Pairs: v.Pairs, Diff: Metric(v.Diff), P: Metric(v.P), PHolm: Metric(v.PHolm), Tied: v.Tied}
		}
		rep.Rows = append(rep.Rows, jsonRow{
			CI95: jsonInterval{Metric(row.CILow), Metric(row.CIHigh)}, VersusBest: versus,
			Rank: row.Rank, Trial: row.Name, ConfigID: row.ConfigID, Trials: nonNil(row.Trials),
			Runs: r.relAll(row.Dirs), Params: row.Params, Score: st(row.Score), FoldScores: st(row.FoldScores), BestEpoch: st(row.BestEpoch),
			FinalTrainLoss: st(row.FinalTrainLoss), FinalValLoss: st(row.FinalValLoss),
			EpochsRun: st(row.EpochsRun), DurationSeconds: st(row.DurationSeconds), Metrics: metrics, Status: row.Status,
		})
	}
	for _, f := range r.Failed {
		rep.Failed = append(rep.Failed, jsonFailure{Trial: f.Name, ID: f.ID, Seed: f.Seed, Repeat: f.Repeat,
			Attempt: f.Attempt, Error: f.Error, Dir: r.rel(f.Dir)})
	}
	for _, p := range r.InProgress {
		rep.InProgress = append(rep.InProgress, jsonPending{Trial: p.Name, ID: p.ID, Status: p.Status,
			Dir: r.rel(p.Dir), StartedAt: p.StartedAt, Host: p.Host, PID: p.PID})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// rel shows path relative to the sweep directory when it lies inside it.
func (r *Ranking) rel(path string) string {
	if r.Dir == "" {
		return path
	}
	rel, err := filepath.Rel(r.Dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return filepath.ToSlash(rel)
}

func (r *Ranking) relAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = r.rel(p)
	}
	return out
}

// FormatFloat writes x in its shortest exact form, keeping it recognisably
// a float: "1.0" rather than "1", and "1e-5" rather than Go's "1e-05". It is
// how every hyperparameter value is shown: plans, trial names, reports.
func FormatFloat(x float64) string { return floatText(strconv.FormatFloat(x, 'g', -1, 64)) }

// floatText decorates strconv's shortest 'g' form of a float.
func floatText(s string) string {
	mant, exp, hasExp := strings.Cut(s, "e")
	switch {
	case s == "NaN" || strings.HasSuffix(s, "Inf"):
		return s
	case !hasExp && !strings.Contains(s, "."):
		return s + ".0"
	case !hasExp:
		return s
	}
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	return mant + "e" + sign + strings.TrimLeft(exp[1:], "+-0")
}

// FormatValue shows a hyperparameter value for people, the same in plans,
// trial labels, reports and `sweep plugins describe`: floats as FormatFloat
// writes them (0.001, 1e-5, 0.0; a record keeps its values' types, so 0.0
// stays a float), integers in decimal, lists (a slice or array of any
// element type) as "[64, 32]", maps with sorted keys, nil as the empty
// string.
func FormatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return FormatFloat(v)
	case float32:
		return floatText(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case json.Number:
		return v.String()
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + FormatValue(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	// Lists come as []any from JSON and TOML but as typed slices from Go
	// callers; reflection shows every element type the same way.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = FormatValue(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// fmtLoss shows a loss to 6 significant digits, or "-" when missing.
func fmtLoss(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// fmtCount shows an epoch count, which is a mean over seeds with repeats.
func fmtCount(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// fmtDuration shows seconds as 45ms under a second (short trials are
// common: rounding them to 0s says nothing), 12.3s under a minute, else
// as 1h2m3s.
func fmtDuration(sec float64) string {
	if math.IsNaN(sec) {
		return "-"
	}
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// fmtMeanStd shows a mean with about 4 significant digits and its standard
// deviation to the same decimal place, "0.3122 ± 0.0071": more digits than
// the spread supports say nothing. CSV and JSON keep full precision.
func fmtMeanStd(mean, std float64) string {
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return fmtLoss(mean)
	}
	d := meanDecimals(mean)
	return strconv.FormatFloat(mean, 'f', d, 64) + " ± " + strconv.FormatFloat(std, 'f', d, 64)
}

// meanDecimals is how many decimals show a mean to about 4 significant
// digits.
func meanDecimals(mean float64) int {
	if mean == 0 {
		return 4
	}
	return min(max(3-int(math.Floor(math.Log10(math.Abs(mean)))), 0), 12)
}

// fmtMean shows a mean as fmtMeanStd does, without the spread.
func fmtMean(mean float64) string {
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return fmtLoss(mean)
	}
	return strconv.FormatFloat(mean, 'f', meanDecimals(mean), 64)
}

// fmtInterval shows a confidence interval to the decimals of its mean:
// "[0.3034, 0.3210]", or "-" when there is none.
func fmtInterval(mean, lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(mean) || math.IsInf(mean, 0) {
		return "-"
	}
	d := meanDecimals(mean)
	return "[" + strconv.FormatFloat(lo, 'f', d, 64) + ", " + strconv.FormatFloat(hi, 'f', d, 64) + "]"
}

// fmtP shows a p-value to two significant digits, "p=0.041", and tiny
// ones as "p<0.001".
func fmtP(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return "p=" + strconv.FormatFloat(p, 'g', 2, 64)
}

// versusCell says how a row compares with the best, with the Holm-adjusted
// p-value: "best", "tied (p=0.41)", "worse (p<0.001)", or why it was not
// tested.
func versusCell(v *Comparison) string {
	switch {
	case v == nil:
		return "-"
	case v.Test == TestBest:
		return "best"
	case v.Test == TestNone:
		return "untested (1 seed)"
	case v.Tied:
		return "tied (" + fmtP(v.PHolm) + ")"
	}
	return "worse (" + fmtP(v.PHolm) + ")"
}

// significanceNote is the line under a table that says how to read its
// ranks: the method when the ranking is tested, or, with one score per
// configuration, that the order may be noise and how to find out.
func (r *Ranking) significanceNote() string {
	ranked := 0
	for i := range r.Rows {
		if r.Rows[i].ranked {
			ranked++
		}
	}
	switch {
	case r.Tested:
		return fmt.Sprintf("Rank 1: the best and every configuration statistically indistinguishable from it "+
			"(two-sided t-test of the scores, paired on shared seeds, Welch's otherwise; Holm-adjusted p >= %g over %d %s). "+
			"CI: Student's t on the seeds.", Alpha, r.Compared, plural(r.Compared, "comparison"))
	case ranked > 1:
		return "One seed per configuration: the order may be seed noise. Set repeats = 3 or more in the grid for confidence intervals and ties with the best."
	}
	return ""
}

// plural is noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// fmtFull shows a number exactly for machines; NaN is empty.
func fmtFull(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// oneLine folds a multi-line message (a stack trace, a plugin's stderr) onto
// one line so that it cannot break a table or a list.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " / ")
}
