package spec

import (
	"fmt"
	"reflect"
	"time"

	"github.com/sweep-ml/sweep/results"
)

// The samplers a grid's [search] table may name.
const (
	SamplerGrid   = "grid"   // every point of [grid] × [zip] (the default)
	SamplerRandom = "random" // independent draws from [search.space]
	SamplerTPE    = "tpe"    // the tree-structured Parzen estimator over [search.space]
)

// The pruning methods of [prune].
const (
	PruneNone   = "none"
	PruneASHA   = "asha"   // asynchronous successive halving
	PruneMedian = "median" // the median stopping rule
)

// The objective's modes.
const (
	ModeMin = results.ModeMin
	ModeMax = results.ModeMax
)

// Defaults of [objective] and [prune].
const (
	DefaultMetric = "val_loss"
	DefaultEta    = 3
)

// Search is the [search] table: which sampler proposes configurations, and
// its budget.
type Search struct {
	Sampler string        // one of the Sampler constants
	Trials  int           // random, tpe: configurations to try, each run `repeats` times
	Timeout time.Duration // 0: none; else no new trial starts after this wall time
	Space   []SpaceAxis   // [search.space], in file order
	Line    int
}

// Adaptive reports whether configurations are proposed one by one while
// the sweep runs (random, tpe) rather than listed before it starts (grid).
func (s Search) Adaptive() bool { return s.Sampler == SamplerRandom || s.Sampler == SamplerTPE }

// Objective is the [objective] table: what the ranking, the sampler and
// the pruner optimise. A trial's score is the best value of Metric over
// its epochs.
type Objective = results.Objective

// Prune is the [prune] table.
type Prune struct {
	Method    string // one of the Prune constants
	MinEpochs int    // asha: the first rung (grace period); median: the warm-up
	Eta       int    // asha: each rung keeps the best 1/Eta
	Line      int
}

// The forms of the adaptive-search tables, quoted in errors.
const (
	spaceAxisForm = `a search dimension is { uniform = [lo, hi] }, { log_uniform = [lo, hi] }, { int = [lo, hi] } or { choice = [values] }`
	randomMoved   = `[random] is now a random search: write [search] with sampler = "random" and trials = 20 (was samples), ` +
		`and its dimensions under [search.space], e.g. lr = { log_uniform = [1e-4, 1e-1] }`
)

type searchTable struct {
	Sampler string   `toml:"sampler"`
	Trials  int      `toml:"trials"`
	Timeout string   `toml:"timeout"`
	Space   struct{} `toml:"space"`
}

// search reads [search] and [search.space].
func (p *specParser) search(s *Spec, n *tomlNode) {
	var t searchTable
	p.decodeStruct(n, reflect.ValueOf(&t).Elem())
	s.Search.Line = n.line
	if k := n.kid("sampler"); k != nil && isString(k) {
		switch t.Sampler {
		case SamplerGrid, SamplerRandom, SamplerTPE:
			s.Search.Sampler = t.Sampler
		default:
			p.errorf(k, "must be %q, %q or %q, not %q", SamplerGrid, SamplerRandom, SamplerTPE, t.Sampler)
		}
	}
	if k := n.kid("trials"); k != nil {
		switch {
		case !s.Search.Adaptive():
			p.errorf(k, "trials is the budget of a random or tpe search; a grid runs each of its points")
		case t.Trials < 1 || t.Trials > MaxTrials:
			p.errorf(k, "must be between 1 and %d, not %d", MaxTrials, t.Trials)
		default:
			s.Search.Trials = t.Trials
		}
	} else if s.Search.Adaptive() {
		p.errorf(n, "trials is required: how many configurations the %s search tries", s.Search.Sampler)
	}
	if k := n.kid("timeout"); k != nil && isString(k) {
		s.Search.Timeout = p.duration(k, t.Timeout, "no limit")
	}
	space := n.kid("space")
	switch {
	case space != nil && !s.Search.Adaptive():
		p.errorf(space, "[search.space] is what sampler = \"random\" or \"tpe\" draws from; set sampler in [search]")
	case space != nil && p.table(space):
		for _, k := range space.kids {
			if a, ok := p.spaceAxis(k, k.path[len(k.path)-1]); ok {
				s.Search.Space = append(s.Search.Space, a)
			}
		}
		if len(space.kids) == 0 {
			p.errorf(space, "no dimensions; add one, e.g. lr = { log_uniform = [1e-4, 1e-1] }")
		}
	case space == nil && s.Search.Adaptive():
		p.errorf(n, "a %s search needs [search.space]: the dimensions it draws, e.g. lr = { log_uniform = [1e-4, 1e-1] }", s.Search.Sampler)
	}
}

// duration reads a positive duration; none says what leaving it out means.
func (p *specParser) duration(k *tomlNode, v, none string) time.Duration {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.errorf(k, "not a duration (e.g. \"90s\", \"10m\", \"1h30m\"): %q", v)
	case d <= 0:
		p.errorf(k, "must be positive; leave it out for %s", none)
	default:
		return d
	}
	return 0
}

type objectiveTable struct {
	Metric string `toml:"metric"`
	Mode   string `toml:"mode"`
}

// objective reads [objective]; the metric is checked against the model's
// declared metrics later, in resolve.
func (p *specParser) objective(s *Spec, n *tomlNode) {
	t := objectiveTable{Metric: s.Objective.Metric, Mode: s.Objective.Mode}
	p.decodeStruct(n, reflect.ValueOf(&t).Elem())
	if k := n.kid("metric"); k != nil && isString(k) && t.Metric == "" {
		p.errorf(k, "empty metric; leave it out for %q", DefaultMetric)
		t.Metric = DefaultMetric
	}
	if k := n.kid("mode"); k != nil && isString(k) && t.Mode != ModeMin && t.Mode != ModeMax {
		p.errorf(k, "must be %q or %q, not %q", ModeMin, ModeMax, t.Mode)
		t.Mode = ModeMin
	}
	s.Objective = Objective(t)
}

