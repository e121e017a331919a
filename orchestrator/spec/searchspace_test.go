package spec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/plugins"
)

const typedSearch = `seed = 10
repeats = 2
[params]
epochs = 7
[search]
sampler = "random"
trials = 5
[search.space]
lr           = { log_uniform = [1e-4, 1e-1] }
batch_size   = { int = [16, 128] }
weight_decay = { int = [0, 3] }
hidden_dims  = { choice = [[64, 32], [128]] }
activation   = { choice = ["relu", "tanh"] }
dropout      = { uniform = [0, 1] }
`

// typedSample is one configuration of typedSearch, with the Go types the
// sampler gives.
func typedSample() map[string]any {
	return map[string]any{"lr": 0.01, "batch_size": int64(32), "weight_decay": 2.0,
		"hidden_dims": []int64{64, 32}, "activation": "tanh", "dropout": 0.5}
}

func mustSearchSpace(t *testing.T, src string) *SearchSpace {
	t.Helper()
	ss, err := NewSearchSpace(mustParse(t, src), ffnDesc())
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// TestNewSearchSpaceTypes proves that each dimension of [search.space] is
// converted for the sampler with its hyperparameter's type: float bounds,
// an int dimension of a float hyperparameter marked AsFloat (so that it
// draws float64s, and of an int one int64s), and choices of the
// hyperparameter's Go type, lists included.
func TestNewSearchSpaceTypes(t *testing.T) {
	ss := mustSearchSpace(t, typedSearch)
	want := search.Space{
		{Name: "lr", Kind: search.LogUniform, Lo: 1e-4, Hi: 1e-1},
		{Name: "batch_size", Kind: search.Int, Lo: 16, Hi: 128},
		{Name: "weight_decay", Kind: search.Int, Lo: 0, Hi: 3, AsFloat: true},
		{Name: "hidden_dims", Kind: search.Choice, Choices: []any{[]int64{64, 32}, []int64{128}}},
		{Name: "activation", Kind: search.Choice, Choices: []any{"relu", "tanh"}},
		{Name: "dropout", Kind: search.Uniform, Lo: 0, Hi: 1},
	}
	if !reflect.DeepEqual(ss.Space, want) {
		t.Fatalf("space:\ngot  %#v\nwant %#v", ss.Space, want)
	}
	for _, c := range []struct {
		dim  int
		x    float64
		want any
	}{
		{1, 20.4, int64(20)},
		{1, 500, int64(128)}, // clamped
		{2, 2, 2.0},
		{3, 1, []int64{128}},
		{0, 0.012345678, 0.01235},
	} {
		if got := ss.Space[c.dim].Value(c.x); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s.Value(%v) = %#v, want %#v", ss.Space[c.dim].Name, c.x, got, c.want)
		}
	}
	if _, err := NewSearchSpace(mustParse(t, "[grid]\nlr = [0.1]\n"), ffnDesc()); err == nil ||
		!strings.Contains(err.Error(), "a grid sweep has no search space") {
		t.Errorf("NewSearchSpace of a grid: %v", err)
	}
}

// TestSearchSpaceSampler proves that the spec's sampler is the one used:
// random for "random", TPE for "tpe", both seeded by the sweep's seed.
func TestSearchSpaceSampler(t *testing.T) {
	if s := mustSearchSpace(t, typedSearch).Sampler(); fmt.Sprintf("%T", s) != "*search.RandomSampler" {
		t.Errorf("random: sampler %T", s)
	}
	tpe := strings.Replace(typedSearch, `sampler = "random"`, `sampler = "tpe"`, 1)
	if s := mustSearchSpace(t, tpe).Sampler(); fmt.Sprintf("%T", s) != "*search.TPESampler" {
		t.Errorf("tpe: sampler %T", s)
	}
}

