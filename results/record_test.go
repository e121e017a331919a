package results

import "testing"

// The mode of a metric's best: the objective's for its own metric, lower
// for losses and errors, higher for the rest.
func TestMetricMode(t *testing.T) {
	maxIC := Objective{Metric: "val_ic", Mode: ModeMax}
	minIC := Objective{Metric: "val_ic", Mode: ModeMin}
	for _, c := range []struct {
		obj    Objective
		metric string
		want   string
	}{
		{DefaultObjective, "val_loss", ModeMin},
		{Objective{Metric: "val_loss", Mode: ModeMax}, "val_loss", ModeMax},
		{DefaultObjective, "train_loss", ModeMin},
		{DefaultObjective, "val_error", ModeMin},
		{DefaultObjective, "val_ic", ModeMax},
		{DefaultObjective, "accuracy", ModeMax},
		{maxIC, "val_ic", ModeMax},
		{minIC, "val_ic", ModeMin},
		{minIC, "val_loss", ModeMin},
		{minIC, "sharpe", ModeMax},
	} {
		if got := c.obj.MetricMode(c.metric); got != c.want {
			t.Errorf("objective %v: MetricMode(%s) = %s, want %s", c.obj, c.metric, got, c.want)
		}
	}
}
