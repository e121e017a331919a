package spec

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// Trial is one run a sweep makes: a configuration of hyperparameters and a
// seed.
type Trial struct {
	// Index is the trial's position in the expansion.
	Index int
	// ID identifies the trial across runs and machines: a hash of the
	// model (its name and fingerprint, Spec.ModelHash), the resolved
	// hyperparameters, the data (spec and file content) and the seed. A
	// finished trial with the same ID is done.
	ID string
	// ConfigID is ID without the seed: the same for every repeat of a
	// configuration, which the report aggregates over.
	ConfigID string
	// Name is the trial's directory name, from the trial_name template.
	Name string
	// Params holds every hyperparameter the model declares: its default,
	// then [params], then the axes. Values have the Go types of
	// plugins.Params.
	Params plugins.Params
	// Swept names the hyperparameters the grid varies: [grid] axes, then
	// zip groups, each in file order; or the dimensions of [search.space].
	Swept []string
	// Number is the configuration's number: its position in the grid's
	// product, or the order in which an adaptive search asked for it.
	Number int
	// Seed is the sweep's seed plus Repeat.
	Seed int64
	// Repeat is the 0-based index among the configuration's seeds.
	Repeat int

	// body is the canonical text of the configuration but for the model's
	// fingerprint, from which IDWithModel and LegacyID recompute IDs.
	body string
}

// IDWithModel returns the ID the trial has with another model, whose
// fingerprint (see ModelHash) is modelHash: the ID under which the runs of
// the same trial by that model are recorded.
func (t *Trial) IDWithModel(modelHash string) string {
	return trialID(configText(t.body, modelHash), t.Seed)
}

// LegacyID returns the ID that sweeps gave the trial before identities
// covered the model: the ID of its runs recorded then, which cannot tell
// which model made them.
func (t *Trial) LegacyID() string { return trialID(legacyText(t.body), t.Seed) }

// Label writes the swept hyperparameters for people: "dropout=0.2 lr=0.01".
// The seed is added for a repeat after the first, and for a trial with no
// swept hyperparameter: "lr=0.01 seed=43".
func (t *Trial) Label() string {
	parts := make([]string, len(t.Swept))
	for i, name := range t.Swept {
		parts[i] = name + "=" + results.FormatValue(t.Params[name])
	}
	if t.Repeat > 0 || len(parts) == 0 {
		parts = append(parts, "seed="+strconv.FormatInt(t.Seed, 10))
	}
	return strings.Join(parts, " ")
}

// MaxTrials bounds an expansion, so that a typo such as a 1000-value axis
// crossed with another is refused before anything is planned.
const MaxTrials = 1_000_000

// Check verifies the spec against the model's description: every
// hyperparameter in [params] and on an axis is declared, of the declared
// type (an integer is accepted for a float), and the trial_name template
// names only declared hyperparameters, {seed} and {repeat}. Errors name the
// file, the line and the key.
func (s *Spec) Check(desc plugins.Description) error {
	_, err := s.resolve(desc)
	return err
}

// Expand checks the spec against the model's description and lists its
// trials: every grid point × zip position, then the repeats. An adaptive
// search (random, tpe) has no list: it asks its sampler while it runs (see
// NewSearchSpace), and Expand returns none.
//
// The order is stable: repeats are outermost (every configuration's first
// seed comes before any second seed, so that a partial sweep covers the
// whole grid), then [grid] axes in file order with the first varying
// slowest, then zip groups.
//
// Seeds: repeat r of every configuration has seed = spec.Seed + r, so that
// configurations are compared on the same initialisations and batch orders.
// The same grid and seed give the same trials, IDs and names on every run
// and machine.
//
// With repeats > 1, a template that uses neither {seed} nor {repeat} gets
// "_seed<seed>" appended. Two trials with the same name, or a name that is
// empty, has a path separator or "..", are errors. The data file is read to
// hash its content into the IDs.
func Expand(s *Spec, desc plugins.Description) ([]Trial, error) {
	r, err := s.resolve(desc)
	if err != nil {
		return nil, err
	}
	if s.Search.Adaptive() {
		return nil, nil
	}
	dataHash, err := DataHash(s.Data)
	if err != nil {
		return nil, s.errAt("data.path", "cannot read the data file: %v", err)
	}
	n := s.Repeats
	for _, d := range r.dims {
		if n > MaxTrials/len(d.points) {
			return nil, s.errAt("", "the grid expands to more than %d trials", MaxTrials)
		}
		n *= len(d.points)
	}

	configs := r.configs()
	bodies := make([]string, len(configs))
	for i, params := range configs {
		bodies[i] = configBody(r.model, r.identityParams(params), s.Data, dataHash)
	}
	trials := make([]Trial, 0, n)
	for rep := 0; rep < s.Repeats; rep++ {
		for i, params := range configs {
			if rep > 0 {
				// Each trial owns its Params.
				params = cloneParams(params)
			}
			trials = append(trials, r.trial(s, len(trials), i, params, bodies[i], rep))
		}
	}
	if err := s.checkNames(trials, r); err != nil {
		return nil, err
	}
	return trials, nil
}

