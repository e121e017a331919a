// Package spec is the grid file and the trials it describes: the sweep spec
// (strict TOML) parsed and checked against the model's description, its
// expansion into trials with stable identities and readable names, and an
// adaptive search's space, which turns a sampler's proposals into trials.
// It runs nothing: package orchestrator schedules and runs the trials.
package spec

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/results"
)

// Spec is a loaded grid file. Hyperparameter values are kept as TOML decoded
// them (int64, float64, string, bool, []any) until Check or Expand converts
// them to the types the model declares.
//
// The grid file, top level (every key optional):
//
//	name               = "hyperparam_search" # runs go to <log_dir>/<name>/; default: the file's base name
//	log_dir            = "runs"              # relative to the grid file, as data.path and plugin are
//	model              = "ffn"               # a built-in model (default "ffn") ...
//	plugin             = "../bin/ridge"      # ... or a plugin executable, relative to the grid file
//	plugin_args        = ["--verbose"]       # arguments for the plugin executable; files they name (relative
//	                                         # to the grid file) are part of the model's identity (ModelHash)
//	interpreter        = "/usr/bin/python3"  # run plugin as a script: <interpreter> <plugin> <plugin_args...>;
//	                                         # a bare name is looked up on PATH, a path is relative to the grid file
//	trial_name         = "ffn_dropout{dropout}_lr{lr}" # default: the model's name and every swept axis
//	workers            = 0                   # trials at once; 0 = one per CPU core
//	seed               = 42                  # the sweep's seed (default 0): trial seeds and random axes
//	repeats            = 1                   # seeds per configuration
//	retries            = 0                   # extra attempts for a failed trial
//	timeout            = "10m"               # per trial; default none
//	log_every          = 10                  # weight/gradient histograms every N epochs; 0 = none
//	experiment_summary = false               # write TensorBoard's HParams experiment summary
//	checkpoint         = "best"              # trained weights kept in each run directory: "best" (default),
//	                                         # "best+last" or "none" (see Checkpoint*)
//	checkpoint_every   = 25                  # save the training state every N epochs, so that an interrupted
//	                                         # trial resumes there; 0 = never (needs checkpoint other than "none")
//
// Tables:
//
//	[data]              the dataset (dataset.Spec): path (relative to the grid file), target, features,
//	                    val_split, split, standardize, seed, or [data.synthetic] rows, features, noise.
//	[params]            fixed hyperparameters: hidden_dims = [64, 32], epochs = 100
//	[grid]              cartesian axes: dropout = [0.2, 0.3]; list-valued hyperparameters as lists
//	                    of lists: hidden_dims = [[64, 32], [128, 64]]
//	[zip.<group>]       tied axes: every axis of the group has the same length and the group's
//	                    i-th trial takes the i-th value of each; the group's name is for messages:
//	                        [zip.schedule]
//	                        lr         = [0.01, 0.001]
//	                        batch_size = [32,   256]
//	[search]            how configurations are chosen (Search):
//	                        sampler = "tpe"   # "grid" (default: the product of [grid] and [zip]), "random", "tpe"
//	                        trials  = 60      # random, tpe: the budget of configurations
//	                        timeout = "2h"    # optional: start no new trial after this wall time
//	[search.space]      what random and tpe draw from:
//	                        lr           = { log_uniform = [1e-4, 1e-1] } # floats, log-uniform
//	                        dropout      = { uniform = [0.1, 0.5] }       # floats, uniform
//	                        batch_size   = { int = [16, 128] }            # integers, both ends included
//	                        activation   = { choice = ["relu", "tanh"] }  # one of the values
//	[objective]         what is optimised: metric = "val_loss" (any metric the model declares),
//	                    mode = "min" or "max". A trial's score is the metric's best value.
//	[prune]             stopping trials early: method = "asha", "median" or "none" (default),
//	                    min_epochs (ASHA's first rung; the median rule's warm-up), eta (ASHA).
//	[slurm]             the Slurm executor (slurm.Config).
//
// Grid and zip axes are crossed: every grid point meets every zip position.
// A random or tpe search draws from [search.space] instead, and takes no
// axes. A hyperparameter is set in one place only. Every error names the
// file, the line and the key.
type Spec struct {
	// File is the grid file's path as given; Dir is its absolute directory,
	// against which LogDir, Data.Path and Plugin are resolved.
	File string
	Dir  string
	// Source is the file's content, to keep a copy of the grid as run;
	// GridHash is its SHA-256 (see GridHash).
	Source   []byte
	GridHash string
	// ModelHash is the fingerprint of the model that trains the trials
	// (see ModelHash), which their IDs include. Load leaves it empty:
	// whoever starts the model sets it, before Expand or NewSearchSpace.
	ModelHash string

	Name       string
	LogDir     string // absolute
	Model      string // empty when Plugin is set
	Plugin     string // absolute path of the plugin executable, or empty
	PluginArgs []string
	// Interpreter runs Plugin as a script (a Python model under the
	// interpreter of a virtualenv, say): a path made absolute, or a bare
	// command name looked up on PATH when the plugin starts. Empty: Plugin
	// is the executable.
	Interpreter       string
	TrialName         string // the template as written; empty: derived from the swept axes
	Workers           int
	Seed              int64
	Repeats           int
	Retries           int
	Timeout           time.Duration // 0: none
	LogEvery          int
	ExperimentSummary bool
	// Checkpoint is what a trial keeps of its trained model in its run
	// directory: CheckpointBest, CheckpointBestLast or CheckpointNone. It
	// is not part of a trial's identity: it changes no number.
	Checkpoint string
	// CheckpointEvery asks the model to save its whole training state
	// every so many epochs (0: never), so that an interrupted trial
	// resumes from there rather than from epoch 0. It changes no number
	// (resuming is exact), so it is not part of a trial's identity.
	CheckpointEvery int

	Data  dataset.Spec // Path made absolute
	Slurm slurm.Config

	Params    []Setting  // [params], in file order
	Grid      []Axis     // [grid], in file order
	Zip       []ZipGroup // [zip.*], in file order
	Search    Search     // [search]
	Objective Objective  // [objective]
	Prune     Prune      // [prune]

	// lines maps dotted keys (as toml.Key.String writes them) to their line.
	lines map[string]int
}

