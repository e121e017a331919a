// Package search holds the parts of an adaptive sweep that decide what to
// run and what to stop: samplers, which propose the next configuration
// from the trials so far (random, TPE), and pruners, which stop a running
// trial whose learning curve is unpromising (ASHA, median).
//
// Both work from history alone. The sweep directory is the study's only
// storage: a sampler's history is rebuilt from the trial records, a
// pruner's state lives in files beside them. Nothing here runs trials or
// knows about processes, so a resumed sweep, or a Slurm worker reading the
// shared directory, asks the same questions and gets the same answers.
//
// Every score here is minimised: a caller whose objective is maximised
// negates it on the way in.
package search

import (
	"fmt"
	"math"
	"strconv"
)

// Kind is how a dimension's values are distributed.
type Kind string

// The kinds of dimension a space holds.
const (
	Uniform    Kind = "uniform"     // a float in [Lo, Hi]
	LogUniform Kind = "log_uniform" // a float in [Lo, Hi] whose log is uniform; 0 < Lo
	Int        Kind = "int"         // an integer in [Lo, Hi], both included
	Choice     Kind = "choice"      // one of Choices
)

// Dimension is one hyperparameter a sampler chooses.
type Dimension struct {
	Name string
	Kind Kind
	// Lo and Hi bound Uniform, LogUniform and Int dimensions (an Int's are
	// whole numbers); Lo < Hi, or Lo == Hi for a dimension of one value.
	Lo, Hi float64
	// AsFloat makes an Int dimension's values float64s (the hyperparameter
	// is declared a float); otherwise they are int64s.
	AsFloat bool
	// Choices are a Choice dimension's values, of the hyperparameter's Go
	// type (lists included); never empty.
	Choices []any
}

// Space is the dimensions a sampler chooses, in a fixed order (the grid
// file's).
type Space []Dimension

// Digits is how many significant digits a float that a sampler proposes
// keeps, so that trial names stay readable. Far finer than any search
// resolves.
const Digits = 4

// Value maps x, a point of the dimension's numeric range (for Choice: the
// index of a choice), to the hyperparameter's value: a float rounded to
// Digits significant digits and kept within [Lo, Hi], an int64 (or a
// whole float64 with AsFloat), or a choice. Value panics if the index of a
// choice is out of range.
func (d *Dimension) Value(x float64) any {
	switch d.Kind {
	case Uniform, LogUniform:
		r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', Digits, 64), 64)
		if err != nil {
			r = x
		}
		return math.Min(math.Max(r, d.Lo), d.Hi)
	case Int:
		i := int64(math.Round(math.Min(math.Max(x, d.Lo), d.Hi)))
		if d.AsFloat {
			return float64(i)
		}
		return i
	case Choice:
		return d.Choices[int(x)]
	}
	panic(fmt.Sprintf("search: dimension %s has unknown kind %q", d.Name, d.Kind))
}

// State is where a trial of the history stands.
type State string

// The states of an Observation.
const (
	Running  State = "running"  // asked, not yet told: constant liar treats it as a poor result
	Complete State = "complete" // ran to its end: Value is its score
	Pruned   State = "pruned"   // stopped by the pruner: Value is its score at Step, its last rung
	Failed   State = "failed"   // crashed or diverged: no value, never learned from
)

// Observation is one configuration of the history a sampler learns from.
type Observation struct {
	Params map[string]any // its values of the space's dimensions
	State  State
	Value  float64 // Complete, Pruned: the score, minimised
	Step   int     // Pruned: the epochs it had run at its last rung
}

// Sampler proposes configurations.
type Sampler interface {
	// Ask returns the values of the space's dimensions for the next
	// configuration. history holds every configuration asked before, in
	// the order asked (so len(history) is the new one's number), running
	// ones included. Ask is a pure function of the sampler's seed and the
	// history: a resumed sweep, given the history rebuilt from disk, gets
	// the same proposal.
	Ask(history []Observation) (map[string]any, error)
}
