package spec

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/sweep-ml/sweep/results"
)

// Placeholders a trial_name template may use besides hyperparameters.
const (
	PlaceholderSeed   = "seed"   // the trial's seed
	PlaceholderRepeat = "repeat" // the 0-based repeat index
	PlaceholderTrial  = "trial"  // the configuration's number: its position in the grid, or the order a search asked it
)

// maxNameLen bounds a trial name: one directory name on every common
// filesystem (255 bytes), with room for suffixes.
const maxNameLen = 200

// NameValue writes a hyperparameter value for a trial name: as
// results.FormatValue shows it everywhere else, but lists are joined with
// "-" (64-32) and an empty list is "none", which keeps names free of
// brackets, commas and spaces.
func NameValue(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return results.FormatValue(v)
	}
	if rv.Len() == 0 {
		return "none"
	}
	parts := make([]string, rv.Len())
	for i := range parts {
		parts[i] = NameValue(rv.Index(i).Interface())
	}
	return strings.Join(parts, "-")
}

// checkPathName says what is wrong with name as one directory name, or
// returns "". It refuses what could escape or confuse the sweep directory:
// path separators, "..", a leading dot (hidden), control characters, and
// names too long for a filesystem.
func checkPathName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.ContainsAny(name, `/\`):
		return fmt.Sprintf("name %q contains a path separator", name)
	case strings.Contains(name, ".."):
		return fmt.Sprintf("name %q contains \"..\"", name)
	case strings.HasPrefix(name, "."):
		return fmt.Sprintf("name %q starts with a dot", name)
	case len(name) > maxNameLen:
		return fmt.Sprintf("name %.40q... is %d bytes long, above %d", name, len(name), maxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Sprintf("name %q contains a control character or invalid UTF-8", name)
		}
	}
	return ""
}

// nameTemplate is a parsed trial_name: literal text and {placeholders}.
type nameTemplate []templatePart

type templatePart struct {
	text        string
	placeholder bool
}

// parseTemplate parses a trial_name template such as
// "ffn_dropout{dropout}_lr{lr}". A placeholder is a hyperparameter's name,
// {seed} or {repeat}; braces do not nest and have no escape.
func parseTemplate(s string) (nameTemplate, error) {
	var t nameTemplate
	rest := s
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t = append(t, templatePart{text: rest})
			break
		}
		if rest[open] == '}' {
			return nil, fmt.Errorf("template %q: '}' without '{'", s)
		}
		if open > 0 {
			t = append(t, templatePart{text: rest[:open]})
		}
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] == '{' {
			return nil, fmt.Errorf("template %q: '{' without '}'", s)
		}
		name := strings.TrimSpace(rest[open+1 : open+1+end])
		if name == "" {
			return nil, fmt.Errorf("template %q: empty placeholder {}", s)
		}
		t = append(t, templatePart{text: name, placeholder: true})
		rest = rest[open+1+end+1:]
	}
	if len(t) == 0 {
		return nil, fmt.Errorf("empty template")
	}
	return t, nil
}

// placeholders returns the template's placeholder names in order.
func (t nameTemplate) placeholders() []string {
	var out []string
	for _, p := range t {
		if p.placeholder {
			out = append(out, p.text)
		}
	}
	return out
}

// has reports whether the template uses placeholder name.
func (t nameTemplate) has(name string) bool {
	for _, p := range t {
		if p.placeholder && p.text == name {
			return true
		}
	}
	return false
}

// render fills the template; value returns a placeholder's value, which
// parse-time checks guarantee exists.
func (t nameTemplate) render(value func(name string) any) string {
	var b strings.Builder
	for _, p := range t {
		if p.placeholder {
			b.WriteString(NameValue(value(p.text)))
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// defaultTemplate derives a readable template from the model's name and the
// swept hyperparameters: "ffn_dropout{dropout}_lr{lr}".
func defaultTemplate(model string, swept []string) string {
	var b strings.Builder
	b.WriteString(model)
	for _, name := range swept {
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		fmt.Fprintf(&b, "%s{%s}", name, name)
	}
	if b.Len() == 0 {
		return "trial"
	}
	return b.String()
}
