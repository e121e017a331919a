package dataset

import (
	"fmt"
	"math"
	"slices"
)

// The documented defaults of Spec and SyntheticSpec.
const (
	DefaultTarget            = "target"
	DefaultValSplit          = 0.2
	DefaultSplit             = SplitRandom
	DefaultSyntheticRows     = 20000
	DefaultSyntheticFeatures = 50
	DefaultSyntheticNoise    = 0.5
)

// The split methods.
const (
	// SplitRandom holds out a seeded random ValSplit of the rows, as the
	// textbook's create_dataloaders does: right for exchangeable rows.
	SplitRandom = "random"
	// SplitChronological holds out the last ValSplit of the rows in file
	// order: right for time series, where a random split leaks the future
	// into training.
	SplitChronological = "chronological"
	// SplitWalkForward trains once per fold, each validating on a later
	// period than the last, as scikit-learn's TimeSeriesSplit: a score
	// from several periods rather than one.
	SplitWalkForward = "walk_forward"
)

// What a row with a missing value (an empty or NaN cell) does.
const (
	MissingError = "error" // the default: the data is refused, naming the row and column
	MissingDrop  = "drop"  // the row is left out, and counted
)

// Defaults returns s with every unset field at its documented default:
// target "target", val_split 0.2, split "random", standardize true, and, for
// the synthetic dataset, 20000 rows of 50 features with noise 0.5. Features
// stays empty for a CSV (meaning every column but the target) and
// Synthetic stays nil when Path is set.
func (s Spec) Defaults() Spec {
	if s.Target == "" {
		s.Target = DefaultTarget
	}
	if s.ValSplit == 0 {
		s.ValSplit = DefaultValSplit
	}
	if s.Missing == "" {
		s.Missing = MissingError
	}
	if s.Split == SplitWalkForward && s.Window == "" {
		s.Window = WindowExpanding
	}
	if s.Split == "" {
		s.Split = DefaultSplit
	}
	if s.Standardize == nil {
		t := true
		s.Standardize = &t
	}
	if s.Path == "" {
		syn := SyntheticSpec{}
		if s.Synthetic != nil {
			syn = *s.Synthetic
		}
		if syn.Rows == 0 {
			syn.Rows = DefaultSyntheticRows
		}
		if syn.Features == 0 {
			syn.Features = DefaultSyntheticFeatures
		}
		if syn.Noise == 0 {
			syn.Noise = DefaultSyntheticNoise
		}
		s.Synthetic = &syn
	}
	return s
}

// Validate reports the first invalid field of s (after Defaults), naming its
// key in the [data] table.
func (s Spec) Validate() error {
	if !(s.ValSplit > 0 && s.ValSplit < 1) {
		return fmt.Errorf("data.val_split: must be in (0, 1), got %v", s.ValSplit)
	}
	if s.Split != SplitRandom && s.Split != SplitChronological && s.Split != SplitWalkForward {
		return fmt.Errorf("data.split: %q is not one of %q, %q, %q", s.Split, SplitRandom, SplitChronological, SplitWalkForward)
	}
	if err := s.validateFolds(); err != nil {
		return err
	}
	if s.Missing != MissingError && s.Missing != MissingDrop {
		return fmt.Errorf("data.missing: %q is not one of %q, %q", s.Missing, MissingError, MissingDrop)
	}
	embargo, err := ParseEmbargo(s.Embargo)
	switch {
	case err != nil:
		return fmt.Errorf("data.embargo: %v", err)
	case s.Embargo != "" && s.Split == SplitRandom:
		return fmt.Errorf("data.embargo: applies to a time split (%q, %q); a random split has no gap to leave", SplitChronological, SplitWalkForward)
	case embargo.Span > 0 && s.Date == "" && !s.dated():
		return fmt.Errorf("data.embargo: a span (%s) needs a date column (data.date); without one, give a number of rows", s.Embargo)
	case s.Date != "" && s.Path == "":
		return fmt.Errorf("data.date: applies to a CSV file; the synthetic dataset has no dates")
	case s.Date != "" && s.Date == s.Target:
		return fmt.Errorf("data.date: %q is the target column", s.Date)
	case slices.Contains(s.Features, s.Date) && s.Date != "":
		return fmt.Errorf("data.features: %q is the date column, which is never a feature", s.Date)
	}
	if len(s.Exclude) > 0 && len(s.Features) > 0 {
		return fmt.Errorf("data.exclude: applies when data.features is not given (every column but the target and these)")
	}
	if s.Path == "" {
		if s.Synthetic == nil {
			return fmt.Errorf("data.synthetic: missing (call Defaults first)")
		}
		if len(s.Features) > 0 || len(s.Exclude) > 0 {
			return fmt.Errorf("data.features: applies to a CSV file; the synthetic dataset has no named columns")
		}
		return s.Synthetic.validate()
	}
	if s.Synthetic != nil {
		return fmt.Errorf("data.synthetic: set together with data.path; choose one")
	}
	seen := map[string]bool{s.Target: true}
	for _, f := range s.Features {
		if f == s.Target {
			return fmt.Errorf("data.features: %q is the target column", f)
		}
		if seen[f] {
			return fmt.Errorf("data.features: %q is listed twice", f)
		}
		seen[f] = true
	}
	return nil
}

