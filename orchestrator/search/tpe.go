package search

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
)

// TPEOptions are the knobs of a TPESampler. The zero value gives the
// defaults of Optuna 3.1's TPESampler (independent sampling), with two
// behaviours Optuna lacks or leaves off switched on: constant liar and
// repeat avoidance.
type TPEOptions struct {
	// NStartupTrials is how many finished (Complete or Pruned)
	// observations the history must hold before TPE takes over from
	// random draws. Zero means 10; a negative value means none.
	NStartupTrials int
	// NEICandidates is how many candidates of each dimension are drawn
	// from l(x) and scored by log l(x) - log g(x). Zero or less means 24.
	NEICandidates int
	// Gamma returns how many of n finished observations make up the good
	// group that l(x) models. Nil means DefaultGamma.
	Gamma func(n int) int
	// Weights returns the weights, at least n and none negative, of the n
	// observations of a group in the order they were asked. Nil means
	// DefaultWeights.
	Weights func(n int) []float64
	// PriorWeight is the weight of the prior component of each Parzen
	// estimator, relative to an observation's. Zero means 1.
	PriorWeight float64
	// NoPrior leaves out the prior component (Optuna's
	// consider_prior=False) while a group has observations.
	NoPrior bool
	// NoMagicClip lowers the floor of a component's sigma from
	// (Hi-Lo)/min(100, 1+components) to 1e-12 (consider_magic_clip=False).
	NoMagicClip bool
	// ConsiderEndpoints lets the bounds widen the extreme components
	// (consider_endpoints=True).
	ConsiderEndpoints bool
	// NoConstantLiar ignores Running observations. By default each counts
	// as a result worse than every finished one, so that workers asking
	// in parallel spread out (Optuna's constant_liar=True).
	NoConstantLiar bool
	// AllowRepeats lets Ask propose a configuration already in the
	// history. By default it proposes the best-scoring combination of
	// candidates that is new, while one is found within a bounded search.
	AllowRepeats bool
}

// DefaultGamma is Optuna's default_gamma: of n finished observations, the
// best min(ceil(n/10), 25) make up the good group.
func DefaultGamma(n int) int {
	// 0.1*n, not n/10, to round as Optuna does.
	return min(int(math.Ceil(0.1*float64(n))), 25)
}

// TPESampler proposes configurations by the Tree-structured Parzen
// Estimator (Bergstra et al. 2011), following Optuna 3.1's independent
// TPESampler. Each dimension is modelled on its own: the finished
// observations are split into a good group and the rest, a Parzen
// estimator is fitted to each, candidates are drawn from the good one,
// l(x), and the candidate maximising l(x)/g(x) is proposed.
type TPESampler struct {
	space Space
	seed  uint64

	nStartup    int
	nCandidates int
	gamma       func(n int) int
	liar        bool
	repeats     bool
	parzen      parzenParams
}

// NewTPE returns a TPE sampler of space seeded by seed.
func NewTPE(space Space, seed uint64, opts TPEOptions) *TPESampler {
	s := &TPESampler{
		space:       slices.Clone(space),
		seed:        seed,
		nStartup:    opts.NStartupTrials,
		nCandidates: opts.NEICandidates,
		gamma:       opts.Gamma,
		liar:        !opts.NoConstantLiar,
		repeats:     opts.AllowRepeats,
		parzen: parzenParams{
			considerPrior:     !opts.NoPrior,
			priorWeight:       opts.PriorWeight,
			considerMagicClip: !opts.NoMagicClip,
			considerEndpoints: opts.ConsiderEndpoints,
			weights:           opts.Weights,
		},
	}
	switch {
	case s.nStartup == 0:
		s.nStartup = 10
	case s.nStartup < 0:
		s.nStartup = 0
	}
	if s.nCandidates <= 0 {
		s.nCandidates = 24
	}
	if s.gamma == nil {
		s.gamma = DefaultGamma
	}
	if s.parzen.priorWeight == 0 {
		s.parzen.priorWeight = 1
	}
	if s.parzen.weights == nil {
		s.parzen.weights = DefaultWeights
	}
	return s
}

// errBadWeights reports a Weights option that broke its contract, or a
// negative PriorWeight.
var errBadWeights = errors.New("search: TPE weights function returned too few, negative, non-finite or all-zero weights, or prior weight negative")

