//go:build unix

package tests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The README's "JSON output" section is the contract of sweep's JSON: for
// each command, example output in a ```json block and a table of every
// field with its JSON type (and, for `sweep run --json`, the events that
// carry it). jsonschema holds what the binary writes to that table, and
// TestREADMEJSONExamples holds the examples to it, so that neither the
// code nor the examples can drift from the documentation.
//
// A field's path names nested fields with dots ("best.id"), an array's
// elements with "[]" ("trials[].id") and every key of an object with "*"
// ("scalars.*"). An object whose children are documented must have exactly
// those; one whose children are not (a trial's record) is only an object.
// A type is string, integer, number, boolean, object, array or any,
// optionally "or null".

// jsonDocs are the documented outputs by the name jsonschema takes, and
// their headings in the README.
var jsonDocs = map[string]string{
	"run":      "`sweep run --json`",
	"plan":     "`sweep plan --json`",
	"describe": "`sweep plugins describe --json`",
}

// jsonDoc is one documented output.
type jsonDoc struct {
	examples []any
	fields   []jsonField
}

// jsonField is one row of a documented output's table.
type jsonField struct {
	path   string
	types  []string
	events string // run: "all", "all but KIND" or a comma-separated list of kinds
}

// carries reports whether the field belongs in an event of the kind.
func (f jsonField) carries(kind string) bool {
	if f.events == "all" {
		return true
	}
	if but, ok := strings.CutPrefix(f.events, "all but "); ok {
		return !slices.Contains(splitList(but), kind)
	}
	return slices.Contains(splitList(f.events), kind)
}

func splitList(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(k))
	}
	return out
}

// readJSONDocs parses the "JSON output" section of the README at path.
func readJSONDocs(path string) (map[string]*jsonDoc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, section, ok := strings.Cut(string(b), "\n## JSON output\n")
	if !ok {
		return nil, fmt.Errorf("%s: no section \"## JSON output\"", path)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	docs := map[string]*jsonDoc{}
	for name, heading := range jsonDocs {
		_, sub, ok := strings.Cut(section, "\n### "+heading+"\n")
		if !ok {
			return nil, fmt.Errorf("%s: no \"### %s\" under \"## JSON output\"", path, heading)
		}
		sub, _, _ = strings.Cut(sub, "\n### ")
		doc, err := parseJSONDoc(sub)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, heading, err)
		}
		docs[name] = doc
	}
	return docs, nil
}

// parseJSONDoc reads a documented output's first ```json block and table.
func parseJSONDoc(text string) (*jsonDoc, error) {
	_, block, ok := strings.Cut(text, "```json\n")
	if !ok {
		return nil, errors.New("no ```json example")
	}
	block, _, _ = strings.Cut(block, "```")
	doc := &jsonDoc{}
	dec := json.NewDecoder(strings.NewReader(block))
	dec.UseNumber()
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("example: %w", err)
		}
		doc.examples = append(doc.examples, v)
	}
	var columns []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case columns == nil:
			columns = cells
			continue
		case strings.HasPrefix(cells[0], "---"):
			continue
		case len(cells) != len(columns) || !strings.HasPrefix(cells[0], "`"):
			return nil, fmt.Errorf("table row %q: want %d cells, the first a `field`", line, len(columns))
		}
		f := jsonField{path: strings.Trim(cells[0], "`"), types: strings.Split(cells[1], " or ")}
		if columns[2] == "events" {
			f.events = cells[2]
		}
		doc.fields = append(doc.fields, f)
	}
	if len(doc.examples) == 0 || len(doc.fields) == 0 {
		return nil, fmt.Errorf("%d examples and %d fields, want some of each", len(doc.examples), len(doc.fields))
	}
	return doc, nil
}

// eventKinds are the kinds of event the examples show, one example each.
func (d *jsonDoc) eventKinds() []string {
	var kinds []string
	for _, ex := range d.examples {
		if m, ok := ex.(map[string]any); ok {
			if k, ok := m["event"].(string); ok {
				kinds = append(kinds, k)
			}
		}
	}
	return kinds
}

