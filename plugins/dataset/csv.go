package dataset

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// table is parsed numeric data: rows of the selected features and the
// target, in file order.
type table struct {
	features []string
	x        []float64 // rows × len(features)
	y        []float64 // rows
}

func (t *table) rows() int { return len(t.y) }

// ctxCheckRows is how often, in rows, parsing checks for cancellation.
const ctxCheckRows = 4096

// parseCSV reads a CSV with a header row from r. name is the file's name for
// errors. It selects the target column and the feature columns (every other
// column when features is empty). Every error names the file and, where
// there is one, the line and the column.
func parseCSV(ctx context.Context, name string, r io.Reader, target string, features []string) (*table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file: want a header row naming the columns", name)
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	// ReuseRecord lets the next Read overwrite the header's backing array.
	header = append([]string(nil), header...)
	// Spreadsheet programs often start a UTF-8 file with a byte-order mark,
	// which would otherwise become part of the first column's name. It
	// comes before any space, so it goes first.
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		if _, dup := index[h]; dup {
			return nil, fmt.Errorf("%s: line 1: column %q appears twice in the header", name, h)
		}
		index[h] = i
	}
	columns := func() string { return strings.Join(header, ", ") }
	ti, ok := index[target]
	if !ok {
		return nil, fmt.Errorf("%s: line 1: no target column %q in the header (columns: %s)", name, target, columns())
	}
	var cols []int
	if len(features) == 0 {
		for i, h := range header {
			if i != ti {
				features = append(features, h)
				cols = append(cols, i)
			}
		}
		if len(cols) == 0 {
			return nil, fmt.Errorf("%s: line 1: no feature columns: the header has only the target %q", name, target)
		}
	} else {
		for _, f := range features {
			i, ok := index[f]
			if !ok {
				return nil, fmt.Errorf("%s: line 1: no feature column %q in the header (columns: %s)", name, f, columns())
			}
			cols = append(cols, i)
		}
	}
	// cell parses column c of the record just read, naming the line the
	// cell is on: a quoted cell before it may span lines.
	cell := func(rec []string, c int) (float64, error) {
		v, err := parseCell(rec[c])
		if err != nil {
			line, _ := cr.FieldPos(c)
			return 0, fmt.Errorf("%s: line %d, column %q: %v", name, line, header[c], err)
		}
		return v, nil
	}
	t := &table{features: append([]string(nil), features...)}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		if t.rows()%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for _, c := range cols {
			v, err := cell(rec, c)
			if err != nil {
				return nil, err
			}
			t.x = append(t.x, v)
		}
		v, err := cell(rec, ti)
		if err != nil {
			return nil, err
		}
		t.y = append(t.y, v)
	}
	return t, nil
}

// parseCell parses one numeric cell; surrounding spaces are allowed, empty,
// non-numeric, NaN and infinite values are not.
func parseCell(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty cell, want a number")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is out of float64's range", s)
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// csvError names the file in an error from encoding/csv, which already
// names the line and column.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d, column %d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
