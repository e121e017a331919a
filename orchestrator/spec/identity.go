package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
)

// idVersion starts every identity's canonical text, so that a future change
// of the encoding cannot collide with today's IDs. Version 2 added the
// model's fingerprint; legacyIDVersion is version 1, which the records of
// older sweeps carry (see Trial.LegacyID).
const (
	idVersion       = "sweep-trial-identity v2"
	legacyIDVersion = "sweep-trial-identity v1"
)

// modelHashVersion starts the canonical text that ModelHash hashes.
const modelHashVersion = "sweep-model v1"

// idLen is the length of an ID in hex digits: 64 bits, enough that two
// different trials of any realistic sweep never share one.
const idLen = 16

// GridHash returns the hex SHA-256 of a grid file's content, recorded in
// each trial's provenance.
func GridHash(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// DataHash returns the hex SHA-256 of the content of the data file d.Path
// names (d.ContentSHA256 when set), or "" for the synthetic dataset, which
// its spec fully determines.
func DataHash(d dataset.Spec) (string, error) {
	if d.Path == "" || d.ContentSHA256 != "" {
		return d.ContentSHA256, nil
	}
	return dataset.FileSHA256(d.Path)
}

// HashData reads the data file once for everything that needs its content's
// hash (the trials' identity, the prepared data's name): it sets
// s.Data.ContentSHA256.
func (s *Spec) HashData() error {
	sum, err := DataHash(s.Data)
	if err != nil {
		return s.errAt("data.path", "cannot read the data file: %v", err)
	}
	s.Data.ContentSHA256 = sum
	return nil
}

// ModelHash returns the fingerprint of the model that trains a spec's
// trials, which every trial's identity includes (Spec.ModelHash), so that a
// changed model is new work while the earlier model's runs stay on disk. It
// is the hex SHA-256 of a canonical text that holds:
//
//   - for a plugin, the SHA-256 of its executable's content, and each of
//     plugin_args as written, with the SHA-256 of the content of the file it
//     names if it names one (relative to the grid file's directory, as the
//     plugin's path is): an edited script is another model, the same files
//     at another path (another machine) are the same model. Files the
//     plugin reads without naming them in plugin_args (modules a script
//     imports) are not covered: the model's own version is for those;
//   - for a built-in model, its name and builtinVersion, the version of its
//     implementation, which is bumped whenever its numbers change;
//   - the interpreter a plugin script runs under, as the grid names it;
//   - the version the model itself gives (modelVersion), unless it is "".
func ModelHash(s *Spec, builtinVersion, modelVersion string) (string, error) {
	var b strings.Builder
	b.WriteString(modelHashVersion + "\n")
	if s.Plugin == "" {
		fmt.Fprintf(&b, "builtin %q version %q\n", s.Model, builtinVersion)
	} else {
		sum, err := dataset.FileSHA256(s.Plugin)
		if err != nil {
			return "", s.errAt("plugin", "cannot fingerprint the model: %v", err)
		}
		fmt.Fprintf(&b, "plugin.sha256 %s\n", sum)
		if s.Interpreter != "" {
			// As named: the same script under another environment's
			// python (other library versions) is another model.
			fmt.Fprintf(&b, "interpreter %q\n", s.Interpreter)
		}
		for _, arg := range s.PluginArgs {
			fmt.Fprintf(&b, "arg %q", arg)
			if path := s.absPath(arg); isFile(path) {
				sum, err := dataset.FileSHA256(path)
				if err != nil {
					return "", s.errAt("plugin_args", "cannot fingerprint the model: %v", err)
				}
				fmt.Fprintf(&b, " sha256 %s", sum)
			}
			b.WriteString("\n")
		}
	}
	if modelVersion != "" {
		fmt.Fprintf(&b, "version %q\n", modelVersion)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:]), nil
}

// isFile reports whether path names a regular file (after links).
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// configBody writes the canonical text that identifies a configuration,
// but for the encoding's version and the model's fingerprint (see
// configText): the model's name, every resolved hyperparameter (sorted by
// name, each with its type), the data spec with its documented defaults
// filled in, and the data file's SHA-256 instead of its path, so that the
// same data at another path (another machine, an NFS mount) keeps the ID
// and a changed file changes it.
func configBody(model string, params plugins.Params, d dataset.Spec, dataHash string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model %q\n", model)
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "param %q %s\n", name, canonicalValue(params[name]))
	}
	b.WriteString(canonicalData(d, dataHash))
	return b.String()
}

// configText is the canonical text of a configuration with the model
// whose fingerprint is modelHash.
func configText(body, modelHash string) string {
	return idVersion + "\n" + body + "model.sha256 " + modelHash + "\n"
}

// legacyText is the canonical text of identity version 1, which had no
// model fingerprint.
func legacyText(body string) string { return legacyIDVersion + "\n" + body }

// configID and trialID hash the canonical texts; the trial adds its seed.
func configID(identity string) string { return shortHash(identity) }

func trialID(identity string, seed int64) string {
	return shortHash(identity + "seed " + strconv.FormatInt(seed, 10) + "\n")
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:idLen]
}

// canonicalData writes the data spec with the defaults that
// plugins/dataset documents filled in, so that writing a default out
// changes nothing.
func canonicalData(d dataset.Spec, dataHash string) string {
	// One definition of the defaults, the dataset's own: a field left out
	// and the same value written out are the same data.
	d = d.Defaults()
	var b strings.Builder
	fmt.Fprintf(&b, "data.val_split %s\ndata.split %q\ndata.standardize %t\ndata.seed %d\n",
		canonicalValue(d.ValSplit), d.Split, *d.Standardize, d.Seed)
	if d.Path != "" {
		fmt.Fprintf(&b, "data.csv_sha256 %s\ndata.target %q\n", dataHash, d.Target)
		if len(d.Features) == 0 {
			b.WriteString("data.features *\n")
		} else {
			// The order of the features is the order of the model's
			// inputs, so it is part of the identity.
			for _, f := range d.Features {
				fmt.Fprintf(&b, "data.feature %q\n", f)
			}
		}
		return b.String()
	}
	syn := d.Synthetic
	fmt.Fprintf(&b, "data.synthetic rows=%d features=%d noise=%s\n", syn.Rows, syn.Features, canonicalValue(syn.Noise))
	return b.String()
}

// canonicalValue writes a resolved hyperparameter value with its type;
// floats in the shortest form that reads back to the same bits.
func canonicalValue(v any) string {
	switch v := v.(type) {
	case float64:
		return "float " + strconv.FormatFloat(v, 'g', -1, 64)
	case int64:
		return "int " + strconv.FormatInt(v, 10)
	case string:
		return "string " + strconv.Quote(v)
	case bool:
		return "bool " + strconv.FormatBool(v)
	case []int64:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.FormatInt(x, 10)
		}
		return "int_list [" + strings.Join(parts, ",") + "]"
	case []float64:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		return "float_list [" + strings.Join(parts, ",") + "]"
	}
	// Resolved parameters only hold the types above; anything else is
	// written with its Go type so that it still cannot collide.
	return fmt.Sprintf("%T %#v", v, v)
}
