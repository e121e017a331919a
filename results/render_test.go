package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/tests/golden"
)

// loadRanking loads and ranks a synthetic sweep.
func loadRanking(t *testing.T, dir string) Ranking {
	t.Helper()
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	return Rank(s, RankOptions{})
}

// render renders r and replaces the sweep's temporary directory, which
// appears in warnings, by a fixed placeholder.
func render(t *testing.T, r Ranking, format string, opts RenderOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, r, format, opts); err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(b.String(), r.Dir, "<sweep>")
}

func TestRenderGolden(t *testing.T) {
	sweeps := []struct {
		name string
		dir  func(testing.TB) string
		opts RenderOptions
	}{
		{"grid", gridSweep, RenderOptions{}},
		{"repeats", repeatSweep, RenderOptions{}},
		{"grid_top2", gridSweep, RenderOptions{Top: 2}},
		{"grid_metrics", gridSweep, RenderOptions{Metrics: []string{"val_ic", "train_loss"}}},
		{"repeats_metrics", repeatSweep, RenderOptions{Metrics: []string{"val_ic"}}},
	}
	formats := map[string]string{FormatTable: "txt", FormatCSV: "csv", FormatJSON: "json", FormatMarkdown: "md"}
	for _, sw := range sweeps {
		r := loadRanking(t, sw.dir(t))
		for format, ext := range formats {
			t.Run(sw.name+"/"+format, func(t *testing.T) {
				golden.Check(t, filepath.Join("testdata", "report_"+sw.name+"."+ext+".golden"), []byte(render(t, r, format, sw.opts)))
			})
		}
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, Ranking{}, "xml", RenderOptions{})
	if err == nil || !strings.Contains(err.Error(), `"xml"`) || !strings.Contains(err.Error(), "markdown") {
		t.Errorf("error %v, want one naming the format and the valid ones", err)
	}
}

func TestRenderEmpty(t *testing.T) {
	for _, format := range Formats {
		var b bytes.Buffer
		if err := Render(&b, Ranking{}, format, RenderOptions{}); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		human := format == FormatTable || format == FormatMarkdown
		if got := strings.Contains(b.String(), noRows); got != human {
			t.Errorf("%s: says %q: %v, want %v", format, noRows, got, human)
		}
	}
}

// TestRenderCSVQuoting reads the CSV report back with a CSV reader: every
// record has the header's width, and a reason holding a comma, quotes and a
// newline comes back exactly.
func TestRenderCSVQuoting(t *testing.T) {
	r := loadRanking(t, gridSweep(t))
	var b bytes.Buffer
	if err := Render(&b, r, FormatCSV, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll() // fails on records of different widths
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	if got := strings.Join(header[:5], ","); got != "rank,trial,dropout,lr,hidden_dims" {
		t.Errorf("header starts %q", got)
	}
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q", name)
		return -1
	}
	want := "ffn_dropout0.5_lr0.01: diverged: val_loss is NaN at epoch 12, lr=0.01\n\"try a smaller lr\""
	found := false
	for _, rec := range recs[1:] {
		if rec[col("trial")] == "ffn_dropout0.5_lr0.01" {
			found = true
			if got := rec[col("error")]; got != want {
				t.Errorf("error column %q, want %q", got, want)
			}
			if got := rec[col("hidden_dims")]; got != "[128, 64]" {
				t.Errorf("hidden_dims %q, want %q", got, "[128, 64]")
			}
			if rec[col("rank")] != "" || rec[col("best_val_loss")] != "" {
				t.Errorf("unranked row has rank %q, loss %q; want both empty", rec[col("rank")],
					rec[col("best_val_loss")])
			}
		}
	}
	if !found {
		t.Error("failed configuration missing from the CSV")
	}
}