// Setting is a fixed hyperparameter from [params].
type Setting struct {
	Name  string
	Value any // as TOML decoded it
	Line  int
}

// Axis is a list of values that one hyperparameter takes, from [grid] or a
// zip group.
type Axis struct {
	Name   string
	Values []any // as TOML decoded them; never empty
	Line   int
}

// ZipGroup is a set of axes of equal length that move together.
type ZipGroup struct {
	Name string
	Axes []Axis
	Line int
}

// The distributions a search dimension can draw from.
const (
	DistUniform    = "uniform"     // Args [lo, hi]: a float in [lo, hi]
	DistLogUniform = "log_uniform" // Args [lo, hi], 0 < lo: a float whose log is uniform
	DistInt        = "int"         // Args [lo, hi]: an integer in [lo, hi], both included
	DistChoice     = "choice"      // Args: the values, each as likely
)

// SpaceAxis is one dimension of [search.space].
type SpaceAxis struct {
	Name string
	Dist string // one of the Dist constants
	Args []any  // as TOML decoded them; [lo, hi] as float64 for the float distributions
	Line int
}

// SpecError is a problem in a grid file. Its message reads
// "grid.toml:7: grid.dropout: empty axis".
type SpecError struct {
	File string
	Line int    // 0 when the problem has no single line
	Key  string // dotted TOML key; empty for the file as a whole
	Msg  string
}

// oneLine keeps each problem on one line of the joined message, whatever a
// key or the TOML parser's message holds.
var oneLine = strings.NewReplacer("\r", `\r`, "\n", `\n`)

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return oneLine.Replace(b.String())
}

// The values of the checkpoint key.
const (
	CheckpointBest     = "best"      // the weights of the best epoch (the default)
	CheckpointBestLast = "best+last" // and the last epoch's
	CheckpointNone     = "none"      // no files
)

