package main

import (
	"time"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/results"
)

// The wire form of `sweep run --json`: one object per line, per event kind
// the fields the README documents ("JSON output"), where a test holds the
// binary's output to the documented fields and types. These structs, not
// orchestrator.Event, are that contract: a field added to the Go event
// stays out of the stream until it is documented.

// eventHead starts every event.
type eventHead struct {
	Event   orchestrator.EventKind `json:"event"`
	Time    time.Time              `json:"time"`
	Elapsed float64                `json:"elapsed_seconds"`
}

// eventCounts are the trials of this invocation, as they stand.
type eventCounts struct {
	Total       int `json:"total"`
	Skipped     int `json:"skipped"`
	Running     int `json:"running"`
	Succeeded   int `json:"succeeded"`
	Failed      int `json:"failed"`
	Pruned      int `json:"pruned"`
	Interrupted int `json:"interrupted"`
}

type sweepStartJSON struct {
	eventHead
	Sweep     string        `json:"sweep"`
	Dir       string        `json:"dir"`
	Objective objectiveJSON `json:"objective"`
	eventCounts
}

type objectiveJSON struct {
	Metric string `json:"metric"`
	Mode   string `json:"mode"`
}

type trialJSON struct {
	eventHead
	eventCounts
	Trial *results.Trial `json:"trial"`
}

type trialEndJSON struct {
	trialJSON
	Best *bestJSON `json:"best"`
}

// bestJSON names the best trial so far; the whole record was in its
// trial_end.
type bestJSON struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

type epochJSON struct {
	eventHead
	TrialID   string `json:"trial_id"`
	TrialName string `json:"trial_name"`
	Fold      int    `json:"fold"`
	Step      int64  `json:"step"`
	// Scalars are nil where a value is NaN or infinite, which JSON cannot
	// write: a diverging epoch is reported, not dropped.
	Scalars map[string]*float64 `json:"scalars"`
}

type sweepEndJSON struct {
	eventHead
	Ended orchestrator.EndState `json:"ended"`
	eventCounts
	Best *bestJSON `json:"best"`
}

// eventJSON returns the wire form of e.
func eventJSON(e orchestrator.Event) any {
	head := eventHead{Event: e.Kind, Time: e.Time, Elapsed: e.Elapsed}
	counts := eventCounts{Total: e.Total, Skipped: e.Skipped, Running: e.Running, Succeeded: e.Succeeded,
		Failed: e.Failed, Pruned: e.Pruned, Interrupted: e.Interrupted}
	switch e.Kind {
	case orchestrator.EventSweepStart:
		return sweepStartJSON{eventHead: head, Sweep: e.Sweep, Dir: e.Dir, eventCounts: counts,
			Objective: objectiveJSON{Metric: e.Objective.Metric, Mode: e.Objective.Mode}}
	case orchestrator.EventEpoch:
		m := e.Epoch
		scalars := make(map[string]*float64, len(m.Scalars))
		for tag, v := range m.Scalars {
			scalars[tag] = results.Metric(v)
		}
		return epochJSON{eventHead: head, TrialID: m.TrialID, TrialName: m.TrialName, Fold: m.Fold, Step: m.Step, Scalars: scalars}
	case orchestrator.EventTrialEnd:
		return trialEndJSON{trialJSON: trialJSON{eventHead: head, eventCounts: counts, Trial: e.Trial}, Best: bestOf(e)}
	case orchestrator.EventSweepEnd:
		return sweepEndJSON{eventHead: head, Ended: e.Ended, eventCounts: counts, Best: bestOf(e)}
	default: // trial_start, trial_retry
		return trialJSON{eventHead: head, eventCounts: counts, Trial: e.Trial}
	}
}

// bestOf is the event's best trial so far, or nil.
func bestOf(e orchestrator.Event) *bestJSON {
	if e.Best == nil || e.Best.Score == nil {
		return nil
	}
	return &bestJSON{ID: e.Best.ID, Name: e.Best.Name, Score: *e.Best.Score}
}
