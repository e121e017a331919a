package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// RandomSampler draws every dimension independently and uniformly (a
// LogUniform one uniformly in log space), and avoids repeating a
// configuration of the history while the space allows.
type RandomSampler struct {
	space Space
	seed  uint64
}

// NewRandom returns a random sampler of space seeded by seed.
func NewRandom(space Space, seed uint64) *RandomSampler {
	return &RandomSampler{space: space, seed: seed}
}

// maxRedraws bounds the draws that try to avoid a configuration already
// in the history; a space that small repeats one.
const maxRedraws = 100

// Ask draws the next configuration. Configuration n draws from a stream of
// its own, so it does not depend on the draws before it.
func (s *RandomSampler) Ask(history []Observation) (map[string]any, error) {
	rng := TrialRand(s.seed, len(history))
	seen := make(map[string]bool, len(history))
	for _, o := range history {
		seen[s.space.Key(o.Params)] = true
	}
	var p map[string]any
	for range maxRedraws {
		p = s.space.Draw(rng)
		if !seen[s.space.Key(p)] {
			break
		}
	}
	return p, nil
}

// TrialRand is the random stream of configuration number n of a sampler
// seeded by seed.
func TrialRand(seed uint64, n int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x5eed_0000_0000+uint64(n)))
}

// Draw returns one configuration drawn uniformly from the space.
func (sp Space) Draw(rng *rand.Rand) map[string]any {
	p := make(map[string]any, len(sp))
	for i := range sp {
		p[sp[i].Name] = sp[i].Draw(rng)
	}
	return p
}

// Draw returns one value of the dimension, drawn uniformly.
func (d *Dimension) Draw(rng *rand.Rand) any {
	switch d.Kind {
	case LogUniform:
		l, h := math.Log(d.Lo), math.Log(d.Hi)
		return d.Value(math.Exp(l + (h-l)*rng.Float64()))
	case Int:
		return d.Value(d.Lo + float64(rng.Int64N(int64(d.Hi-d.Lo)+1)))
	case Choice:
		return d.Value(float64(rng.IntN(len(d.Choices))))
	}
	return d.Value(d.Lo + (d.Hi-d.Lo)*rng.Float64())
}

// Key is a configuration's identity within the space, for telling repeats
// apart.
func (sp Space) Key(p map[string]any) string {
	var b strings.Builder
	for i := range sp {
		fmt.Fprintf(&b, "%v\x00", p[sp[i].Name])
	}
	return b.String()
}
