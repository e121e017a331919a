package spec

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/results"
	"github.com/sweep-ml/sweep/tests/golden"
)

// update rewrites golden files: go test ./orchestrator/spec -run Golden -update

// TestBadGridsGolden loads (and, if that succeeds, expands) every grid in
// testdata/bad and compares the error with testdata/bad/<name>.golden.
// Each golden message must start with the file and a line, so that a user
// can jump to the problem.
func TestBadGridsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad grids: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		t.Run(name, func(t *testing.T) {
			got := loadAndExpandError(t, file)
			golden.Check(t, strings.TrimSuffix(file, ".toml")+".golden", []byte(got))
			// Every message names the file and a line, except a bad name
			// from a default template, which no line of the file wrote.
			withLine := regexp.MustCompile(`^` + regexp.QuoteMeta(file) + `:[1-9][0-9]*: `)
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				if !withLine.MatchString(line) && !(name == "name_separator" && strings.HasPrefix(line, file+": ")) {
					t.Errorf("message %q does not start with %s:<line>: ", line, file)
				}
			}
		})
	}
}

// loadAndExpandError returns the text of the error that loading and
// expanding file gives, with the absolute directory replaced by $DIR.
func loadAndExpandError(t *testing.T, file string) string {
	t.Helper()
	s, err := Load(file)
	if err == nil {
		_, err = Expand(s, ffnDesc())
	}
	if err == nil {
		t.Fatalf("%s: no error", file)
	}
	var se *SpecError
	if !errors.As(err, &se) {
		t.Errorf("%s: error %T is not a *SpecError: %v", file, err, err)
	}
	dir, _ := filepath.Abs(filepath.Dir(file))
	return strings.ReplaceAll(err.Error(), dir, "$DIR") + "\n"
}

// TestParseAllKeys checks that every key lands in its field with its type.
func TestParseAllKeys(t *testing.T) {
	const src = `name = "full"
log_dir = "out"
plugin = "bin/model"
plugin_args = ["--threads", "1"]
trial_name = "m_{lr}_{seed}"
workers = 3
seed = -7
repeats = 2
retries = 1
timeout = "1m30s"
log_every = 0
experiment_summary = true
checkpoint = "best+last"
checkpoint_every = 25
[data]
path = "data/train.csv"
target = "y"
features = ["a", "b"]
val_split = 0.25
split = "chronological"
standardize = false
seed = 9

[params]
epochs = 5
hidden_dims = [8, 4]

[grid]
lr = [0.1, 1]

[zip.schedule]
batch_size = [16, 32]
patience = [1, 2]

[search]
sampler = "grid"
timeout = "2h"

[objective]
metric = "train_loss"
mode = "max"

[prune]
method = "asha"
min_epochs = 2
eta = 4

[slurm]
partition = "cpu"
cpus_per_task = 4
sbatch_args = ["--qos=low"]
`
	dir := t.TempDir()
	s, err := Load(writeGrid(t, dir, "full.toml", src))
	if err != nil {
		t.Fatal(err)
	}
	no := false
	want := &Spec{
		Name: "full", LogDir: filepath.Join(dir, "out"), Plugin: filepath.Join(dir, "bin", "model"),
		PluginArgs: []string{"--threads", "1"}, TrialName: "m_{lr}_{seed}",
		Workers: 3, Seed: -7, Repeats: 2, Retries: 1, Timeout: 90 * time.Second, LogEvery: 0,
		ExperimentSummary: true, Checkpoint: CheckpointBestLast, CheckpointEvery: 25,
		Data: dataset.Spec{Path: filepath.Join(dir, "data", "train.csv"), Target: "y", Features: []string{"a", "b"},
			ValSplit: 0.25, Split: "chronological", Standardize: &no, Seed: 9},
		Slurm:  slurm.Config{Partition: "cpu", CPUsPerTask: 4, ExtraArgs: []string{"--qos=low"}},
		Params: []Setting{{"epochs", int64(5), 25}, {"hidden_dims", []any{int64(8), int64(4)}, 26}},
		Grid:   []Axis{{"lr", []any{0.1, int64(1)}, 29}},
		Zip: []ZipGroup{{Name: "schedule", Line: 31, Axes: []Axis{
			{"batch_size", []any{int64(16), int64(32)}, 32}, {"patience", []any{int64(1), int64(2)}, 33}}}},
		Search:    Search{Sampler: SamplerGrid, Timeout: 2 * time.Hour, Line: 35},
		Objective: Objective{Metric: "train_loss", Mode: ModeMax},
		Prune:     Prune{Method: PruneASHA, MinEpochs: 2, Eta: 4, Line: 43},
	}
	got := *s
	got.File, got.Dir, got.Source, got.GridHash, got.lines = "", "", nil, "", nil
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("Load:\ngot  %+v\nwant %+v", got, *want)
	}
	if s.GridHash != GridHash([]byte(src)) || string(s.Source) != src {
		t.Errorf("GridHash or Source do not match the file")
	}
	// Lines of a few keys, counted by hand in src above.
	for key, line := range map[string]int{"name": 1, "timeout": 10, "data.split": 20, "grid.lr": 29,
		"zip.schedule.patience": 33, "search.timeout": 37, "objective.mode": 41, "prune.eta": 46,
		"slurm.sbatch_args": 51, "nope": 0} {
		if got := s.Line(key); got != line {
			t.Errorf("Line(%q) = %d, want %d", key, got, line)
		}
	}
}

