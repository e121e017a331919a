package orchestrator

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/sweep-ml/sweep/plugins/builtin"
)

// TestCheckpointSetting runs the built-in network under each checkpoint
// setting and checks which files each run directory keeps, and that the
// best weights carry the trial's provenance.
func TestCheckpointSetting(t *testing.T) {
	const grid = "seed = 3\n[data.synthetic]\nrows = 200\nfeatures = 3\n[params]\nepochs = 2\nhidden_dims = [4]\n"
	for _, tc := range []struct {
		setting string
		want    []string
	}{
		{"", []string{builtin.CheckpointFile}},
		{`checkpoint = "best"`, []string{builtin.CheckpointFile}},
		{`checkpoint = "best+last"`, []string{builtin.CheckpointFile, builtin.LastCheckpointFile}},
		{`checkpoint = "none"`, nil},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			p := newTestPlan(t, tc.setting+"\n"+grid, builtin.FFN())
			mustRun(t, context.Background(), p, RunOptions{Workers: 1})
			dirs := runDirs(t, p.Dir)
			if len(dirs) != 1 {
				t.Fatalf("%d runs", len(dirs))
			}
			run := filepath.Dir(dirs[0])
			var got []string
			for _, name := range []string{builtin.CheckpointFile, builtin.LastCheckpointFile} {
				if _, err := builtin.ReadCheckpoint(filepath.Join(run, name)); err == nil {
					got = append(got, name)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("kept %v, want %v", got, tc.want)
			}
			if len(got) == 0 {
				return
			}
			ck, _ := builtin.ReadCheckpoint(filepath.Join(run, builtin.CheckpointFile))
			tr := p.Trials[0]
			for key, want := range map[string]string{MetaTrialID: tr.ID, MetaTrialName: tr.Name, MetaConfigID: tr.ConfigID,
				MetaSweep: "s", MetaGridHash: p.Spec.GridHash, MetaSeed: strconv.FormatInt(tr.Seed, 10)} {
				if got := ck.Metadata[key]; got != want {
					t.Errorf("metadata %s = %q, want %q", key, got, want)
				}
			}
		})
	}
}