// TestSearchSpaceTrials proves that a proposal becomes one trial per
// repeat: every hyperparameter filled in ([params] over the defaults, the
// proposal over both) with its Go type, seeds Seed+r, one ConfigID, the
// configuration's number, the default name with the seed suffix, and IDs
// equal to those Expand gives the same configuration in a grid, so that a
// search and a grid share finished trials. Each trial owns its Params.
func TestSearchSpaceTrials(t *testing.T) {
	ss := mustSearchSpace(t, typedSearch)
	sample := typedSample()
	trials, err := ss.Trials(3, sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 2 {
		t.Fatalf("%d trials, want one per repeat (2)", len(trials))
	}
	swept := []string{"lr", "batch_size", "weight_decay", "hidden_dims", "activation", "dropout"}
	for r, tr := range trials {
		if tr.Number != 3 || tr.Repeat != r || tr.Seed != 10+int64(r) || tr.Index != 3*2+r {
			t.Errorf("trial %d: number %d repeat %d seed %d index %d", r, tr.Number, tr.Repeat, tr.Seed, tr.Index)
		}
		if !reflect.DeepEqual(tr.Swept, swept) {
			t.Errorf("trial %d: swept %v, want %v", r, tr.Swept, swept)
		}
		if len(tr.Params) != len(ffnDesc().Params) {
			t.Errorf("trial %d: %d params, want every one of the model's %d", r, len(tr.Params), len(ffnDesc().Params))
		}
		for k, v := range map[string]any{"epochs": int64(7), "patience": int64(10), "lr": 0.01, "batch_size": int64(32),
			"weight_decay": 2.0, "hidden_dims": []int64{64, 32}, "activation": "tanh"} {
			if got := tr.Params[k]; !reflect.DeepEqual(got, v) {
				t.Errorf("trial %d: %s = %#v, want %#v", r, k, got, v)
			}
		}
		name := fmt.Sprintf("ffn_lr0.01_batch_size32_weight_decay2.0_hidden_dims64-32_activationtanh_dropout0.5_seed%d", 10+r)
		if tr.Name != name {
			t.Errorf("trial %d: name %q, want %q", r, tr.Name, name)
		}
	}
	if trials[0].ConfigID != trials[1].ConfigID || trials[0].ID == trials[1].ID {
		t.Errorf("repeats: IDs %s %s, config IDs %s %s; want one config ID and two IDs",
			trials[0].ID, trials[1].ID, trials[0].ConfigID, trials[1].ConfigID)
	}
	again, _ := ss.Trials(3, typedSample())
	if again[0].ID != trials[0].ID || again[1].ID != trials[1].ID {
		t.Errorf("the same proposal gave other IDs")
	}
	other := typedSample()
	other["dropout"] = 0.25
	if o, _ := ss.Trials(3, other); o[0].ConfigID == trials[0].ConfigID {
		t.Errorf("another proposal has the same config ID")
	}

	grid := mustExpand(t, `seed = 10
repeats = 2
[params]
epochs = 7
[grid]
lr           = [0.01]
batch_size   = [32]
weight_decay = [2]
hidden_dims  = [[64, 32]]
activation   = ["tanh"]
dropout      = [0.5]
`)
	for r := range trials {
		if grid[r].ID != trials[r].ID || grid[r].ConfigID != trials[r].ConfigID {
			t.Errorf("repeat %d: search ID %s/%s, grid ID %s/%s; want equal", r, trials[r].ID, trials[r].ConfigID, grid[r].ID, grid[r].ConfigID)
		}
	}

	trials[0].Params["hidden_dims"].([]int64)[0] = 999
	if sample["hidden_dims"].([]int64)[0] != 64 || trials[1].Params["hidden_dims"].([]int64)[0] != 64 {
		t.Errorf("trials share hidden_dims with the proposal or with each other")
	}
	if ss.Space[3].Choices[0].([]int64)[0] != 64 {
		t.Errorf("a trial shares hidden_dims with the space")
	}
}

// TestTrialPlaceholder proves that {trial} renders the configuration's
// number: the order a search asked it, or the position in a grid's product
// (the same for every repeat), and that {repeat} spares the seed suffix.
func TestTrialPlaceholder(t *testing.T) {
	ss := mustSearchSpace(t, "trial_name = \"t{trial}_bs{batch_size}_r{repeat}\"\n"+typedSearch)
	trials, err := ss.Trials(12, typedSample())
	if err != nil {
		t.Fatal(err)
	}
	if got := trialNames(trials); !reflect.DeepEqual(got, []string{"t12_bs32_r0", "t12_bs32_r1"}) {
		t.Errorf("search names %q", got)
	}
	grid := mustExpand(t, "repeats = 2\ntrial_name = \"c{trial}_s{seed}\"\n[grid]\nlr = [0.1, 0.2]\n")
	if got, want := trialNames(grid), []string{"c0_s0", "c1_s0", "c0_s1", "c1_s1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("grid names %q, want %q", got, want)
	}
}

// TestSearchSpaceTrialsBadName proves that a proposal whose rendered name
// cannot be a directory name is an error naming the configuration and
// telling the user to set trial_name, rather than a trial written outside
// its directory.
func TestSearchSpaceTrialsBadName(t *testing.T) {
	desc := plugins.Description{Name: "m", Metrics: []string{"val_loss"},
		Params: []plugins.ParamSpec{{Name: "path", Type: plugins.TypeString, Default: "x"}}}
	s := mustParse(t, "trial_name = \"p{path}\"\n[search]\nsampler = \"random\"\ntrials = 2\n[search.space]\npath = { choice = [\"a\", \"b/../../c\"] }\n")
	ss, err := NewSearchSpace(s, desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Trials(0, map[string]any{"path": "a"}); err != nil {
		t.Errorf("a good name: %v", err)
	}
	_, err = ss.Trials(1, map[string]any{"path": "b/../../c"})
	if err == nil || !strings.HasPrefix(err.Error(), "trial 1 (path=b/../../c): ") || !strings.HasSuffix(err.Error(), "; set trial_name") {
		t.Errorf("a name with a separator: %v", err)
	}
}

// TestSearchSpaceFixed proves that Fixed gives the value every trial takes
// for a hyperparameter the space does not draw ([params], else the model's
// default), and nothing for a drawn dimension or an unknown name.
func TestSearchSpaceFixed(t *testing.T) {
	s := mustParse(t, "[params]\nepochs = 7\n[search]\nsampler = \"random\"\ntrials = 2\n[search.space]\nlr = { log_uniform = [1e-4, 1e-1] }\n")
	ss, err := NewSearchSpace(s, ffnDesc())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want any
		ok   bool
	}{
		{"epochs", int64(7), true},
		{"batch_size", int64(64), true},
		{"hidden_dims", []int64{64, 32}, true},
		{"lr", nil, false},
		{"no_such", nil, false},
	} {
		if got, ok := ss.Fixed(c.name); ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Fixed(%q) = %#v, %v; want %#v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