// Ask proposes the next configuration. Until the history holds enough
// finished observations it draws at random, as RandomSampler does with
// the same seed; after that each dimension is drawn by TPE from the
// stream TrialRand(seed, len(history)). Observations missing a dimension,
// or holding a value outside it, are left out of that dimension's
// estimators; Failed ones are never learned from. Ask returns an error if
// the space is invalid or the Weights option misbehaves.
func (s *TPESampler) Ask(history []Observation) (map[string]any, error) {
	if err := validate(s.space); err != nil {
		return nil, err
	}
	n := 0
	for i := range history {
		if st := history[i].State; st == Complete || st == Pruned {
			n++
		}
	}
	if n < s.nStartup {
		return NewRandom(s.space, s.seed).Ask(history)
	}
	groups := s.split(history, n)
	rng := TrialRand(s.seed, len(history))
	opts := make([][]option, len(s.space))
	seen := make([][]float64, len(s.space))
	for d := range s.space {
		dim := &s.space[d]
		seen[d] = observed(dim, history)
		var err error
		if opts[d], err = s.candidates(dim, seen[d], groups, rng); err != nil {
			return nil, err
		}
	}
	return s.choose(opts, seen), nil
}

// The groups an observation of the history falls into.
const (
	unused int8 = iota // Failed, or Running without constant liar
	below              // the good group, modelled by l(x)
	above              // the rest, modelled by g(x)
)

// split assigns each observation of the history to a group, as Optuna
// 3.1's _get_observation_pairs and _split_observation_pairs do: finished
// observations are ranked Complete first by value, then Pruned by step
// descending and value (a trial pruned later got further), then Running
// ones (constant liar), ties in the order asked; the first gamma(n), n the
// number of finished ones, are the good group. A NaN or infinite value
// ranks as the worst value.
func (s *TPESampler) split(history []Observation, n int) []int8 {
	type key struct {
		i           int
		step, value float64
	}
	keys := make([]key, 0, len(history))
	for i := range history {
		o := &history[i]
		v := o.Value
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = math.Inf(1)
		}
		switch {
		case o.State == Complete:
			keys = append(keys, key{i, math.Inf(-1), v})
		case o.State == Pruned:
			keys = append(keys, key{i, -float64(o.Step), v})
		case o.State == Running && s.liar:
			keys = append(keys, key{i, math.Inf(1), math.Inf(1)})
		}
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.step, b.step); c != 0 {
			return c
		}
		return cmp.Compare(a.value, b.value)
	})
	nBelow := min(max(s.gamma(n), 0), len(keys))
	groups := make([]int8, len(history))
	for r, k := range keys {
		groups[k.i] = above
		if r < nBelow {
			groups[k.i] = below
		}
	}
	return groups
}

// option is one value a dimension may take in the proposal.
type option struct {
	value any     // the typed value
	key   float64 // its identity: the value as a float, or a choice's index
	score float64 // log l(x) - log g(x)
}

// candidates draws the dimension's candidates from l(x) and scores them.
// It returns them best first, without repeats, so that the first is
// Optuna's proposal. seen holds the history's values of the dimension
// (observed's).
func (s *TPESampler) candidates(d *Dimension, seen []float64, groups []int8, rng *rand.Rand) ([]option, error) {
	if single(d) {
		// Optuna does not sample a one-valued distribution either.
		if d.Kind == Choice {
			return []option{{value: d.Value(0), key: 0}}, nil
		}
		v := d.Value(d.Lo)
		return []option{{value: v, key: toFloat64(v)}}, nil
	}
	var opts []option
	var err error
	if d.Kind == Choice {
		opts, err = s.choiceCandidates(d, seen, groups, rng)
	} else {
		opts, err = s.numericCandidates(d, seen, groups, rng)
	}
	if err != nil {
		return nil, err
	}
	for i := range opts {
		if math.IsNaN(opts[i].score) {
			opts[i].score = math.Inf(-1)
		}
	}
	slices.SortStableFunc(opts, func(a, b option) int { return cmp.Compare(b.score, a.score) })
	out := opts[:0]
	for _, o := range opts {
		if !slices.ContainsFunc(out, func(p option) bool { return p.key == o.key }) {
			out = append(out, o)
		}
	}
	return out, nil
}

// choiceCandidates draws and scores the candidates of a Choice dimension.
func (s *TPESampler) choiceCandidates(d *Dimension, seen []float64, groups []int8, rng *rand.Rand) ([]option, error) {
	l, g, err := s.choiceEstimators(d, seen, groups)
	if err != nil {
		return nil, err
	}
	opts := make([]option, s.nCandidates)
	for j := range opts {
		c := l.sample(rng)
		opts[j] = option{value: d.Value(float64(c)), key: float64(c), score: l.logP[c] - g.logP[c]}
	}
	return opts, nil
}

// choiceEstimators returns the estimators l(x) and g(x) of a Choice
// dimension, fitted to the values seen of the good group and of the rest.
func (s *TPESampler) choiceEstimators(d *Dimension, seen []float64, groups []int8) (l, g *categoricalParzen, err error) {
	var obsBelow, obsAbove []int
	for i, v := range seen {
		switch {
		case math.IsNaN(v):
		case groups[i] == below:
			obsBelow = append(obsBelow, int(v))
		case groups[i] == above:
			obsAbove = append(obsAbove, int(v))
		}
	}
	if l, err = newCategoricalParzen(obsBelow, len(d.Choices), s.parzen); err != nil {
		return nil, nil, err
	}
	g, err = newCategoricalParzen(obsAbove, len(d.Choices), s.parzen)
	return l, g, err
}

