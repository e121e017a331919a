package search

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jf is a float64 of the reference JSON, where non-finite values are the
// strings "inf", "-inf" and "nan".
type jf float64

func (f *jf) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "inf":
			*f = jf(math.Inf(1))
		case "-inf":
			*f = jf(math.Inf(-1))
		case "nan":
			*f = jf(math.NaN())
		default:
			return fmt.Errorf("bad float %q", s)
		}
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = jf(v)
	return err
}

func floats(v []jf) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// estimatorRecord describes one Optuna 3.1 _ParzenEstimator.
type estimatorRecord struct {
	Weights []jf `json:"weights"`
	Mus     []jf `json:"mus"`
	Sigmas  []jf `json:"sigmas"` // with ties sorted stably, as Go does
	// SigmasDefault are the sigmas with numpy's default argsort, which
	// may give tied mus each other's sigmas.
	SigmasDefault []jf `json:"sigmas_default_argsort"`
	LogPDF        []jf `json:"log_pdf"`              // with the fix of Optuna PR #5110
	LogPDF310     []jf `json:"log_pdf_optuna_3_1_0"` // as Optuna 3.1.0 computes it
}

// reference is testdata/optuna_tpe_reference.json, written by
// testdata/optuna_tpe_reference.py from Optuna 3.1.0 (see that script for
// how to regenerate it).
type reference struct {
	OptunaVersion  string   `json:"optuna_version"`
	DefaultGamma   [][2]int `json:"default_gamma"`
	DefaultWeights []struct {
		N       int  `json:"n"`
		Weights []jf `json:"weights"`
	} `json:"default_weights"`
	LogNdtr      [][]jf `json:"log_ndtr"`       // a, log Φ(a)
	LogGaussMass [][]jf `json:"log_gauss_mass"` // a, b, log(Φ(b)-Φ(a))
	PPF          [][]jf `json:"ppf"`            // q, a, b, quantile
	Parzen       []struct {
		Kind         Kind    `json:"kind"`
		Lo           float64 `json:"lo"`
		Hi           float64 `json:"hi"`
		Choices      int     `json:"choices"`
		Params       string  `json:"params"`
		Observations []jf    `json:"observations"`
		Points       []jf    `json:"points"`
		estimatorRecord
	} `json:"parzen"`
	Split []struct {
		Trials []struct {
			State  string         `json:"state"`
			Params map[string]any `json:"params"`
			Value  jf             `json:"value"`
			Step   int            `json:"step"`
		} `json:"trials"`
		N      int   `json:"n"`
		Below  []int `json:"below"`
		Above  []int `json:"above"`
		Params map[string]struct {
			Below  estimatorRecord `json:"below"`
			Above  estimatorRecord `json:"above"`
			Points []jf            `json:"points"`
		} `json:"params"`
	} `json:"split"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	b, err := os.ReadFile("testdata/optuna_tpe_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref.OptunaVersion, "3.1.") {
		t.Fatalf("reference made with Optuna %s, want 3.1", ref.OptunaVersion)
	}
	return &ref
}

// refTol is the relative tolerance against Optuna's numbers; refAbs the
// absolute floor for values near zero, where relative error means
// nothing (a log mass of -1e-23 against Optuna's 0, say).
const (
	refTol = 1e-9
	refAbs = 1e-14
)

func near(got, want float64) bool {
	if got == want || math.IsNaN(got) && math.IsNaN(want) {
		return true
	}
	return math.Abs(got-want) <= refTol*math.Abs(want)+refAbs
}

func checkFloats(t *testing.T, what string, got []float64, want []jf) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if !near(got[i], float64(want[i])) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], float64(want[i]))
		}
	}
}

func TestTruncNormPrimitivesMatchOptuna(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.LogNdtr {
		if got := logNdtr(float64(c[0])); !near(got, float64(c[1])) {
			t.Errorf("logNdtr(%v) = %.17g, want %.17g", c[0], got, c[1])
		}
	}
	for _, c := range ref.LogGaussMass {
		if got := logGaussMass(float64(c[0]), float64(c[1])); !near(got, float64(c[2])) {
			t.Errorf("logGaussMass(%v, %v) = %.17g, want %.17g", c[0], c[1], got, c[2])
		}
	}
	for _, c := range ref.PPF {
		if got := truncNormPPF(float64(c[0]), float64(c[1]), float64(c[2])); !near(got, float64(c[3])) {
			t.Errorf("truncNormPPF(%v, %v, %v) = %.17g, want %.17g", c[0], c[1], c[2], got, c[3])
		}
	}
}

func TestDefaultsMatchOptuna(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.DefaultGamma {
		if got := DefaultGamma(c[0]); got != c[1] {
			t.Errorf("DefaultGamma(%d) = %d, want %d", c[0], got, c[1])
		}
	}
	for _, c := range ref.DefaultWeights {
		checkFloats(t, fmt.Sprintf("DefaultWeights(%d)", c.N), DefaultWeights(c.N), c.Weights)
	}
}

var refParams = map[string]parzenParams{
	"default":          {considerPrior: true, priorWeight: 1, considerMagicClip: true},
	"endpoints":        {considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: true},
	"no_prior_no_clip": {priorWeight: 1},
	"prior_weight_2.5": {considerPrior: true, priorWeight: 2.5, considerMagicClip: true},
}

// checkNumeric compares a numeric estimator, and its log density at the
// points (values of dimension d), with Optuna's record.
func checkNumeric(t *testing.T, name string, d *Dimension, e *numericParzen, rec *estimatorRecord, points []jf) {
	t.Helper()
	checkFloats(t, name+" weights", e.weights, rec.Weights)
	checkFloats(t, name+" mus", e.mus, rec.Mus)
	checkFloats(t, name+" sigmas", e.sigmas, rec.Sigmas)
	checkSamePairs(t, name, e.mus, e.sigmas, rec.SigmasDefault)
	_, _, toInternal := bounds(d)
	buf := make([]float64, len(e.mus))
	var got, got310 []float64
	for _, p := range floats(points) {
		x := toInternal(p)
		got = append(got, e.logPDF(x, buf))
		got310 = append(got310, logPDFOptuna310(e, x))
	}
	checkFloats(t, name+" log_pdf", got, rec.LogPDF)
	checkFloats(t, name+" log_pdf (3.1.0)", got310, rec.LogPDF310)
}

// checkSamePairs checks that the (mu, sigma) pairs of an estimator are
// those of Optuna's with numpy's default argsort, in some order: that the
// two differ only in which tied component has which sigma.
func checkSamePairs(t *testing.T, name string, mus, sigmas []float64, sigmasDefault []jf) {
	t.Helper()
	if len(sigmasDefault) != len(mus) {
		t.Errorf("%s: %d sigmas with default argsort, want %d", name, len(sigmasDefault), len(mus))
		return
	}
	pairs := func(s []float64) [][2]float64 {
		p := make([][2]float64, len(mus))
		for i := range mus {
			p[i] = [2]float64{mus[i], s[i]}
		}
		slices.SortFunc(p, func(a, b [2]float64) int {
			if c := cmp.Compare(a[0], b[0]); c != 0 {
				return c
			}
			return cmp.Compare(a[1], b[1])
		})
		return p
	}
	got, want := pairs(sigmas), pairs(floats(sigmasDefault))
	for i := range got {
		if !near(got[i][1], want[i][1]) {
			t.Errorf("%s: (mu, sigma) pairs differ from default argsort's: %v, want %v", name, got[i], want[i])
			return
		}
	}
}

// logPDFOptuna310 is the log density as Optuna 3.1.0 computes it, whose
// continuous components lack the -log(sigma) term (Optuna issue #5109,
// fixed by PR #5110). It shows that the fix is the only difference.
func logPDFOptuna310(e *numericParzen, x float64) float64 {
	if e.discrete {
		return e.logPDF(x, make([]float64, len(e.mus)))
	}
	if x < e.low || x > e.high {
		return math.Inf(-1)
	}
	t := make([]float64, len(e.mus))
	for i, mu := range e.mus {
		z := (x - mu) / e.sigmas[i]
		t[i] = e.logC[i] + math.Log(e.sigmas[i]) - 0.5*z*z
	}
	return logSumExp(t)
}

// checkCategorical compares a categorical estimator with Optuna's record.
func checkCategorical(t *testing.T, name string, e *categoricalParzen, n int, p parzenParams, rec *estimatorRecord, points []jf) {
	t.Helper()
	w, _, err := mixtureWeights(n, p)
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, name+" weights", w, rec.Weights)
	var got []float64
	for _, c := range floats(points) {
		got = append(got, e.logP[int(c)])
	}
	checkFloats(t, name+" log_pdf", got, rec.LogPDF)
	checkFloats(t, name+" log_pdf (3.1.0)", got, rec.LogPDF310)
}

func TestParzenEstimatorMatchesOptuna(t *testing.T) {
	ref := loadReference(t)
	for i, c := range ref.Parzen {
		name := fmt.Sprintf("case %d (%s, n=%d, %s)", i, c.Kind, len(c.Observations), c.Params)
		p, ok := refParams[c.Params]
		if !ok {
			t.Fatalf("%s: unknown parameter set", name)
		}
		p.weights = DefaultWeights
		if c.Kind == Choice {
			obs := make([]int, len(c.Observations))
			for j, o := range c.Observations {
				obs[j] = int(o)
			}
			e, err := newCategoricalParzen(obs, c.Choices, p)
			if err != nil {
				t.Fatal(err)
			}
			checkCategorical(t, name, e, len(obs), p, &c.estimatorRecord, c.Points)
			continue
		}
		d := &Dimension{Name: "x", Kind: c.Kind, Lo: c.Lo, Hi: c.Hi}
		low, high, toInternal := bounds(d)
		obs := floats(c.Observations)
		for j := range obs {
			obs[j] = toInternal(obs[j])
		}
		e, err := newNumericParzen(obs, low, high, c.Kind == Int, p)
		if err != nil {
			t.Fatal(err)
		}
		checkNumeric(t, name, d, e, &c.estimatorRecord, c.Points)
	}
}

// splitSpace is the space of the reference's split cases.
var splitSpace = Space{
	{Name: "x", Kind: Uniform, Lo: 0, Hi: 10},
	{Name: "lr", Kind: LogUniform, Lo: 1e-4, Hi: 1},
	{Name: "k", Kind: Int, Lo: 2, Hi: 9},
	{Name: "c", Kind: Choice, Choices: []any{int64(0), int64(1), int64(2)}},
}

// TestSplitMatchesOptuna runs whole histories through the sampler's split
// and estimators and compares the groups and estimators with Optuna's
// _get_observation_pairs(constant_liar=True) and _split_observation_pairs.
// The histories' parameters come from JSON as float64s, so this also
// checks that values of another Go type are recognised.
func TestSplitMatchesOptuna(t *testing.T) {
	ref := loadReference(t)
	states := map[string]State{"complete": Complete, "pruned": Pruned, "running": Running, "failed": Failed}
	s := NewTPE(splitSpace, 1, TPEOptions{})
	for ci, c := range ref.Split {
		history := make([]Observation, len(c.Trials))
		for i, tr := range c.Trials {
			history[i] = Observation{Params: tr.Params, State: states[tr.State], Value: float64(tr.Value), Step: tr.Step}
		}
		n := 0
		for _, o := range history {
			if o.State == Complete || o.State == Pruned {
				n++
			}
		}
		if n != c.N {
			t.Errorf("case %d: %d finished observations, Optuna counts %d", ci, n, c.N)
		}
		groups := s.split(history, n)
		var gotBelow, gotAbove []int
		for i, g := range groups {
			switch g {
			case below:
				gotBelow = append(gotBelow, i)
			case above:
				gotAbove = append(gotAbove, i)
			}
		}
		if !slices.Equal(gotBelow, c.Below) || !slices.Equal(gotAbove, c.Above) {
			t.Errorf("case %d: split below %v above %v, Optuna below %v above %v", ci, gotBelow, gotAbove, c.Below, c.Above)
		}
		for d := range splitSpace {
			dim := &splitSpace[d]
			rec := c.Params[dim.Name]
			seen := observed(dim, history)
			name := fmt.Sprintf("case %d %s", ci, dim.Name)
			if dim.Kind == Choice {
				l, g, err := s.choiceEstimators(dim, seen, groups)
				if err != nil {
					t.Fatal(err)
				}
				checkCategorical(t, name+" below", l, len(rec.Below.Weights)-1, s.parzen, &rec.Below, rec.Points)
				checkCategorical(t, name+" above", g, len(rec.Above.Weights)-1, s.parzen, &rec.Above, rec.Points)
				continue
			}
			l, g, err := s.numericEstimators(dim, seen, groups)
			if err != nil {
				t.Fatal(err)
			}
			checkNumeric(t, name+" below", dim, l, &rec.Below, rec.Points)
			checkNumeric(t, name+" above", dim, g, &rec.Above, rec.Points)
		}
	}
}

// mixedSpace has every kind of dimension, one-valued ones included.
var mixedSpace = Space{
	{Name: "x", Kind: Uniform, Lo: -1, Hi: 2},
	{Name: "lr", Kind: LogUniform, Lo: 1e-6, Hi: 0.1},
	{Name: "layers", Kind: Int, Lo: -3, Hi: 7},
	{Name: "epochs", Kind: Int, Lo: 0, Hi: 4, AsFloat: true},
	{Name: "shape", Kind: Choice, Choices: []any{[]int64{64, 32}, []int64{128}, []int64{32, 32, 32}}},
	{Name: "opt", Kind: Choice, Choices: []any{"adam"}},
	{Name: "wd", Kind: Uniform, Lo: 0.5, Hi: 0.5},
	{Name: "seed", Kind: Int, Lo: 3, Hi: 3},
	{Name: "eps", Kind: LogUniform, Lo: 1e-8, Hi: 1e-8},
}

// checkInSpace fails t unless p has exactly the space's dimensions, each a
// value of it of the right Go type.
func checkInSpace(t *testing.T, sp Space, p map[string]any) {
	t.Helper()
	if len(p) != len(sp) {
		t.Errorf("proposal %v has %d values, want %d", p, len(p), len(sp))
	}
	for i := range sp {
		d := &sp[i]
		v, ok := p[d.Name]
		if !ok {
			t.Errorf("proposal %v lacks %s", p, d.Name)
			continue
		}
		switch d.Kind {
		case Uniform, LogUniform:
			f, ok := v.(float64)
			if !ok || f < d.Lo || f > d.Hi {
				t.Errorf("%s = %#v, want a float64 in [%v, %v]", d.Name, v, d.Lo, d.Hi)
			}
		case Int:
			var f float64
			if d.AsFloat {
				x, ok := v.(float64)
				if !ok || x != math.Trunc(x) {
					t.Errorf("%s = %#v, want a whole float64", d.Name, v)
				}
				f = x
			} else {
				x, ok := v.(int64)
				if !ok {
					t.Errorf("%s = %#v, want an int64", d.Name, v)
				}
				f = float64(x)
			}
			if f < d.Lo || f > d.Hi {
				t.Errorf("%s = %v, want in [%v, %v]", d.Name, v, d.Lo, d.Hi)
			}
		case Choice:
			if !slices.ContainsFunc(d.Choices, func(c any) bool { return reflect.DeepEqual(c, v) }) {
				t.Errorf("%s = %#v, not a choice", d.Name, v)
			}
		}
	}
}

// randomHistory grows a history of n observations by asking s, with
// states, values (NaN and infinities among them) and missing or
// malformed values drawn from rng.
func randomHistory(t *testing.T, s Sampler, sp Space, n int, rng *rand.Rand) []Observation {
	t.Helper()
	var h []Observation
	states := []State{Complete, Complete, Complete, Pruned, Running, Failed}
	for range n {
		p, err := s.Ask(h)
		if err != nil {
			t.Fatal(err)
		}
		checkInSpace(t, sp, p)
		o := Observation{Params: p, State: states[rng.IntN(len(states))], Value: rng.NormFloat64(), Step: rng.IntN(4)}
		switch rng.IntN(20) {
		case 0:
			o.Value = math.NaN()
		case 1:
			o.Value = math.Inf(1)
		case 2:
			o.Value = math.Inf(-1)
		case 3:
			delete(o.Params, sp[rng.IntN(len(sp))].Name)
		case 4:
			o.Params[sp[rng.IntN(len(sp))].Name] = "not a value"
		case 5:
			o.Params = nil
		}
		h = append(h, o)
	}
	return h
}

// TestTPEProposalsInSpace checks that every proposal, of random histories
// with every state, odd values and missing parameters, lies in the space
// with the dimensions' Go types.
func TestTPEProposalsInSpace(t *testing.T) {
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 99))
		randomHistory(t, NewTPE(mixedSpace, seed, TPEOptions{}), mixedSpace, 60, rng)
	}
	// Every option at its other setting.
	opts := TPEOptions{
		NStartupTrials: -1, NEICandidates: 3, PriorWeight: 0.5, NoPrior: true, NoMagicClip: true,
		ConsiderEndpoints: true, NoConstantLiar: true, AllowRepeats: true,
		Gamma: func(n int) int { return n }, Weights: DefaultWeights,
	}
	randomHistory(t, NewTPE(mixedSpace, 1, opts), mixedSpace, 40, rand.New(rand.NewPCG(1, 2)))
}

// TestTPEEdgeCases covers histories and spaces that must not break Ask.
func TestTPEEdgeCases(t *testing.T) {
	failed := make([]Observation, 30)
	for i := range failed {
		failed[i] = Observation{Params: mixedSpace.Draw(TrialRand(5, i)), State: Failed}
	}
	long := make([]Observation, 1200)
	for i := range long {
		p := mixedSpace.Draw(TrialRand(6, i))
		long[i] = Observation{Params: p, State: Complete, Value: sphere(mixedSpace, p)}
	}
	missing := make([]Observation, 20)
	for i := range missing {
		missing[i] = Observation{State: Complete, Value: float64(i)}
	}
	running := make([]Observation, 15)
	for i := range running {
		running[i] = Observation{Params: mixedSpace.Draw(TrialRand(7, i)), State: Running}
	}
	for _, c := range []struct {
		name    string
		history []Observation
	}{
		{"empty", nil},
		{"all failed", failed},
		// Finished, so TPE runs, on groups with no values.
		{"all running", running},
		{"longer than 1000", long},
		{"all missing", missing},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewTPE(mixedSpace, 3, TPEOptions{}).Ask(c.history)
			if err != nil {
				t.Fatal(err)
			}
			checkInSpace(t, mixedSpace, p)
		})
	}
	for _, d := range []Dimension{
		{Name: "a", Kind: "gaussian", Lo: 0, Hi: 1},
		{Name: "a", Kind: Uniform, Lo: 1, Hi: 0},
		{Name: "a", Kind: Uniform, Lo: 0, Hi: math.Inf(1)},
		{Name: "a", Kind: LogUniform, Lo: 0, Hi: 1},
		{Name: "a", Kind: Int, Lo: 0.5, Hi: 3},
		{Name: "a", Kind: Choice},
	} {
		if _, err := NewTPE(Space{d}, 1, TPEOptions{}).Ask(long[:20]); err == nil {
			t.Errorf("Ask with invalid dimension %+v: no error", d)
		}
	}
	for name, bad := range map[string]TPEOptions{
		"all-zero weights":      {Weights: func(n int) []float64 { return make([]float64, n) }},
		"too few weights":       {Weights: func(n int) []float64 { return nil }},
		"negative prior weight": {PriorWeight: -1},
	} {
		if _, err := NewTPE(mixedSpace, 1, bad).Ask(long[:50]); err == nil {
			t.Errorf("Ask with %s: no error", name)
		}
	}
}

// sphere is a shifted sphere over any space, for histories with values.
func sphere(sp Space, p map[string]any) float64 {
	f := 0.0
	for i := range sp {
		switch v := p[sp[i].Name].(type) {
		case float64:
			f += (v - sp[i].Lo) * (v - sp[i].Lo)
		case int64:
			f += float64(v) * 0.1
		}
	}
	return f
}

// TestTPEDeterministic checks that Ask is a function of the seed and the
// history alone: a fresh sampler, as a resumed sweep builds, repeats the
// proposal, and another seed changes it.
func TestTPEDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	h := randomHistory(t, NewTPE(mixedSpace, 4, TPEOptions{}), mixedSpace, 40, rng)
	for _, n := range []int{3, 25, 40} { // random phase, then TPE
		s := NewTPE(mixedSpace, 4, TPEOptions{})
		p1, _ := s.Ask(h[:n])
		p2, _ := s.Ask(slices.Clone(h[:n]))
		p3, _ := NewTPE(mixedSpace, 4, TPEOptions{}).Ask(h[:n])
		if !reflect.DeepEqual(p1, p2) || !reflect.DeepEqual(p1, p3) {
			t.Errorf("n=%d: proposals differ for the same seed and history: %v %v %v", n, p1, p2, p3)
		}
		q, _ := NewTPE(mixedSpace, 5, TPEOptions{}).Ask(h[:n])
		if q["x"] == p1["x"] && q["lr"] == p1["lr"] {
			t.Errorf("n=%d: seeds 4 and 5 propose the same %v", n, q)
		}
	}
	// Until 10 observations have finished, TPE draws as RandomSampler does.
	want, _ := NewRandom(mixedSpace, 4).Ask(h[:3])
	if got, _ := NewTPE(mixedSpace, 4, TPEOptions{}).Ask(h[:3]); !reflect.DeepEqual(got, want) {
		t.Errorf("startup proposal %v, RandomSampler's %v", got, want)
	}
}

// benchSpace is a 6-dimensional test problem: three shifted uniform
// coordinates, a learning rate best at 1e-3 in log space, a width best at
// 11, and an activation best at "gelu".
var benchSpace = Space{
	{Name: "x0", Kind: Uniform, Lo: -5, Hi: 5},
	{Name: "x1", Kind: Uniform, Lo: -5, Hi: 5},
	{Name: "x2", Kind: Uniform, Lo: -5, Hi: 5},
	{Name: "lr", Kind: LogUniform, Lo: 1e-5, Hi: 1},
	{Name: "width", Kind: Int, Lo: 1, Hi: 16},
	{Name: "act", Kind: Choice, Choices: []any{"relu", "tanh", "gelu", "silu"}},
}

// benchObjective is minimised, 0 at its optimum.
func benchObjective(p map[string]any) float64 {
	sq := func(x float64) float64 { return x * x }
	f := sq((p["x0"].(float64)-1.5)/2) + sq((p["x1"].(float64)+2)/2) + sq((p["x2"].(float64)-0.7)/2)
	f += 0.5 * sq(math.Log10(p["lr"].(float64))+3)
	f += sq(float64(p["width"].(int64)-11) / 4)
	if p["act"] != "gelu" {
		f += 1.5
	}
	return f
}

// bestOf runs trials sequential trials of s on benchObjective and returns
// the best value.
func bestOf(t testing.TB, s Sampler, trials int) float64 {
	var h []Observation
	best := math.Inf(1)
	for range trials {
		p, err := s.Ask(h)
		if err != nil {
			t.Fatal(err)
		}
		v := benchObjective(p)
		best = math.Min(best, v)
		h = append(h, Observation{Params: p, State: Complete, Value: v})
	}
	return best
}

// TestTPEBeatsRandom checks that TPE finds better configurations than
// random search on benchSpace: the mean over 12 seeds of the best of 60
// trials is at most 70% of random search's. (Measured when written: TPE
// 1.16, random 2.48; deterministic, since every draw is seeded.)
func TestTPEBeatsRandom(t *testing.T) {
	const seeds, trials = 12, 60
	var tpe, random float64
	for seed := range uint64(seeds) {
		tpe += bestOf(t, NewTPE(benchSpace, seed, TPEOptions{}), trials) / seeds
		random += bestOf(t, NewRandom(benchSpace, seed), trials) / seeds
	}
	t.Logf("mean best of %d trials over %d seeds: TPE %.3f, random %.3f", trials, seeds, tpe, random)
	if tpe > 0.7*random {
		t.Errorf("TPE mean best %.3f, not clearly below random search's %.3f", tpe, random)
	}
}

// benchSpace7 is the space of BenchmarkTPEAsk1000 and of
// scripts/bench/optuna_tpe_ask.py, benchfn's (scripts/bench/README.md):
// one log-uniform, one int, one categorical and four uniform dimensions.
var benchSpace7 = Space{
	{Name: "lr", Kind: LogUniform, Lo: 1e-4, Hi: 1e-1},
	{Name: "width", Kind: Int, Lo: 8, Hi: 256},
	{Name: "act", Kind: Choice, Choices: []any{"gelu", "relu", "tanh", "sigmoid"}},
	{Name: "dropout", Kind: Uniform, Lo: 0, Hi: 1},
	{Name: "warmup", Kind: Uniform, Lo: 0, Hi: 1},
	{Name: "momentum", Kind: Uniform, Lo: 0, Hi: 1},
	{Name: "smoothing", Kind: Uniform, Lo: 0, Hi: 1},
}

// history1000 is 1,000 Complete observations of benchSpace7 drawn at
// random, with random values.
func history1000() []Observation {
	h := make([]Observation, 1000)
	for i := range h {
		rng := TrialRand(2024, i)
		h[i] = Observation{Params: benchSpace7.Draw(rng), State: Complete, Value: rng.NormFloat64()}
	}
	return h
}

// BenchmarkTPEAsk1000 times one Ask with 1,000 Complete observations over
// a 7-dimensional space.
func BenchmarkTPEAsk1000(b *testing.B) {
	h := history1000()
	s := NewTPE(benchSpace7, 1, TPEOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Ask(h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTPEAsk60 times one Ask with 60 Complete observations, a
// typical sweep's size.
func BenchmarkTPEAsk60(b *testing.B) {
	h := history1000()[:60]
	s := NewTPE(benchSpace7, 1, TPEOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Ask(h); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTPEConstantLiar asks four times in a row, as four workers starting
// together do, each Ask seeing the earlier proposals as Running. Over a
// small discrete space whose history points TPE at one configuration,
// Optuna's defaults (no constant liar, repeats allowed) propose it again
// and again; the sampler's defaults give four distinct configurations,
// none of them running already.
func TestTPEConstantLiar(t *testing.T) {
	sp := Space{
		{Name: "a", Kind: Int, Lo: 1, Hi: 6},
		{Name: "b", Kind: Int, Lo: 1, Hi: 6},
		{Name: "c", Kind: Choice, Choices: []any{"x", "y", "z"}},
	}
	f := func(p map[string]any) float64 {
		a, b := float64(p["a"].(int64)), float64(p["b"].(int64))
		v := (a-4)*(a-4) + (b-2)*(b-2)
		if p["c"] != "y" {
			v += 2
		}
		return v
	}
	var done []Observation
	for i := range 40 {
		p := sp.Draw(TrialRand(99, i))
		done = append(done, Observation{Params: p, State: Complete, Value: f(p)})
	}
	fourAsks := func(opts TPEOptions) []string {
		s := NewTPE(sp, 3, opts)
		h := slices.Clone(done)
		var keys []string
		for range 4 {
			p, err := s.Ask(h)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, fmt.Sprintf("%v/%v/%v", p["a"], p["b"], p["c"]))
			h = append(h, Observation{Params: p, State: Running})
		}
		return keys
	}
	distinct := func(keys []string) int { return len(slices.Compact(slices.Sorted(slices.Values(keys)))) }

	optuna := fourAsks(TPEOptions{NoConstantLiar: true, AllowRepeats: true})
	if distinct(optuna) == 4 {
		t.Logf("Optuna's defaults did not repeat here (%q); the test no longer shows the problem", optuna)
	}
	got := fourAsks(TPEOptions{})
	if distinct(got) != 4 {
		t.Errorf("four asks with the earlier ones running proposed %q, want four distinct", got)
	}
	for _, o := range done {
		if k := fmt.Sprintf("%v/%v/%v", o.Params["a"], o.Params["b"], o.Params["c"]); slices.Contains(got, k) {
			t.Errorf("proposed %s, already complete", k)
		}
	}
	// Constant liar alone keeps a Running point out of l(x)'s favour, but
	// not a Complete one that is still the best (here the optimum, 4/2/y).
	liar := fourAsks(TPEOptions{AllowRepeats: true})
	t.Logf("Optuna defaults %q; constant liar alone %q; sampler defaults %q", optuna, liar, got)
}

// TestTPESplit checks the ranking of the cases the Optuna reference does
// not hold: constant liar puts Running observations in the bad group (and
// NoConstantLiar leaves them out), a NaN or infinite value ranks worst,
// Failed observations are never used.
func TestTPESplit(t *testing.T) {
	h := []Observation{
		{State: Complete, Value: math.NaN()},
		{State: Complete, Value: math.Inf(-1)},
		{State: Running, Value: -100},
		{State: Failed, Value: -100},
		{State: Pruned, Value: math.NaN(), Step: 50},
	}
	for i := range 20 {
		h = append(h, Observation{State: Complete, Value: float64(i)})
	}
	// 23 finished: gamma = 3.
	want := []int8{above, above, above, unused, above, below, below, below}
	g := NewTPE(splitSpace, 1, TPEOptions{}).split(h, 23)
	if !slices.Equal(g[:8], want) || slices.Contains(g[8:], below) {
		t.Errorf("groups %v, want %v then above", g, want)
	}
	g = NewTPE(splitSpace, 1, TPEOptions{NoConstantLiar: true}).split(h, 23)
	if g[2] != unused {
		t.Errorf("NoConstantLiar: running observation in group %d", g[2])
	}
}

// TestTPEStartup checks what counts towards the random start: Complete
// and Pruned observations, not Running or Failed ones.
func TestTPEStartup(t *testing.T) {
	var h []Observation
	for i := range 9 {
		p := benchSpace.Draw(TrialRand(8, i))
		st := Complete
		if i%2 == 1 {
			st = Pruned
		}
		h = append(h, Observation{Params: p, State: st, Value: benchObjective(p)})
	}
	for i := range 6 {
		st := Running
		if i%2 == 1 {
			st = Failed
		}
		h = append(h, Observation{Params: benchSpace.Draw(TrialRand(9, i)), State: st})
	}
	s := NewTPE(benchSpace, 2, TPEOptions{})
	got, _ := s.Ask(h)
	if want, _ := NewRandom(benchSpace, 2).Ask(h); !reflect.DeepEqual(got, want) {
		t.Errorf("9 finished: proposed %v, want RandomSampler's %v", got, want)
	}
	h[9].State = Complete
	got, _ = s.Ask(h)
	if want, _ := NewRandom(benchSpace, 2).Ask(h); reflect.DeepEqual(got, want) {
		t.Errorf("10 finished: proposed RandomSampler's %v", got)
	}
}

// TestTPEUsesPruned gives TPE a history of pruned trials alone: those near
// x = 0.8 survived to step 9 with a middling score, the rest were pruned
// at step 3 with a better one. Ranking by step first, as Optuna does, TPE
// proposes x near 0.8; the same trials as Complete (ranked by value alone)
// steer it away.
func TestTPEUsesPruned(t *testing.T) {
	sp := Space{{Name: "x", Kind: Uniform, Lo: 0, Hi: 1}, {Name: "y", Kind: Uniform, Lo: 0, Hi: 1}}
	history := func(st State) []Observation {
		var h []Observation
		for i := range 30 {
			p := sp.Draw(TrialRand(5, i))
			if i < 4 {
				p["x"] = 0.78 + 0.01*float64(i)
			}
			o := Observation{Params: p, State: st, Value: 0.1, Step: 3}
			if math.Abs(p["x"].(float64)-0.8) < 0.05 {
				o.Value, o.Step = 0.5, 9
			}
			h = append(h, o)
		}
		return h
	}
	near := func(h []Observation) int {
		n := 0
		for seed := range uint64(20) {
			p, err := NewTPE(sp, seed, TPEOptions{}).Ask(h)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(p["x"].(float64)-0.8) < 0.1 {
				n++
			}
		}
		return n
	}
	pruned, complete := near(history(Pruned)), near(history(Complete))
	t.Logf("proposals within 0.1 of x=0.8 out of 20: pruned history %d, complete history %d", pruned, complete)
	if pruned < 16 || complete > 8 {
		t.Errorf("proposals within 0.1 of x=0.8 out of 20: pruned history %d (want >= 16), complete history %d (want <= 8)", pruned, complete)
	}
}

// TestParzenSampleFollowsDensity checks that the estimators draw from the
// distributions whose densities they compute: 20,000 draws of a numeric
// estimator against its CDF (Kolmogorov-Smirnov distance below 0.015; the
// 1% critical value is 1.63/sqrt(20000) = 0.0115), and of a discrete and
// a categorical one against their probabilities (each frequency within 5
// standard errors).
func TestParzenSampleFollowsDensity(t *testing.T) {
	const n = 20000
	p := parzenParams{considerPrior: true, priorWeight: 1, considerMagicClip: true, weights: DefaultWeights}
	rng := rand.New(rand.NewPCG(1, 2))
	obs := []float64{-1.9, -1.5, 0.2, 0.25, 0.3, 2.9, 1.1, 1.0, 0.9, -0.4}
	e, err := newNumericParzen(obs, -2, 3, false, p)
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = e.sample(rng)
	}
	slices.Sort(xs)
	cdf := func(x float64) float64 {
		c := 0.0
		for i, mu := range e.mus {
			s := e.sigmas[i]
			c += e.weights[i] * (ndtr((x-mu)/s) - ndtr((e.low-mu)/s)) / math.Exp(e.logZ[i])
		}
		return c
	}
	ks := 0.0
	for i, x := range xs {
		c := cdf(x)
		ks = math.Max(ks, math.Max(math.Abs(c-float64(i)/n), math.Abs(c-float64(i+1)/n)))
	}
	t.Logf("continuous: Kolmogorov-Smirnov distance %.4f", ks)
	if ks > 0.015 {
		t.Errorf("continuous: Kolmogorov-Smirnov distance %.4f", ks)
	}

	checkFreq := func(name string, counts []int, logP func(int) float64) {
		t.Helper()
		total := 0.0
		for k, c := range counts {
			q := math.Exp(logP(k))
			total += q
			if se := math.Sqrt(q * (1 - q) / n); math.Abs(float64(c)/n-q) > 5*se+1e-9 {
				t.Errorf("%s: value %d drawn %d times in %d, probability %.4f", name, k, c, n, q)
			}
		}
		if math.Abs(total-1) > 1e-9 {
			t.Errorf("%s: probabilities sum to %v", name, total)
		}
	}
	ints := []float64{1, 1, 2, 7, 8, 8, 8, 3}
	d, err := newNumericParzen(ints, 0.5, 8.5, true, p)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, 9)
	for range n {
		counts[int(d.sample(rng))]++
	}
	buf := make([]float64, len(d.mus))
	checkFreq("discrete", counts[1:], func(k int) float64 { return d.logPDF(float64(k+1), buf) })

	c, err := newCategoricalParzen([]int{0, 0, 3, 1, 0}, 5, p)
	if err != nil {
		t.Fatal(err)
	}
	counts = make([]int, 5)
	for range n {
		counts[c.sample(rng)]++
	}
	checkFreq("categorical", counts, func(k int) float64 { return c.logP[k] })
}

// TestObservedValues checks how history values are read: numbers of any
// Go type, choices by deep equality or, for values read back from disk as
// other types, by printed form; anything else, or out of range, is
// missing (NaN).
func TestObservedValues(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		d    Dimension
		vals []any
		want []float64
	}{
		{mixedSpace[2], []any{int64(3), 4.0, json.Number("5"), int32(-3), 2.6, "7", nil, 8, math.NaN()}, []float64{3, 4, 5, -3, 3, nan, nan, nan, nan}},
		{mixedSpace[1], []any{1e-3, 0.0, -1.0, 0.5, float32(0.01)}, []float64{1e-3, nan, nan, nan, float64(float32(0.01))}},
		{mixedSpace[4], []any{[]int64{128}, []any{64.0, 32.0}, []int64{32, 32, 32}, []int64{64}, "[128]"}, []float64{1, 0, 2, nan, 1}},
	} {
		h := make([]Observation, len(c.vals))
		for i, v := range c.vals {
			h[i] = Observation{Params: map[string]any{c.d.Name: v}}
		}
		got := observed(&c.d, h)
		for i := range got {
			if !(got[i] == c.want[i] || math.IsNaN(got[i]) && math.IsNaN(c.want[i])) {
				t.Errorf("%s: value %#v read as %v, want %v", c.d.Name, c.vals[i], got[i], c.want[i])
			}
		}
	}
}
