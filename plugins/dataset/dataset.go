package dataset

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
)

// Dataset is loaded data, split and standardised. Its slices are shared by
// every trial that trains on it and must not be modified.
type Dataset struct {
	Spec     Spec     // the spec it was loaded from, defaults filled in
	Features []string // feature names, in column order of the matrices
	Target   string   // the target's name

	// Row-major matrices: TrainX is NumTrain × len(Features), TrainY is
	// NumTrain × 1, and likewise for the validation rows.
	TrainX, TrainY []float64
	ValX, ValY     []float64
	NumTrain       int
	NumVal         int
	// DroppedRows is how many rows of the file were left out for a
	// missing value (Spec.Missing "drop").
	DroppedRows int

	// Mean and Scale are the per-feature statistics of the training rows
	// that standardised both splits (x ← (x − Mean)/Scale); nil when
	// standardisation is off. Scale is the population standard deviation,
	// or 1 for a constant feature, which is then only centred.
	Mean, Scale []float64

	f32 float32Memo // see Float32
}

// NumFeatures returns the number of feature columns.
func (d *Dataset) NumFeatures() int { return len(d.Features) }

// Load reads the data spec describes, the CSV at spec.Path or the synthetic
// dataset, splits it into training and validation rows and standardises the
// features with the training rows' statistics. Defaults are applied first,
// so the zero Spec loads the default synthetic dataset.
//
// The split keeps floor((1 − val_split)·rows) rows for training: a seeded
// random choice (split "random") or the first rows in file order (split
// "chronological"), which keeps the validation rows after every training row
// in time. The order of the rows within each split is the file's order
// ("chronological") or the permutation's ("random"); training reshuffles
// anyway.
func Load(ctx context.Context, spec Spec) (*Dataset, error) {
	spec = spec.Defaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.File != "" {
		d, err := openArrays(spec.File)
		if err != nil {
			return nil, err
		}
		d.Spec = spec
		return d, nil
	}
	if spec.Split == SplitWalkForward && spec.Fold == 0 {
		return nil, fmt.Errorf("data.fold: a walk-forward split has %d folds: say which to load (from 1)", spec.Folds)
	}
	t, name, err := loadTable(ctx, spec)
	if err != nil {
		return nil, err
	}
	train, val, err := splitRows(t, spec, name)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Spec: spec, Features: t.features, Target: spec.Target, NumTrain: len(train), NumVal: len(val), DroppedRows: t.dropped}
	d.TrainX, d.TrainY = gather(t, train)
	d.ValX, d.ValY = gather(t, val)
	if *spec.Standardize {
		d.Mean, d.Scale = columnStats(t, train)
		Standardise(d.TrainX, d.Mean, d.Scale)
		Standardise(d.ValX, d.Mean, d.Scale)
	}
	return d, nil
}

// Check reads the data spec describes once and checks that each of its
// splits (every fold of a walk-forward split) has rows enough, so that bad
// data or settings are one error before any trial runs. It returns how
// many rows were dropped for a missing value.
func Check(ctx context.Context, spec Spec) (dropped int, err error) {
	spec = spec.Defaults()
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	t, name, err := loadTable(ctx, spec)
	if err != nil {
		return 0, err
	}
	for f := range max(spec.Folds, 1) {
		if spec.Split == SplitWalkForward {
			spec.Fold = f + 1
		}
		if _, _, err := splitRows(t, spec, name); err != nil {
			return 0, err
		}
	}
	return t.dropped, nil
}

// loadTable reads the CSV or makes the synthetic data; name is what errors
// call it.
func loadTable(ctx context.Context, spec Spec) (t *table, name string, err error) {
	if spec.Path == "" {
		t, err = synthetic(ctx, *spec.Synthetic, spec.Seed)
		return t, "synthetic dataset", err
	}
	if isParquet(spec.Path) {
		t, err = readParquet(ctx, spec)
	} else {
		t, err = readCSV(ctx, spec)
	}
	return t, spec.Path, err
}

// splitRows returns the rows of t to train and to validate on, as spec
// says, or why they are too few: two training rows for BatchNorm's batch
// statistics, one to validate.
func splitRows(t *table, spec Spec, name string) (train, val []int, err error) {
	n := t.rows()
	nTrain := int(math.Floor((1 - spec.ValSplit) * float64(n)))
	switch spec.Split {
	case SplitWalkForward:
		if train, val, err = walkForwardFold(t, spec, spec.Fold); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
	case SplitChronological:
		embargo, _ := ParseEmbargo(spec.Embargo) // Validate has checked it
		train, val = chronologicalSplit(t, nTrain, embargo)
	default:
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		rng := rand.New(rand.NewPCG(uint64(spec.Seed), streamSplit))
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		train, val = order[:nTrain], order[nTrain:]
	}
	if len(train) < 2 || len(val) < 1 {
		what := fmt.Sprintf("val_split %v", spec.ValSplit)
		switch {
		case spec.Split == SplitWalkForward:
			what = fmt.Sprintf("fold %d of %d (%d training and %d validation rows)", spec.Fold, spec.Folds, len(train), len(val))
		case spec.Embargo != "" || spec.Date != "":
			what += fmt.Sprintf(" after the split by date and the embargo %q (%d training and %d validation rows)", spec.Embargo, len(train), len(val))
		}
		return nil, nil, fmt.Errorf("%s: %d data rows are too few for %s: need at least 2 training rows and 1 validation row", name, n, what)
	}
	return train, val, nil
}

// readCSV opens and parses the CSV spec names.
func readCSV(ctx context.Context, spec Spec) (*table, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("data.path: %w", err)
	}
	defer f.Close()
	return parseCSV(ctx, spec.Path, f, spec)
}

// gather copies the rows of t listed in idx into new matrices.
func gather(t *table, idx []int) (x, y []float64) {
	nf := len(t.features)
	x = make([]float64, len(idx)*nf)
	y = make([]float64, len(idx))
	for r, i := range idx {
		copy(x[r*nf:(r+1)*nf], t.x[i*nf:(i+1)*nf])
		y[r] = t.y[i]
	}
	return x, y
}

// columnStats returns the mean and population standard deviation of each
// feature of t over its rows listed in rows (summed in that order), with 1
// in place of a zero deviation.
func columnStats(t *table, rows []int) (mean, scale []float64) {
	nf := len(t.features)
	mean = make([]float64, nf)
	scale = make([]float64, nf)
	for _, r := range rows {
		for j, v := range t.x[r*nf : (r+1)*nf] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(rows))
	}
	for _, r := range rows {
		for j, v := range t.x[r*nf : (r+1)*nf] {
			d := v - mean[j]
			scale[j] += d * d
		}
	}
	for j, ss := range scale {
		scale[j] = math.Sqrt(ss / float64(len(rows)))
		if scale[j] == 0 {
			scale[j] = 1
		}
	}
	return mean, scale
}

// Standardise sets x ← (x − mean)/scale, column by column, as Load does to
// both splits: a model applies it to new rows with the training statistics.
func Standardise(x, mean, scale []float64) {
	nf := len(mean)
	for r := 0; r+nf <= len(x); r += nf {
		row := x[r : r+nf]
		for j, v := range row {
			row[j] = (v - mean[j]) / scale[j]
		}
	}
}