// numericCandidates draws and scores the candidates of a Uniform,
// LogUniform or Int dimension.
func (s *TPESampler) numericCandidates(d *Dimension, seen []float64, groups []int8, rng *rand.Rand) ([]option, error) {
	l, g, err := s.numericEstimators(d, seen, groups)
	if err != nil {
		return nil, err
	}
	buf := make([]float64, max(len(l.mus), len(g.mus)))
	opts := make([]option, 0, s.nCandidates)
	for range s.nCandidates {
		x := l.sample(rng)
		v := x
		if d.Kind == LogUniform {
			v = math.Exp(x)
		}
		typed := d.Value(v)
		key := toFloat64(typed)
		// An Int's candidates repeat, and so do their scores.
		if k := slices.IndexFunc(opts, func(o option) bool { return l.discrete && o.key == key }); k >= 0 {
			opts = append(opts, opts[k])
			continue
		}
		score := l.logPDF(x, buf[:len(l.mus)]) - g.logPDF(x, buf[:len(g.mus)])
		opts = append(opts, option{value: typed, key: key, score: score})
	}
	return opts, nil
}

// numericEstimators returns the estimators l(x) and g(x) of a Uniform,
// LogUniform or Int dimension, fitted to the values seen of the good
// group and of the rest. They work in internal space: log space for
// LogUniform, and bounds widened by half a step for Int.
func (s *TPESampler) numericEstimators(d *Dimension, seen []float64, groups []int8) (l, g *numericParzen, err error) {
	low, high, toInternal := bounds(d)
	var obsBelow, obsAbove []float64
	for i, v := range seen {
		switch {
		case math.IsNaN(v):
		case groups[i] == below:
			obsBelow = append(obsBelow, toInternal(v))
		case groups[i] == above:
			obsAbove = append(obsAbove, toInternal(v))
		}
	}
	discrete := d.Kind == Int
	if l, err = newNumericParzen(obsBelow, low, high, discrete, s.parzen); err != nil {
		return nil, nil, err
	}
	g, err = newNumericParzen(obsAbove, low, high, discrete, s.parzen)
	return l, g, err
}

// bounds returns a numeric dimension's internal bounds and the map from
// its values to internal values.
func bounds(d *Dimension) (low, high float64, toInternal func(float64) float64) {
	switch d.Kind {
	case LogUniform:
		return math.Log(d.Lo), math.Log(d.Hi), math.Log
	case Int:
		return d.Lo - 0.5, d.Hi + 0.5, identity
	}
	return d.Lo, d.Hi, identity
}

func identity(x float64) float64 { return x }

// choose returns the proposal: each dimension's best option, unless that
// combination repeats a configuration of the history (and repeats are
// not allowed), in which case the best-scoring new combination, searched
// best first among at most maxRedraws combinations. If none is new, the
// best combination is proposed all the same.
func (s *TPESampler) choose(opts [][]option, seen [][]float64) map[string]any {
	ranks := make([]int, len(opts))
	if !s.repeats {
		if r, ok := bestNew(opts, seen); ok {
			ranks = r
		}
	}
	p := make(map[string]any, len(s.space))
	for d := range s.space {
		p[s.space[d].Name] = opts[d][ranks[d]].value
	}
	return p
}

// bestNew searches the combinations of options, each dimension's options
// sorted best first, in order of decreasing total score, for one not in
// the history, whose values seen holds. It gives up after maxRedraws
// combinations.
func bestNew(opts [][]option, seen [][]float64) ([]int, bool) {
	q := &comboHeap{}
	visited := map[string]bool{}
	push := func(ranks []int) {
		k := comboKey(ranks)
		if visited[k] {
			return
		}
		visited[k] = true
		total := 0.0
		for d, r := range ranks {
			total += opts[d][r].score
		}
		heap.Push(q, combo{ranks: ranks, score: total, seq: len(visited)})
	}
	push(make([]int, len(opts)))
	for range maxRedraws {
		if q.Len() == 0 {
			break
		}
		c := heap.Pop(q).(combo)
		if !inHistory(opts, seen, c.ranks) {
			return c.ranks, true
		}
		for d := range c.ranks {
			if c.ranks[d]+1 < len(opts[d]) {
				next := slices.Clone(c.ranks)
				next[d]++
				push(next)
			}
		}
	}
	return nil, false
}

