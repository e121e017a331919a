package spec

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/plugins"
)

// TestParseSearchTables proves that [search], [search.space], [objective]
// and [prune] land in their fields: the sampler, budget and timeout, each
// dimension in file order with its distribution, its arguments (float
// distributions' bounds as float64, even when written as integers) and its
// line, and the objective and pruner with their lines.
func TestParseSearchTables(t *testing.T) {
	const src = `seed = 3

[search]
sampler = "tpe"
trials  = 60
timeout = "1h30m"

[search.space]
lr          = { log_uniform = [1e-4, 1e-1] }
dropout     = { uniform = [0, 1] }
batch_size  = { int = [16, 128] }
hidden_dims = { choice = [[64, 32], [128]] }
activation.choice = ["relu", "tanh"]

[objective]
metric = "train_loss"
mode   = "max"

[prune]
method     = "asha"
min_epochs = 2
eta        = 4
`
	s := mustParse(t, src)
	want := Search{Sampler: SamplerTPE, Trials: 60, Timeout: 90 * time.Minute, Line: 3, Space: []SpaceAxis{
		{"lr", DistLogUniform, []any{1e-4, 1e-1}, 9},
		{"dropout", DistUniform, []any{0.0, 1.0}, 10},
		{"batch_size", DistInt, []any{int64(16), int64(128)}, 11},
		{"hidden_dims", DistChoice, []any{[]any{int64(64), int64(32)}, []any{int64(128)}}, 12},
		{"activation", DistChoice, []any{"relu", "tanh"}, 13},
	}}
	if !reflect.DeepEqual(s.Search, want) {
		t.Errorf("Search:\ngot  %#v\nwant %#v", s.Search, want)
	}
	if !s.Search.Adaptive() {
		t.Errorf("a tpe search is not Adaptive")
	}
	if want := (Objective{Metric: "train_loss", Mode: ModeMax}); s.Objective != want {
		t.Errorf("Objective %+v, want %+v", s.Objective, want)
	}
	if want := (Prune{Method: PruneASHA, MinEpochs: 2, Eta: 4, Line: 19}); s.Prune != want {
		t.Errorf("Prune %+v, want %+v", s.Prune, want)
	}
	if got, want := s.DescribeSearch(), "tpe, 60 trials, asha (min_epochs 2, eta 4), objective train_loss (max)"; got != want {
		t.Errorf("DescribeSearch %q, want %q", got, want)
	}
	for key, line := range map[string]int{"search": 3, "search.trials": 5, "search.space.batch_size": 11,
		"objective.mode": 17, "prune.eta": 22} {
		if got := s.Line(key); got != line {
			t.Errorf("Line(%q) = %d, want %d", key, got, line)
		}
	}
}

// TestSearchDefaults proves what a grid without the new tables gets: a
// grid sampler, the objective val_loss (min), no pruning; and what [prune]
// defaults to when only its method is given.
func TestSearchDefaults(t *testing.T) {
	s := mustParse(t, "[grid]\nlr = [0.1]\n")
	if s.Search.Sampler != SamplerGrid || s.Search.Adaptive() || s.Search.Trials != 0 || s.Search.Timeout != 0 {
		t.Errorf("Search %+v, want a plain grid", s.Search)
	}
	if s.Objective != (Objective{Metric: DefaultMetric, Mode: ModeMin}) || s.Prune.Method != PruneNone {
		t.Errorf("Objective %+v, Prune %+v", s.Objective, s.Prune)
	}
	if got, want := s.DescribeSearch(), "grid, objective val_loss (min)"; got != want {
		t.Errorf("DescribeSearch %q, want %q", got, want)
	}
	s = mustParse(t, "[prune]\nmethod = \"asha\"\n")
	if s.Prune != (Prune{Method: PruneASHA, MinEpochs: 1, Eta: DefaultEta, Line: 1}) {
		t.Errorf("[prune] with a method only: %+v, want min_epochs 1 and eta %d", s.Prune, DefaultEta)
	}
	s = mustParse(t, "[search]\nsampler = \"random\"\ntrials = 5\n[search.space]\nlr = { uniform = [0.1, 0.2] }\n[prune]\nmethod = \"median\"\nmin_epochs = 4\n")
	if got, want := s.DescribeSearch(), "random, 5 trials, median (min_epochs 4), objective val_loss (min)"; got != want {
		t.Errorf("DescribeSearch %q, want %q", got, want)
	}
}

