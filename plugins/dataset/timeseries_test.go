package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// panelCSV writes a panel: for each of days dates (from 2024-01-01), one
// row per asset present that day (assets drop in and out at random), with
// a = the day's index and target = the asset, so that a row says where it
// came from. Rows are written in a random order when shuffle is set.
func panelCSV(rng *rand.Rand, days, assets int, shuffle bool) string {
	var rows []string
	for d := range days {
		date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format("2006-01-02")
		for a := range assets {
			if rng.IntN(4) > 0 || a == 0 { // every day has a row
				rows = append(rows, fmt.Sprintf("%s,%d,%d", date, d, a))
			}
		}
	}
	if shuffle {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	}
	return "date,a,target\n" + strings.Join(rows, "\n") + "\n"
}

// TestShuffledFileTrainsAsSorted: with a date column, a chronological split
// sees the same rows in the same order whatever the file's order (within a
// date, rows keep the file's order: here one row per date, so none tie).
func TestShuffledFileTrainsAsSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	sorted := panelCSV(rng, 50, 1, false)
	lines := strings.Split(strings.TrimSuffix(sorted, "\n"), "\n")
	body := slices.Clone(lines[1:])
	rng.Shuffle(len(body), func(i, j int) { body[i], body[j] = body[j], body[i] })
	shuffled := lines[0] + "\n" + strings.Join(body, "\n") + "\n"
	load := func(csv string) *Dataset {
		d, err := Load(context.Background(), Spec{Path: writeFile(t, "data.csv", csv), Date: "date", Split: SplitChronological, Embargo: "3"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := load(sorted), load(shuffled)
	a.Spec, b.Spec = Spec{}, Spec{}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("a shuffled file loads differently from the sorted one")
	}
	if !slices.Equal(a.Features, []string{"a"}) {
		t.Errorf("features %v: the date column is never a feature", a.Features)
	}
	if a.NumTrain != 40 || a.NumVal != 7 { // 50 days: 40 train, 3 embargoed, 7 validate
		t.Errorf("%d training and %d validation rows, want 40 and 7", a.NumTrain, a.NumVal)
	}
}

// TestNoLookAhead is a property test over random panels: every validation
// row's date is after every training row's date and beyond the embargo,
// and no date has rows on both sides.
func TestNoLookAhead(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for trial := range 200 {
		days, assets := 5+rng.IntN(60), 1+rng.IntN(5)
		csv := panelCSV(rng, days, assets, true)
		embargo := []string{"", "0", "1", "3", "2d", "1w"}[rng.IntN(6)]
		valSplit := 0.1 + 0.4*rng.Float64()
		spec := Spec{Path: writeFile(t, "panel.csv", csv), Date: "date", Split: SplitChronological,
			Embargo: embargo, ValSplit: valSplit, Standardize: boolPtr(false)}
		d, err := Load(context.Background(), spec)
		if err != nil {
			if strings.Contains(err.Error(), "too few") {
				continue // an embargo may leave no validation rows of a short panel
			}
			t.Fatal(err)
		}
		lastTrain := slices.Max(d.TrainX) // feature a is the day's index
		firstVal := slices.Min(d.ValX)
		gap := firstVal - lastTrain - 1 // whole days left out between them
		e, _ := ParseEmbargo(embargo)
		wantGap := float64(e.Count) // dates (each day has rows)
		if e.Span > 0 {
			wantGap = e.Span.Hours() / 24
		}
		if firstVal <= lastTrain || gap < wantGap {
			t.Fatalf("trial %d (%d days × %d assets, embargo %q, val_split %.2f): last training day %v, first validation day %v",
				trial, days, assets, embargo, valSplit, lastTrain, firstVal)
		}
	}
}

func TestDateErrors(t *testing.T) {
	for _, c := range []struct{ csv, want string }{
		{"date,a,target\n2024-01-01,1,2\n2024/01/02,3,4\n", `line 3, column "date": "2024/01/02" is not a date: want an ISO 8601 date`},
		{"date,a,target\n2024-01-01,1,2\n,3,4\n", `line 3, column "date": "" is not a date`},
		{"a,target\n1,2\n", `line 1: no date column "date"`},
	} {
		_, err := Load(context.Background(), Spec{Path: writeFile(t, "d.csv", c.csv), Date: "date", Split: SplitChronological})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.csv, err, c.want)
		}
	}
	for _, s := range []string{"2024-01-31", "2024-01-31T16:00:00Z", "2024-01-31T16:00:00+01:00", "2024-01-31 16:00:00", "2024-01-31T16:00:00.25", "20240131"} {
		if _, err := parseDate(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

func TestParseEmbargo(t *testing.T) {
	for s, want := range map[string]Embargo{"": {}, "0": {}, "5": {Count: 5}, "5d": {Span: 5 * 24 * time.Hour},
		"2w": {Span: 14 * 24 * time.Hour}, "12h": {Span: 12 * time.Hour}} {
		if got, err := ParseEmbargo(s); err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"-1", "5x", "d", "1.5d", "five"} {
		if _, err := ParseEmbargo(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

// TestEmbargoRows: without a date column an embargo counts rows in file
// order.
func TestEmbargoRows(t *testing.T) {
	d, err := Load(context.Background(), Spec{Path: writeFile(t, "n.csv", numbered(20)), Split: SplitChronological,
		Embargo: "2", ValSplit: 0.25, Standardize: boolPtr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if d.NumTrain != 15 || !slices.Equal(d.ValY, []float64{17.5, 18.5, 19.5}) {
		t.Errorf("train %d rows, validation targets %v; want 15 and rows 17–19", d.NumTrain, d.ValY)
	}
}

// TestWalkForwardMatchesScikitLearn compares the folds with scikit-learn's
// TimeSeriesSplit(n_splits, gap, max_train_size), from
// testdata/timeseries_split.json (made by testdata/timeseries_split.py with
// Debian's python3-sklearn 1.2.1): first over rows, then over dates of a
// panel with three rows a date, where each date stands for a row.
func TestWalkForwardMatchesScikitLearn(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "timeseries_split.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			N        int `json:"n_samples"`
			K        int `json:"n_splits"`
			Gap      int `json:"gap"`
			MaxTrain int `json:"max_train_size"`
			Folds    []struct{ Train, Test [2]int }
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	for _, c := range ref.Cases {
		spec := Spec{Split: SplitWalkForward, Folds: c.K, Window: WindowExpanding, Embargo: strconv.Itoa(c.Gap)}
		if c.MaxTrain > 0 {
			spec.Window, spec.TrainSize = WindowRolling, c.MaxTrain
		}
		for _, perStep := range []int{1, 3} {
			tab := &table{y: make([]float64, c.N*perStep)}
			if perStep > 1 {
				tab.dates = make([]int64, c.N*perStep)
				for i := range tab.dates {
					tab.dates[i] = int64(c.N - 1 - i%c.N) // dates descending and interleaved: sorting must find them
				}
			}
			for f, want := range c.Folds {
				train, val, err := walkForwardFold(tab, spec, f+1)
				if err != nil {
					t.Fatalf("n %d, %d folds, gap %d: fold %d: %v", c.N, c.K, c.Gap, f+1, err)
				}
				if got := stepRange(tab, train, perStep); got != want.Train {
					t.Errorf("n %d × %d, %d folds, gap %d, max %d: fold %d trains on steps %v, scikit-learn %v", c.N, perStep, c.K, c.Gap, c.MaxTrain, f+1, got, want.Train)
				}
				if got := stepRange(tab, val, perStep); got != want.Test {
					t.Errorf("n %d × %d, %d folds, gap %d, max %d: fold %d validates on steps %v, scikit-learn %v", c.N, perStep, c.K, c.Gap, c.MaxTrain, f+1, got, want.Test)
				}
			}
		}
	}
}

// stepRange returns the [first, last+1) steps the rows cover, checking
// that they are whole and contiguous: a row's step is its index without
// dates, else its date (dates are 0..n-1).
func stepRange(tab *table, rows []int, perStep int) [2]int {
	step := func(r int) int {
		if tab.dates == nil {
			return r
		}
		return int(tab.dates[r])
	}
	lo, hi := step(rows[0]), step(rows[0])
	for _, r := range rows {
		lo, hi = min(lo, step(r)), max(hi, step(r))
	}
	if len(rows) != (hi-lo+1)*perStep {
		return [2]int{-1, -1} // not whole steps
	}
	return [2]int{lo, hi + 1}
}

// TestWalkForwardLoad checks a walk-forward load end to end: standardised
// with each fold's own training rows, and every fold's validation after
// its training, past the embargo.
func TestWalkForwardLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	path := writeFile(t, "panel.csv", panelCSV(rng, 60, 3, true))
	base := Spec{Path: path, Date: "date", Split: SplitWalkForward, Folds: 4, Embargo: "2"}
	if _, err := Load(context.Background(), base); err == nil || !strings.Contains(err.Error(), "data.fold") {
		t.Errorf("no fold chosen: %v", err)
	}
	if _, err := Check(context.Background(), base); err != nil {
		t.Fatal(err)
	}
	for f := 1; f <= 4; f++ {
		spec := base
		spec.Fold = f
		d, err := Load(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		trainDays := make([]float64, len(d.TrainX))
		for i, x := range d.TrainX {
			trainDays[i] = x*d.Scale[0] + d.Mean[0]
		}
		valDays := make([]float64, len(d.ValX))
		for i, x := range d.ValX {
			valDays[i] = x*d.Scale[0] + d.Mean[0]
		}
		if mean := floats(d.TrainX) / float64(len(d.TrainX)); math.Abs(mean) > 1e-9 {
			t.Errorf("fold %d: training feature mean %v after standardisation, want 0 (fitted on the fold's own rows)", f, mean)
		}
		if gap := slices.Min(valDays) - slices.Max(trainDays) - 1; gap < 2-1e-9 {
			t.Errorf("fold %d: %v days between training and validation, want the 2-date embargo", f, gap)
		}
	}
}

func floats(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// TestPreparedArraysLoadAsTheData checks that a prepared-arrays file, mapped
// by Load through Spec.File, gives bit for bit the dataset Load makes from
// the CSV, for every kind of split and every fold; that an existing file is
// reused; and that one cut short is written again.
func TestPreparedArraysLoadAsTheData(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	path := writeFile(t, "panel.csv", panelCSV(rng, 40, 3, true))
	for _, spec := range []Spec{
		{Path: path, Exclude: []string{"date"}},
		{Path: path, Date: "date", Split: SplitChronological, Embargo: "2d"},
		{Path: path, Date: "date", Split: SplitWalkForward, Folds: 3, Standardize: boolPtr(false)},
		{Synthetic: &SyntheticSpec{Rows: 300, Features: 4, Assets: 5}, Split: SplitWalkForward, Folds: 2},
	} {
		dir := t.TempDir()
		prep, err := PrepareArrays(context.Background(), spec, dir)
		if err != nil {
			t.Fatal(err)
		}
		files := prep.Files
		if prep.Reused {
			t.Errorf("%+v: a first preparation says it reused files", spec)
		}
		for f, file := range files {
			want := spec
			if spec.Split == SplitWalkForward {
				want.Fold = f + 1
			}
			fromData, err := Load(context.Background(), want)
			if err != nil {
				t.Fatal(err)
			}
			mapped := want
			mapped.File = file
			fromFile, err := Load(context.Background(), mapped)
			if err != nil {
				t.Fatal(err)
			}
			fromFile.Spec = fromData.Spec
			if !reflect.DeepEqual(fromData, fromFile) {
				t.Errorf("%+v fold %d: the prepared file loads differently from the data", spec, f+1)
			}
		}
		// A file cut short is written again; a whole one is kept.
		info, _ := os.Stat(files[0])
		if err := os.Truncate(files[0], info.Size()-8); err != nil {
			t.Fatal(err)
		}
		again, err := PrepareArrays(context.Background(), spec, dir)
		if err != nil || !slices.Equal(again.Files, files) || again.Reused {
			t.Fatalf("prepared again after a file was cut short: %+v, %v", again, err)
		}
		if whole, err := PrepareArrays(context.Background(), spec, dir); err != nil || !whole.Reused || whole.Bytes != again.Bytes {
			t.Errorf("prepared a third time: %+v, %v; want the whole files reused", whole, err)
		}
		if info2, _ := os.Stat(files[0]); info2.Size() != info.Size() {
			t.Errorf("a cut-short file was not written again: %d bytes, want %d", info2.Size(), info.Size())
		}
		// A caller that hashed the file already (ContentSHA256) names the
		// same files, without the file read again; a different hash names
		// other files.
		if spec.Path != "" {
			hashed := spec
			if hashed.ContentSHA256, err = FileSHA256(spec.Path); err != nil {
				t.Fatal(err)
			}
			if p, err := PrepareArrays(context.Background(), hashed, dir); err != nil || !p.Reused || !slices.Equal(p.Files, files) {
				t.Errorf("with the content's hash given: %+v, %v; want the same files, reused", p, err)
			}
			hashed.ContentSHA256 = strings.Repeat("0", 64)
			if p, err := PrepareArrays(context.Background(), hashed, dir); err != nil || slices.Equal(p.Files, files) {
				t.Errorf("with another content hash: %+v, %v; want other files", p, err)
			}
		}
	}
}
