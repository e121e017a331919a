package dataset

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testdata/panel.parquet is written by Apache Arrow's Go implementation
// (testdata/parquetgen), not by the parquet-go library that reads it: 30
// rows in three row groups, dictionary-encoded and snappy-compressed, one
// nullable column. Row i (from 0) holds date 2024-01-(1+i/2), asset
// "a<i%2>", x_double i/2, x_float i/4, x_int32 i%7, x_int64 1000i,
// x_nullable 1.5i or null when i%5 == 0, and target 0.1i + 1.
const panelParquet = "testdata/panel.parquet"

func TestParquetColumns(t *testing.T) {
	spec := Spec{Path: panelParquet, Features: []string{"x_double", "x_float", "x_int32", "x_int64"}}.Defaults()
	tab, err := readParquet(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if tab.rows() != 30 || !slices.Equal(tab.features, spec.Features) {
		t.Fatalf("%d rows of %v", tab.rows(), tab.features)
	}
	for i := range 30 {
		want := []float64{float64(i) / 2, float64(float32(i) / 4), float64(i % 7), float64(1000 * i)}
		if got := tab.x[4*i : 4*i+4]; !slices.Equal(got, want) {
			t.Errorf("row %d: %v, want %v", i, got, want)
		}
		if tab.y[i] != 0.1*float64(i)+1 {
			t.Errorf("row %d: target %v", i, tab.y[i])
		}
	}
}

// TestParquetLikeCSV checks that the Parquet reader applies the CSV's
// rules: exclude, the date column (never a feature, sorting a time split),
// missing values dropped or refused with the row and column named.
func TestParquetLikeCSV(t *testing.T) {
	ctx := context.Background()
	_, err := Load(ctx, Spec{Path: panelParquet, Exclude: []string{"asset"}})
	if err == nil || !strings.Contains(err.Error(), `row 1, column "date": a BYTE_ARRAY, want a number`) {
		t.Errorf("a string column taken as a feature: %v", err)
	}
	_, err = Load(ctx, Spec{Path: panelParquet, Exclude: []string{"asset", "date"}})
	if err == nil || !strings.Contains(err.Error(), `row 1, column "x_nullable": "null" is not a finite number (or drop such rows: data.missing = "drop")`) {
		t.Errorf("a null: %v", err)
	}
	d, err := Load(ctx, Spec{Path: panelParquet, Date: "date", Exclude: []string{"asset"}, Missing: MissingDrop,
		Split: SplitChronological, Embargo: "1", Standardize: boolPtr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if d.DroppedRows != 6 || !slices.Equal(d.Features, []string{"x_double", "x_float", "x_int32", "x_int64", "x_nullable"}) {
		t.Errorf("dropped %d, features %v", d.DroppedRows, d.Features)
	}
	if d.NumTrain+d.NumVal >= 24 { // 24 rows kept, less one embargoed date
		t.Errorf("%d + %d rows, want fewer than 24: the embargo leaves a date out", d.NumTrain, d.NumVal)
	}
}

// TestParquetEqualsCSV writes the Parquet file's rows as a CSV and checks
// that both load to the same dataset.
func TestParquetEqualsCSV(t *testing.T) {
	var b strings.Builder
	b.WriteString("date,x_double,x_int64,target\n")
	for i := range 30 {
		b.WriteString(time.Date(2024, 1, 1+i/2, 0, 0, 0, 0, time.UTC).Format("2006-01-02") + "," +
			ftoa(float64(i)/2) + "," + ftoa(float64(1000*i)) + "," + ftoa(0.1*float64(i)+1) + "\n")
	}
	csvPath := writeFile(t, "panel.csv", b.String())
	for _, split := range []string{SplitRandom, SplitChronological} {
		spec := Spec{Date: "date", Features: []string{"x_double", "x_int64"}, Split: split, Seed: 3}
		spec.Path = panelParquet
		fromParquet, err := Load(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		spec.Path = csvPath
		fromCSV, err := Load(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		fromParquet.Spec, fromCSV.Spec = Spec{}, Spec{}
		if !slicesEqualFloats(fromParquet.TrainX, fromCSV.TrainX) || !slicesEqualFloats(fromParquet.ValY, fromCSV.ValY) ||
			fromParquet.NumTrain != fromCSV.NumTrain {
			t.Errorf("split %s: the Parquet file loads differently from the same rows as a CSV", split)
		}
	}
}

func slicesEqualFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.Abs(x-y) <= 1e-15*math.Abs(y) })
}

func TestParquetErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(bad, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Path: bad}, "not a readable Parquet file"},
		{Spec{Path: panelParquet, Target: "y"}, `line 1: no target column "y"`},
		{Spec{Path: panelParquet, Features: []string{"x_double"}, Date: "x_int32"}, `column "x_int32": a date column must hold dates`},
	} {
		if _, err := Load(context.Background(), c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.spec, err, c.want)
		}
	}
}