// Defaults of the top-level keys.
const (
	DefaultLogDir   = "runs"
	DefaultModel    = "ffn"
	DefaultLogEvery = 10
	// DefaultCheckpointEvery saves a trial's training state every 25
	// epochs: an interruption loses at most 25 epochs, and for the
	// textbook network (epochs of ~21 ms on 2 shared cores, a 357 KB state
	// that takes ~8.5 ms to write and fsync) that costs ~1.6% of training
	// time; every 10 epochs would cost ~4% (README: "Failures, Ctrl-C and
	// resuming").
	DefaultCheckpointEvery = 25
)

// Load reads and validates the grid file at path. Relative paths inside it
// (log_dir, data.path, plugin) are taken relative to the file's directory,
// so that a grid names the same files from wherever it is run. Errors
// name the file, the line and the key; several problems are reported
// together, one per line, in file order.
func Load(path string) (*Spec, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse is Load for a grid whose content is src; file names it in errors
// and locates relative paths.
func Parse(file string, src []byte) (*Spec, error) {
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	p := &specParser{file: file}
	var top map[string]toml.Primitive
	md, err := toml.Decode(string(src), &top)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &SpecError{File: file, Line: pe.Position.Line, Msg: "invalid TOML: " + pe.Message}
		}
		return nil, &SpecError{File: file, Msg: "invalid TOML: " + err.Error()}
	}
	root := buildTree(&md, top)
	s := &Spec{
		File: file, Dir: dir, Source: src, GridHash: GridHash(src),
		LogDir: DefaultLogDir, Repeats: 1, LogEvery: DefaultLogEvery, Checkpoint: CheckpointBest,
		CheckpointEvery: DefaultCheckpointEvery,
		Search:          Search{Sampler: SamplerGrid},
		Objective:       Objective{Metric: DefaultMetric, Mode: ModeMin},
		Prune:           Prune{Method: PruneNone},
		lines:           map[string]int{},
	}
	root.index(s.lines)
	p.top(s, root)
	return s, p.err()
}

// Line returns the line of a dotted key (e.g. "grid.dropout") in the grid
// file, or 0 if the key is not there.
func (s *Spec) Line(key string) int { return s.lines[key] }

// specParser collects the problems found in one grid file.
type specParser struct {
	file string
	errs []*SpecError
}