// specError parses src as grid.toml and checks it against the FFN (with
// NewSearchSpace for an adaptive search, Expand for a grid); it returns
// the error's text, or "" when src is accepted. Every error must be a
// *SpecError.
func specError(t *testing.T, src string) string {
	t.Helper()
	s, err := Parse("grid.toml", []byte(src))
	if err == nil {
		if s.Search.Adaptive() {
			_, err = NewSearchSpace(s, ffnDesc())
		} else {
			_, err = Expand(s, ffnDesc())
		}
	}
	if err == nil {
		return ""
	}
	var se *SpecError
	if !errors.As(err, &se) {
		t.Errorf("error %T is not a *SpecError: %v", err, err)
	}
	return err.Error()
}

// TestSearchSpecErrors proves that every mistake in [search],
// [search.space], [objective] and [prune], and every combination of
// tables that has no meaning, is refused with the file, the line, the key
// and a message that says what to write; and that the combinations that do
// have a meaning are accepted.
func TestSearchSpecErrors(t *testing.T) {
	const (
		random = "[search]\nsampler = \"random\"\ntrials = 4\n[search.space]\n" // dimensions from line 5
		tpe    = "[search]\nsampler = \"tpe\"\ntrials = 4\n[search.space]\n"
		lr     = "lr = { log_uniform = [1e-4, 1e-1] }\n"
		ffnHas = "it has: hidden_dims, dropout, activation, batch_norm, lr, weight_decay, batch_size, epochs, patience, " +
			"min_delta, restore_best, lr_schedule, clip_grad_norm, loss_weights"
	)
	for _, c := range []struct {
		name, src, want string // want "": accepted
	}{
		// [search]
		{"unknown sampler", "[search]\nsampler = \"bayes\"\n",
			`grid.toml:2: search.sampler: must be "grid", "random" or "tpe", not "bayes"`},
		{"sampler not a string", "[search]\nsampler = 1\n",
			`grid.toml:2: search.sampler: want a string, not an integer (1)`},
		{"old key samples", "[search]\nsampler = \"random\"\ntrials = 2\nsamples = 3\n[search.space]\n" + lr,
			`grid.toml:4: search.samples: unknown key (did you mean "sampler"?); known keys: sampler, trials, timeout, space`},
		{"trials 0", "[search]\nsampler = \"random\"\ntrials = 0\n[search.space]\n" + lr,
			`grid.toml:3: search.trials: must be between 1 and 1000000, not 0`},
		{"trials negative", "[search]\nsampler = \"tpe\"\ntrials = -5\n[search.space]\n" + lr,
			`grid.toml:3: search.trials: must be between 1 and 1000000, not -5`},
		{"trials above MaxTrials", "[search]\nsampler = \"random\"\ntrials = 1000001\n[search.space]\n" + lr,
			`grid.toml:3: search.trials: must be between 1 and 1000000, not 1000001`},
		{"random without trials", "[search]\nsampler = \"random\"\n[search.space]\n" + lr,
			`grid.toml:1: search: trials is required: how many configurations the random search tries`},
		{"tpe without trials", "\n[search]\nsampler = \"tpe\"\n[search.space]\n" + lr,
			`grid.toml:2: search: trials is required: how many configurations the tpe search tries`},
		{"trials with sampler grid", "[search]\nsampler = \"grid\"\ntrials = 5\n",
			`grid.toml:3: search.trials: trials is the budget of a random or tpe search; a grid runs each of its points`},
		{"trials with the default sampler", "[search]\ntrials = 5\n",
			`grid.toml:2: search.trials: trials is the budget of a random or tpe search; a grid runs each of its points`},
		{"timeout not a duration", "[search]\nsampler = \"random\"\ntrials = 2\ntimeout = \"soon\"\n[search.space]\n" + lr,
			`grid.toml:4: search.timeout: not a duration (e.g. "90s", "10m", "1h30m"): "soon"`},
		{"timeout 0", "[search]\nsampler = \"random\"\ntrials = 2\ntimeout = \"0s\"\n[search.space]\n" + lr,
			`grid.toml:4: search.timeout: must be positive; leave it out for no limit`},
		{"space without a sampler", "[search.space]\n" + lr,
			`grid.toml:1: search.space: [search.space] is what sampler = "random" or "tpe" draws from; set sampler in [search]`},
		{"space with sampler grid", "[search]\nsampler = \"grid\"\n[search.space]\n" + lr,
			`grid.toml:3: search.space: [search.space] is what sampler = "random" or "tpe" draws from; set sampler in [search]`},
		{"empty space", "[search]\nsampler = \"tpe\"\ntrials = 5\n[search.space]\n",
			`grid.toml:4: search.space: no dimensions; add one, e.g. lr = { log_uniform = [1e-4, 1e-1] }`},
		{"no space", "[search]\nsampler = \"tpe\"\ntrials = 5\n",
			`grid.toml:1: search: a tpe search needs [search.space]: the dimensions it draws, e.g. lr = { log_uniform = [1e-4, 1e-1] }`},
		{"space not a table", "[search]\nsampler = \"random\"\ntrials = 5\nspace = 3\n",
			`grid.toml:4: search.space: must be a table, not an integer (3)`},
		// [search.space] against the model
		{"float distribution on an int", random + "batch_size = { uniform = [16, 128] }\n",
			`grid.toml:5: search.space.batch_size: uniform draws floats, but batch_size is int`},
		{"log_uniform on an int", tpe + "epochs = { log_uniform = [1, 100] }\n",
			`grid.toml:5: search.space.epochs: log_uniform draws floats, but epochs is int`},
		{"int on a string", random + "activation = { int = [0, 2] }\n",
			`grid.toml:5: search.space.activation: int draws integers, but activation is string`},
		{"duplicated choice", random + "activation = { choice = [\"relu\", \"tanh\", \"relu\"] }\n",
			`grid.toml:5: search.space.activation: choices 1 and 3 are the same (relu)`},
		{"duplicated choice after conversion", tpe + "lr = { choice = [1, 0.1, 1.0] }\n",
			`grid.toml:5: search.space.lr: choices 1 and 3 are the same (1.0)`},
		{"duplicated list choice", tpe + "hidden_dims = { choice = [[64, 32], [64, 32]] }\n",
			`grid.toml:5: search.space.hidden_dims: choices 1 and 2 are the same ([64, 32])`},
		{"choice of the wrong type", random + "hidden_dims = { choice = [64, 32] }\n",
			`grid.toml:5: search.space.hidden_dims: want a list of integers, not an integer (64)`},
		{"unknown hyperparameter", random + "lrr = { log_uniform = [1e-4, 1e-1] }\n",
			`grid.toml:5: search.space.lrr: model "ffn" has no hyperparameter "lrr" (did you mean "lr"?); ` + ffnHas},
		{"set in [params] too", "[params]\nlr = 0.1\n" + random + lr,
			`grid.toml:7: search.space.lr: lr is already set in [params] (line 2); a hyperparameter is set in one place`},
		// [grid] and [zip] with an adaptive sampler
		{"grid with tpe", tpe + lr + "[grid]\ndropout = [0.1, 0.2]\n",
			`grid.toml:6: grid: [grid] with sampler = "tpe": a tpe search draws every swept hyperparameter from [search.space]; ` +
				`move each axis there as { choice = [...] }, or fix it in [params]`},
		{"zip with random", random + lr + "[zip.s]\nbatch_size = [32, 64]\npatience = [1, 2]\n",
			`grid.toml:6: zip: [zip] with sampler = "random": a random search draws every swept hyperparameter from [search.space]; ` +
				`move each axis there as { choice = [...] }, or fix it in [params]`},
		{"grid with sampler grid", "[search]\nsampler = \"grid\"\n[grid]\nlr = [0.1, 0.2]\n", ""},
		{"params with tpe", "[params]\ndropout = 0.1\n" + tpe + lr, ""},
		// [objective]
		{"unknown metric, grid", "[objective]\nmetric = \"accuracy\"\n",
			`grid.toml:2: objective.metric: model "ffn" reports no metric "accuracy"; it reports: train_loss, val_loss, learning_rate`},
		{"unknown metric, tpe", tpe + lr + "[objective]\nmetric = \"val_los\"\nmode = \"min\"\n",
			`grid.toml:7: objective.metric: model "ffn" reports no metric "val_los" (did you mean "val_loss"?); it reports: train_loss, val_loss, learning_rate`},
		{"another declared metric", random + lr + "[objective]\nmetric = \"learning_rate\"\nmode = \"max\"\n", ""},
		{"empty metric", "[objective]\nmetric = \"\"\n",
			`grid.toml:2: objective.metric: empty metric; leave it out for "val_loss"`},
		{"mode maximise", "[objective]\nmode = \"maximise\"\n",
			`grid.toml:2: objective.mode: must be "min" or "max", not "maximise"`},
		{"mode in capitals", "[objective]\nmode = \"MAX\"\n",
			`grid.toml:2: objective.mode: must be "min" or "max", not "MAX"`},
		{"unknown objective key", "[objective]\ngoal = \"min\"\n",
			`grid.toml:2: objective.goal: unknown key; known keys: metric, mode`},
		// [prune]
		{"unknown prune method", "[prune]\nmethod = \"hyperband\"\n",
			`grid.toml:2: prune.method: must be "asha", "median" or "none", not "hyperband"`},
		{"eta 1", "[prune]\nmethod = \"asha\"\neta = 1\n",
			`grid.toml:3: prune.eta: must be at least 2 (each rung keeps the best 1/eta), not 1`},
		{"eta with median", "[prune]\nmethod = \"median\"\neta = 3\n",
			`grid.toml:3: prune.eta: eta is ASHA's; the median rule has none`},
		{"eta before method median", "[prune]\neta = 3\nmethod = \"median\"\n",
			`grid.toml:2: prune.eta: eta is ASHA's; the median rule has none`},
		{"min_epochs 0", "[prune]\nmethod = \"median\"\nmin_epochs = 0\n",
			`grid.toml:3: prune.min_epochs: must be at least 1, not 0`},
		{"min_epochs = epochs", "[params]\nepochs = 5\n[prune]\nmethod = \"asha\"\nmin_epochs = 5\n",
			`grid.toml:5: prune.min_epochs: must be below epochs (5): a trial that ends at its first rung is never pruned`},
		{"min_epochs above the default epochs", random + lr + "[prune]\nmethod = \"median\"\nmin_epochs = 150\n",
			`grid.toml:8: prune.min_epochs: must be below epochs (100): a trial that ends at its first rung is never pruned`},
		{"default min_epochs, one epoch", "[params]\nepochs = 1\n[prune]\nmethod = \"asha\"\n",
			`grid.toml:3: prune.min_epochs: must be below epochs (1): a trial that ends at its first rung is never pruned`},
		{"min_epochs and swept epochs", "[grid]\nepochs = [3, 10]\n[prune]\nmethod = \"asha\"\nmin_epochs = 5\n", ""},
		{"min_epochs and searched epochs", tpe + "epochs = { int = [3, 10] }\n[prune]\nmethod = \"asha\"\nmin_epochs = 5\n", ""},
		{"min_epochs without pruning", "[params]\nepochs = 2\n[prune]\nmethod = \"none\"\nmin_epochs = 5\n", ""},
		{"a valid search", "trial_name = \"t{trial}_lr{lr}\"\n" + tpe + lr + "[prune]\nmethod = \"asha\"\nmin_epochs = 5\neta = 3\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := specError(t, c.src); got != c.want {
				t.Errorf("\n%s\ngot  %s\nwant %s", c.src, got, c.want)
			}
		})
	}
}