// TestDefaults checks the values a nearly empty grid gets.
func TestDefaults(t *testing.T) {
	s := mustParse(t, "# nothing\n")
	if s.Name != "grid" || s.LogDir != filepath.Join(s.Dir, DefaultLogDir) || s.Model != DefaultModel || s.Plugin != "" ||
		s.Repeats != 1 || s.Retries != 0 || s.Workers != 0 || s.LogEvery != DefaultLogEvery ||
		s.Timeout != 0 || s.ExperimentSummary || s.TrialName != "" || s.Checkpoint != CheckpointBest ||
		s.CheckpointEvery != DefaultCheckpointEvery {
		t.Errorf("defaults: %+v", s)
	}
	trials, err := Expand(s, ffnDesc())
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 1 || trials[0].Name != "ffn" || len(trials[0].Swept) != 0 {
		t.Errorf("a grid with no axes: %+v", trials)
	}
	for _, ps := range ffnDesc().Params {
		if !reflect.DeepEqual(trials[0].Params[ps.Name], ps.Default) {
			t.Errorf("%s = %#v, want the default %#v", ps.Name, trials[0].Params[ps.Name], ps.Default)
		}
	}
}

// log_dir is taken relative to the grid file's directory, as data.path and
// plugin are, whatever the current directory; an absolute one stays as
// written.
func TestLogDirIsRelativeToTheGrid(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "elsewhere")
	for _, c := range []struct{ src, want string }{
		{"", filepath.Join(dir, "exp", "runs")},
		{`log_dir = "out"`, filepath.Join(dir, "exp", "out")},
		{`log_dir = "../shared/runs"`, filepath.Join(dir, "shared", "runs")},
		{fmt.Sprintf("log_dir = %q", abs), abs},
	} {
		s, err := Parse(filepath.Join(dir, "exp", "grid.toml"), []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		if s.LogDir != c.want {
			t.Errorf("%q: log_dir %s, want %s", c.src, s.LogDir, c.want)
		}
	}
}

