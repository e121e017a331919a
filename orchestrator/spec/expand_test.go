package spec

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

func TestExpand(t *testing.T) {
	for _, c := range []struct {
		name  string
		src   string
		names []string         // every trial's name, in order
		swept []string         // Swept of every trial
		seeds []int64          // every trial's seed; nil: all 0
		want  []plugins.Params // some Params of the first trials
	}{{
		name: "grid, first axis slowest",
		src:  "[grid]\ndropout = [0.1, 0.2]\nactivation = [\"relu\", \"tanh\"]\n",
		names: []string{"ffn_dropout0.1_activationrelu", "ffn_dropout0.1_activationtanh",
			"ffn_dropout0.2_activationrelu", "ffn_dropout0.2_activationtanh"},
		swept: []string{"dropout", "activation"},
		want: []plugins.Params{{"dropout": 0.1, "activation": "relu"}, {"dropout": 0.1, "activation": "tanh"},
			{"dropout": 0.2, "activation": "relu"}},
	}, {
		name:  "lists of lists keep their type",
		src:   "[grid]\nhidden_dims = [[64, 32], [128]]\nloss_weights = [[1, 0.5]]\n",
		names: []string{"ffn_hidden_dims64-32_loss_weights1.0-0.5", "ffn_hidden_dims128_loss_weights1.0-0.5"},
		swept: []string{"hidden_dims", "loss_weights"},
		want: []plugins.Params{{"hidden_dims": []int64{64, 32}, "loss_weights": []float64{1, 0.5}},
			{"hidden_dims": []int64{128}}},
	}, {
		name:  "an integer for a float becomes a float",
		src:   "[params]\nweight_decay = 0\n[grid]\nlr = [1, 0.5]\n",
		names: []string{"ffn_lr1.0", "ffn_lr0.5"},
		swept: []string{"lr"},
		want:  []plugins.Params{{"lr": 1.0, "weight_decay": 0.0}},
	}, {
		name: "zip groups move together and cross with the grid",
		src: "[grid]\ndropout = [0.1, 0.2]\n[zip.schedule]\nlr = [0.1, 0.01]\nbatch_size = [32, 64]\n" +
			"[zip.stop]\npatience = [1, 2]\nmin_delta = [0.0, 0.5]\n",
		names: []string{
			"ffn_dropout0.1_lr0.1_batch_size32_patience1_min_delta0.0",
			"ffn_dropout0.1_lr0.1_batch_size32_patience2_min_delta0.5",
			"ffn_dropout0.1_lr0.01_batch_size64_patience1_min_delta0.0",
			"ffn_dropout0.1_lr0.01_batch_size64_patience2_min_delta0.5",
			"ffn_dropout0.2_lr0.1_batch_size32_patience1_min_delta0.0",
			"ffn_dropout0.2_lr0.1_batch_size32_patience2_min_delta0.5",
			"ffn_dropout0.2_lr0.01_batch_size64_patience1_min_delta0.0",
			"ffn_dropout0.2_lr0.01_batch_size64_patience2_min_delta0.5",
		},
		swept: []string{"dropout", "lr", "batch_size", "patience", "min_delta"},
		want:  []plugins.Params{{"dropout": 0.1, "lr": 0.1, "batch_size": int64(32), "patience": int64(1), "min_delta": 0.0}},
	}, {
		name:  "repeats are outermost and get a seed suffix",
		src:   "seed = 10\nrepeats = 2\n[grid]\nlr = [0.1, 0.01]\n",
		names: []string{"ffn_lr0.1_seed10", "ffn_lr0.01_seed10", "ffn_lr0.1_seed11", "ffn_lr0.01_seed11"},
		swept: []string{"lr"},
		seeds: []int64{10, 10, 11, 11},
	}, {
		name:  "a template with {seed} needs no suffix",
		src:   "seed = -1\nrepeats = 2\ntrial_name = \"net-{lr}-s{seed}\"\n[grid]\nlr = [0.1]\n",
		names: []string{"net-0.1-s-1", "net-0.1-s0"},
		swept: []string{"lr"},
		seeds: []int64{-1, 0},
	}, {
		name:  "a template with {repeat}",
		src:   "repeats = 2\ntrial_name = \"r{repeat}_e{epochs}\"\n",
		names: []string{"r0_e100", "r1_e100"},
		swept: []string{},
		seeds: []int64{0, 1},
	}, {
		name:  "fixed parameters over defaults",
		src:   "[params]\nepochs = 5\nhidden_dims = []\nbatch_norm = false\n",
		names: []string{"ffn"},
		swept: []string{},
		want: []plugins.Params{{"epochs": int64(5), "hidden_dims": []int64{}, "batch_norm": false,
			"patience": int64(10), "lr_schedule": "none"}},
	}} {
		t.Run(c.name, func(t *testing.T) {
			trials := mustExpand(t, c.src)
			if got := trialNames(trials); !reflect.DeepEqual(got, c.names) {
				t.Fatalf("names:\ngot  %q\nwant %q", got, c.names)
			}
			for i, tr := range trials {
				if tr.Index != i {
					t.Errorf("trial %d has Index %d", i, tr.Index)
				}
				if !reflect.DeepEqual(tr.Swept, c.swept) && !(len(tr.Swept) == 0 && len(c.swept) == 0) {
					t.Errorf("trial %d: Swept %q, want %q", i, tr.Swept, c.swept)
				}
				var seed int64
				if c.seeds != nil {
					seed = c.seeds[i]
				}
				if tr.Seed != seed {
					t.Errorf("trial %d: seed %d, want %d", i, tr.Seed, seed)
				}
				if len(tr.Params) != len(ffnDesc().Params) {
					t.Errorf("trial %d: %d params, want every one of the model's %d", i, len(tr.Params), len(ffnDesc().Params))
				}
			}
			for i, want := range c.want {
				for k, v := range want {
					if got := trials[i].Params[k]; !reflect.DeepEqual(got, v) {
						t.Errorf("trial %d: %s = %#v, want %#v", i, k, got, v)
					}
				}
			}
		})
	}
}

