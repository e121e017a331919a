package spec

import (
	"cmp"
	"os"
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

// ffnHash is the fingerprint of the built-in model ffn at implementation
// version 1 (see TestModelHashBuiltin).
const ffnHash = "8638a4facdbc4bb5a2e0d5887c87a2979f1bd11136bf35ac39369a9910abd1f7"

// expandIn writes the grid (and data.csv, unless csv is "") into a new
// directory and expands it for the model whose fingerprint is modelHash.
func expandIn(t *testing.T, grid, csv, modelHash string, desc plugins.Description) []Trial {
	t.Helper()
	dir := t.TempDir()
	if csv != "" {
		writeGrid(t, dir, "data.csv", csv)
	}
	s, err := Load(writeGrid(t, dir, "grid.toml", grid))
	if err != nil {
		t.Fatal(err)
	}
	s.ModelHash = modelHash
	trials, err := Expand(s, desc)
	if err != nil {
		t.Fatal(err)
	}
	return trials
}

// TestIdentityGolden pins the IDs of a fixed spec and the canonical text
// they hash. The golden text was written by this code when the encoding
// (idVersion v2) was fixed; the IDs were computed from it outside Go:
//
//	sha256sum testdata/identity.golden | cut -c1-16                          # ConfigID
//	(cat testdata/identity.golden; printf 'seed 42\n') | sha256sum | cut -c1-16 # ID
//
// and its data.csv_sha256 is `printf 'x1,x2,y\n1,2,3\n4,5,6\n' | sha256sum`.
// Any change would make every finished trial of every sweep look new and
// run again, so it must be deliberate. LegacyID still gives the IDs that
// version 1 gave, which this test pinned before.
func TestIdentityGolden(t *testing.T) {
	trials := expandIn(t, csvGrid, csvData, ffnHash, ffnDesc())
	const wantID, wantConfig = "c5123863175a5081", "7043478039a28c48"
	if trials[0].ID != wantID || trials[0].ConfigID != wantConfig {
		t.Errorf("trial 0: ID %s, ConfigID %s; want %s, %s", trials[0].ID, trials[0].ConfigID, wantID, wantConfig)
	}
	s := mustParse(t, csvGrid)
	s.Data.Path = "data.csv"
	hash, err := DataHash(dataset.Spec{Path: writeGrid(t, t.TempDir(), "d.csv", csvData)})
	if err != nil {
		t.Fatal(err)
	}
	got := configText(configBody("ffn", trials[0].Params, s.Data, hash), ffnHash)
	golden.Check(t, filepath.Join("testdata", "identity.golden"), []byte(got))
	if configID(got) != wantConfig {
		t.Errorf("the golden text does not hash to the ConfigID")
	}
	const v1ID = "9e8b16460f8bdb4e" // version 1's ID of this trial
	if id := trials[0].LegacyID(); id != v1ID {
		t.Errorf("LegacyID %s, want version 1's %s", id, v1ID)
	}
	if id := trials[0].IDWithModel(ffnHash); id != wantID {
		t.Errorf("IDWithModel(its own model) = %s, want its ID %s", id, wantID)
	}
	other := expandIn(t, csvGrid, csvData, "another model", ffnDesc())[0]
	if id := trials[0].IDWithModel("another model"); id != other.ID || id == wantID {
		t.Errorf("IDWithModel(another model) = %s, want %s, the ID that model gives the trial", id, other.ID)
	}
}

func TestIdentitySensitivity(t *testing.T) {
	base := expandIn(t, csvGrid, csvData, ffnHash, ffnDesc())[0]
	otherDefault := ffnDesc()
	otherDefault.Params[2].Default = "tanh" // activation
	renamed := ffnDesc()
	renamed.Name = "ffn2"
	// A hyperparameter the model gained: at a neutral default it leaves
	// the identity as it was before it existed; any other new one is new.
	gained := func(neutral bool) plugins.Description {
		d := ffnDesc()
		d.Params = append(d.Params, plugins.ParamSpec{Name: "dtype", Type: plugins.TypeString, Default: "float64", NeutralDefault: neutral})
		return d
	}
	for _, c := range []struct {
		name       string
		grid, csv  string
		model      string // the model's fingerprint; "" for ffnHash
		desc       plugins.Description
		sameConfig bool // ConfigID stays (only the seed changed)
		sameID     bool // nothing that matters changed
	}{
		{"seed", strings.Replace(csvGrid, "seed = 42", "seed = 43", 1), csvData, "", ffnDesc(), true, false},
		{"a hyperparameter", strings.Replace(csvGrid, "[0.01, 0.001]", "[0.02, 0.001]", 1), csvData, "", ffnDesc(), false, false},
		{"a fixed hyperparameter", csvGrid + "[params]\nepochs = 99\n", csvData, "", ffnDesc(), false, false},
		{"a model default", csvGrid, csvData, "", otherDefault, false, false},
		{"the model", csvGrid, csvData, "", renamed, false, false},
		{"the model's fingerprint", csvGrid, csvData, "another", ffnDesc(), false, false},
		{"the CSV's content", csvGrid, csvData + "7,8,9\n", "", ffnDesc(), false, false},
		{"one byte of the CSV", csvGrid, strings.Replace(csvData, "6", "7", 1), "", ffnDesc(), false, false},
		{"the target", strings.Replace(csvGrid, `"y"`, `"x2"`, 1), csvData, "", ffnDesc(), false, false},
		{"the features", strings.Replace(csvGrid, "[grid]", "features = [\"x1\"]\n[grid]", 1), csvData, "", ffnDesc(), false, false},
		{"the data seed", strings.Replace(csvGrid, "[grid]", "seed = 1\n[grid]", 1), csvData, "", ffnDesc(), false, false},
		{"val_split", strings.Replace(csvGrid, "[grid]", "val_split = 0.3\n[grid]", 1), csvData, "", ffnDesc(), false, false},
		{"split", strings.Replace(csvGrid, "[grid]", "split = \"chronological\"\n[grid]", 1), csvData, "", ffnDesc(), false, false},
		{"standardize", strings.Replace(csvGrid, "[grid]", "standardize = false\n[grid]", 1), csvData, "", ffnDesc(), false, false},
		// Unchanged identity:
		{"defaults written out", strings.Replace(csvGrid, "[grid]",
			"val_split = 0.2\nsplit = \"random\"\nstandardize = true\nseed = 0\n[grid]", 1), csvData, "", ffnDesc(), true, true},
		{"things that do not change training", "name = \"other\"\nlog_dir = \"elsewhere\"\nworkers = 7\nretries = 3\n" +
			"timeout = \"1h\"\nlog_every = 1\ntrial_name = \"t{lr}\"\n" + csvGrid, csvData, "", ffnDesc(), true, true},
		{"a default written as a fixed value", csvGrid + "[params]\nepochs = 100\nhidden_dims = [64, 32]\n", csvData, "", ffnDesc(), true, true},
		{"a new hyperparameter at a neutral default", csvGrid, csvData, "", gained(true), true, true},
		{"a neutral default written out", csvGrid + "[params]\ndtype = \"float64\"\n", csvData, "", gained(true), true, true},
		// Changed identity again:
		{"a neutral default's other value", csvGrid + "[params]\ndtype = \"float32\"\n", csvData, "", gained(true), false, false},
		{"a new hyperparameter", csvGrid, csvData, "", gained(false), false, false},
	} {
		// expandIn uses a new directory each time: the same CSV at another
		// path keeps the identity.
		got := expandIn(t, c.grid, c.csv, cmp.Or(c.model, ffnHash), c.desc)[0]
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
	base := expandIn(t, grid, "", ffnHash, ffnDesc())[0]
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
		got := expandIn(t, grid+c.table, "", ffnHash, ffnDesc())[0]
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

// The built-in model's fingerprint is its name and implementation version;
// ffnHash was computed outside Go:
//
//	printf 'sweep-model v1\nbuiltin "ffn" version "1"\n' | sha256sum
func TestModelHashBuiltin(t *testing.T) {
	ffn, other := mustParse(t, "[grid]\nlr = [0.1]\n"), mustParse(t, "model = \"ffn2\"\n[grid]\nlr = [0.1]\n")
	for _, c := range []struct {
		name                  string
		s                     *Spec
		version, modelVersion string
		want                  string // "" for any hash other than ffnHash
	}{
		{"ffn version 1", ffn, "1", "", ffnHash},
		{"a new implementation version", ffn, "2", "", ""},
		{"another built-in model", other, "1", "", ""},
		{"a version the model gives", ffn, "1", "2024.1", ""},
	} {
		got, err := ModelHash(c.s, c.version, c.modelVersion)
		if err != nil || len(got) != 64 || (got == ffnHash) != (c.want == ffnHash) {
			t.Errorf("%s: %s, %v; want ffnHash: %t", c.name, got, err, c.want == ffnHash)
		}
	}
}

// A plugin's fingerprint covers its executable's content, its arguments
// and the content of the files they name relative to the grid file, but
// not where the files are.
func TestModelHashPlugin(t *testing.T) {
	// modelDir writes a grid naming bin/model with plugin_args, the
	// executable, a script and a data directory into a new directory, then
	// lets change alter them, and returns the grid's model fingerprint.
	modelDir := func(args string, change func(dir string)) (string, error) {
		dir := t.TempDir()
		writeGrid(t, dir, "grid.toml", "plugin = \"bin/model\"\nplugin_args = "+args+"\n[grid]\nlr = [0.1]\n")
		if err := os.MkdirAll(filepath.Join(dir, "bin", "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeGrid(t, dir, "bin/model", "#!/bin/sh\nexec python3 \"$@\"\n")
		writeGrid(t, dir, "model.py", "act = nn.ReLU()\n")
		if change != nil {
			change(dir)
		}
		s, err := Load(filepath.Join(dir, "grid.toml"))
		if err != nil {
			t.Fatal(err)
		}
		return ModelHash(s, "", "")
	}
	const args = `["model.py", "--hidden=8", "bin/data"]`
	base, err := modelDir(args, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		args   string
		change func(dir string)
		same   bool
	}{
		{"the same files in another directory", args, nil, true},
		{"the executable's content", args, func(dir string) { writeGrid(t, dir, "bin/model", "#!/bin/sh\nexec python3.12 \"$@\"\n") }, false},
		{"the script's content", args, func(dir string) { writeGrid(t, dir, "model.py", "act = nn.Tanh()\n") }, false},
		{"a flag", `["model.py", "--hidden=16", "bin/data"]`, nil, false},
		{"a directory's content", args, func(dir string) { writeGrid(t, dir, "bin/data/x.csv", "1\n") }, true},
		{"no script", `["--hidden=8", "bin/data"]`, nil, false},
		{"the script gone from beside the grid", args, func(dir string) {
			if err := os.Remove(filepath.Join(dir, "model.py")); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		got, err := modelDir(c.args, c.change)
		if err != nil || (got == base) != c.same {
			t.Errorf("%s: %s, %v; base %s, want same = %t", c.name, got, err, base, c.same)
		}
	}

	missing := mustParse(t, "plugin = \"bin/nope\"\n[grid]\nlr = [0.1]\n")
	if _, err := ModelHash(missing, "", ""); err == nil || !strings.Contains(err.Error(), "grid.toml:1: plugin: cannot fingerprint the model") {
		t.Errorf("a missing plugin: %v, want an error naming the grid's plugin line", err)
	}
}