func (p *specParser) errorf(n *tomlNode, format string, args ...any) {
	p.errs = append(p.errs, &SpecError{File: p.file, Line: n.line, Key: n.key(), Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems in file order, joined, or nil.
func (p *specParser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// topLevel holds the top-level scalar keys; decodeStruct fills it, checking
// each key's type.
type topLevel struct {
	Name              string   `toml:"name"`
	LogDir            string   `toml:"log_dir"`
	Model             string   `toml:"model"`
	Plugin            string   `toml:"plugin"`
	PluginArgs        []string `toml:"plugin_args"`
	Interpreter       string   `toml:"interpreter"`
	TrialName         string   `toml:"trial_name"`
	Workers           int      `toml:"workers"`
	Seed              int64    `toml:"seed"`
	Repeats           int      `toml:"repeats"`
	Retries           int      `toml:"retries"`
	Timeout           string   `toml:"timeout"`
	LogEvery          int      `toml:"log_every"`
	ExperimentSummary bool     `toml:"experiment_summary"`
	Checkpoint        string   `toml:"checkpoint"`
	CheckpointEvery   int      `toml:"checkpoint_every"`
	// The tables, decoded by their own code.
	Data      struct{} `toml:"data"`
	Params    struct{} `toml:"params"`
	Grid      struct{} `toml:"grid"`
	Zip       struct{} `toml:"zip"`
	Random    struct{} `toml:"random"`
	Search    struct{} `toml:"search"`
	Objective struct{} `toml:"objective"`
	Prune     struct{} `toml:"prune"`
	Slurm     struct{} `toml:"slurm"`
}

func (p *specParser) top(s *Spec, root *tomlNode) {
	t := topLevel{LogDir: s.LogDir, Repeats: s.Repeats, LogEvery: s.LogEvery, CheckpointEvery: s.CheckpointEvery}
	p.decodeStruct(root, reflect.ValueOf(&t).Elem())

	s.Name = t.Name
	if n := root.kid("name"); n != nil {
		if msg := checkPathName(t.Name); msg != "" && isString(n) {
			p.errorf(n, "%s", msg)
		}
	} else {
		s.Name = strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file))
		if checkPathName(s.Name) != "" {
			s.Name = "sweep"
		}
	}
	s.LogDir = s.absPath(t.LogDir)
	if n := root.kid("log_dir"); n != nil && isString(n) && t.LogDir == "" {
		p.errorf(n, "empty; leave it out for %q", DefaultLogDir)
	}
	switch m, pl := root.kid("model"), root.kid("plugin"); {
	case m != nil && pl != nil:
		p.errorf(pl, "set either model (line %d) or plugin, not both", m.line)
	case pl != nil:
		if !isString(pl) {
			break
		}
		if t.Plugin == "" {
			p.errorf(pl, "empty plugin path")
		} else {
			s.Plugin = s.absPath(t.Plugin)
		}
	case m != nil && isString(m) && t.Model == "":
		p.errorf(m, "empty model name; leave it out for %q", DefaultModel)
	case m != nil:
		s.Model = t.Model
	default:
		s.Model = DefaultModel
	}
	if n := root.kid("plugin_args"); n != nil && s.Plugin == "" {
		p.errorf(n, "plugin_args needs plugin")
	}
	s.PluginArgs = t.PluginArgs
	if n := root.kid("interpreter"); n != nil && isString(n) {
		switch {
		case s.Plugin == "":
			p.errorf(n, "interpreter needs plugin (the script it runs)")
		case t.Interpreter == "":
			p.errorf(n, "empty; leave it out to run plugin as an executable")
		case strings.ContainsRune(t.Interpreter, '/') || strings.ContainsRune(t.Interpreter, filepath.Separator):
			s.Interpreter = s.absPath(t.Interpreter)
		default:
			s.Interpreter = t.Interpreter
		}
	}
	s.TrialName = t.TrialName
	if n := root.kid("trial_name"); n != nil && isString(n) {
		if _, err := parseTemplate(t.TrialName); err != nil {
			p.errorf(n, "%v", err)
		}
	}
	p.atLeast(root, "workers", t.Workers, 0)
	p.atLeast(root, "repeats", t.Repeats, 1)
	p.atLeast(root, "retries", t.Retries, 0)
	p.atLeast(root, "log_every", t.LogEvery, 0)
	p.atLeast(root, "checkpoint_every", t.CheckpointEvery, 0)
	s.CheckpointEvery = t.CheckpointEvery
	s.Workers, s.Seed, s.Repeats, s.Retries, s.LogEvery = t.Workers, t.Seed, t.Repeats, t.Retries, t.LogEvery
	s.ExperimentSummary = t.ExperimentSummary
	if n := root.kid("checkpoint"); n != nil && isString(n) {
		switch t.Checkpoint {
		case CheckpointBest, CheckpointBestLast, CheckpointNone:
			s.Checkpoint = t.Checkpoint
		default:
			p.errorf(n, "must be %q, %q or %q, not %q", CheckpointBest, CheckpointBestLast, CheckpointNone, t.Checkpoint)
		}
	}
	if n := root.kid("timeout"); n != nil && isString(n) {
		s.Timeout = p.duration(n, t.Timeout, "no timeout")
	}
	if n := root.kid("data"); n != nil {
		p.data(s, n)
	}
	if n := root.kid("slurm"); n != nil && p.table(n) {
		p.decodeStruct(n, reflect.ValueOf(&s.Slurm).Elem())
	}
	if n := root.kid("params"); n != nil && p.table(n) {
		s.Params = p.params(n)
	}
	if n := root.kid("grid"); n != nil && p.table(n) {
		s.Grid = p.axes(n)
	}
	if n := root.kid("zip"); n != nil && p.table(n) {
		s.Zip = p.zip(n)
	}
	if n := root.kid("random"); n != nil {
		p.errorf(n, "%s", randomMoved)
	}
	if n := root.kid("search"); n != nil && p.table(n) {
		p.search(s, n)
	}
	if n := root.kid("objective"); n != nil && p.table(n) {
		p.objective(s, n)
	}
	if n := root.kid("prune"); n != nil && p.table(n) {
		p.prune(s, n)
	}
	p.checkSearch(s, root)
	p.unique(s)
}

// isString reports whether key n holds a string: other types have been
// refused already and need no second message.
func isString(n *tomlNode) bool {
	_, ok := n.val.(string)
	return ok
}

// absPath makes a path from the grid file absolute.
func (s *Spec) absPath(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(s.Dir, path)
}

func (p *specParser) atLeast(root *tomlNode, key string, v, min int) {
	if n := root.kid(key); n != nil && v < min {
		p.errorf(n, "must be at least %d, not %d", min, v)
	}
}

// table reports whether n is a table, and complains if it is not.
func (p *specParser) table(n *tomlNode) bool {
	if !n.isTable() {
		p.errorf(n, "must be a table, not %s", tomlTypeName(n.val))
		return false
	}
	return true
}

func (p *specParser) data(s *Spec, n *tomlNode) {
	if !p.table(n) {
		return
	}
	// embargo is a number of rows or dates, or a span: "5d". The dataset
	// keeps both forms as text.
	if k := n.kid("embargo"); k != nil {
		if i, ok := k.val.(int64); ok {
			k.val = strconv.FormatInt(i, 10)
		}
	}
	p.decodeStruct(n, reflect.ValueOf(&s.Data).Elem())
	d := &s.Data
	if k := n.kid("path"); k != nil {
		if d.Path == "" {
			p.errorf(k, "empty path; leave it out for the synthetic dataset")
		} else {
			d.Path = s.absPath(d.Path)
		}
		if syn := n.kid("synthetic"); syn != nil {
			p.errorf(syn, "set either data.path (line %d) or [data.synthetic], not both", k.line)
		}
	}
	if k := n.kid("val_split"); k != nil && !(d.ValSplit > 0 && d.ValSplit < 1) {
		p.errorf(k, "must be between 0 and 1 (exclusive), not %v", d.ValSplit)
	}
	if k := n.kid("split"); k != nil && d.Split != dataset.SplitRandom && d.Split != dataset.SplitChronological && d.Split != dataset.SplitWalkForward {
		p.errorf(k, "must be %q, %q or %q, not %q", dataset.SplitRandom, dataset.SplitChronological, dataset.SplitWalkForward, d.Split)
	}
	p.folds(n, d)
	if k := n.kid("target"); k != nil && d.Target == "" {
		p.errorf(k, "empty column name")
	}
	if k := n.kid("embargo"); k != nil {
		embargo, err := dataset.ParseEmbargo(d.Embargo)
		switch {
		case err != nil:
			p.errorf(k, "%v", err)
		case d.Split != dataset.SplitChronological && d.Split != dataset.SplitWalkForward:
			p.errorf(k, "applies to a time split (%q or %q); a random split has no gap to leave", dataset.SplitChronological, dataset.SplitWalkForward)
		case embargo.Span > 0 && d.Date == "" && (d.Synthetic == nil || d.Synthetic.Assets == 0):
			p.errorf(k, "a span (%s) needs a date column (data.date); without one, give a number of rows", d.Embargo)
		}
	}
	if k := n.kid("date"); k != nil && d.Path == "" {
		p.errorf(k, "applies to a CSV (data.path); the synthetic dataset has no dates")
	}
	if k := n.kid("missing"); k != nil && d.Missing != dataset.MissingError && d.Missing != dataset.MissingDrop {
		p.errorf(k, "must be %q or %q, not %q", dataset.MissingError, dataset.MissingDrop, d.Missing)
	}
	if k := n.kid("exclude"); k != nil {
		if f := n.kid("features"); f != nil {
			p.errorf(k, "set either data.features (line %d) or exclude, not both: exclude trims the default features", f.line)
		} else if d.Path == "" {
			p.errorf(k, "applies to a CSV (data.path); the synthetic dataset has no named columns")
		}
	}
	if syn := n.kid("synthetic"); syn != nil && d.Synthetic != nil {
		for _, c := range []struct {
			key string
			ok  bool
		}{
			{"rows", d.Synthetic.Rows > 0},
			{"features", d.Synthetic.Features > 0},
			// 0 is refused rather than quietly read as "unset", which is
			// what a zero means to the dataset (and would give 0.5).
			{"noise", d.Synthetic.Noise > 0 && !math.IsInf(d.Synthetic.Noise, 0)},
			{"assets", d.Synthetic.Assets > 0},
		} {
			if k := syn.kid(c.key); k != nil && !c.ok {
				p.errorf(k, "must be positive, not %v", k.val)
			}
		}
	}
}

// folds checks [data]'s walk-forward keys: folds, window and train_size.
func (p *specParser) folds(n *tomlNode, d *dataset.Spec) {
	if d.Split != dataset.SplitWalkForward {
		for _, key := range []string{"folds", "window", "train_size"} {
			if k := n.kid(key); k != nil {
				p.errorf(k, "applies to split = %q", dataset.SplitWalkForward)
			}
		}
		return
	}
	if k := n.kid("folds"); k == nil || d.Folds < 2 {
		p.errorf(cmp.Or(k, n.kid("split")), "split = %q needs folds = 2 or more", dataset.SplitWalkForward)
	}
	if k := n.kid("window"); k != nil && d.Window != dataset.WindowExpanding && d.Window != dataset.WindowRolling {
		p.errorf(k, "must be %q or %q, not %q", dataset.WindowExpanding, dataset.WindowRolling, d.Window)
	}
	if k := n.kid("train_size"); k != nil && (d.TrainSize < 1 || d.Window != dataset.WindowRolling) {
		p.errorf(k, "a rolling window's length (window = %q), in dates (or rows without data.date), at least 1", dataset.WindowRolling)
	}
}

// params reads [params]: one flat namespace of values.
func (p *specParser) params(n *tomlNode) []Setting {
	var out []Setting
	for _, k := range n.kids {
		if p.hyperValue(k, k.val) {
			out = append(out, Setting{Name: k.path[len(k.path)-1], Value: k.val, Line: k.line})
		}
	}
	return out
}

// hyperValue reports whether v may be a hyperparameter value (a scalar or an
// array of scalars or of arrays of scalars), and complains if not.
func (p *specParser) hyperValue(n *tomlNode, v any) bool {
	switch v := v.(type) {
	case int64, string, bool:
		return true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p.errorf(n, "%v is not a finite number", v)
			return false
		}
		return true
	case []any:
		for _, e := range v {
			if _, nested := e.([]any); nested {
				p.errorf(n, "a hyperparameter value is a scalar or a list of scalars, not a list of lists")
				return false
			}
			if !p.hyperValue(n, e) {
				return false
			}
		}
		return true
	}
	p.errorf(n, "a hyperparameter value is a number, string, bool or list, not %s", tomlTypeName(v))
	return false
}

// axes reads the axes of [grid] or of a zip group.
func (p *specParser) axes(n *tomlNode) []Axis {
	var out []Axis
	for _, k := range n.kids {
		vals, ok := k.val.([]any)
		switch {
		case !ok:
			p.errorf(k, "an axis is a list of values, e.g. [0.1, 0.2]; put a single value in [params] or write [%s]", tomlValueString(k.val))
			continue
		case len(vals) == 0:
			p.errorf(k, "empty axis")
			continue
		}
		good := true
		for _, v := range vals {
			good = good && p.hyperValue(k, v)
		}
		if good {
			out = append(out, Axis{Name: k.path[len(k.path)-1], Values: vals, Line: k.line})
		}
	}
	return out
}

func (p *specParser) zip(n *tomlNode) []ZipGroup {
	var out []ZipGroup
	for _, g := range n.kids {
		if !g.isTable() {
			p.errorf(g, "[zip] holds named groups of tied axes: write [zip.<group>] with axes of equal length, e.g. [zip.schedule] with lr = [0.1, 0.01] and batch_size = [32, 64]")
			continue
		}
		group := ZipGroup{Name: g.path[len(g.path)-1], Axes: p.axes(g), Line: g.line}
		if len(g.kids) == 0 {
			p.errorf(g, "empty zip group")
			continue
		}
		for _, a := range group.Axes[min(1, len(group.Axes)):] {
			if first := group.Axes[0]; len(a.Values) != len(first.Values) {
				p.errorf(g.kid(a.Name), "has %d values but %s (line %d) has %d: the axes of a zip group move together",
					len(a.Values), first.Name, first.Line, len(first.Values))
			}
		}
		out = append(out, group)
	}
	return out
}

// toFloat converts a TOML number to float64.
func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// unique refuses a hyperparameter set in two places.
func (p *specParser) unique(s *Spec) {
	type place struct {
		where string
		line  int
	}
	seen := map[string]place{}
	add := func(name, where, key string, line int) {
		if prev, ok := seen[name]; ok {
			p.errs = append(p.errs, &SpecError{File: p.file, Line: line, Key: key,
				Msg: fmt.Sprintf("%s is already set in %s (line %d); a hyperparameter is set in one place", name, prev.where, prev.line)})
			return
		}
		seen[name] = place{where, line}
	}
	for _, st := range s.Params {
		add(st.Name, "[params]", toml.Key{"params", st.Name}.String(), st.Line)
	}
	for _, a := range s.Grid {
		add(a.Name, "[grid]", toml.Key{"grid", a.Name}.String(), a.Line)
	}
	for _, g := range s.Zip {
		for _, a := range g.Axes {
			add(a.Name, "[zip."+g.Name+"]", toml.Key{"zip", g.Name, a.Name}.String(), a.Line)
		}
	}
	for _, a := range s.Search.Space {
		add(a.Name, "[search.space]", toml.Key{"search", "space", a.Name}.String(), a.Line)
	}
}

// decodeStruct fills the struct rv from table n by the fields' toml tags,
// refusing unknown keys and values of the wrong type. Fields of struct type
// (with no exported fields) mark tables decoded elsewhere.
func (p *specParser) decodeStruct(n *tomlNode, rv reflect.Value) {
	fields := map[string]int{}
	var names []string
	for i := 0; i < rv.NumField(); i++ {
		tag := strings.Split(rv.Type().Field(i).Tag.Get("toml"), ",")[0]
		if tag != "" && tag != "-" {
			fields[tag] = i
			names = append(names, tag)
		}
	}
	for _, k := range n.kids {
		name := k.path[len(k.path)-1]
		i, ok := fields[name]
		if !ok {
			p.errorf(k, "unknown key%s; known keys: %s", suggest(name, names), strings.Join(names, ", "))
			continue
		}
		f := rv.Field(i)
		if f.Kind() == reflect.Struct && f.NumField() == 0 {
			continue
		}
		p.decodeValue(k, k.val, f)
	}
}

// decodeValue stores TOML value v (of key n) in f, or complains.
func (p *specParser) decodeValue(n *tomlNode, v any, f reflect.Value) {
	want := f.Type().String()
	switch f.Kind() {
	case reflect.Pointer:
		e := reflect.New(f.Type().Elem())
		before := len(p.errs)
		p.decodeValue(n, v, e.Elem())
		if len(p.errs) == before {
			f.Set(e)
		}
		return
	case reflect.Struct:
		if n.isTable() {
			p.decodeStruct(n, f)
			return
		}
		want = "a table"
	case reflect.String:
		if s, ok := v.(string); ok {
			f.SetString(s)
			return
		}
		want = "a string"
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			f.SetBool(b)
			return
		}
		want = "true or false"
	case reflect.Int, reflect.Int64:
		if i, ok := v.(int64); ok {
			if f.OverflowInt(i) {
				p.errorf(n, "%d is out of range", i)
				return
			}
			f.SetInt(i)
			return
		}
		want = "an integer"
	case reflect.Float64:
		if x, ok := toFloat(v); ok {
			f.SetFloat(x)
			return
		}
		want = "a number"
	case reflect.Slice:
		if vs, ok := v.([]any); ok {
			s := reflect.MakeSlice(f.Type(), len(vs), len(vs))
			before := len(p.errs)
			for i, e := range vs {
				p.decodeValue(n, e, s.Index(i))
				if len(p.errs) > before {
					return
				}
			}
			f.Set(s)
			return
		}
		want = "a list"
	}
	p.errorf(n, "want %s, not %s", want, tomlTypeName(v))
}