func trialNames(trials []Trial) []string {
	names := make([]string, len(trials))
	for i, tr := range trials {
		names[i] = tr.Name
	}
	return names
}

// TestExpandSharesNoSlices checks that changing one trial's list value
// leaves the other trials, and a second expansion, alone.
func TestExpandSharesNoSlices(t *testing.T) {
	s := mustParse(t, "[grid]\nlr = [0.1, 0.2]\n")
	trials, err := Expand(s, ffnDesc())
	if err != nil {
		t.Fatal(err)
	}
	trials[0].Params["hidden_dims"].([]int64)[0] = 999
	if trials[1].Params["hidden_dims"].([]int64)[0] != 64 {
		t.Errorf("trials share hidden_dims")
	}
	again, _ := Expand(s, ffnDesc())
	if again[0].Params["hidden_dims"].([]int64)[0] != 64 || ffnDesc().Params[0].Default.([]int64)[0] != 64 {
		t.Errorf("a trial shares hidden_dims with the spec or the description")
	}
}

const randomGrid = `seed = %d
[search]
sampler = "random"
trials  = 200
[search.space]
lr           = { log_uniform = [1e-4, 1e-1] }
dropout      = { uniform = [0.1, 0.5] }
batch_size   = { int = [16, 128] }
hidden_dims  = { choice = [[64, 32], [128, 64], [8]] }
weight_decay = { int = [0, 3] }
activation   = { choice = ["relu", "tanh"] }
`

