package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
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
