package results

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	dir := curveSweep(t)
	plot := filepath.Join(t.TempDir(), "curves.png")
	var got bytes.Buffer
	warnings, err := Report(&got, dir, ReportOptions{Plot: plot})
	if err != nil {
		t.Fatal(err)
	}
	// The same report as the steps done one by one.
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Render(&want, Rank(s, RankOptions{}), FormatTable, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("report\n%s\nwant\n%s", got.String(), want.String())
	}
	// d and e have no val_loss curve and c's file is cut: three warnings.
	if len(warnings) != 3 {
		t.Errorf("warnings %q, want 3", warnings)
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, _, err := image.Decode(f); err != nil {
		t.Errorf("plot: %v", err)
	}
}

func TestReportCSVReturnsLoadWarnings(t *testing.T) {
	var b bytes.Buffer
	warnings, err := Report(&b, gridSweep(t), ReportOptions{Format: FormatCSV, Top: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "truncated") {
		t.Errorf("warnings %q, want the truncated record", warnings)
	}
	if lines := strings.Count(b.String(), "\n"); lines != 2 {
		t.Errorf("%d CSV lines, want a header and 1 row:\n%s", lines, b.String())
	}
}

func TestReportErrors(t *testing.T) {
	dir := gridSweep(t)
	for _, tc := range []struct {
		name, dir string
		opts      ReportOptions
		want      string
	}{
		{"missing dir", filepath.Join(dir, "nope"), ReportOptions{}, "nope"},
		{"bad format", dir, ReportOptions{Format: "yaml"}, `"yaml"`},
		// gridSweep has no event files: nothing to draw.
		{"nothing to plot", dir, ReportOptions{Plot: filepath.Join(t.TempDir(), "p.svg")}, "no finite points"},
		{"bad plot format", dir, ReportOptions{Plot: "p.bmp"}, `".bmp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Report(&bytes.Buffer{}, tc.dir, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