// randomSpace is randomGrid with the given seed, checked against the FFN.
func randomSpace(t *testing.T, seed int) *SearchSpace {
	t.Helper()
	ss, err := NewSearchSpace(mustParse(t, strings.Replace(randomGrid, "%d", strconv.Itoa(seed), 1)), ffnDesc())
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// askN asks ss's sampler for n configurations in turn, telling it each
// one as complete (state is what a caller passes for the history).
func askN(t *testing.T, ss *SearchSpace, n int, state search.State) []map[string]any {
	t.Helper()
	sampler := ss.Sampler()
	var history []search.Observation
	var out []map[string]any
	for range n {
		p, err := sampler.Ask(history)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
		history = append(history, search.Observation{Params: p, State: state, Value: 1})
	}
	return out
}

// TestRandomReproducible proves that a random search's proposals depend
// only on the sweep's seed and the configuration's number: the same seed
// gives the same proposals (whatever the history's outcomes), another seed
// others, and the first proposal of seed 1 is pinned.
func TestRandomReproducible(t *testing.T) {
	a := askN(t, randomSpace(t, 1), 200, search.Complete)
	if b := askN(t, randomSpace(t, 1), 200, search.Running); !reflect.DeepEqual(a, b) {
		t.Errorf("the same seed gave different proposals")
	}
	c := askN(t, randomSpace(t, 2), 200, search.Complete)
	same := 0
	for i := range a {
		if a[i]["lr"] == c[i]["lr"] {
			same++
		}
	}
	if same > 2 {
		t.Errorf("seeds 1 and 2 drew the same lr %d times of %d", same, len(a))
	}
	// Pinned draws: the first proposal of seed 1, computed by this code
	// when the drawing rule was fixed. A change gives two runs of one grid
	// file on two machines different searches.
	want := map[string]any{"lr": 0.0003442, "dropout": 0.3543, "batch_size": int64(23),
		"hidden_dims": []int64{64, 32}, "weight_decay": 2.0, "activation": "tanh"}
	if !reflect.DeepEqual(a[0], want) {
		t.Errorf("first proposal:\ngot  %#v\nwant %#v", a[0], want)
	}
}

// TestRandomDraws proves that the random sampler, over a space read from
// a grid file, draws within every dimension's range with the
// hyperparameter's Go type, rounds floats to search.Digits significant
// digits, includes both ends of an int range, draws log-uniformly and
// uniformly, and proposes no configuration twice.
func TestRandomDraws(t *testing.T) {
	const samples = 200
	ss := randomSpace(t, 3)
	draws := askN(t, ss, samples, search.Complete)
	ints := map[int64]bool{}
	var below, sumDropout float64
	seen := map[string]bool{}
	for i, p := range draws {
		sumDropout += p["dropout"].(float64)
		if p["lr"].(float64) < math.Sqrt(1e-4*1e-1) {
			below++
		}
		for _, k := range []string{"lr", "dropout"} {
			x := p[k].(float64)
			if r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', search.Digits, 64), 64); r != x {
				t.Errorf("%s = %v has more than %d significant digits", k, x, search.Digits)
			}
		}
		if lr := p["lr"].(float64); lr < 1e-4 || lr > 1e-1 {
			t.Errorf("lr %v outside [1e-4, 1e-1]", lr)
		}
		if d := p["dropout"].(float64); d < 0.1 || d > 0.5 {
			t.Errorf("dropout %v outside [0.1, 0.5]", d)
		}
		if b := p["batch_size"].(int64); b < 16 || b > 128 {
			t.Errorf("batch_size %d outside [16, 128]", b)
		}
		wd := p["weight_decay"].(float64) // an int draw for a float hyperparameter
		ints[int64(wd)] = true
		if wd != math.Trunc(wd) || wd < 0 || wd > 3 {
			t.Errorf("weight_decay %v is not an integer in [0, 3]", wd)
		}
		if h := results.FormatValue(p["hidden_dims"]); h != "[64, 32]" && h != "[128, 64]" && h != "[8]" {
			t.Errorf("hidden_dims %s is not a choice", h)
		}
		if _, ok := p["hidden_dims"].([]int64); !ok {
			t.Errorf("hidden_dims is %T, want []int64", p["hidden_dims"])
		}
		if a := p["activation"]; a != "relu" && a != "tanh" {
			t.Errorf("activation %#v is not a choice", a)
		}
		trials, err := ss.Trials(i, p)
		if err != nil {
			t.Fatal(err)
		}
		if seen[trials[0].ConfigID] {
			t.Errorf("draw %d repeats an earlier configuration", i)
		}
		seen[trials[0].ConfigID] = true
	}
	if len(ints) != 4 {
		t.Errorf("int [0, 3] drew %v in %d samples; both ends are included", ints, samples)
	}
	// Tolerances: 4.5 standard deviations of the sample statistics, with
	// p = 1/2 for the log-uniform median and σ = 0.4/√12 for the uniform.
	if f := below / samples; math.Abs(f-0.5) > 4.5*math.Sqrt(0.25/samples) {
		t.Errorf("log_uniform: %v of the draws below the geometric midpoint, want 0.5", f)
	}
	if m := sumDropout / samples; math.Abs(m-0.3) > 4.5*0.4/math.Sqrt(12*samples) {
		t.Errorf("uniform: mean %v, want 0.3", m)
	}
}