// trial is repeat rep of configuration number, whose params it takes and
// whose canonical text, but for the model's fingerprint, is body.
func (r *resolved) trial(s *Spec, index, number int, params plugins.Params, body string, rep int) Trial {
	seed := s.Seed + int64(rep)
	text := configText(body, s.ModelHash)
	t := Trial{
		Index:    index,
		ID:       trialID(text, seed),
		ConfigID: configID(text),
		Params:   params,
		Swept:    append([]string(nil), r.swept...),
		Number:   number,
		Seed:     seed,
		Repeat:   rep,
		body:     body,
	}
	t.Name = r.name(&t, s.Repeats)
	return t
}

// checkNames refuses bad names and two trials with one name.
func (s *Spec) checkNames(trials []Trial, r *resolved) error {
	key, hint := "trial_name", "set trial_name"
	if s.TrialName == "" {
		key, hint = "", "the default name "+strconv.Quote(r.template)+" does not fit; set trial_name"
	}
	seen := make(map[string]int, len(trials))
	for i := range trials {
		t := &trials[i]
		if msg := checkPathName(t.Name); msg != "" {
			return s.errAt(key, "trial %d (%s): %s; %s", t.Index, t.Label(), msg, hint)
		}
		if j, dup := seen[t.Name]; dup {
			return s.errAt(key, "trials %d (%s) and %d (%s) both get the name %q; put every swept hyperparameter in the template",
				j, trials[j].Label(), t.Index, t.Label(), t.Name)
		}
		seen[t.Name] = i
	}
	return nil
}

// errAt makes a SpecError for a dotted key of the spec; key "" names the
// file as a whole.
func (s *Spec) errAt(key, format string, args ...any) error {
	return &SpecError{File: s.File, Line: s.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)}
}

// identityParams returns params without the hyperparameters at a neutral
// default, which a trial's identity leaves out: the trials of a built-in
// model keep their IDs when it gains a hyperparameter whose default
// changes no number.
func (r *resolved) identityParams(params plugins.Params) plugins.Params {
	out := make(plugins.Params, len(params))
	for name, v := range params {
		if d, ok := r.neutral[name]; !ok || canonicalValue(v) != canonicalValue(d) {
			out[name] = v
		}
	}
	return out
}

// resolved is a spec checked against a model: typed values, ready to expand.
type resolved struct {
	model    string
	base     plugins.Params // defaults, then [params]
	neutral  plugins.Params // the defaults that identities leave out (ParamSpec.NeutralDefault)
	dims     []dimension
	space    search.Space // an adaptive search's dimensions
	swept    []string
	template string
	tmpl     nameTemplate
}

// dimension is one factor of the cartesian product: a [grid] axis or a zip
// group. points[i][j] is the value of names[j] at
// position i.
type dimension struct {
	names  []string
	points [][]any
}

// configs lists the product of the dimensions, the first varying slowest.
// Each configuration has its own Params, sharing no slices.
func (r *resolved) configs() []plugins.Params {
	count := 1
	for _, d := range r.dims {
		count *= len(d.points)
	}
	out := make([]plugins.Params, count)
	pos := make([]int, len(r.dims))
	for c := range out {
		p := cloneParams(r.base)
		for i, d := range r.dims {
			for j, name := range d.names {
				p[name] = CloneValue(d.points[pos[i]][j])
			}
		}
		out[c] = p
		// Advance the mixed-radix counter, last dimension fastest.
		for i := len(pos) - 1; i >= 0; i-- {
			pos[i]++
			if pos[i] < len(r.dims[i].points) {
				break
			}
			pos[i] = 0
		}
	}
	return out
}

