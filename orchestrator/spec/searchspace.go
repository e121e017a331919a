package spec

import (
	"fmt"

	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/plugins"
)

// SearchSpace is an adaptive search's grid checked against its model: the
// space its sampler draws from, and what turns a proposal into trials.
type SearchSpace struct {
	Space    search.Space
	spec     *Spec
	r        *resolved
	dataHash string
}

// NewSearchSpace checks an adaptive search's spec against the model's
// description. It fails for a grid sweep, which Expand lists instead.
func NewSearchSpace(s *Spec, desc plugins.Description) (*SearchSpace, error) {
	if !s.Search.Adaptive() {
		return nil, fmt.Errorf("%s: a %s sweep has no search space", s.File, s.Search.Sampler)
	}
	r, err := s.resolve(desc)
	if err != nil {
		return nil, err
	}
	dataHash, err := DataHash(s.Data)
	if err != nil {
		return nil, s.errAt("data.path", "cannot read the data file: %v", err)
	}
	return &SearchSpace{Space: r.space, spec: s, r: r, dataHash: dataHash}, nil
}

// Sampler returns the spec's sampler over the space, seeded by the sweep's
// seed.
func (ss *SearchSpace) Sampler() search.Sampler {
	seed := uint64(ss.spec.Seed)
	if ss.spec.Search.Sampler == SamplerTPE {
		return search.NewTPE(ss.Space, seed, search.TPEOptions{})
	}
	return search.NewRandom(ss.Space, seed)
}

// Fixed returns the value every trial of the search gives a hyperparameter
// that the space does not draw: the model's default, or the grid's
// [params]. It reports false for a dimension of the space and for a
// hyperparameter that has neither.
func (ss *SearchSpace) Fixed(name string) (any, bool) {
	for _, d := range ss.Space {
		if d.Name == name {
			return nil, false
		}
	}
	v, ok := ss.r.base[name]
	if !ok {
		return nil, false
	}
	return CloneValue(v), true
}

// Trials turns configuration number's sampled values into its trials, one
// per repeat, as Expand would list them. It fails if a name the template
// renders is not a valid directory name.
func (ss *SearchSpace) Trials(number int, sampled map[string]any) ([]Trial, error) {
	params := cloneParams(ss.r.base)
	for k, v := range sampled {
		params[k] = CloneValue(v)
	}
	body := configBody(ss.r.model, ss.r.identityParams(params), ss.spec.Data, ss.dataHash)
	out := make([]Trial, ss.spec.Repeats)
	for rep := range out {
		out[rep] = ss.r.trial(ss.spec, number*ss.spec.Repeats+rep, number, cloneParams(params), body, rep)
		if msg := checkPathName(out[rep].Name); msg != "" {
			return nil, fmt.Errorf("trial %d (%s): %s; set trial_name", number, out[rep].Label(), msg)
		}
	}
	return out, nil
}
