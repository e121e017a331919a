package dataset

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Columns is a CSV's columns read by name: numeric ones as a matrix, the
// others as text.
type Columns struct {
	Rows int
	// X holds the numeric columns, Rows × len(numeric), row-major, in the
	// order they were asked for.
	X []float64
	// Text holds each text column asked for, one value per row.
	Text [][]string
}

// ReadColumns reads the CSV at path, with a header row, taking the columns
// named numeric as numbers (by the rules of the training data: no empty,
// NaN or infinite cell) and those named text as they are; the file's other
// columns are ignored, whatever they hold. It is how new rows are read for
// a trained model, which names its features. A column that is not there,
// or a cell that is not a number, is an error naming the file, the line,
// the row (from 1, the header not counted) and the column.
func ReadColumns(ctx context.Context, path string, numeric, text []string) (*Columns, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readColumns(ctx, path, f, numeric, text)
}

func readColumns(ctx context.Context, name string, r io.Reader, numeric, text []string) (*Columns, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file: want a header row naming the columns", name)
	}
	if err != nil {
		return nil, csvError(name, 0, err)
	}
	header = append([]string(nil), header...) // the reader reuses its record
	index, err := headerIndex(name, header)
	if err != nil {
		return nil, err
	}
	find := func(names []string, what string) ([]int, error) {
		cols := make([]int, len(names))
		var missing []string
		for i, n := range names {
			c, ok := index[n]
			if !ok {
				missing = append(missing, fmt.Sprintf("%q", n))
			}
			cols[i] = c
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s: line 1: no %s column %s in the header (columns: %s)", name, what,
				strings.Join(missing, ", "), strings.Join(header, ", "))
		}
		return cols, nil
	}
	numCols, err1 := find(numeric, "feature")
	textCols, err2 := find(text, "kept")
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	c := &Columns{Text: make([][]string, len(text))}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return nil, csvError(name, 0, err)
		}
		if c.Rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		c.Rows++
		for i, col := range numCols {
			v, err := parseCell(rec[col])
			if err != nil {
				line, _ := cr.FieldPos(col)
				return nil, fmt.Errorf("%s: line %d (row %d), column %q: %v", name, line, c.Rows, numeric[i], err)
			}
			c.X = append(c.X, v)
		}
		for i, col := range textCols {
			c.Text[i] = append(c.Text[i], rec[col])
		}
	}
}
