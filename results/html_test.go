package results

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// htmlSweep writes a sweep for the HTML report: 12 succeeded trials over lr
// and a dummy axis with learning curves (so that importance, history and
// curves all show), a failed and a pruned trial, and the grid as run.
func htmlSweep(t *testing.T) (*Sweep, Ranking) {
	t.Helper()
	s, r := importanceSweep(t, 12)
	for _, tr := range s.Trials {
		if tr.Finished == nil {
			continue
		}
		rec := tr.Finished.Trial
		if score := rec.ScoreOrDefault(); score != nil {
			rec.Curve = Series{*score + 1, *score + 0.5, *score}
		}
		if rec.Name == "t11" {
			rec.Status = StatusPruned
		}
		if err := WriteTrial(tr.Finished.Dir, rec); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(s.Dir, GridFile), "name = \"imp\" # <script>alert(1)</script>\n")
	s, err := LoadSweep(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	r = Rank(s, RankOptions{})
	r.Importance = ParamImportance(s, &r, nil)
	return s, r
}

func TestHTMLSelfContained(t *testing.T) {
	s, r := htmlSweep(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, s, r, nil); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// Nothing is fetched: no external script, style, image or font.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?[a-z]+:|@import|url\(`).FindString(page); m != "" {
		t.Errorf("the page refers to something outside it: %q", m)
	}
	// The grid's text cannot end the data's <script> element.
	if strings.Count(page, "</script>") != 2 {
		t.Errorf("%d </script> tags, want the page's own 2", strings.Count(page, "</script>"))
	}
	// The data is valid JSON with every configuration.
	start := strings.Index(page, `type="application/json">`) + len(`type="application/json">`)
	end := strings.Index(page[start:], "</script>")
	var d htmlData
	if err := json.Unmarshal([]byte(page[start:start+end]), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Table.Name) != len(r.Rows) || len(d.Failed) != 1 || len(d.Pruned) != 1 || d.Importance == nil || len(d.Curves) == 0 {
		t.Errorf("data: %d rows (want %d), %d failed, %d pruned, importance %v, %d curves",
			len(d.Table.Name), len(r.Rows), len(d.Failed), len(d.Pruned), d.Importance, len(d.Curves))
	}
	// Every column has a value per row.
	tb := d.Table
	if r.Tested || len(tb.Lo)+len(tb.Hi) != 0 {
		t.Errorf("untested ranking: %d and %d interval bounds, want none", len(tb.Lo), len(tb.Hi))
	}
	for name, n := range map[string]int{"rank": len(tb.Rank), "mean": len(tb.Mean), "n": len(tb.N), "vs": len(tb.Versus.Codes), "kind": len(tb.Kind.Codes), "status": len(tb.Status.Codes)} {
		if n != len(tb.Name) {
			t.Errorf("column %s has %d values for %d rows", name, n, len(tb.Name))
		}
	}
	if len(tb.Params) != len(r.Swept) {
		t.Fatalf("%d parameter columns, want %d", len(tb.Params), len(r.Swept))
	}
	for j, p := range tb.Params {
		if len(p.Codes) != len(tb.Name) || len(p.Numbers) != len(p.Values) {
			t.Errorf("parameter %s: %d codes for %d rows, %d numbers for %d values", r.Swept[j], len(p.Codes), len(tb.Name), len(p.Numbers), len(p.Values))
		}
	}
}

func TestDownsample(t *testing.T) {
	for _, tc := range []struct {
		n, k, keep int
		want       string
	}{
		{3, 5, 1, "[0, 1, 2]"},
		{10, 4, -1, "[0, 3, 6, 9]"},
		{10, 4, 4, "[0, 3, 4, 6, 9]"}, // the best epoch kept
	} {
		if got := FormatValue(downsample(tc.n, tc.k, tc.keep)); got != tc.want {
			t.Errorf("downsample(%d, %d, %d) = %s, want %s", tc.n, tc.k, tc.keep, got, tc.want)
		}
	}
}

// TestHTMLInBrowser opens the page in headless Chromium with #selftest,
// which makes the page brush an axis, filter by status and report what
// happened into the DOM, and saves a screenshot under
// $SWEEP_ARTIFACTS (default: the test's temporary directory). Without
// Chromium it skips, unless SWEEP_BROWSER_REQUIRED=1 (CI).
func TestHTMLInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("SWEEP_BROWSER_REQUIRED") == "1" {
			t.Fatal("SWEEP_BROWSER_REQUIRED=1 but no chromium on PATH")
		}
		t.Skip("no chromium on PATH (apt-get install chromium)")
	}
	s, r := htmlSweep(t)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := writeHTMLFile(page, s, r, nil); err != nil {
		t.Fatal(err)
	}
	browse := func(args ...string) []byte {
		t.Helper()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--no-first-run", "--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir()}, args...)
		cmd := exec.Command(chromium, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		// With logging on, Chromium prints the page's console messages and
		// uncaught errors to stderr as "INFO:CONSOLE:62] message" (older
		// versions: "CONSOLE(62)]"); the page itself logs nothing.
		if m := regexp.MustCompile(`CONSOLE[:(]\d+\)?\].*`).FindString(stderr.String()); m != "" {
			t.Errorf("console message: %s", m)
		}
		return out
	}
	dom := browse("--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+page+"#selftest")
	m := regexp.MustCompile(`<pre id="selftest">([^<]*)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no self-test result in the page (did its script run?):\n%s", dom)
	}
	var got struct {
		Errors                              []string
		RowsBefore, RowsBrushed, RowsFailed int
		PC, History, Curves                 bool
		ImportanceBars                      int
	}
	if err := json.Unmarshal(m[1], &got); err != nil {
		t.Fatalf("self-test %s: %v", m[1], err)
	}
	if len(got.Errors) > 0 {
		t.Errorf("errors in the page: %q", got.Errors)
	}
	if got.RowsBefore != len(r.Rows) {
		t.Errorf("table has %d rows, want %d", got.RowsBefore, len(r.Rows))
	}
	// Brushing the lower half of the first axis (dummy) keeps some rows.
	if got.RowsBrushed == 0 || got.RowsBrushed >= got.RowsBefore {
		t.Errorf("brushing left %d of %d rows, want fewer but some", got.RowsBrushed, got.RowsBefore)
	}
	if got.RowsFailed != 1 {
		t.Errorf("status filter 'failed' shows %d rows, want 1", got.RowsFailed)
	}
	if !got.PC || !got.History || !got.Curves || got.ImportanceBars != 3 {
		t.Errorf("charts: parallel coordinates %v, history %v, curves %v, %d importance bars (want 3)",
			got.PC, got.History, got.Curves, got.ImportanceBars)
	}
	dir := os.Getenv("SWEEP_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := filepath.Join(dir, "report.png")
	browse("--window-size=1200,2400", "--screenshot="+shot, "file://"+page)
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Errorf("no screenshot: %v", err)
	}
	t.Logf("screenshot: %s", shot)
}