func cloneParams(p plugins.Params) plugins.Params {
	out := make(plugins.Params, len(p))
	for k, v := range p {
		out[k] = CloneValue(v)
	}
	return out
}

// CloneValue returns a copy of a hyperparameter value (a plugins.Params
// value) that shares no slice with v.
func CloneValue(v any) any {
	switch v := v.(type) {
	case []int64:
		return append([]int64{}, v...)
	case []float64:
		return append([]float64{}, v...)
	}
	return v
}

// name renders the trial's name.
func (r *resolved) name(t *Trial, repeats int) string {
	name := r.tmpl.render(func(key string) any {
		if v, ok := t.Params[key]; ok {
			return v
		}
		switch key {
		case PlaceholderSeed:
			return t.Seed
		case PlaceholderTrial:
			return int64(t.Number)
		}
		return int64(t.Repeat)
	})
	if repeats > 1 && !r.tmpl.has(PlaceholderSeed) && !r.tmpl.has(PlaceholderRepeat) {
		name += "_seed" + strconv.FormatInt(t.Seed, 10)
	}
	return name
}

// resolve checks the spec against desc and converts its values.
func (s *Spec) resolve(desc plugins.Description) (*resolved, error) {
	decl, err := declarations(desc)
	if err != nil {
		return nil, err
	}
	p := &specParser{file: s.File}
	r := &resolved{model: desc.Name, base: plugins.Params{}, neutral: plugins.Params{}}
	if r.model == "" {
		r.model = s.Model
	}
	if r.model == "" {
		r.model = strings.TrimSuffix(filepath.Base(s.Plugin), filepath.Ext(s.Plugin))
	}
	for _, ps := range desc.Params {
		if ps.Default != nil {
			r.base[ps.Name] = CloneValue(ps.Default)
			if ps.NeutralDefault {
				r.neutral[ps.Name] = ps.Default
			}
		}
	}
	lookup := func(line int, key toml.Key) (plugins.ParamSpec, bool) {
		name := key[len(key)-1]
		ps, ok := decl[name]
		if !ok {
			p.errorAt(line, key, "model %q has no hyperparameter %q%s; it has: %s",
				r.model, name, suggest(name, paramNames(desc)), strings.Join(paramNames(desc), ", "))
		}
		return ps, ok
	}

	for _, st := range s.Params {
		key := toml.Key{"params", st.Name}
		if ps, ok := lookup(st.Line, key); ok {
			if v, ok := p.convert(st.Line, key, st.Value, ps, ""); ok {
				r.base[st.Name] = v
			}
		}
	}
	for _, a := range s.Grid {
		if d, ok := p.axisDimension([]Axis{a}, toml.Key{"grid"}, lookup); ok {
			r.dims = append(r.dims, d)
			r.swept = append(r.swept, d.names...)
		}
	}
	for _, g := range s.Zip {
		if d, ok := p.axisDimension(g.Axes, toml.Key{"zip", g.Name}, lookup); ok {
			r.dims = append(r.dims, d)
			r.swept = append(r.swept, d.names...)
		}
	}
	if s.Search.Adaptive() {
		r.space = p.searchSpace(s, lookup)
		for _, d := range r.space {
			r.swept = append(r.swept, d.Name)
		}
	}
	p.checkObjective(s, desc, r)
	for _, ps := range desc.Params {
		if ps.Default == nil && !slices.Contains(s.names(), ps.Name) {
			p.errorAt(0, nil, "model %q needs hyperparameter %q (%s), which has no default: set it in [params] or on an axis",
				r.model, ps.Name, ps.Type)
		}
	}

	r.template = s.TrialName
	if r.template == "" {
		r.template = defaultTemplate(r.model, r.swept)
	}
	tmpl, err := parseTemplate(r.template)
	if err != nil {
		p.errorAt(s.lines["trial_name"], toml.Key{"trial_name"}, "%v", err)
	}
	for _, name := range tmpl.placeholders() {
		if _, ok := decl[name]; !ok && name != PlaceholderSeed && name != PlaceholderRepeat && name != PlaceholderTrial {
			p.errorAt(s.lines["trial_name"], toml.Key{"trial_name"}, "placeholder {%s} is not a hyperparameter of model %q%s, nor {seed}, {repeat} or {trial}",
				name, r.model, suggest(name, paramNames(desc)))
		}
	}
	r.tmpl = tmpl
	if s.Search.Adaptive() && s.TrialName != "" && !tmpl.has(PlaceholderTrial) {
		// A grid's names are checked once it is expanded; a search's
		// configurations come later, so the template must tell them apart.
		for _, d := range r.space {
			if !tmpl.has(d.Name) {
				p.errorAt(s.lines["trial_name"], toml.Key{"trial_name"}, "a %s search's trial names must tell its configurations apart: "+
					"put {%s} (every dimension of [search.space]) or {trial} in the template", s.Search.Sampler, d.Name)
				break
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// names lists the hyperparameters the spec sets, in [params] or on an axis.
func (s *Spec) names() []string {
	var names []string
	for _, st := range s.Params {
		names = append(names, st.Name)
	}
	for _, a := range s.Grid {
		names = append(names, a.Name)
	}
	for _, g := range s.Zip {
		for _, a := range g.Axes {
			names = append(names, a.Name)
		}
	}
	for _, a := range s.Search.Space {
		names = append(names, a.Name)
	}
	return names
}

// declarations indexes a model's hyperparameters, refusing a description
// that is itself inconsistent (a plugin's bug, not the user's).
func declarations(desc plugins.Description) (map[string]plugins.ParamSpec, error) {
	decl := make(map[string]plugins.ParamSpec, len(desc.Params))
	for _, ps := range desc.Params {
		if _, dup := decl[ps.Name]; dup {
			return nil, fmt.Errorf("model %q declares hyperparameter %q twice", desc.Name, ps.Name)
		}
		if _, err := convertValue(nil, ps.Type); errors.Is(err, errUnknownType) {
			return nil, fmt.Errorf("model %q: hyperparameter %q has an unknown type %q", desc.Name, ps.Name, ps.Type)
		}
		if err := ps.Constraints.Validate(ps.Type); err != nil {
			return nil, fmt.Errorf("model %q: hyperparameter %q: %v", desc.Name, ps.Name, err)
		}
		if ps.Default != nil {
			if v, err := convertValue(ps.Default, ps.Type); err != nil || reflect.TypeOf(v) != reflect.TypeOf(ps.Default) {
				return nil, fmt.Errorf("model %q: hyperparameter %q of type %s has a default of Go type %T",
					desc.Name, ps.Name, ps.Type, ps.Default)
			}
			if err := ps.Constraints.Check(ps.Name, ps.Default); err != nil {
				return nil, fmt.Errorf("model %q: the default of hyperparameter %q breaks its own constraints: %v", desc.Name, ps.Name, err)
			}
		}
		decl[ps.Name] = ps
	}
	return decl, nil
}

func paramNames(desc plugins.Description) []string {
	names := make([]string, len(desc.Params))
	for i, ps := range desc.Params {
		names[i] = ps.Name
	}
	return names
}

// errorAt records a problem at a line and key.
func (p *specParser) errorAt(line int, key toml.Key, format string, args ...any) {
	e := &SpecError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
	if len(key) > 0 {
		e.Key = key.String()
	}
	p.errs = append(p.errs, e)
}

// axisDimension converts the axes of [grid] (one axis) or of a zip group
// (several, of equal length) into a dimension, refusing repeated points.
func (p *specParser) axisDimension(axes []Axis, table toml.Key,
	lookup func(int, toml.Key) (plugins.ParamSpec, bool)) (dimension, bool) {
	d := dimension{}
	ok := true
	for _, a := range axes {
		key := append(append(toml.Key{}, table...), a.Name)
		ps, found := lookup(a.Line, key)
		if !found {
			ok = false
			continue
		}
		hint := ""
		if ps.Type == plugins.TypeIntList || ps.Type == plugins.TypeFloatList {
			hint = fmt.Sprintf("; an axis of a list-valued hyperparameter is a list of lists, e.g. %s = [[64, 32], [128, 64]]", a.Name)
		}
		for i, v := range a.Values {
			cv, good := p.convert(a.Line, key, v, ps, hint)
			if !good {
				ok = false
				break
			}
			if i >= len(d.points) {
				d.points = append(d.points, nil)
			}
			d.points[i] = append(d.points[i], cv)
		}
		d.names = append(d.names, a.Name)
	}
	if !ok {
		return d, false
	}
	seen := map[string]int{}
	for i, pt := range d.points {
		k := pointKey(pt)
		if j, dup := seen[k]; dup {
			line := axes[0].Line
			p.errorAt(line, append(append(toml.Key{}, table...), axes[0].Name),
				"positions %d and %d are the same (%s): each would run twice", j+1, i+1, pointString(d.names, pt))
			return d, false
		}
		seen[k] = i
	}
	return d, true
}

func pointKey(pt []any) string {
	parts := make([]string, len(pt))
	for i, v := range pt {
		parts[i] = canonicalValue(v)
	}
	return strings.Join(parts, "\x00")
}

func pointString(names []string, pt []any) string {
	parts := make([]string, len(pt))
	for i, v := range pt {
		parts[i] = names[i] + "=" + results.FormatValue(v)
	}
	return strings.Join(parts, " ")
}

// convert converts a TOML value to the declared type, or records why not.
// A value the model's constraints refuse is an error too.
func (p *specParser) convert(line int, key toml.Key, v any, ps plugins.ParamSpec, hint string) (any, bool) {
	cv, err := convertValue(v, ps.Type)
	if err != nil {
		p.errorAt(line, key, "%v%s", err, hint)
		return nil, false
	}
	return cv, p.allowed(line, key, ps, cv)
}

// allowed checks v against ps's constraints, or records why it breaks them.
func (p *specParser) allowed(line int, key toml.Key, ps plugins.ParamSpec, v any) bool {
	if err := ps.Constraints.Check(ps.Name, v); err != nil {
		p.errorAt(line, key, "%v", err)
		return false
	}
	return true
}

// convertValue converts a value as TOML decodes it (or a Go value of a
// plugins.Params type) to the Go type of t. An integer is accepted for a
// float if it converts exactly; nothing else is coerced.
func convertValue(v any, t plugins.ParamType) (any, error) {
	bad := func(what string) error {
		return fmt.Errorf("want %s, not %s", what, tomlTypeName(v))
	}
	switch t {
	case plugins.TypeFloat:
		if x, ok := numberToFloat(v); ok {
			return x, nil
		}
		return nil, bad("a float")
	case plugins.TypeInt:
		if i, ok := v.(int64); ok {
			return i, nil
		}
		return nil, bad("an integer")
	case plugins.TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, bad("a string")
	case plugins.TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, bad("true or false")
	case plugins.TypeIntList:
		switch v := v.(type) {
		case []int64:
			return append([]int64{}, v...), nil
		case []any:
			out := make([]int64, len(v))
			for i, e := range v {
				x, ok := e.(int64)
				if !ok {
					return nil, fmt.Errorf("want a list of integers, but element %d is %s", i+1, tomlTypeName(e))
				}
				out[i] = x
			}
			return out, nil
		}
		return nil, bad("a list of integers")
	case plugins.TypeFloatList:
		switch v := v.(type) {
		case []float64:
			return append([]float64{}, v...), nil
		case []any:
			out := make([]float64, len(v))
			for i, e := range v {
				x, ok := numberToFloat(e)
				if !ok {
					return nil, fmt.Errorf("want a list of floats, but element %d is %s", i+1, tomlTypeName(e))
				}
				out[i] = x
			}
			return out, nil
		}
		return nil, bad("a list of floats")
	}
	return nil, fmt.Errorf("%w %q", errUnknownType, t)
}

// errUnknownType is convertValue's error for a type it does not know.
var errUnknownType = errors.New("the model declares an unknown type")

// numberToFloat converts a float, or an integer that a float64 holds
// exactly.
func numberToFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		x := float64(v)
		if x >= -(1<<63) && x < 1<<63 && int64(x) == v {
			return x, true
		}
	}
	return 0, false
}

// searchSpace converts [search.space] into the sampler's space, checking
// each dimension against its hyperparameter.
func (p *specParser) searchSpace(s *Spec, lookup func(int, toml.Key) (plugins.ParamSpec, bool)) search.Space {
	space := make(search.Space, 0, len(s.Search.Space))
	for _, a := range s.Search.Space {
		key := toml.Key{"search", "space", a.Name}
		ps, found := lookup(a.Line, key)
		if !found {
			continue
		}
		d := search.Dimension{Name: a.Name, Kind: search.Kind(a.Dist)}
		switch a.Dist {
		case DistUniform, DistLogUniform:
			if ps.Type != plugins.TypeFloat {
				p.errorAt(a.Line, key, "%s draws floats, but %s is %s", a.Dist, a.Name, ps.Type)
				continue
			}
			d.Lo, d.Hi = a.Args[0].(float64), a.Args[1].(float64)
			if !p.allowed(a.Line, key, ps, d.Lo) || !p.allowed(a.Line, key, ps, d.Hi) {
				continue
			}
		case DistInt:
			if ps.Type != plugins.TypeInt && ps.Type != plugins.TypeFloat {
				p.errorAt(a.Line, key, "int draws integers, but %s is %s", a.Name, ps.Type)
				continue
			}
			lo, hi := a.Args[0].(int64), a.Args[1].(int64)
			d.Lo, d.Hi, d.AsFloat = float64(lo), float64(hi), ps.Type == plugins.TypeFloat
			if !p.allowed(a.Line, key, ps, lo) || !p.allowed(a.Line, key, ps, hi) {
				continue
			}
		case DistChoice:
			if !p.choices(a, key, ps, &d) {
				continue
			}
		}
		space = append(space, d)
	}
	return space
}

// choices converts a choice dimension's values, refusing one given twice.
func (p *specParser) choices(a SpaceAxis, key toml.Key, ps plugins.ParamSpec, d *search.Dimension) bool {
	seen := map[string]int{}
	for i, v := range a.Args {
		cv, ok := p.convert(a.Line, key, v, ps, "")
		if !ok {
			return false
		}
		k := canonicalValue(cv)
		if j, dup := seen[k]; dup {
			p.errorAt(a.Line, key, "choices %d and %d are the same (%s)", j+1, i+1, results.FormatValue(cv))
			return false
		}
		seen[k] = i
		d.Choices = append(d.Choices, cv)
	}
	return true
}

// checkObjective checks [objective] and [prune] against the model: the
// metric must be one it reports, and ASHA's first rung must come before
// the last epoch.
func (p *specParser) checkObjective(s *Spec, desc plugins.Description, r *resolved) {
	// A grid of a model that reports no val_loss still runs without an
	// [objective]: its trials just have no score. A search or a pruner
	// cannot do without one.
	needed := s.lines["objective"] > 0 || s.Search.Adaptive() || s.Prune.Method != PruneNone
	if needed && !slices.Contains(desc.Metrics, s.Objective.Metric) {
		line, key := s.lines["objective.metric"], toml.Key{"objective", "metric"}
		if line == 0 {
			line, key = cmp.Or(s.lines["objective"], s.Search.Line, s.Prune.Line), toml.Key{"objective"}
		}
		p.errorAt(line, key, "model %q reports no metric %q%s; it reports: %s", desc.Name, s.Objective.Metric,
			suggest(s.Objective.Metric, desc.Metrics), strings.Join(desc.Metrics, ", "))
	}
	if s.Prune.Method == PruneNone {
		return
	}
	if epochs, ok := r.base["epochs"].(int64); ok && !slices.Contains(r.swept, "epochs") {
		if int64(s.Prune.MinEpochs) >= epochs {
			line := s.lines["prune.min_epochs"]
			if line == 0 {
				line = s.Prune.Line
			}
			p.errorAt(line, toml.Key{"prune", "min_epochs"}, "must be below epochs (%d): a trial that ends at its first rung is never pruned", epochs)
		}
	}
}
