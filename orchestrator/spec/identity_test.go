package spec

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/tests/golden"
)

func TestGridHash(t *testing.T) {
	// The SHA-256 test vector "abc" of FIPS 180-2, appendix B.1.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := GridHash([]byte("abc")); got != want {
		t.Errorf("GridHash(abc) = %s, want %s", got, want)
	}
}

// csvGrid is a grid on a CSV file next to it.
const csvGrid = `seed = 42
[data]
path = "data.csv"
target = "y"
[grid]
lr = [0.01, 0.001]
`

const csvData = "x1,x2,y\n1,2,3\n4,5,6\n"

// expandIn writes the grid (and data.csv, unless csv is "") into a new
// directory and expands it.
func expandIn(t *testing.T, grid, csv string, desc plugins.Description) []Trial {
	t.Helper()
	dir := t.TempDir()
	if csv != "" {
		writeGrid(t, dir, "data.csv", csv)
	}
	s, err := Load(writeGrid(t, dir, "grid.toml", grid))
	if err != nil {
		t.Fatal(err)
	}
	trials, err := Expand(s, desc)
	if err != nil {
		t.Fatal(err)
	}
	return trials
}

// TestIdentityGolden pins the IDs of a fixed spec and the canonical text
// they hash. The golden text was written by this code when the encoding
// (idVersion v1) was fixed; the IDs were computed from it outside Go:
//
//	sha256sum testdata/identity.golden | cut -c1-16                          # ConfigID
//	(cat testdata/identity.golden; printf 'seed 42\n') | sha256sum | cut -c1-16 # ID
//
// and its data.csv_sha256 is `printf 'x1,x2,y\n1,2,3\n4,5,6\n' | sha256sum`.
// Any change would make every finished trial of every sweep look new and
// run again, so it must be deliberate.
func TestIdentityGolden(t *testing.T) {
	trials := expandIn(t, csvGrid, csvData, ffnDesc())
	const wantID, wantConfig = "9e8b16460f8bdb4e", "d95a864a461f2a08"
	if trials[0].ID != wantID || trials[0].ConfigID != wantConfig {
		t.Errorf("trial 0: ID %s, ConfigID %s; want %s, %s", trials[0].ID, trials[0].ConfigID, wantID, wantConfig)
	}
	s := mustParse(t, csvGrid)
	s.Data.Path = "data.csv"
	hash, err := DataHash(dataset.Spec{Path: writeGrid(t, t.TempDir(), "d.csv", csvData)})
	if err != nil {
		t.Fatal(err)
	}
	got := configIdentity("ffn", trials[0].Params, s.Data, hash)
	golden.Check(t, filepath.Join("testdata", "identity.golden"), []byte(got))
	if configID(got) != wantConfig {
		t.Errorf("the golden text does not hash to the ConfigID")
	}
}