// check returns every way v departs from the documented fields; for an
// event (a doc whose fields name events), those of its kind.
func (d *jsonDoc) check(v any) []string {
	fields := d.fields
	if d.fields[0].events != "" {
		m, _ := v.(map[string]any)
		kind, _ := m["event"].(string)
		if !slices.Contains(d.eventKinds(), kind) {
			return []string{fmt.Sprintf("event %q: not a documented event", kind)}
		}
		fields = slices.DeleteFunc(slices.Clone(fields), func(f jsonField) bool { return !f.carries(kind) })
	}
	types := map[string][]string{"": {"object"}}
	for _, f := range fields {
		types[f.path] = f.types
	}
	return checkJSON(v, "", types)
}

// checkJSON checks the value at path against its documented type, then
// its documented children or elements.
func checkJSON(v any, path string, types map[string][]string) []string {
	got := jsonType(v)
	// An array's elements ("trials[]") need no row of their own when their
	// fields have rows ("trials[].id").
	if want, ok := types[path]; ok && !typeMatches(got, want) {
		return []string{fmt.Sprintf("%s: %s, documented as %s", orRoot(path), got, strings.Join(want, " or "))}
	}
	var errs []string
	switch v := v.(type) {
	case map[string]any:
		children := map[string]bool{}
		for p := range types {
			if name, ok := childOf(path, p); ok {
				children[name] = true
			}
		}
		if children["*"] {
			for _, k := range sortedKeys(v) {
				errs = append(errs, checkJSON(v[k], join(path, "*"), types)...)
			}
			break
		}
		if len(children) == 0 {
			break // an object whose content is documented elsewhere
		}
		for _, k := range sortedKeys(v) {
			if !children[k] {
				errs = append(errs, fmt.Sprintf("%s: not documented", join(path, k)))
				continue
			}
			errs = append(errs, checkJSON(v[k], join(path, k), types)...)
		}
		for _, k := range sortedKeys(children) {
			if _, ok := v[k]; !ok {
				errs = append(errs, fmt.Sprintf("%s: documented, missing", join(path, k)))
			}
		}
	case []any:
		for _, e := range v {
			errs = append(errs, checkJSON(e, path+"[]", types)...)
		}
	}
	return errs
}

// childOf reports whether p names a field of the object at path, and which.
func childOf(path, p string) (string, bool) {
	name := p
	if path != "" {
		var ok bool
		if name, ok = strings.CutPrefix(p, path+"."); !ok {
			return "", false
		}
	}
	return name, name != "" && !strings.ContainsAny(name, ".[")
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orRoot(path string) string {
	if path == "" {
		return "(the whole)"
	}
	return path
}

// jsonType names the JSON type of a value decoded with UseNumber; a number
// without a fraction or exponent is an integer.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// typeMatches reports whether a value of JSON type got fits the documented
// types: an integer is a number too.
func typeMatches(got string, want []string) bool {
	for _, w := range want {
		if w == got || w == "any" || (w == "number" && got == "integer") {
			return true
		}
	}
	return false
}

// cmdJSONSchema checks a command's JSON output against its documentation:
//
//	jsonschema [-all] run|plan|describe FILE
//
// For run, FILE holds one event per line; -all also asks for every
// documented kind of event to be among them. The documentation is the
// README of the repository under test.
func cmdJSONSchema(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "jsonschema")
	flags, args := flagArgs(ts, args, "all")
	if len(args) != 2 || jsonDocs[args[0]] == "" {
		ts.Fatalf("usage: jsonschema [-all] run|plan|describe FILE")
	}
	docs, err := readJSONDocs(filepath.Join(ts.Getenv("REPO"), "README.md"))
	ts.Check(err)
	doc := docs[args[0]]
	data := []byte(ts.ReadFile(args[1]))
	values := [][]byte{data}
	if args[0] == "run" {
		values = bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	}
	seen := map[string]bool{}
	for i, raw := range values {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil || dec.More() {
			ts.Fatalf("%s: value %d is not one JSON value (%v): %s", args[1], i+1, err, raw)
		}
		if errs := doc.check(v); len(errs) > 0 {
			ts.Fatalf("%s: value %d departs from the README's %s:\n  %s\n%s", args[1], i+1, jsonDocs[args[0]], strings.Join(errs, "\n  "), raw)
		}
		if m, ok := v.(map[string]any); ok {
			kind, _ := m["event"].(string)
			seen[kind] = true
		}
	}
	if flags["all"] == "true" {
		for _, kind := range doc.eventKinds() {
			if !seen[kind] {
				ts.Fatalf("%s: no %s event, which the README documents", args[1], kind)
			}
		}
	}
	// Silent on success, so that stdout stays the output it checked.
}

