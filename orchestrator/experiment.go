package orchestrator

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
)

// metricDatasets says which data each metric a model may report is measured
// on, for the HParams dashboard's columns.
var metricDatasets = map[string]logger.DatasetType{
	"train_loss": logger.DatasetTraining,
	"val_loss":   logger.DatasetValidation, "best_val_loss": logger.DatasetValidation,
	"pred_mean": logger.DatasetValidation, "pred_std": logger.DatasetValidation,
}

// Experiment builds the HParams experiment summary of a plan: every
// hyperparameter (and the seed) with its domain, and best_val_loss (and
// best_<metric> of another objective) plus every metric the model reports.
//
// A hyperparameter's domain is the widest one known before the trials end:
// a search dimension's range (an interval) or choices; a string's declared
// choices; otherwise the values the plan's trials take. Each column's
// description is the model's help and declared constraints.
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
	var space search.Space
	if p.Search != nil {
		// A search lists only the trials asked so far, perhaps none: its
		// columns come from the space and the fixed values.
		space = p.Search.Space
		for _, ps := range p.Desc.Params {
			if _, ok := values[ps.Name]; ok {
				continue
			}
			if v, fixed := p.Search.Fixed(ps.Name); fixed {
				values[ps.Name] = []logger.HParamValue{logger.HParam(v)}
			}
			names = append(names, ps.Name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		info := logger.HParamInfo{Name: name, Domain: values[name]}
		if i := slices.IndexFunc(p.Desc.Params, func(ps plugins.ParamSpec) bool { return ps.Name == name }); i >= 0 {
			declared(&info, p.Desc.Params[i])
		}
		if i := slices.IndexFunc(space, func(d search.Dimension) bool { return d.Name == name }); i >= 0 {
			searched(&info, space[i])
		}
		if info.Interval != nil {
			info.Type, info.Domain = logger.HParamNumber, nil
		} else {
			info.Type = info.Domain[0].Type
		}
		exp.HParams = append(exp.HParams, info)
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

// declared describes info's hyperparameter as the model declares it, and
// widens a string's domain to its declared choices.
func declared(info *logger.HParamInfo, ps plugins.ParamSpec) {
	info.Description = ps.Help
	if c := ps.Constraints.Describe(ps.Type); c != "" {
		info.Description = strings.TrimSpace(ps.Help + " (" + c + ")")
	}
	if len(ps.Constraints.Choices) > 0 {
		info.Domain = nil
		for _, c := range ps.Constraints.Choices {
			info.Domain = append(info.Domain, logger.HParam(c))
		}
	}
}

// searched sets info's domain to a search dimension's: the interval a
// continuous or integer dimension draws from, or a choice's values.
func searched(info *logger.HParamInfo, d search.Dimension) {
	if d.Kind != search.Choice {
		info.Interval = &logger.Interval{Min: d.Lo, Max: d.Hi}
		return
	}
	info.Domain = nil
	for _, c := range d.Choices {
		info.Domain = append(info.Domain, logger.HParam(c))
	}
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