// TestRandomTableRefused proves that the old [random] table is refused at
// its own line with the form that replaces it, whatever it holds, and that
// the message, like every SpecError, reads as written: the form it quotes
// is shown as TOML lines a user can copy, not with escaped newlines.
func TestRandomTableRefused(t *testing.T) {
	err := specError(t, "seed = 1\n\n[random]\nsamples = 20\nlr = { log_uniform = [1e-4, 1e-1] }\n")
	for _, want := range []string{"grid.toml:3: random: ", "[search]", `sampler = "random"`, "trials", "[search.space]",
		"lr = { log_uniform = [1e-4, 1e-1] }"} {
		if !strings.Contains(err, want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err, `\n`) {
		t.Errorf("the new form is shown with escaped newlines, which no one can copy:\n%s", err)
	}
}

// TestShippedSearches proves that the shipped adaptive searches load,
// list no trials before they run, and fit the real FFN: their spaces have
// the dimensions their comments promise, each typed for the FFN, and a
// configuration their sampler proposes becomes a trial with a valid name.
func TestShippedSearches(t *testing.T) {
	for _, c := range []struct {
		file    string
		sampler string
		trials  int
		dims    map[string]search.Kind
		prefix  string // of the first trial's name
	}{
		{"random_search.toml", SamplerRandom, 20, map[string]search.Kind{"lr": search.LogUniform, "dropout": search.Uniform,
			"weight_decay": search.LogUniform, "batch_size": search.Int, "hidden_dims": search.Choice}, "ffn_lr"},
		{"tpe_search.toml", SamplerTPE, 60, map[string]search.Kind{"lr": search.LogUniform, "dropout": search.Uniform,
			"weight_decay": search.LogUniform, "batch_size": search.Int, "hidden_dims": search.Choice}, "ffn_lr"},
	} {
		t.Run(c.file, func(t *testing.T) {
			s, err := Load(filepath.Join("..", "..", "sweeps", c.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Search.Sampler != c.sampler || s.Search.Trials != c.trials {
				t.Errorf("sampler %q with %d trials, want %q with %d", s.Search.Sampler, s.Search.Trials, c.sampler, c.trials)
			}
			desc := builtinFFNDesc(t)
			if trials, err := Expand(s, desc); err != nil || len(trials) != 0 {
				t.Errorf("Expand of an adaptive search: %d trials, %v; want none", len(trials), err)
			}
			ss, err := NewSearchSpace(s, desc)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]search.Kind{}
			for _, d := range ss.Space {
				got[d.Name] = d.Kind
			}
			if !reflect.DeepEqual(got, c.dims) {
				t.Errorf("space %v, want %v", got, c.dims)
			}
			p, err := search.NewRandom(ss.Space, uint64(s.Seed)).Ask(nil)
			if err != nil {
				t.Fatal(err)
			}
			trials, err := ss.Trials(0, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(trials) != s.Repeats || !strings.HasPrefix(trials[0].Name, c.prefix) {
				t.Errorf("trials %+v, want %d named %s...", trials, s.Repeats, c.prefix)
			}
		})
	}
}

// TestTextbookTPE checks tpe_search.toml against what its comments and the
// textbook say: the FFN on 20,000 rows × 50 features, 100 epochs, 60 TPE
// trials over the five dimensions with their bounds, ASHA from epoch 5
// with eta 3, minimising val_loss.
func TestTextbookTPE(t *testing.T) {
	s, err := Load(filepath.Join("..", "..", "sweeps", "tpe_search.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "tpe_search" || s.Model != "ffn" || s.Data.ValSplit != 0.2 ||
		s.Data.Synthetic == nil || s.Data.Synthetic.Rows != 20000 || s.Data.Synthetic.Features != 50 {
		t.Errorf("spec: %+v", s)
	}
	if got, want := s.DescribeSearch(), "tpe, 60 trials, asha (min_epochs 5, eta 3), objective val_loss (min)"; got != want {
		t.Errorf("DescribeSearch %q, want %q", got, want)
	}
	ss, err := NewSearchSpace(s, ffnDesc())
	if err != nil {
		t.Fatal(err)
	}
	want := search.Space{
		{Name: "lr", Kind: search.LogUniform, Lo: 1e-4, Hi: 1e-1},
		{Name: "dropout", Kind: search.Uniform, Lo: 0, Hi: 0.5},
		{Name: "weight_decay", Kind: search.LogUniform, Lo: 1e-6, Hi: 1e-2},
		{Name: "batch_size", Kind: search.Int, Lo: 32, Hi: 256},
		{Name: "hidden_dims", Kind: search.Choice, Choices: []any{[]int64{64, 32}, []int64{128, 64}, []int64{256, 128}}},
	}
	if !reflect.DeepEqual(ss.Space, want) {
		t.Errorf("space:\ngot  %+v\nwant %+v", ss.Space, want)
	}
	trials, err := ss.Trials(0, map[string]any{"lr": 0.001, "dropout": 0.25, "weight_decay": 1e-5,
		"batch_size": int64(64), "hidden_dims": []int64{128, 64}})
	if err != nil {
		t.Fatal(err)
	}
	if e := trials[0].Params["epochs"]; e != int64(100) {
		t.Errorf("epochs %#v, want 100", e)
	}
	if got, ok := ss.Fixed("epochs"); !ok || got != int64(100) {
		t.Errorf("Fixed(\"epochs\") = %#v, %v; want 100, ASHA's max epochs", got, ok)
	}
	asha, err := search.NewASHA(t.TempDir(), search.ASHAConfig{MinEpochs: s.Prune.MinEpochs, Eta: s.Prune.Eta, MaxEpochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := asha.Rungs(); !reflect.DeepEqual(got, []int{5, 15, 45}) {
		t.Errorf("rungs %v, want the [5, 15, 45] the comments promise", got)
	}
}

// TestObjectiveOfAModelWithoutTheMetric proves that a grid of a model that
// reports no val_loss still runs when it asks for no objective, while a
// pruner (or a search) refuses the default val_loss, naming the model's
// metrics, until [objective] names one it reports.
func TestObjectiveOfAModelWithoutTheMetric(t *testing.T) {
	desc := plugins.Description{Name: "m", Metrics: []string{"loss"},
		Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeInt, Default: int64(1)},
			{Name: "epochs", Type: plugins.TypeInt, Default: int64(9)}}}
	// A grid that asks for no objective runs: its trials just have no score.
	if _, err := Expand(mustParse(t, "[grid]\nx = [1, 2]\n"), desc); err != nil {
		t.Errorf("a grid without [objective]: %v", err)
	}
	// A pruner needs the metric: the default is refused at [prune]'s line.
	s := mustParse(t, "[grid]\nx = [1, 2]\n\n[prune]\nmethod = \"asha\"\n")
	_, err := Expand(s, desc)
	if err == nil || !strings.HasSuffix(err.Error(), `:4: objective: model "m" reports no metric "val_loss" (did you mean "loss"?); it reports: loss`) {
		t.Errorf("error %v, want the default metric refused at [prune]", err)
	}
	s = mustParse(t, "[objective]\nmetric = \"loss\"\n[grid]\nx = [1, 2]\n[prune]\nmethod = \"asha\"\n")
	if _, err := Expand(s, desc); err != nil {
		t.Errorf("with metric = \"loss\": %v", err)
	}
}