type pruneTable struct {
	Method    string `toml:"method"`
	MinEpochs int    `toml:"min_epochs"`
	Eta       int    `toml:"eta"`
}

// prune reads [prune].
func (p *specParser) prune(s *Spec, n *tomlNode) {
	t := pruneTable{Method: PruneNone, MinEpochs: 1, Eta: DefaultEta}
	p.decodeStruct(n, reflect.ValueOf(&t).Elem())
	s.Prune = Prune{Method: PruneNone, MinEpochs: t.MinEpochs, Eta: t.Eta, Line: n.line}
	if k := n.kid("method"); k != nil && isString(k) {
		switch t.Method {
		case PruneNone, PruneASHA, PruneMedian:
			s.Prune.Method = t.Method
		default:
			p.errorf(k, "must be %q, %q or %q, not %q", PruneASHA, PruneMedian, PruneNone, t.Method)
		}
	}
	if k := n.kid("min_epochs"); k != nil && t.MinEpochs < 1 {
		p.errorf(k, "must be at least 1, not %d", t.MinEpochs)
	}
	if k := n.kid("eta"); k != nil {
		switch {
		case s.Prune.Method == PruneMedian:
			p.errorf(k, "eta is ASHA's; the median rule has none")
		case t.Eta < 2:
			p.errorf(k, "must be at least 2 (each rung keeps the best 1/eta), not %d", t.Eta)
		}
	}
}

// spaceAxis reads one dimension of [search.space].
func (p *specParser) spaceAxis(k *tomlNode, name string) (SpaceAxis, bool) {
	if !k.isTable() || len(k.kids) != 1 {
		p.errorf(k, "%s", spaceAxisForm)
		return SpaceAxis{}, false
	}
	d := k.kids[0]
	dist := d.path[len(d.path)-1]
	args, ok := d.val.([]any)
	if !ok {
		p.errorf(d, "%s", spaceAxisForm)
		return SpaceAxis{}, false
	}
	for _, v := range args {
		if !p.hyperValue(d, v) {
			return SpaceAxis{}, false
		}
	}
	a := SpaceAxis{Name: name, Dist: dist, Args: args, Line: k.line}
	switch dist {
	case DistChoice:
		if len(args) == 0 {
			p.errorf(d, "no values to choose from")
			return a, false
		}
		return a, true
	case DistInt:
		return a, p.intRange(d, args)
	case DistUniform, DistLogUniform:
		lo, hi, ok := p.floatRange(d, dist, args)
		a.Args = []any{lo, hi}
		return a, ok
	}
	p.errorf(d, "unknown distribution; %s", spaceAxisForm)
	return a, false
}

func (p *specParser) intRange(d *tomlNode, args []any) bool {
	if len(args) != 2 {
		p.errorf(d, "want two integers [lo, hi]")
		return false
	}
	lo, okLo := args[0].(int64)
	hi, okHi := args[1].(int64)
	switch {
	case !okLo || !okHi:
		p.errorf(d, "want two integers [lo, hi]")
	case lo > hi:
		p.errorf(d, "lo %d is above hi %d", lo, hi)
	case hi-lo < 0 || hi-lo >= 1<<53:
		p.errorf(d, "range [%d, %d] is too wide", lo, hi)
	default:
		return true
	}
	return false
}

func (p *specParser) floatRange(d *tomlNode, dist string, args []any) (lo, hi float64, ok bool) {
	if len(args) != 2 {
		p.errorf(d, "want two numbers [lo, hi]")
		return 0, 0, false
	}
	lo, okLo := toFloat(args[0])
	hi, okHi := toFloat(args[1])
	switch {
	case !okLo || !okHi:
		p.errorf(d, "want two numbers [lo, hi]")
	case lo >= hi:
		p.errorf(d, "lo %v must be below hi %v", lo, hi)
	case dist == DistLogUniform && lo <= 0:
		p.errorf(d, "lo must be positive for a log-uniform dimension, not %v", lo)
	default:
		return lo, hi, true
	}
	return lo, hi, false
}

// checkSearch refuses combinations of tables that have no meaning.
func (p *specParser) checkSearch(s *Spec, root *tomlNode) {
	if !s.Search.Adaptive() {
		return
	}
	for _, table := range []string{"grid", "zip"} {
		if n := root.kid(table); n != nil {
			p.errorf(n, "[%s] with sampler = %q: a %s search draws every swept hyperparameter from [search.space]; "+
				"move each axis there as { choice = [...] }, or fix it in [params]", table, s.Search.Sampler, s.Search.Sampler)
		}
	}
}

// DescribeSearch names the search as `sweep plan` shows it: "tpe, 60
// trials, asha (min_epochs 5, eta 3), objective val_loss (min)".
func (s *Spec) DescribeSearch() string {
	out := s.Search.Sampler
	if s.Search.Adaptive() {
		out += fmt.Sprintf(", %d trials", s.Search.Trials)
	}
	switch s.Prune.Method {
	case PruneASHA:
		out += fmt.Sprintf(", asha (min_epochs %d, eta %d)", s.Prune.MinEpochs, s.Prune.Eta)
	case PruneMedian:
		out += fmt.Sprintf(", median (min_epochs %d)", s.Prune.MinEpochs)
	}
	return out + fmt.Sprintf(", objective %s (%s)", s.Objective.Metric, s.Objective.Mode)
}