// TestShippedGrids loads and expands every grid in sweeps/. An adaptive
// search lists no trials before it runs (see TestShippedSearches).
func TestShippedGrids(t *testing.T) {
	for _, c := range []struct {
		file   string
		desc   func(testing.TB) plugins.Description
		trials int
		first  string
	}{
		{"hyperparam_search.toml", builtinFFNDesc, 12, "ffn_dropout0.2_lr0.01"},
		{"quickstart.toml", builtinFFNDesc, 8, "ffn_lr0.01_dropout0.0_activationrelu"},
		{"random_search.toml", builtinFFNDesc, 0, ""},
		{"tpe_search.toml", builtinFFNDesc, 0, ""},
		{"custom_plugin.toml", ridgeDesc, 5, "ridge_lambda0.0001"},
		{"walk_forward.toml", builtinFFNDesc, 4, "ffn_dropout0.2_lr0.01"},
		{"torch_ffn.toml", torchFFNDesc, 12, "torch_dropout0.2_lr0.01"},
	} {
		t.Run(c.file, func(t *testing.T) {
			s, err := Load(filepath.Join("..", "..", "sweeps", c.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.file == "custom_plugin.toml" && s.Plugin != filepath.Join(s.Dir, "..", "bin", "sweep-ridge") {
				t.Errorf("plugin %q, want <repo>/bin/sweep-ridge", s.Plugin)
			}
			trials, err := Expand(s, c.desc(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(trials) != c.trials {
				t.Errorf("%d trials, want %d", len(trials), c.trials)
			}
			if c.first != "" && trials[0].Name != c.first {
				t.Errorf("first trial %q, want %q", trials[0].Name, c.first)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "sweeps", "*.toml"))
	if len(files) != 7 {
		t.Errorf("sweeps/ holds %d grids; add any new one to this test", len(files))
	}
}

// builtinFFNDesc is the real FFN's description, so that the shipped grids
// are checked against the model they run.
func builtinFFNDesc(t testing.TB) plugins.Description {
	t.Helper()
	desc, err := builtin.FFN().Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return desc
}

// TestTextbookGrid checks the textbook grid against the textbook's loops:
// for dropout in [...]: for lr in [...].
func TestTextbookGrid(t *testing.T) {
	s, err := Load(filepath.Join("..", "..", "sweeps", "hyperparam_search.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "hyperparam_search" || s.LogDir != filepath.Join(s.Dir, "..", "runs") || s.Data.ValSplit != 0.2 ||
		s.Data.Synthetic == nil || s.Data.Synthetic.Rows != 20000 || s.Data.Synthetic.Features != 50 {
		t.Errorf("spec: %+v", s)
	}
	trials, err := Expand(s, ffnDesc())
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, dropout := range []float64{0.2, 0.3, 0.4, 0.5} {
		for _, lr := range []float64{0.01, 0.001, 0.0001} {
			tr := trials[i]
			want := plugins.Params{"dropout": dropout, "lr": lr, "hidden_dims": []int64{64, 32},
				"batch_size": int64(64), "epochs": int64(100)}
			for k, v := range want {
				if !reflect.DeepEqual(tr.Params[k], v) {
					t.Errorf("trial %d: %s = %#v, want %#v", i, k, tr.Params[k], v)
				}
			}
			if name := "ffn_dropout" + results.FormatValue(dropout) + "_lr" + results.FormatValue(lr); tr.Name != name {
				t.Errorf("trial %d: name %q, want %q", i, tr.Name, name)
			}
			i++
		}
	}
}

// TestKeyLines checks the line found for keys written in each TOML form:
// dotted keys, inline tables, multi-line arrays, quoted keys, sub-tables,
// and comments or strings that look like keys.
func TestKeyLines(t *testing.T) {
	const src = `# [grid] lr = [1] is a comment
name = "x # [params]"
data.synthetic.rows = 100
plugin_args = [
  "a",
  "[slurm]",
]
plugin = 'p'

[params]
"lr" = [
  0.1,
  0.2]
dropout = [0.1] # lr = 3

[search.space.activation]
choice = ["relu"]

[search]
sampler = "random"
trials = 2
`
	s := mustParse(t, src)
	for key, line := range map[string]int{
		"name": 2, "data": 3, "data.synthetic": 3, "data.synthetic.rows": 3, "plugin_args": 4, "plugin": 8,
		"params": 10, "params.lr": 11, "params.dropout": 14, "search.space": 16, "search.space.activation": 16,
		"search.space.activation.choice": 17, "search": 19, "search.sampler": 20, "search.trials": 21,
	} {
		if got := s.Line(key); got != line {
			t.Errorf("Line(%q) = %d, want %d", key, got, line)
		}
	}
	if len(s.Params) != 2 || s.Params[0].Name != "lr" || s.Params[1].Name != "dropout" {
		t.Errorf("[params] not in file order: %+v", s.Params)
	}
	// A dimension written as a sub-table before its parent table is read
	// at the sub-table's line.
	if want := []SpaceAxis{{"activation", DistChoice, []any{"relu"}, 16}}; !reflect.DeepEqual(s.Search.Space, want) {
		t.Errorf("[search.space]: %+v, want %+v", s.Search.Space, want)
	}
}

func TestInterpreter(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ value, want string }{
		{"venv/bin/python", filepath.Join(dir, "venv", "bin", "python")}, // relative to the grid file
		{"/usr/bin/python3", "/usr/bin/python3"},
		{"python3", "python3"}, // looked up on PATH when the plugin starts
	} {
		s, err := Load(writeGrid(t, dir, "g.toml", "plugin = \"model.py\"\ninterpreter = \""+c.value+"\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Interpreter != c.want || s.Plugin != filepath.Join(dir, "model.py") {
			t.Errorf("interpreter %q: got %q (plugin %q), want %q", c.value, s.Interpreter, s.Plugin, c.want)
		}
	}
}
