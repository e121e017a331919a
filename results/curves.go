package results

import (
	"errors"
	"fmt"

	"github.com/sweep-ml/sweep/logger"
)

// ReadCurves reads the scalar series tag (such as "val_loss") from the event
// files of the first top rows of r (all rows if top <= 0), one Curve per
// finished trial, named after the trial, in ranking order: the input
// PlotCurves expects. A run whose files cannot be read, or that lacks the
// tag, is skipped and listed in warnings; a file that ends inside a record
// (a run still being written) gives the points before that record, with a
// warning.
func ReadCurves(r Ranking, tag string, top int) (curves []Curve, warnings []string) {
	rows := r.Rows
	if top > 0 && len(rows) > top {
		rows = rows[:top]
	}
	for _, row := range rows {
		for i, dir := range row.Dirs {
			series, err := logger.ReadScalars(dir)
			if err != nil {
				warnings = append(warnings, err.Error())
				if !errors.Is(err, logger.ErrTruncated) {
					continue
				}
			}
			points := series[tag]
			if len(points) == 0 {
				warnings = append(warnings, fmt.Sprintf("%s: no %q scalars", dir, tag))
				continue
			}
			c := Curve{Name: row.Trials[i], Steps: make([]int64, len(points)), Values: make([]float64, len(points))}
			for j, p := range points {
				c.Steps[j], c.Values[j] = p.Step, p.Value
			}
			curves = append(curves, c)
		}
	}
	return curves, warnings
}
