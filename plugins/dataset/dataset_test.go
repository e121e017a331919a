package dataset

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func boolPtr(b bool) *bool { return &b }

func TestSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{ValSplit: 1}, "data.val_split"},
		{Spec{ValSplit: -0.1}, "data.val_split"},
		{Spec{ValSplit: math.NaN()}, "data.val_split"},
		{Spec{Split: "shuffled"}, "data.split"},
		{Spec{Synthetic: &SyntheticSpec{Rows: 2}}, "data.synthetic.rows"},
		{Spec{Synthetic: &SyntheticSpec{Features: -1}}, "data.synthetic.features"},
		{Spec{Synthetic: &SyntheticSpec{Noise: -1}}, "data.synthetic.noise"},
		{Spec{Synthetic: &SyntheticSpec{Rows: 1 << 40, Features: 1 << 24}}, "data.synthetic.rows"}, // the product overflows
		{Spec{Synthetic: &SyntheticSpec{Rows: 1 << 30}}, "data.synthetic.rows"},
		{Spec{Features: []string{"a"}}, "data.features"},
		{Spec{Path: "x.csv", Synthetic: &SyntheticSpec{}}, "data.synthetic"},
		{Spec{Path: "x.csv", Features: []string{"target"}}, "data.features"},
		{Spec{Path: "x.csv", Features: []string{"a", "a"}}, "data.features"},
		{Spec{Path: "x.csv", Features: []string{"a"}, Exclude: []string{"b"}}, "data.exclude"},
		{Spec{Path: "x.csv", Missing: "impute"}, "data.missing"},
		{Spec{Exclude: []string{"a"}}, "data.features"}, // the synthetic data has no columns to exclude
	} {
		err := tc.spec.Defaults().Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want+":") {
			t.Errorf("%+v: error %v, want one naming %s", tc.spec, err, tc.want)
		}
	}
	if err := (Spec{}).Defaults().Validate(); err != nil {
		t.Errorf("zero spec: %v", err)
	}
}

func TestCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		spec      Spec
		want      string // substring after the file name
	}{
		{"non-numeric", "a,b,target\n1,2,3\n4,x,6\n", Spec{}, `line 3, column "b": "x" is not a number`},
		{"after a quoted line break", "a,b,target\n1,2,3\n\"4\n\",x,6\n", Spec{}, `line 4, column "b": "x" is not a number`},
		{"nan", "a,target\n1,2\nNaN,3\n", Spec{}, `line 3, column "a": "NaN" is not a finite number`},
		{"inf", "a,target\n1,2\n3,-Inf\n", Spec{}, `line 3, column "target": "-Inf" is not a finite number`},
		{"empty cell", "a,target\n1,\n", Spec{}, `line 2, column "target": empty cell`},
		{"missing target", "a,b\n1,2\n", Spec{}, `line 1: no target column "target"`},
		{"missing feature", "a,target\n1,2\n", Spec{Features: []string{"z"}}, `line 1: no feature column "z"`},
		{"duplicate header", "a,a,target\n1,2,3\n", Spec{}, `line 1: column "a" appears twice`},
		{"only target", "target\n1\n", Spec{}, "no feature columns"},
		{"ragged", "a,target\n1,2\n3\n", Spec{}, "line 3, column 1: wrong number of fields"},
		{"empty", "", Spec{}, "empty file"},
		{"too few rows", "a,target\n1,2\n3,4\n", Spec{}, "2 data rows are too few for val_split 0.2"},
		{"out of range", "a,target\n1e999,2\n", Spec{}, `"1e999" is out of float64's range`},
		{"a date, not excluded", "date,a,target\n2024-01-02,1,2\n", Spec{}, `line 2, column "date": "2024-01-02" is not a number (not a feature? leave it out: data.exclude = ["date"])`},
		{"a listed feature gets no hint", "date,a,target\n2024-01-02,1,2\n", Spec{Features: []string{"date"}}, `line 2, column "date": "2024-01-02" is not a number` + "\x00"},
		{"exclude an absent column", "a,target\n1,2\n", Spec{Exclude: []string{"z"}}, `line 1: no column "z" to exclude`},
		{"everything excluded", "a,target\n1,2\n", Spec{Exclude: []string{"a"}}, "no feature columns"},
		{"empty cell says how to drop", "a,target\n1,\n", Spec{}, `line 2, column "target": empty cell, want a number (or drop such rows: data.missing = "drop")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "data.csv", tc.csv)
			tc.spec.Path = path
			_, err := Load(context.Background(), tc.spec)
			// A want ending in NUL must end the message.
			msg := fmt.Sprint(err) + "\x00"
			if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %v, want %q after the file name", err, tc.want)
			}
		})
	}
	_, err := Load(context.Background(), Spec{Path: filepath.Join(t.TempDir(), "absent.csv")})
	if err == nil || !strings.HasPrefix(err.Error(), "data.path:") {
		t.Errorf("absent file: %v", err)
	}
}

// numbered returns a CSV of n rows: a = row index, b = 2·index, target =
// index + 0.5, so that every value says which row it came from.
func numbered(n int) string {
	var b strings.Builder
	b.WriteString("a, b ,target\n")
	for i := range n {
		b.WriteString(strings.Join([]string{ftoa(float64(i)), ftoa(2 * float64(i)), ftoa(float64(i) + 0.5)}, ",") + "\n")
	}
	return b.String()
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestCSVExcludeAndDrop checks that excluded columns are no features and
// that missing = "drop" leaves out exactly the rows with an empty or NaN
// cell in a column used (and counts them), keeping the others in order.
func TestCSVExcludeAndDrop(t *testing.T) {
	csv := "date,a,note,target\n" +
		"d1,1,,10\n" + // an empty cell in an excluded column: kept
		"d2,,x,20\n" + // an empty feature: dropped
		"d3,3,x,NaN\n" + // a NaN target: dropped
		"d4,4,x,40\n" +
		"d5, nan ,x,50\n" + // NaN, any case, with spaces: dropped
		"d6,6,x,60\n" +
		"d7,7,x,70\n"
	path := writeFile(t, "data.csv", csv)
	d, err := Load(context.Background(), Spec{Path: path, Exclude: []string{"date", "note"}, Missing: MissingDrop,
		Split: SplitChronological, ValSplit: 0.25, Standardize: boolPtr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Features, []string{"a"}) || d.DroppedRows != 3 {
		t.Errorf("features %v, dropped %d; want [a] and 3", d.Features, d.DroppedRows)
	}
	if got := append(slices.Clone(d.TrainX), d.ValX...); !slices.Equal(got, []float64{1, 4, 6, 7}) {
		t.Errorf("rows kept: a = %v, want 1, 4, 6, 7", got)
	}
	if got := append(slices.Clone(d.TrainY), d.ValY...); !slices.Equal(got, []float64{10, 40, 60, 70}) {
		t.Errorf("rows kept: target = %v, want 10, 40, 60, 70", got)
	}
	// Infinity is no missing value: still an error.
	path = writeFile(t, "inf.csv", "a,target\n1,2\n3,Inf\n4,5\n6,7\n")
	if _, err := Load(context.Background(), Spec{Path: path, Missing: MissingDrop}); err == nil || !strings.Contains(err.Error(), `"Inf" is not a finite number`) {
		t.Errorf("Inf with missing = drop: %v", err)
	}
}

// TestCSVBlocks checks the parallel parse against the one-block parse on a
// file large enough for many blocks, with quoted and unquoted blocks mixed,
// and that the first bad cell in the file is the one reported.
func TestCSVBlocks(t *testing.T) {
	data := string(benchCSV(3000, 5))
	lines := strings.SplitAfter(data, "\n")
	first, rest, _ := strings.Cut(lines[1000], ",")
	lines[1000] = `"` + first + `",` + rest // one quoted cell
	quoted := strings.Join(lines, "")
	parse := func(s string, size int) (*table, error) {
		defer func(old int) { blockSize = old }(blockSize)
		blockSize = size
		return parseCSV(context.Background(), "b.csv", strings.NewReader(s), Spec{}.Defaults())
	}
	whole, err := parse(quoted, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parse(quoted, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(whole, blocks) || whole.rows() != 3000 {
		t.Errorf("4 KiB blocks differ from one block (%d rows, want 3000)", whole.rows())
	}
	lines[2500] = "x" + lines[2500]
	lines[2900] = "y" + lines[2900]
	if _, err := parse(strings.Join(lines, ""), 4096); err == nil || !strings.Contains(err.Error(), "line 2501, ") {
		t.Errorf("two bad lines: %v, want the first (line 2501)", err)
	}
}

// TestCSVStopsAtFirstError: a bad cell near the start of a large file ends
// the reading there, not after the whole file has been read and parsed.
func TestCSVStopsAtFirstError(t *testing.T) {
	defer func(old int) { blockSize = old }(blockSize)
	blockSize = 4096
	lines := strings.SplitAfter(string(benchCSV(200000, 5)), "\n")
	lines[3] = "x" + lines[3]
	data := strings.Join(lines, "")
	r := &countingReader{r: strings.NewReader(data)}
	_, err := parseCSV(context.Background(), "big.csv", r, Spec{}.Defaults())
	if err == nil || !strings.Contains(err.Error(), "line 4, ") {
		t.Fatalf("got %v, want the bad cell on line 4", err)
	}
	// Before the error reaches the collector, the splitter reads ahead by
	// at most the blocks in flight (one per core and a few more, 4 KiB
	// each) and its reader's 64 KiB buffer.
	if limit := int64(4096*(runtime.GOMAXPROCS(0)+4) + 64<<10); r.n > limit {
		t.Errorf("read %d of %d bytes after a bad cell on line 4, want at most %d", r.n, len(data), limit)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestCSVByteOrderMark(t *testing.T) {
	// The mark alone, and followed by the spaces a header may have.
	for _, first := range []string{"\ufefftarget", "\ufeff target "} {
		path := writeFile(t, "bom.csv", first+",a\r\n1,2\r\n3,4\r\n5,6\r\n")
		d, err := Load(context.Background(), Spec{Path: path, Standardize: boolPtr(false), Split: SplitChronological, ValSplit: 0.3})
		if err != nil {
			t.Fatalf("%q: %v", first, err)
		}
		if !slices.Equal(d.Features, []string{"a"}) || !slices.Equal(d.TrainY, []float64{1, 3}) {
			t.Errorf("%q: features %v, training targets %v", first, d.Features, d.TrainY)
		}
	}
}

func TestSplits(t *testing.T) {
	path := writeFile(t, "n.csv", numbered(10))
	ctx := context.Background()

	chrono, err := Load(ctx, Spec{Path: path, Split: SplitChronological, Standardize: boolPtr(false), ValSplit: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if chrono.NumTrain != 7 || chrono.NumVal != 3 {
		t.Fatalf("chronological: %d/%d rows, want 7/3", chrono.NumTrain, chrono.NumVal)
	}
	if want := []float64{7.5, 8.5, 9.5}; !slices.Equal(chrono.ValY, want) {
		t.Errorf("chronological validation targets %v, want the last rows %v", chrono.ValY, want)
	}
	if !slices.Equal(chrono.Features, []string{"a", "b"}) || chrono.ValX[0] != 7 || chrono.ValX[1] != 14 {
		t.Errorf("features %v, first validation row %v", chrono.Features, chrono.ValX[:2])
	}

	random, err := Load(ctx, Spec{Path: path, Standardize: boolPtr(false), ValSplit: 0.3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(random.TrainY, random.ValY)
	slices.Sort(all)
	if !slices.Equal(all, []float64{0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5}) {
		t.Errorf("random split lost or repeated rows: %v", all)
	}
	for r, y := range random.TrainY {
		if random.TrainX[2*r] != y-0.5 {
			t.Errorf("random split separated a row's features from its target")
		}
	}
	again, _ := Load(ctx, Spec{Path: path, Standardize: boolPtr(false), ValSplit: 0.3, Seed: 3})
	if !slices.Equal(again.ValY, random.ValY) {
		t.Errorf("same seed, different split: %v and %v", random.ValY, again.ValY)
	}
	other, _ := Load(ctx, Spec{Path: path, Standardize: boolPtr(false), ValSplit: 0.3, Seed: 4})
	if slices.Equal(other.ValY, random.ValY) {
		t.Errorf("seeds 3 and 4 chose the same validation rows %v", random.ValY)
	}
}

func TestStandardiseWithTrainingStatistics(t *testing.T) {
	path := writeFile(t, "n.csv", numbered(10))
	d, err := Load(context.Background(), Spec{Path: path, Split: SplitChronological, ValSplit: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// Training rows a = 0..4: mean 2, population deviation sqrt(2).
	const tol = 1e-15
	if math.Abs(d.Mean[0]-2) > tol || math.Abs(d.Scale[0]-math.Sqrt2) > tol {
		t.Fatalf("column a: mean %v scale %v, want 2 and sqrt(2)", d.Mean[0], d.Scale[0])
	}
	for r := range d.NumTrain {
		if want := (float64(r) - 2) / math.Sqrt2; math.Abs(d.TrainX[2*r]-want) > tol {
			t.Errorf("train row %d: %v, want %v", r, d.TrainX[2*r], want)
		}
	}
	// Validation row a = 5 uses the training statistics.
	if want := 3 / math.Sqrt2; math.Abs(d.ValX[0]-want) > tol {
		t.Errorf("validation row 0: %v, want %v", d.ValX[0], want)
	}
	if d.TrainY[0] != 0.5 {
		t.Errorf("target was standardised: %v", d.TrainY[0])
	}
}

// TestSynthetic checks determinism and the documented best MSE: the exact
// signal's validation MSE is the noise variance (within sampling error) and
// a least-squares linear model is far worse.
func TestSynthetic(t *testing.T) {
	ctx := context.Background()
	spec := Spec{Seed: 7, Synthetic: &SyntheticSpec{Rows: 20000, Features: 10, Noise: 0.5}}
	a, err := Load(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Load(ctx, spec)
	if !slices.Equal(a.TrainX, b.TrainX) || !slices.Equal(a.ValY, b.ValY) {
		t.Fatal("the same seed gave different data")
	}
	c, _ := Load(ctx, Spec{Seed: 8, Synthetic: spec.Synthetic})
	if slices.Equal(a.ValY, c.ValY) {
		t.Fatal("seeds 7 and 8 gave the same data")
	}

	raw, err := synthetic(ctx, *spec.Synthetic, spec.Seed)
	if err != nil {
		t.Fatal(err)
	}
	nf := len(raw.features)
	var oracle float64
	for r := range raw.rows() {
		d := raw.y[r] - signal(raw.x[r*nf:(r+1)*nf])
		oracle += d * d
	}
	oracle /= float64(raw.rows())
	// The sample mean of 20000 squared N(0, 0.25) draws has standard
	// deviation 0.25·sqrt(2/20000) = 0.0025; allow four of them.
	if math.Abs(oracle-0.25) > 0.01 {
		t.Errorf("oracle MSE %v, want the noise variance 0.25 ± 0.01", oracle)
	}

	linear := linearValMSE(a)
	t.Logf("validation MSE: linear %.4f, best achievable 0.25", linear)
	if linear < 0.25+0.3 {
		t.Errorf("a linear model reaches validation MSE %v: the target is not nonlinear enough", linear)
	}
}

// linearValMSE fits least squares with an intercept on the training rows
// and returns its validation MSE.
func linearValMSE(d *Dataset) float64 {
	nf := d.NumFeatures()
	design := func(x []float64, rows int) *mat.Dense {
		m := mat.NewDense(rows, nf+1, nil)
		for r := range rows {
			m.Set(r, 0, 1)
			for j := range nf {
				m.Set(r, j+1, x[r*nf+j])
			}
		}
		return m
	}
	var beta mat.Dense
	if err := beta.Solve(design(d.TrainX, d.NumTrain), mat.NewDense(d.NumTrain, 1, slices.Clone(d.TrainY))); err != nil {
		panic(err)
	}
	var pred mat.Dense
	pred.Mul(design(d.ValX, d.NumVal), &beta)
	var mse float64
	for r := range d.NumVal {
		e := pred.At(r, 0) - d.ValY[r]
		mse += e * e
	}
	return mse / float64(d.NumVal)
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	var c Cache
	spec := Spec{Synthetic: &SyntheticSpec{Rows: 500, Features: 4}}
	var wg sync.WaitGroup
	got := make([]*Dataset, 8)
	for i := range got {
		wg.Go(func() {
			d, err := c.Get(ctx, spec)
			if err != nil {
				t.Error(err)
			}
			got[i] = d
		})
	}
	wg.Wait()
	for _, d := range got[1:] {
		if d != got[0] {
			t.Fatal("concurrent Gets of one spec returned different copies")
		}
	}
	if d, _ := c.Get(ctx, Spec{Seed: 1, Synthetic: spec.Synthetic}); d == got[0] {
		t.Error("another seed returned the cached copy")
	}

	path := writeFile(t, "n.csv", numbered(10))
	first, err := c.Get(ctx, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Get(ctx, Spec{Path: path}); again != first {
		t.Error("an unchanged file was loaded twice")
	}
	// Another split of the unchanged file is a second entry, not a
	// replacement of the first.
	if _, err := c.Get(ctx, Spec{Path: path, Split: SplitChronological}); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Get(ctx, Spec{Path: path}); again != first {
		t.Error("loading another split of an unchanged file evicted the first")
	}
	if err := os.WriteFile(path, []byte(numbered(20)), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	changed, err := c.Get(ctx, Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if changed == first || changed.NumTrain+changed.NumVal != 20 {
		t.Errorf("a changed file was not reloaded: %d rows", changed.NumTrain+changed.NumVal)
	}

	if err := os.WriteFile(path, []byte("a,target\n1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, Spec{Path: path}); err == nil {
		t.Error("a broken file loaded")
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, Spec{}); err != context.Canceled {
		t.Errorf("cancelled load: %v, want context.Canceled", err)
	}
}

// FuzzParseCSV checks that no input panics the parser, that accepted input
// has whole, finite rows, and that the result (or the error) is the same
// whatever the block boundaries and whichever of the two record parsers
// (the quote-free scanner, encoding/csv) reads a block.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{numbered(3), "a,target\n1,2\n", "target,a\n\"1\",2e3\n", "a,target\n1,NaN\n", "", "\"", "a,target\n1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec := Spec{}.Defaults()
		tab, err := parseCSV(context.Background(), "fuzz.csv", strings.NewReader(s), spec)
		defer func(size int) { blockSize = size }(blockSize)
		blockSize = 5
		small, smallErr := parseCSV(context.Background(), "fuzz.csv", strings.NewReader(s), spec)
		if fmt.Sprint(err) != fmt.Sprint(smallErr) || err == nil && !reflect.DeepEqual(tab, small) {
			t.Fatalf("5-byte blocks: %v, %v; whole: %v, %v", small, smallErr, tab, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(tab.x) != tab.rows()*len(tab.features) {
			t.Fatalf("%d values for %d rows of %d features", len(tab.x), tab.rows(), len(tab.features))
		}
		for _, v := range slices.Concat(tab.x, tab.y) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("accepted %v", v)
			}
		}
	})
}

// TestCacheKeyCoversEverySetting sets each field of Spec (and of
// SyntheticSpec) in turn and checks that the cache key changes: a setting
// the key left out would hand one split's (or fold's) data to another's
// trials, as the walk-forward folds once were.
func TestCacheKeyCoversEverySetting(t *testing.T) {
	path := writeFile(t, "k.csv", numbered(10))
	keyOf := func(s Spec) string {
		k, _, err := cacheKey(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, synthetic := range []bool{false, true} {
		base := Spec{Path: path}.Defaults()
		if synthetic {
			base = Spec{}.Defaults()
		}
		baseKey := keyOf(base)
		v := reflect.ValueOf(&base).Elem()
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Name == "Path" || f.Name == "Synthetic" {
				continue // what kind of data it is: both kinds are tried
			}
			if f.Name == "ContentSHA256" {
				continue // a hash of Path's content, which the key stamps itself
			}
			changed := base
			setNonZero(reflect.ValueOf(&changed).Elem().Field(i))
			if keyOf(changed) == baseKey {
				t.Errorf("synthetic %t: a different %s leaves the cache key unchanged", synthetic, f.Name)
			}
		}
		if synthetic {
			s := reflect.ValueOf(base.Synthetic).Elem()
			for i := range s.NumField() {
				changed := base
				c := *base.Synthetic
				setNonZero(reflect.ValueOf(&c).Elem().Field(i))
				changed.Synthetic = &c
				if keyOf(changed) == baseKey {
					t.Errorf("a different synthetic %s leaves the cache key unchanged", s.Type().Field(i).Name)
				}
			}
		}
	}
}

// setNonZero changes v to another value of its type.
func setNonZero(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 7)
	case reflect.Float64:
		v.SetFloat(v.Float() + 0.125)
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.ValueOf("x")))
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Bool {
			b := v.IsNil() || !v.Elem().Bool()
			v.Set(reflect.ValueOf(&b))
		}
	}
}

// FuzzPlainDecimal checks the fast path against strconv.ParseFloat: where it
// takes a number it gives the same float64, bit for bit.
func FuzzPlainDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0.0", "1.5", "-1.234567", "123456789012345678", "0.000000000000000000001", ".5", "1.",
		"9007199254740993", "0.1", "-.", "1e5", "+3.25"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		v, ok := plainDecimal(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("%q: fast path %v (%x), strconv %v (%x), %v", s, v, math.Float64bits(v), want, math.Float64bits(want), err)
		}
	})
}

// TestPlainDecimalAgrees compares the fast path with strconv on a million
// numbers formatted as exported data has them.
func TestPlainDecimalAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	taken := 0
	for i := range 1_000_000 {
		x := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-6))
		s := strconv.FormatFloat(x, 'f', i%12, 64)
		want, _ := strconv.ParseFloat(s, 64)
		if v, ok := plainDecimal(s); ok {
			taken++
			if math.Float64bits(v) != math.Float64bits(want) {
				t.Fatalf("%q: fast path %v, strconv %v", s, v, want)
			}
		}
	}
	if taken < 900_000 {
		t.Errorf("the fast path took %d of a million plain decimals", taken)
	}
}