// inHistory reports whether the combination of options ranks equals a
// configuration of the history.
func inHistory(opts [][]option, seen [][]float64, ranks []int) bool {
	if len(seen) == 0 {
		return false
	}
	for i := range seen[0] {
		same := true
		for d, r := range ranks {
			if seen[d][i] != opts[d][r].key {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// comboKey identifies a combination of ranks.
func comboKey(ranks []int) string {
	b := make([]byte, 0, len(ranks))
	for _, r := range ranks {
		b = binary.AppendUvarint(b, uint64(r))
	}
	return string(b)
}

// combo is a combination of one option of each dimension, by rank.
type combo struct {
	ranks []int
	score float64
	seq   int // order pushed, to break ties the same way every time
}

// comboHeap is a max-heap of combinations by score.
type comboHeap []combo

func (h comboHeap) Len() int { return len(h) }
func (h comboHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score > h[j].score
	}
	return h[i].seq < h[j].seq
}
func (h comboHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *comboHeap) Push(x any)   { *h = append(*h, x.(combo)) }
func (h *comboHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// single reports whether the dimension has one value.
func single(d *Dimension) bool {
	if d.Kind == Choice {
		return len(d.Choices) == 1
	}
	return d.Lo == d.Hi
}

// observed returns the history's values of the dimension, as keys of
// option compare them: a number (an Int's rounded), or a choice's index.
// A value missing, not of the dimension, or outside it is NaN.
func observed(d *Dimension, history []Observation) []float64 {
	out := make([]float64, len(history))
	var printed []string // the choices' printed forms, once needed
	for i := range history {
		out[i] = math.NaN()
		v, ok := history[i].Params[d.Name]
		if !ok || v == nil {
			continue
		}
		if d.Kind == Choice {
			if c := choiceIndex(d, v, &printed); c >= 0 {
				out[i] = float64(c)
			}
			continue
		}
		x, ok := number(v)
		if d.Kind == Int {
			x = math.Round(x)
		}
		if ok && x >= d.Lo && x <= d.Hi {
			out[i] = x
		}
	}
	return out
}

// choiceIndex returns the index of the choice v, or -1. Choices compare
// by deep equality, so that list-valued ones work; failing that by their
// printed form, the identity Space.Key uses, so that a value read back
// from disk as another type (float64 for int64, []any for []int64) still
// matches. printed caches the choices' printed forms.
func choiceIndex(d *Dimension, v any, printed *[]string) int {
	// == is deep equality for a comparable type, and much faster; it
	// cannot panic, since only a choice of v's type can equal v.
	eq := reflect.DeepEqual
	if reflect.TypeOf(v).Comparable() {
		eq = func(a, b any) bool { return a == b }
	}
	for c := range d.Choices {
		if eq(d.Choices[c], v) {
			return c
		}
	}
	if *printed == nil {
		*printed = make([]string, len(d.Choices))
		for c := range d.Choices {
			(*printed)[c] = fmt.Sprint(d.Choices[c])
		}
	}
	return slices.Index(*printed, fmt.Sprint(v))
}

// number returns v as a float64 if it is a Go number, or a value such as
// json.Number that converts itself.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil && !math.IsNaN(f)
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(r.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(r.Uint()), true
	case reflect.Float32, reflect.Float64:
		f := r.Float()
		return f, !math.IsNaN(f)
	}
	return 0, false
}

// toFloat64 returns a typed value of a numeric dimension (float64 or
// int64) as a float64.
func toFloat64(v any) float64 {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v.(float64)
}

// validate returns an error describing the first dimension of the space
// that a sampler cannot draw from.
func validate(sp Space) error {
	for i := range sp {
		if err := validDimension(&sp[i]); err != nil {
			return fmt.Errorf("search: dimension %q: %w", sp[i].Name, err)
		}
	}
	return nil
}

// validDimension returns why a sampler cannot draw from d, or nil.
func validDimension(d *Dimension) error {
	switch d.Kind {
	case Choice:
		if len(d.Choices) == 0 {
			return errors.New("no choices")
		}
		return nil
	case Uniform, LogUniform, Int:
	default:
		return fmt.Errorf("unknown kind %q", d.Kind)
	}
	switch {
	case math.IsNaN(d.Lo) || math.IsNaN(d.Hi) || math.IsInf(d.Lo, 0) || math.IsInf(d.Hi, 0):
		return fmt.Errorf("bounds [%v, %v] not finite", d.Lo, d.Hi)
	case d.Lo > d.Hi:
		return fmt.Errorf("bounds [%v, %v] reversed", d.Lo, d.Hi)
	case d.Kind == LogUniform && d.Lo <= 0:
		return fmt.Errorf("log-uniform bounds [%v, %v] not positive", d.Lo, d.Hi)
	case d.Kind == Int && (d.Lo != math.Trunc(d.Lo) || d.Hi != math.Trunc(d.Hi)):
		return fmt.Errorf("int bounds [%v, %v] not whole", d.Lo, d.Hi)
	}
	return nil
}
