package results

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSweepLatestFinishedRun(t *testing.T) {
	dir := t.TempDir()
	base := trialSpec{name: "t", id: "id1", config: "c1", params: map[string]any{"lr": 0.1}}
	at := func(minutes float64, status Status) trialSpec {
		s := base
		s.minutes, s.status = minutes, status
		return s
	}
	for _, tc := range []struct {
		name         string
		runs         []trialSpec
		wantFinished string // run directory name, "" for none
		wantRunning  int
	}{
		{"single success", []trialSpec{at(0, StatusSucceeded)}, runName(0), 0},
		{"retry after failure", []trialSpec{at(0, StatusFailed), at(1, StatusSucceeded)}, runName(1), 0},
		{"failure after success counts", []trialSpec{at(0, StatusSucceeded), at(1, StatusFailed)}, runName(1), 0},
		{"re-run in progress", []trialSpec{at(0, StatusSucceeded), at(1, StatusRunning)}, runName(0), 1},
		{"interrupted is not finished", []trialSpec{at(0, StatusFailed), at(1, StatusInterrupted)}, runName(0), 0},
		{"only running", []trialSpec{at(0, StatusRunning)}, "", 1},
		// Written out of order: the start time decides, not the order on disk.
		{"by start time", []trialSpec{at(2, StatusSucceeded), at(1, StatusFailed)}, runName(2), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sweepDir := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			writeSpecs(t, sweepDir, nil, tc.runs)
			s, err := LoadSweep(sweepDir)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Warnings) != 0 || len(s.Trials) != 1 {
				t.Fatalf("got %d trials, warnings %q; want 1 trial, no warnings", len(s.Trials), s.Warnings)
			}
			tr := s.Trials[0]
			if len(tr.Runs) != len(tc.runs) {
				t.Fatalf("got %d runs, want %d", len(tr.Runs), len(tc.runs))
			}
			for i := 1; i < len(tr.Runs); i++ {
				if !tr.Runs[i-1].Trial.StartedAt.Before(tr.Runs[i].Trial.StartedAt) {
					t.Errorf("runs not in start order: %s before %s", tr.Runs[i-1].Dir, tr.Runs[i].Dir)
				}
			}
			got := ""
			if tr.Finished != nil {
				got = filepath.Base(tr.Finished.Dir)
			}
			if got != tc.wantFinished {
				t.Errorf("latest finished run %q, want %q", got, tc.wantFinished)
			}
			if n := len(tr.InProgress()); n != tc.wantRunning {
				t.Errorf("%d runs in progress, want %d", n, tc.wantRunning)
			}
			if s.Trial("id1") != tr || s.Trial("nope") != nil {
				t.Error("Sweep.Trial does not find trials by ID")
			}
		})
	}
}

func TestLoadSweepSameStartTimeOrdersByDirName(t *testing.T) {
	dir := t.TempDir()
	s := trialSpec{name: "t", id: "id1", status: StatusSucceeded}
	first := s.record(nil)
	first.Attempt = 0
	second := s.record(nil)
	second.Status, second.Attempt = StatusFailed, 1
	// Run directories made within one second get a uniquifying suffix.
	writeRun(t, dir, "20261125-193000", first)
	writeRun(t, dir, "20261125-193000-1", second)
	sw, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := sw.Trials[0].Finished.Trial.Attempt; got != 1 {
		t.Errorf("latest finished run is attempt %d, want 1 (the later directory name)", got)
	}
}

func TestLoadSweepToleratesDamage(t *testing.T) {
	dir := gridSweep(t)
	// A crashed writer's temporary file, and stray files at both levels.
	writeFile(t, filepath.Join(dir, "ffn_dropout0.2_lr0.01", runName(0), "."+TrialFile+".tmp-123"), `{"id":`)
	writeFile(t, filepath.Join(dir, "ffn_dropout0.2_lr0.01", "notes.txt"), "x")
	writeFile(t, filepath.Join(dir, "events.out.tfevents.1.host"), "x")
	// A run directory made just before its first record.
	writeFile(t, filepath.Join(dir, "ffn_dropout0.4_lr0.01", runName(9), "events.out.tfevents.2.host"), "")
	// A record whose JSON parses but is not a record.
	writeFile(t, filepath.Join(dir, "ffn_dropout0.4_lr0.001", runName(9), TrialFile), `{"status": "running"}`)

	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range s.Trials {
		names = append(names, tr.Name)
	}
	want := []string{"ffn_dropout0.2_lr0.001", "ffn_dropout0.2_lr0.01", "ffn_dropout0.3_lr0.01",
		"ffn_dropout0.5_lr0.001", "ffn_dropout0.5_lr0.01"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("trials %q, want %q", names, want)
	}
	for _, w := range []string{
		filepath.Join("ffn_dropout0.3_lr0.001", runName(4), TrialFile) + ": line 1, column 26: truncated",
		filepath.Join("ffn_dropout0.4_lr0.01", runName(9)) + ": no trial.json",
		filepath.Join("ffn_dropout0.4_lr0.001", runName(9), TrialFile) + `: key "id": missing`,
	} {
		found := false
		for _, got := range s.Warnings {
			found = found || strings.Contains(got, w)
		}
		if !found {
			t.Errorf("no warning containing %q in %q", w, s.Warnings)
		}
	}
	if len(s.Warnings) != 3 {
		t.Errorf("%d warnings, want 3: %q", len(s.Warnings), s.Warnings)
	}
}

func TestLoadSweepMissingDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := LoadSweep(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v, want one naming %s", err, missing)
	}
}

// Sweep.Trial finds trials through its map for a loaded sweep, and by
// scanning for one built or extended by hand.
func TestSweepTrialLookup(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, runName(0), trialSpec{name: "a", id: "ida", status: StatusSucceeded}.record(nil))
	loaded, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	extended, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	added := &TrialRuns{ID: "idb", Name: "b"}
	extended.Trials = append(extended.Trials, added)
	byHand := &Sweep{Trials: []*TrialRuns{added}}
	for _, tc := range []struct {
		name string
		s    *Sweep
		id   string
		want string // the name found, "" for none
	}{
		{"loaded", loaded, "ida", "a"},
		{"loaded, absent", loaded, "idb", ""},
		{"extended after loading", extended, "idb", "b"},
		{"built by hand", byHand, "idb", "b"},
		{"built by hand, absent", byHand, "ida", ""},
	} {
		got := ""
		if tr := tc.s.Trial(tc.id); tr != nil {
			got = tr.Name
		}
		if got != tc.want {
			t.Errorf("%s: Trial(%q) found %q, want %q", tc.name, tc.id, got, tc.want)
		}
	}
}
