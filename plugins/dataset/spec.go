// Package dataset loads the tabular data a trial trains on: a CSV file or a
// deterministic built-in synthetic dataset, split into training and
// validation rows and standardised with statistics of the training rows only.
//
// A loaded Dataset is read-only and shared by concurrent trials.
package dataset

// Spec is the [data] table of a grid: which data a trial trains on and how it
// is split. The zero value selects the default synthetic dataset.
type Spec struct {
	// Path is a CSV file with a header row. Empty selects Synthetic.
	// The orchestrator makes it absolute before a trial sees it.
	Path string `toml:"path" json:"path,omitempty"`
	// Target is the CSV column to predict (default "target").
	Target string `toml:"target" json:"target,omitempty"`
	// Features are the CSV input columns (default: every column but Target).
	Features []string `toml:"features" json:"features,omitempty"`
	// Exclude names columns to leave out when Features is empty (a date or
	// an identifier column), so that they need not all be listed.
	Exclude []string `toml:"exclude" json:"exclude,omitempty"`
	// Missing says what a row with an empty or NaN cell in a column it
	// uses does: MissingError (the default) or MissingDrop.
	Missing string `toml:"missing" json:"missing,omitempty"`
	// Date names a column of dates or timestamps (see DateForms). It is
	// never a feature; with it, a chronological split orders the rows by
	// date and never puts rows of one date on both sides.
	Date string `toml:"date" json:"date,omitempty"`
	// Embargo leaves out the rows between the training and validation
	// periods of a chronological split (see ParseEmbargo): "5" rows (or
	// dates, with Date), or a span such as "5d".
	Embargo string `toml:"embargo" json:"embargo,omitempty"`
	// Folds is the number of walk-forward folds (split "walk_forward"),
	// at least 2; Window is WindowExpanding (the default) or WindowRolling,
	// whose training window is the last TrainSize steps (dates, or rows
	// without a date column; 0: all).
	Folds     int    `toml:"folds" json:"folds,omitempty"`
	Window    string `toml:"window" json:"window,omitempty"`
	TrainSize int    `toml:"train_size" json:"train_size,omitempty"`
	// Fold selects the fold (from 1) that Load returns of a walk-forward
	// split. The orchestrator sets it for each of a trial's trainings; a
	// grid does not.
	Fold int `toml:"-" json:"fold,omitempty"`
	// File is a prepared-arrays file of this data (see PrepareArrays),
	// which Load maps instead of reading and splitting the data again. The
	// orchestrator sets it; a grid does not.
	File string `toml:"-" json:"file,omitempty"`
	// ContentSHA256 is the hex SHA-256 of Path's content when the caller
	// has it already (the trials' identity needs it), so that
	// PrepareArrays need not read the file to name what it prepares. The
	// orchestrator sets it; a grid does not.
	ContentSHA256 string `toml:"-" json:"-"`
	// ValSplit is the fraction of rows held out for validation (default 0.2).
	ValSplit float64 `toml:"val_split" json:"val_split,omitempty"`
	// Split is "random" (default: a seeded permutation, as the textbook's
	// create_dataloaders), "chronological" (the last ValSplit of the rows)
	// or "walk_forward" (Folds folds, each validating on a later period).
	Split string `toml:"split" json:"split,omitempty"`
	// Standardize scales each feature to zero mean and unit variance with the
	// training rows' statistics (default true).
	Standardize *bool `toml:"standardize" json:"standardize,omitempty"`
	// Seed drives the random split and the synthetic data (default 0). It is
	// the data's seed, not the trial's: every trial of a sweep validates on
	// the same rows.
	Seed int64 `toml:"seed" json:"seed,omitempty"`
	// Synthetic describes the built-in dataset; used when Path is empty.
	Synthetic *SyntheticSpec `toml:"synthetic" json:"synthetic,omitempty"`
}

// SyntheticSpec describes the built-in synthetic dataset.
type SyntheticSpec struct {
	Rows     int     `toml:"rows" json:"rows,omitempty"`         // default 20000
	Features int     `toml:"features" json:"features,omitempty"` // default 50
	Noise    float64 `toml:"noise" json:"noise,omitempty"`       // noise standard deviation, default 0.5
	// Assets > 0 makes a panel: Assets rows a day, each day dated, with a
	// slow regime feature and day component of the target (see the
	// synthetic generator), so that time splits and leakage can be tried.
	Assets int `toml:"assets" json:"assets,omitempty"`
}