func TestIdentitySensitivity(t *testing.T) {
	base := expandIn(t, csvGrid, csvData, ffnDesc())[0]
	otherDefault := ffnDesc()
	otherDefault.Params[2].Default = "tanh" // activation
	renamed := ffnDesc()
	renamed.Name = "ffn2"
	for _, c := range []struct {
		name       string
		grid, csv  string
		desc       plugins.Description
		sameConfig bool // ConfigID stays (only the seed changed)
		sameID     bool // nothing that matters changed
	}{
		{"seed", strings.Replace(csvGrid, "seed = 42", "seed = 43", 1), csvData, ffnDesc(), true, false},
		{"a hyperparameter", strings.Replace(csvGrid, "[0.01, 0.001]", "[0.02, 0.001]", 1), csvData, ffnDesc(), false, false},
		{"a fixed hyperparameter", csvGrid + "[params]\nepochs = 99\n", csvData, ffnDesc(), false, false},
		{"a model default", csvGrid, csvData, otherDefault, false, false},
		{"the model", csvGrid, csvData, renamed, false, false},
		{"the CSV's content", csvGrid, csvData + "7,8,9\n", ffnDesc(), false, false},
		{"one byte of the CSV", csvGrid, strings.Replace(csvData, "6", "7", 1), ffnDesc(), false, false},
		{"the target", strings.Replace(csvGrid, `"y"`, `"x2"`, 1), csvData, ffnDesc(), false, false},
		{"the features", strings.Replace(csvGrid, "[grid]", "features = [\"x1\"]\n[grid]", 1), csvData, ffnDesc(), false, false},
		{"the data seed", strings.Replace(csvGrid, "[grid]", "seed = 1\n[grid]", 1), csvData, ffnDesc(), false, false},
		{"val_split", strings.Replace(csvGrid, "[grid]", "val_split = 0.3\n[grid]", 1), csvData, ffnDesc(), false, false},
		{"split", strings.Replace(csvGrid, "[grid]", "split = \"chronological\"\n[grid]", 1), csvData, ffnDesc(), false, false},
		{"standardize", strings.Replace(csvGrid, "[grid]", "standardize = false\n[grid]", 1), csvData, ffnDesc(), false, false},
		// Unchanged identity:
		{"defaults written out", strings.Replace(csvGrid, "[grid]",
			"val_split = 0.2\nsplit = \"random\"\nstandardize = true\nseed = 0\n[grid]", 1), csvData, ffnDesc(), true, true},
		{"things that do not change training", "name = \"other\"\nlog_dir = \"elsewhere\"\nworkers = 7\nretries = 3\n" +
			"timeout = \"1h\"\nlog_every = 1\ntrial_name = \"t{lr}\"\n" + csvGrid, csvData, ffnDesc(), true, true},
		{"a default written as a fixed value", csvGrid + "[params]\nepochs = 100\nhidden_dims = [64, 32]\n", csvData, ffnDesc(), true, true},
	} {
		// expandIn uses a new directory each time: the same CSV at another
		// path keeps the identity.
		got := expandIn(t, c.grid, c.csv, c.desc)[0]
		if (got.ConfigID == base.ConfigID) != c.sameConfig {
			t.Errorf("%s: ConfigID %s, base %s, want same = %t", c.name, got.ConfigID, base.ConfigID, c.sameConfig)
		}
		if (got.ID == base.ID) != c.sameID {
			t.Errorf("%s: ID %s, base %s, want same = %t", c.name, got.ID, base.ID, c.sameID)
		}
	}
}

func TestIdentitySynthetic(t *testing.T) {
	const grid = "[grid]\nlr = [0.1]\n"
	base := expandIn(t, grid, "", ffnDesc())[0]
	for _, c := range []struct {
		table string
		same  bool
	}{
		{"[data.synthetic]\nrows = 20000\nfeatures = 50\nnoise = 0.5\n", true},
		{"[data.synthetic]\nrows = 100\n", false},
		{"[data.synthetic]\nfeatures = 5\n", false},
		{"[data.synthetic]\nnoise = 0.1\n", false},
		{"[data.synthetic]\nnoise = 0.25\n", false},
		{"[data]\nval_split = 0.2\n[data.synthetic]\nnoise = 0.5\n", true},
		{"[data]\nseed = 3\n", false},
	} {
		got := expandIn(t, grid+c.table, "", ffnDesc())[0]
		if (got.ID == base.ID) != c.same {
			t.Errorf("%q: ID %s, base %s, want same = %t", c.table, got.ID, base.ID, c.same)
		}
	}
}

func TestIdentityRepeats(t *testing.T) {
	trials := mustExpand(t, "repeats = 3\n[grid]\nlr = [0.1, 0.2]\n")
	ids := map[string]bool{}
	for _, tr := range trials {
		ids[tr.ID] = true
		if same := trials[tr.Index%2]; tr.ConfigID != same.ConfigID {
			t.Errorf("repeat %d of %s has another ConfigID", tr.Repeat, tr.Name)
		}
	}
	if len(ids) != 6 || trials[0].ConfigID == trials[1].ConfigID {
		t.Errorf("IDs not distinct: %d of 6", len(ids))
	}
}
