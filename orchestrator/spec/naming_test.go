package spec

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/results"
)

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		v          any
		show, name string
	}{
		{0.001, "0.001", "0.001"},
		{0.0001, "0.0001", "0.0001"},
		{1e-5, "1e-5", "1e-5"},
		{2.5e-10, "2.5e-10", "2.5e-10"},
		{1.0, "1.0", "1.0"},
		{0.0, "0.0", "0.0"},
		{-0.5, "-0.5", "-0.5"},
		{100000.0, "100000.0", "100000.0"},
		{1e21, "1e21", "1e21"},
		{math.Nextafter(0.3, 1), "0.30000000000000004", "0.30000000000000004"}, // exact, not rounded
		{math.Inf(1), "+Inf", "+Inf"},
		{int64(64), "64", "64"},
		{int64(-3), "-3", "-3"},
		{"relu", "relu", "relu"},
		{true, "true", "true"},
		{[]int64{64, 32}, "[64, 32]", "64-32"},
		{[]int64{128}, "[128]", "128"},
		{[]int64{}, "[]", "none"},
		{[]float64{0.5, 1}, "[0.5, 1.0]", "0.5-1.0"},
		{[]any{int64(1), "a"}, "[1, a]", "1-a"},
	} {
		if got := results.FormatValue(c.v); got != c.show {
			t.Errorf("FormatValue(%#v) = %q, want %q", c.v, got, c.show)
		}
		if got := NameValue(c.v); got != c.name {
			t.Errorf("NameValue(%#v) = %q, want %q", c.v, got, c.name)
		}
	}
}

func TestCheckPathName(t *testing.T) {
	for _, c := range []struct {
		name string
		want string // part of the message; "" for a good name
	}{
		{"ffn_dropout0.2_lr0.01", ""},
		{"hidden_dims64-32", ""},
		{"lr1e-5 with spaces", ""},
		{"ünïcode", ""},
		{"", "empty"},
		{".", "starts with a dot"},
		{"..", `".."`},
		{"a/b", "path separator"},
		{`a\b`, "path separator"},
		{"lr0..1", `".."`},
		{".hidden", "starts with a dot"},
		{"tab\there", "control character"},
		{"bad\xffutf8", "invalid UTF-8"},
		{strings.Repeat("x", maxNameLen), ""},
		{strings.Repeat("x", maxNameLen+1), "bytes long"},
	} {
		got := checkPathName(c.name)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("checkPathName(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseTemplate(t *testing.T) {
	for _, c := range []struct {
		src          string
		placeholders []string
		err          string
	}{
		{"ffn_dropout{dropout}_lr{lr}", []string{"dropout", "lr"}, ""},
		{"{lr}", []string{"lr"}, ""},
		{"plain", nil, ""},
		{"{ lr }x{seed}{repeat}", []string{"lr", "seed", "repeat"}, ""},
		{"", nil, "empty template"},
		{"a{lr", nil, "'{' without '}'"},
		{"a{lr{x}}", nil, "'{' without '}'"},
		{"a}b", nil, "'}' without '{'"},
		{"a{}b", nil, "empty placeholder"},
	} {
		tmpl, err := parseTemplate(c.src)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseTemplate(%q): error %v, want %q", c.src, err, c.err)
			}
		case err != nil:
			t.Errorf("parseTemplate(%q): %v", c.src, err)
		case !reflect.DeepEqual(tmpl.placeholders(), c.placeholders):
			t.Errorf("parseTemplate(%q): placeholders %q, want %q", c.src, tmpl.placeholders(), c.placeholders)
		}
	}
	tmpl, _ := parseTemplate("a{x}-{y}b")
	got := tmpl.render(func(k string) any { return map[string]any{"x": 0.5, "y": []int64{1, 2}}[k] })
	if got != "a0.5-1-2b" {
		t.Errorf("render = %q", got)
	}
}

func TestDefaultTemplate(t *testing.T) {
	for _, c := range []struct {
		model string
		swept []string
		want  string
	}{
		{"ffn", []string{"dropout", "lr"}, "ffn_dropout{dropout}_lr{lr}"},
		{"ffn", nil, "ffn"},
		{"", []string{"lr"}, "lr{lr}"},
		{"", nil, "trial"},
	} {
		if got := defaultTemplate(c.model, c.swept); got != c.want {
			t.Errorf("defaultTemplate(%q, %q) = %q, want %q", c.model, c.swept, got, c.want)
		}
	}
}

// TestNameErrors checks the plan-time refusals of names, through Expand.
func TestNameErrors(t *testing.T) {
	for _, c := range []struct {
		src  string
		want string
	}{
		{"trial_name = \"ffn\"\n[grid]\nlr = [0.1, 0.2]\n",
			`grid.toml:1: trial_name: trials 0 (lr=0.1) and 1 (lr=0.2) both get the name "ffn"`},
		{"trial_name = \"{activation}\"\n[grid]\nactivation = [\"..\", \"relu\"]\n",
			`grid.toml:1: trial_name: trial 0 (activation=..): name ".." contains ".."`},
		{"trial_name = \"x{activation}\"\n[params]\nactivation = \"a\\\\b\"\n",
			`grid.toml:1: trial_name: trial 0 (seed=0): name "xa\\b" contains a path separator`},
		{"[grid]\nactivation = [\"\", \"relu\"]\n", ""},
		{"trial_name = \"{activation}\"\n[grid]\nactivation = [\"\", \"relu\"]\n",
			`grid.toml:1: trial_name: trial 0 (activation=): empty name`},
		{"repeats = 2\ntrial_name = \"{lr}\"\n[grid]\nlr = [0.1, 0.2]\n", ""},
	} {
		s, err := Parse("grid.toml", []byte(c.src))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Expand(s, ffnDesc())
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%q:\nerror %v\nwant  %s", c.src, err, c.want)
		}
	}
}
