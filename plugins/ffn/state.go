package ffn

import (
	"encoding"
	"fmt"
)

// State is the whole state of a training run between two epochs: what
// TrainWith needs to continue the run exactly as if it had never stopped.
// The learning-rate schedule is a function of the epoch, so Epochs is its
// state; the dropout masks and the shuffles are drawn from the one source,
// whose state RNG holds.
type State struct {
	Epochs int    // epochs done: the run continues with epoch Epochs (from 0)
	Result Result // of those epochs

	// The arrays are float64 also for a float32 network: its numbers
	// widen exactly and narrow back to themselves.

	Theta []float64 // the parameters, in state_dict order
	Stats []float64 // the BatchNorm running statistics

	AdamM, AdamV []float64 // Adam's moment estimates
	AdamStep     int       // Adam's step count (bias corrections)

	RNG []byte // the source's state, from its MarshalBinary
	// Perm is the order of the training rows after the last epoch's
	// shuffle: each epoch shuffles the one before in place.
	Perm []int
	Stop EarlyStopState

	// BestTheta and BestStats are the parameters and statistics of the
	// best epoch, which RestoreBest ends with; nil without RestoreBest.
	BestTheta, BestStats []float64
}

// EarlyStopState is what EarlyStopping has seen.
type EarlyStopState struct {
	Best      float64 // the best loss so far
	BestEpoch int
	Bad       int  // epochs in a row without improvement
	Seen      bool // any epoch observed
}

// Options are what TrainWith does besides training.
type Options struct {
	// OnEpoch, if not nil, is called after each epoch, as Train's onEpoch.
	OnEpoch func(EpochReport) error
	// StateEvery > 0 calls OnState after every StateEvery-th epoch that
	// is not the run's last (after that epoch's OnEpoch), with the run's
	// state. The State is TrainWith's own and reused: OnState must copy
	// or write out what it keeps before it returns. An error from OnState
	// stops training and is returned.
	StateEvery int
	OnState    func(*State) error
	// StateOnStop also calls OnState when cancelling ctx stops the run,
	// with the state after its last finished epoch, unless OnState has
	// had that one already: a stopped run then loses at most the epoch it
	// was in, not up to StateEvery epochs. It costs a copy of the state
	// (parameters, moments, the order of the training rows) every epoch.
	// An error from OnState is joined to ctx's.
	StateOnStop bool
	// From, if not nil, continues the run it describes rather than
	// starting one: net must be of the same configuration (its parameters
	// are replaced), and src's state is set from From.RNG. The reports
	// and the Result then count epochs as the uninterrupted run does.
	From *State
}

// capture fills s with the run's state after epochs epochs; the slices
// are reused from one call to the next.
func (t *trainer[T]) capture(s *State, epochs int, res Result, stop *EarlyStopping) error {
	m, ok := t.src.(encoding.BinaryMarshaler)
	if !ok {
		return fmt.Errorf("ffn: the random source %T cannot save its state (it is no encoding.BinaryMarshaler)", t.src)
	}
	rng, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("ffn: saving the random source's state: %w", err)
	}
	s.Epochs, s.Result, s.RNG, s.AdamStep = epochs, res, rng, t.adam.t
	s.Theta = widen(s.Theta, t.net.theta)
	s.Stats = widen(s.Stats, t.net.stats)
	s.Perm = append(s.Perm[:0], t.perm...)
	s.AdamM = widen(s.AdamM, t.adam.m)
	s.AdamV = widen(s.AdamV, t.adam.v)
	s.Stop = EarlyStopState{Best: stop.best, BestEpoch: stop.bestEpoch, Bad: stop.bad, Seen: stop.seen}
	if t.bestTheta != nil {
		s.BestTheta = widen(s.BestTheta, t.bestTheta)
		s.BestStats = widen(s.BestStats, t.bestStats)
	}
	return nil
}

// resume sets the run's state from s, after checking that s fits the
// network, the configuration and the source.
func (t *trainer[T]) resume(s *State, stop *EarlyStopping) error {
	u, ok := t.src.(encoding.BinaryUnmarshaler)
	if !ok {
		return fmt.Errorf("ffn: the random source %T cannot take a saved state (it is no encoding.BinaryUnmarshaler)", t.src)
	}
	sizes := []struct {
		what      string
		got, want int
	}{
		{"parameters", len(s.Theta), len(t.net.theta)},
		{"running statistics", len(s.Stats), len(t.net.stats)},
		{"training rows", len(s.Perm), len(t.perm)},
		{"first moments", len(s.AdamM), len(t.adam.m)},
		{"second moments", len(s.AdamV), len(t.adam.v)},
		{"best parameters", len(s.BestTheta), len(t.bestTheta)},
		{"best running statistics", len(s.BestStats), len(t.bestStats)},
	}
	for _, c := range sizes {
		if c.got != c.want {
			return fmt.Errorf("ffn: the saved state has %d %s, the run has %d", c.got, c.what, c.want)
		}
	}
	switch {
	case s.Epochs < 1 || s.Epochs >= t.cfg.Epochs:
		return fmt.Errorf("ffn: the saved state is after %d epochs, a run of %d epochs cannot continue from it", s.Epochs, t.cfg.Epochs)
	case s.AdamStep < 0:
		return fmt.Errorf("ffn: the saved state has Adam step %d", s.AdamStep)
	}
	seen := make([]bool, len(t.perm))
	for _, r := range s.Perm {
		if r < 0 || r >= len(seen) || seen[r] {
			return fmt.Errorf("ffn: the saved order of the training rows is no permutation of %d rows", len(seen))
		}
		seen[r] = true
	}
	if err := u.UnmarshalBinary(s.RNG); err != nil {
		return fmt.Errorf("ffn: the saved random state: %w", err)
	}
	copy(t.perm, s.Perm)
	t.net.transposed = false
	narrow(t.net.theta, s.Theta)
	narrow(t.net.stats, s.Stats)
	narrow(t.adam.m, s.AdamM)
	narrow(t.adam.v, s.AdamV)
	t.adam.t = s.AdamStep
	narrow(t.bestTheta, s.BestTheta)
	narrow(t.bestStats, s.BestStats)
	stop.best, stop.bestEpoch, stop.bad, stop.seen = s.Stop.Best, s.Stop.BestEpoch, s.Stop.Bad, s.Stop.Seen
	return nil
}

// widen sets dst, reused, to the values of src in float64 and returns it.
func widen[T Float](dst []float64, src []T) []float64 {
	dst = growTo(dst, len(src))
	for i, v := range src {
		dst[i] = float64(v)
	}
	return dst
}

// narrow copies src into dst, rounding to T (exact for numbers that widen
// made); it copies min(len(dst), len(src)) values.
func narrow[T Float](dst []T, src []float64) {
	for i, v := range src[:min(len(src), len(dst))] {
		dst[i] = T(v)
	}
}