// TestCheck runs Check on grids that load but do not fit the model.
func TestCheck(t *testing.T) {
	valLoss := []string{"val_loss"} // the default objective's metric
	for _, c := range []struct {
		src  string
		desc plugins.Description
		want string // "" for no error
	}{
		{"[grid]\nlr = [0.1]\n", ffnDesc(), ""},
		{"[grid]\nlr = [0.1]\n", plugins.Description{Name: "m", Metrics: valLoss}, `grid.toml:2: grid.lr: model "m" has no hyperparameter "lr"; it has: `},
		{"[params]\nx = 1\n", plugins.Description{Name: "m", Metrics: valLoss, Params: []plugins.ParamSpec{{Name: "x", Type: "complex"}}},
			`model "m": hyperparameter "x" has an unknown type "complex"`},
		{"", plugins.Description{Name: "m", Metrics: valLoss, Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeInt}}},
			`grid.toml: model "m" needs hyperparameter "x" (int), which has no default: set it in [params] or on an axis`},
		{"[grid]\nx = [1, 2]\n", plugins.Description{Name: "m", Metrics: valLoss, Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeInt}}}, ""},
		{"", plugins.Description{Name: "m", Metrics: valLoss, Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeInt, Default: 1}}},
			`model "m": hyperparameter "x" of type int has a default of Go type int`},
		{"", plugins.Description{Name: "m", Metrics: valLoss, Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeBool}, {Name: "x", Type: plugins.TypeBool}}},
			`model "m" declares hyperparameter "x" twice`},
		{"[params]\nlr = 9007199254740993\n", ffnDesc(), `grid.toml:2: params.lr: want a float, not an integer (9007199254740993)`},
	} {
		s, err := Parse("grid.toml", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		err = s.Check(c.desc)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestExpandTooMany(t *testing.T) {
	var b strings.Builder
	b.WriteString("repeats = 1000\n[grid]\n")
	for _, k := range []string{"lr", "dropout"} {
		b.WriteString(k + " = [")
		for i := 1; i <= 40; i++ {
			b.WriteString(strconv.Itoa(i) + ".5, ")
		}
		b.WriteString("]\n")
	}
	_, err := Expand(mustParse(t, b.String()), ffnDesc())
	if err == nil || !strings.Contains(err.Error(), "more than 1000000 trials") {
		t.Errorf("1,600,000 trials: error %v", err)
	}
}

func BenchmarkExpand(b *testing.B) {
	// 10 × 10 × 10 grid points × 2 zip positions × 5 repeats = 10,000 trials.
	const src = "repeats = 5\n[grid]\nlr = [1,2,3,4,5,6,7,8,9,10]\ndropout = [1,2,3,4,5,6,7,8,9,10]\n" +
		"epochs = [1,2,3,4,5,6,7,8,9,10]\n[zip.z]\nbatch_size = [1, 2]\npatience = [3, 4]\n"
	s := mustParse(b, src)
	desc := ffnDesc()
	b.ReportAllocs()
	for b.Loop() {
		trials, err := Expand(s, desc)
		if err != nil || len(trials) != 10000 {
			b.Fatal(err, len(trials))
		}
	}
}

// TestConstraintsChecked checks every place a grid gives a value against
// the model's declared constraints: [params], [grid] and zip axes, and the
// choices and bounds of a search space.
func TestConstraintsChecked(t *testing.T) {
	constrained := plugins.Description{Name: "m", Metrics: []string{"val_loss"}, Params: []plugins.ParamSpec{
		{Name: "dropout", Type: plugins.TypeFloat, Default: 0.3, Constraints: plugins.Constraints{Min: plugins.AtLeast(0), Max: plugins.Beyond(1)}},
		{Name: "activation", Type: plugins.TypeString, Default: "relu", Constraints: plugins.Constraints{Choices: []string{"relu", "tanh"}}},
		{Name: "hidden_dims", Type: plugins.TypeIntList, Default: []int64{8}, Constraints: plugins.Constraints{Min: plugins.AtLeast(1), MinLen: 1, MaxLen: 3}},
		{Name: "batch_size", Type: plugins.TypeInt, Default: int64(32), Constraints: plugins.Constraints{Min: plugins.AtLeast(1)}},
	}}
	const search = "[search]\nsampler = \"random\"\ntrials = 4\n[search.space]\n"
	for _, c := range []struct {
		src, want string // want "" for no error
	}{
		{"[grid]\ndropout = [0.0, 0.5]\n", ""},
		{"[grid]\ndropout = [0.1, 1.5]\n", "grid.toml:2: grid.dropout: 1.5 is out of range: dropout must be in [0, 1)"},
		{"[params]\ndropout = 1\n", "grid.toml:2: params.dropout: 1 is out of range: dropout must be in [0, 1)"},
		{"[params]\nactivation = \"sigmoid\"\n", `grid.toml:2: params.activation: "sigmoid" is not allowed: activation must be one of relu, tanh`},
		{"[grid]\nhidden_dims = [[64, 0]]\n", "grid.toml:2: grid.hidden_dims: element 1: 0 is out of range: the elements of hidden_dims must be ≥ 1"},
		{"[grid]\nhidden_dims = [[8, 8, 8, 8]]\n", "grid.toml:2: grid.hidden_dims: 4 elements are not allowed: hidden_dims takes 1 to 3 elements"},
		{"[zip.z]\nbatch_size = [32, 0]\ndropout = [0.1, 0.2]\n", "grid.toml:2: zip.z.batch_size: 0 is out of range: batch_size must be ≥ 1"},
		{search + "dropout = { uniform = [0, 0.5] }\n", ""},
		{search + "dropout = { uniform = [0, 1.5] }\n", "grid.toml:5: search.space.dropout: 1.5 is out of range: dropout must be in [0, 1)"},
		{search + "dropout = { uniform = [-0.5, 0.5] }\n", "grid.toml:5: search.space.dropout: -0.5 is out of range: dropout must be in [0, 1)"},
		{search + "batch_size = { int = [0, 64] }\n", "grid.toml:5: search.space.batch_size: 0 is out of range: batch_size must be ≥ 1"},
		{search + "activation = { choice = [\"relu\", \"gelu\"] }\n", `grid.toml:5: search.space.activation: "gelu" is not allowed: activation must be one of relu, tanh`},
	} {
		s, err := Parse("grid.toml", []byte(c.src))
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		err = s.Check(constrained)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case c.want != "" && (err == nil || err.Error() != c.want):
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}

	// A model that declares no constraints accepts what its types allow.
	s, err := Parse("grid.toml", []byte("[grid]\ndropout = [1.5]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ffnDesc()); err != nil {
		t.Errorf("no constraints: %v", err)
	}
}

// TestConstraintsOfTheModel checks that a description whose constraints
// cannot hold, or whose default breaks them, is refused as the model's bug.
func TestConstraintsOfTheModel(t *testing.T) {
	for _, c := range []struct {
		ps   plugins.ParamSpec
		want string
	}{
		{plugins.ParamSpec{Name: "p", Type: plugins.TypeString, Default: "x", Constraints: plugins.Constraints{Min: plugins.AtLeast(0)}},
			`model "m": hyperparameter "p": a string cannot have a minimum or maximum`},
		{plugins.ParamSpec{Name: "p", Type: plugins.TypeFloat, Default: 2.0, Constraints: plugins.Constraints{Max: plugins.AtLeast(1)}},
			`model "m": the default of hyperparameter "p" breaks its own constraints: 2 is out of range: p must be ≤ 1`},
	} {
		s, err := Parse("grid.toml", nil)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Check(plugins.Description{Name: "m", Metrics: []string{"val_loss"}, Params: []plugins.ParamSpec{c.ps}})
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: got %v, want %s", c.ps, err, c.want)
		}
	}
}