// TestRenderJSONParses checks that the JSON report is valid JSON with nulls
// where numbers are missing.
func TestRenderJSONParses(t *testing.T) {
	r := loadRanking(t, gridSweep(t))
	var b bytes.Buffer
	if err := Render(&b, r, FormatJSON, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(b.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 4 || len(rep.Failed) != 1 || len(rep.InProgress) != 1 || len(rep.Warnings) != 1 {
		t.Fatalf("%d rows, %d failed, %d in progress, %d warnings; want 4, 1, 1, 1",
			len(rep.Rows), len(rep.Failed), len(rep.InProgress), len(rep.Warnings))
	}
	last := rep.Rows[3]
	if last.Rank != 0 || last.Score.Mean != nil || last.Score.Std != nil {
		t.Errorf("failed row %+v: want rank 0 and null losses", last)
	}
	if rep.Failed[0].Dir != "ffn_dropout0.5_lr0.01/"+runName(2) {
		t.Errorf("failed dir %q, want it relative to the sweep", rep.Failed[0].Dir)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, ""},
		{0.001, "0.001"},
		{1e-5, "1e-5"}, // one format everywhere: as plans and trial names write it
		{64.0, "64.0"}, // a float stays recognisably a float
		{0.0, "0.0"},
		{int64(64), "64"},
		{3, "3"},
		{float32(0.1), "0.1"},
		{true, "true"},
		{"relu", "relu"},
		{json.Number("1.50"), "1.50"},
		{[]any{64.0, 32.0}, "[64.0, 32.0]"},
		{[]int64{64, 32}, "[64, 32]"},
		{[]float64{0.5}, "[0.5]"},
		{[]any{[]any{1.0}, "a"}, "[[1.0], a]"},
		{[]any{}, "[]"},
		{[]string{"a", "b"}, "[a, b]"},
		{[][]int64{{64, 32}, {8}}, "[[64, 32], [8]]"},
		{[2]float32{0.5, 0.25}, "[0.5, 0.25]"},
		{map[string]any{"b": 1.0, "a": []any{2.0}}, "{a: [2.0], b: 1.0}"},
		{1e21, "1e21"},
		{-2.5e-7, "-2.5e-7"},
	} {
		if got := FormatValue(tc.v); got != tc.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// A mean shows about 4 significant digits and its spread the same decimal
// places, whatever the scale.
func TestFmtMeanStd(t *testing.T) {
	for _, c := range []struct {
		mean, std float64
		want      string
	}{
		{0.312176, 0.00708295, "0.3122 ± 0.0071"},
		{1234.56, 7.89, "1235 ± 8"},
		{12.3456, 0.5, "12.35 ± 0.50"},
		{-0.0012345, 0.0001, "-0.001234 ± 0.000100"},
		{0, 0.25, "0.0000 ± 0.2500"},
		{math.NaN(), 1, "-"},
	} {
		if got := fmtMeanStd(c.mean, c.std); got != c.want {
			t.Errorf("fmtMeanStd(%v, %v) = %q, want %q", c.mean, c.std, got, c.want)
		}
	}
}

func TestFormatHelpers(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtDuration(41.25), "41.3s"},
		{fmtDuration(0.04), "40ms"},
		{fmtDuration(0.0004), "0s"},
		{fmtDuration(95.5), "1m36s"},
		{fmtDuration(3725), "1h2m5s"},
		{fmtCount(20), "20"},
		{fmtCount(20.5), "20.5"},
		{fmtLoss(0.0123456789), "0.0123457"},
		{oneLine("a\nb\r\nc"), "a / b / c"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// A metric that no record has is an error that lists the ones there are,
// for every format, before anything is written.
func TestRenderUnknownMetric(t *testing.T) {
	r := loadRanking(t, gridSweep(t))
	for _, format := range Formats {
		var b bytes.Buffer
		err := Render(&b, r, format, RenderOptions{Metrics: []string{"val_ic", "val_icc"}})
		if err == nil || !strings.Contains(err.Error(), `no metric "val_icc"`) || !strings.Contains(err.Error(), "they have: train_loss, val_ic") || b.Len() > 0 {
			t.Errorf("%s: %v (wrote %d bytes), want an error listing train_loss, val_ic and nothing written", format, err, b.Len())
		}
	}
	err := Render(&bytes.Buffer{}, Ranking{Dir: "runs/old"}, FormatTable, RenderOptions{Metrics: []string{"val_ic"}})
	if err == nil || !strings.Contains(err.Error(), "no finished trial of runs/old has its metrics recorded") {
		t.Errorf("a sweep without metrics: %v", err)
	}
}