// dated reports whether the data has dates without a date column: the
// synthetic panel.
func (s Spec) dated() bool { return s.Path == "" && s.Synthetic != nil && s.Synthetic.Assets > 0 }

// validateFolds checks the walk-forward settings, and that a split that is
// not walk-forward has none.
func (s Spec) validateFolds() error {
	if s.Split != SplitWalkForward {
		for _, set := range []struct {
			key string
			set bool
		}{{"folds", s.Folds != 0}, {"window", s.Window != ""}, {"train_size", s.TrainSize != 0}, {"fold", s.Fold != 0}} {
			if set.set {
				return fmt.Errorf("data.%s: applies to split = %q", set.key, SplitWalkForward)
			}
		}
		return nil
	}
	switch {
	case s.Folds < 2:
		return fmt.Errorf("data.folds: want at least 2 walk-forward folds, got %d", s.Folds)
	case s.Window != WindowExpanding && s.Window != WindowRolling:
		return fmt.Errorf("data.window: %q is not one of %q, %q", s.Window, WindowExpanding, WindowRolling)
	case s.TrainSize < 0 || s.TrainSize > 0 && s.Window != WindowRolling:
		return fmt.Errorf("data.train_size: applies to window = %q, as a positive number of dates (or rows)", WindowRolling)
	case s.Fold < 0 || s.Fold > s.Folds:
		return fmt.Errorf("data.fold: %d is not a fold of %d", s.Fold, s.Folds)
	}
	return nil
}

// maxSyntheticValues bounds rows × features of the synthetic dataset, 8 GiB
// of float64 (held twice while it is split), so that a typo in rows is an
// error naming it rather than an out-of-memory crash, or an overflowing
// product that indexes past its slice.
const maxSyntheticValues = 1 << 30

func (s SyntheticSpec) validate() error {
	switch {
	case s.Rows < 3:
		return fmt.Errorf("data.synthetic.rows: must be at least 3, got %d", s.Rows)
	case s.Features < 1:
		return fmt.Errorf("data.synthetic.features: must be at least 1, got %d", s.Features)
	case s.Rows > maxSyntheticValues/(s.Features+1):
		return fmt.Errorf("data.synthetic.rows: %d rows of %d features are more than %d values", s.Rows, s.Features, maxSyntheticValues)
	case s.Assets < 0 || s.Assets > s.Rows:
		return fmt.Errorf("data.synthetic.assets: rows a day of the panel, from 1 to rows (%d), got %d", s.Rows, s.Assets)
	case !(s.Noise > 0) || math.IsInf(s.Noise, 0):
		return fmt.Errorf("data.synthetic.noise: must be positive and finite, got %v", s.Noise)
	}
	return nil
}