// The README's examples have exactly the fields its tables document, one
// example per kind of event.
func TestREADMEJSONExamples(t *testing.T) {
	docs, err := readJSONDocs(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range docs {
		for i, ex := range doc.examples {
			if errs := doc.check(ex); len(errs) > 0 {
				t.Errorf("%s: example %d departs from the table:\n  %s", jsonDocs[name], i+1, strings.Join(errs, "\n  "))
			}
		}
	}
	kinds := docs["run"].eventKinds()
	want := []string{"sweep_start", "trial_start", "epoch", "trial_retry", "trial_end", "sweep_end"}
	if !slices.Equal(kinds, want) {
		t.Errorf("the run's examples show events %v, want one of each of %v, in order", kinds, want)
	}
}

// The check finds each way an output can depart from the documentation.
func TestJSONSchemaCheck(t *testing.T) {
	docs, err := readJSONDocs(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// A documented event and description, edited.
	epoch := `{"event":"epoch","time":"t","elapsed_seconds":0.5,"trial_id":"a","trial_name":"n","fold":0,"step":1,"scalars":{"val_loss":0.5,"x":null}}`
	describe := `{"name":"m","version":"","params":[{"name":"lr","type":"float","default":0.1,"help":"h","allowed":"> 0",` +
		`"constraints":{"min":{"value":0,"exclusive":true},"max":null,"choices":[],"min_len":0,"max_len":0}}],"metrics":["val_loss"]}`
	for _, c := range []struct {
		doc, json, want string // want: "" for none, else part of the one error
	}{
		{"run", epoch, ""},
		{"run", strings.Replace(epoch, `"step":1,`, `"step":1,"done":2,`, 1), "done: not documented"},
		{"run", strings.Replace(epoch, `"step":1,`, ``, 1), "step: documented, missing"},
		{"run", strings.Replace(epoch, `"step":1`, `"step":1.5`, 1), "step: number, documented as integer"},
		{"run", strings.Replace(epoch, `"x":null`, `"x":"NaN"`, 1), "scalars.*: string, documented as number or null"},
		{"run", strings.Replace(epoch, `"epoch"`, `"epochs"`, 1), `event "epochs": not a documented event`},
		{"run", `{"event":"sweep_end","time":"t","elapsed_seconds":1,"ended":"finished","total":1,"skipped":0,"running":0,"succeeded":1,"failed":0,"pruned":0,"interrupted":0,"best":{"id":"a","name":"n","score":1,"x":1}}`,
			"best.x: not documented"},
		{"run", `{"event":"sweep_end","time":"t","elapsed_seconds":1,"ended":"finished","total":1,"skipped":0,"running":0,"succeeded":1,"failed":0,"pruned":0,"interrupted":0,"best":null,"trial":{}}`,
			"trial: not documented"},
		{"describe", describe, ""},
		{"describe", strings.Replace(describe, `"help":"h"`, `"help":"h","hlp":"h"`, 1), "params[].hlp: not documented"},
		{"describe", strings.Replace(describe, `["val_loss"]`, `[1]`, 1), "metrics[]: integer, documented as string"},
		{"plan", `[]`, "(the whole): array, documented as object"},
	} {
		dec := json.NewDecoder(strings.NewReader(c.json))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		errs := docs[c.doc].check(v)
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%s: %v, want none", c.json, errs)
		case c.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], c.want)):
			t.Errorf("%s: %q, want one error with %q", c.json, errs, c.want)
		}
	}
}
