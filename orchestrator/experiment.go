package orchestrator

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/orchestrator/spec"
)

// metricDatasets says which data each metric a model may report is measured
// on, for the HParams dashboard's columns.
var metricDatasets = map[string]logger.DatasetType{
	"train_loss": logger.DatasetTraining,
	"val_loss":   logger.DatasetValidation, "best_val_loss": logger.DatasetValidation,
	"pred_mean": logger.DatasetValidation, "pred_std": logger.DatasetValidation,
}

// Experiment builds the HParams experiment summary of a plan: every
// hyperparameter (and the seed) with the discrete domain of the values its
// trials take, and best_val_loss (and best_<metric> of another objective)
// plus every metric the model reports.
//
// TensorBoard applies the first experiment summary it finds to the whole
// logdir and hides the columns it does not list, which is why `sweep run`
// writes one only when the grid asks for it (experiment_summary = true).
func Experiment(p *Plan) logger.Experiment {
	exp := logger.Experiment{Name: p.Spec.Name, Description: "sweep " + p.Spec.Name + " (" + p.Desc.Name + ")"}
	values := map[string][]logger.HParamValue{}
	var names []string
	for _, t := range p.Trials {
		for name, v := range withSeed(t) {
			hv := logger.HParam(v)
			if _, ok := values[name]; !ok {
				names = append(names, name)
			}
			if !slices.Contains(values[name], hv) {
				values[name] = append(values[name], hv)
			}
		}
	}
	slices.Sort(names)
	for _, name := range names {
		domain := values[name]
		exp.HParams = append(exp.HParams, logger.HParamInfo{Name: name, Type: domain[0].Type, Domain: domain})
	}
	metrics := []string{"best_val_loss"}
	if best := bestMetric(p.Spec.Objective); best != metrics[0] {
		metrics = append(metrics, best)
	}
	for _, m := range append(metrics, p.Desc.Metrics...) {
		exp.Metrics = append(exp.Metrics, logger.MetricInfo{Tag: m, DisplayName: strings.ReplaceAll(m, "_", " "),
			DatasetType: metricDatasets[m]})
	}
	return exp
}

// withSeed is what a trial's HParams session records: its hyperparameters
// and its seed.
func withSeed(t spec.Trial) map[string]any {
	hp := make(map[string]any, len(t.Params)+1)
	for k, v := range t.Params {
		hp[k] = v
	}
	hp["seed"] = t.Seed
	return hp
}

// writeExperiment writes the plan's experiment summary at the sweep's root
// unless an event file is already there.
func writeExperiment(p *Plan) error {
	existing, err := filepath.Glob(filepath.Join(p.Dir, "*tfevents*"))
	if err != nil || len(existing) > 0 {
		return err
	}
	return logger.WriteExperiment(p.Dir, Experiment(p), logger.Options{})
}