// suggest returns ` (did you mean "x"?)` for the known name closest to
// name, if one is close.
func suggest(name string, known []string) string {
	best, bestD := "", len(name)/2+1
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// tomlTypeName names the TOML type of a decoded value for messages.
func tomlTypeName(v any) string {
	switch v := v.(type) {
	case int64:
		return "an integer (" + tomlValueString(v) + ")"
	case float64:
		return "a float (" + tomlValueString(v) + ")"
	case string:
		return fmt.Sprintf("a string (%q)", v)
	case bool:
		return "a bool (" + tomlValueString(v) + ")"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables ([[...]])"
	}
	return fmt.Sprintf("a %T", v)
}

// tomlValueString writes a decoded value roughly as TOML would.
func tomlValueString(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	if vs, ok := v.([]any); ok {
		parts := make([]string, len(vs))
		for i, e := range vs {
			parts[i] = tomlValueString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return results.FormatValue(v)
}

// tomlNode is a key of the parsed file with its line: the positions that
// toml.MetaData keeps but does not export.
type tomlNode struct {
	path []string
	line int
	col  int
	val  any
	kids []*tomlNode // of a table, in file order
}

func (n *tomlNode) key() string { return toml.Key(n.path).String() }

func (n *tomlNode) isTable() bool {
	_, ok := n.val.(map[string]any)
	return ok
}

func (n *tomlNode) kid(name string) *tomlNode {
	for _, k := range n.kids {
		if k.path[len(k.path)-1] == name {
			return k
		}
	}
	return nil
}

func (n *tomlNode) index(lines map[string]int) {
	for _, k := range n.kids {
		lines[k.key()] = k.line
		k.index(lines)
	}
}

// errLineProbe is what lineProbe's UnmarshalTOML returns.
var errLineProbe = errors.New("line probe")

// lineProbe finds a key's position: the toml package wraps an error from
// UnmarshalTOML in a ParseError that carries the position of the key being
// decoded, which is the only exported way to read it.
type lineProbe struct{}

func (lineProbe) UnmarshalTOML(any) error { return errLineProbe }

// buildTree decodes every key of the document with its position.
func buildTree(md *toml.MetaData, top map[string]toml.Primitive) *tomlNode {
	root := &tomlNode{val: map[string]any{}}
	root.kids = buildKids(md, nil, top)
	return root
}

func buildKids(md *toml.MetaData, parent []string, prims map[string]toml.Primitive) []*tomlNode {
	kids := make([]*tomlNode, 0, len(prims))
	for name, prim := range prims {
		n := &tomlNode{path: append(append([]string(nil), parent...), name)}
		var pe toml.ParseError
		if err := md.PrimitiveDecode(prim, &lineProbe{}); errors.As(err, &pe) {
			n.line, n.col = pe.Position.Line, pe.Position.Col
		}
		// Decoding into any cannot fail: it takes every TOML value.
		_ = md.PrimitiveDecode(prim, &n.val)
		if _, ok := n.val.(map[string]any); ok {
			var sub map[string]toml.Primitive
			if err := md.PrimitiveDecode(prim, &sub); err == nil {
				n.kids = buildKids(md, n.path, sub)
			}
		}
		if n.line == 0 && len(n.kids) > 0 {
			// A table made implicitly by a dotted key or a sub-table
			// header has no line of its own: use its first key's.
			// The kids are sorted, so the first is the earliest.
			n.line, n.col = n.kids[0].line, n.kids[0].col
		}
		kids = append(kids, n)
	}
	sort.Slice(kids, func(i, j int) bool {
		a, b := kids[i], kids[j]
		if a.line != b.line {
			return a.line < b.line
		}
		if a.col != b.col {
			return a.col < b.col
		}
		return a.path[len(a.path)-1] < b.path[len(b.path)-1]
	})
	return kids
}
