package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
)

// idVersion starts every identity's canonical text, so that a future change
// of the encoding cannot collide with today's IDs.
const idVersion = "sweep-trial-identity v1"

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
// names, or "" for the synthetic dataset, which its spec fully determines.
func DataHash(d dataset.Spec) (string, error) {
	if d.Path == "" {
		return "", nil
	}
	f, err := os.Open(d.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", d.Path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// configIdentity writes the canonical text that identifies a configuration:
// the model's name, every resolved hyperparameter (sorted by name, each
// with its type), the data spec with its documented defaults filled in,
// and the data file's SHA-256 instead of its path, so that the same data
// at another path (another machine, an NFS mount) keeps the ID and a
// changed file changes it.
func configIdentity(model string, params plugins.Params, d dataset.Spec, dataHash string) string {
	var b strings.Builder
	b.WriteString(idVersion + "\n")
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
