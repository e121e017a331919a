package tests

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sweep-ml/sweep/plugins/safetensors"
	"github.com/sweep-ml/sweep/results"
)

// cmdSameresults compares a sweep whose trials were interrupted and resumed
// with one that ran them uninterrupted: every trial's latest finished run
// must have the same record numbers (compareRecords, plus the score and
// the curve) and the same kept weights (model.safetensors: every tensor
// bit for bit, and the metadata but for the sweep's name and grid hash),
// and the resumed sweep must hold at least one resumed run.
//
//	sameresults RESUMED UNINTERRUPTED
func cmdSameresults(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "sameresults")
	if len(args) != 2 {
		ts.Fatalf("usage: sameresults RESUMED UNINTERRUPTED")
	}
	got, err := results.LoadSweep(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := results.LoadSweep(ts.MkAbs(args[1]))
	ts.Check(err)
	resumed, weights := 0, 0
	for _, w := range want.Trials {
		g := got.Trial(w.ID)
		if g == nil || g.Finished == nil || w.Finished == nil {
			ts.Fatalf("trial %s: not finished in both sweeps", w.Name)
		}
		a, b := w.Finished.Trial, g.Finished.Trial
		if d := compareRecords(b, a); d != "" || !reflect.DeepEqual(a.Score, b.Score) || !reflect.DeepEqual(a.Curve, b.Curve) ||
			a.Status != b.Status {
			ts.Fatalf("trial %s: %s; score %v, %v; curves %v, %v", w.Name, d, deref(b.Score), deref(a.Score), b.Curve, a.Curve)
		}
		if b.ResumedFrom != "" {
			resumed++
		}
		x, errX := readWeights(filepath.Join(w.Finished.Dir, "model.safetensors"))
		y, errY := readWeights(filepath.Join(g.Finished.Dir, "model.safetensors"))
		switch {
		case os.IsNotExist(errX) && os.IsNotExist(errY):
		case errX != nil || errY != nil:
			ts.Fatalf("trial %s: %v; %v", w.Name, errY, errX)
		case !reflect.DeepEqual(x, y):
			ts.Fatalf("trial %s: the resumed run's model.safetensors differs", w.Name)
		default:
			weights++
		}
	}
	if resumed == 0 {
		ts.Fatalf("%s: no run resumed", args[0])
	}
	fmt.Fprintf(ts.Stdout(), "%d trials identical (%d resumed, %d weight files)\n", len(want.Trials), resumed, weights)
}

// readWeights reads a safetensors file without the metadata that names
// its sweep.
func readWeights(path string) (*safetensors.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Read(data)
	if err != nil {
		return nil, err
	}
	f.Metadata = maps.Clone(f.Metadata)
	delete(f.Metadata, "sweep")
	delete(f.Metadata, "grid_hash")
	return f, nil
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
