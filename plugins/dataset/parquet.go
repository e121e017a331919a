package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// isParquet reports whether path names a Parquet file, by its extension.
func isParquet(path string) bool { return strings.EqualFold(filepath.Ext(path), ".parquet") }

// readParquet reads the target and feature columns (and the date column)
// of the Parquet file spec.Path, with the CSV's rules: the same column
// selection (features, exclude, date), missing values (null or NaN) and
// errors, which name the row (from 1, in file order) and the column. The
// columns must be flat: float, double, int32 or int64 for numbers, and for
// a date an ISO 8601 string, a DATE or a TIMESTAMP.
func readParquet(ctx context.Context, spec Spec) (*table, error) {
	name := spec.Path
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("data.path: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data.path: %w", err)
	}
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	fields := pf.Schema().Fields()
	header := make([]string, len(fields))
	for i, fd := range fields {
		header[i] = fd.Name()
	}
	c, err := selectColumns(name, header, spec)
	if err != nil {
		return nil, err
	}
	leaf := make(map[int]int, len(c.take)+1) // header index -> leaf column index
	for _, col := range append(append([]int{}, c.take...), c.date) {
		if col < 0 {
			continue
		}
		lc, ok := pf.Schema().Lookup(header[col])
		if !ok || !fields[col].Leaf() || fields[col].Repeated() {
			return nil, fmt.Errorf("%s: column %q is not a flat column", name, header[col])
		}
		leaf[col] = lc.ColumnIndex
	}
	t := c.newTable()
	first := 1 // the first row of the group, counted from 1 in the file
	for _, rg := range pf.RowGroups() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := c.parquetGroup(rg, leaf, fields, first, t); err != nil {
			return nil, err
		}
		first += int(rg.NumRows())
	}
	return t, nil
}

// parquetGroup appends a row group's rows to t.
func (c *columns) parquetGroup(rg parquet.RowGroup, leaf map[int]int, fields []parquet.Field, first int, t *table) error {
	n := int(rg.NumRows())
	chunks := rg.ColumnChunks()
	values := make(map[int][]parquet.Value, len(leaf))
	for col, li := range leaf {
		v, err := readChunk(chunks[li], n)
		if err != nil {
			return fmt.Errorf("%s: column %q: %w", c.name, c.header[col], err)
		}
		values[col] = v
	}
	var dateOf func(parquet.Value) (int64, error)
	if c.date >= 0 {
		var err error
		if dateOf, err = dateReader(fields[c.date]); err != nil {
			return fmt.Errorf("%s: column %q: %w", c.name, c.header[c.date], err)
		}
	}
	p := parsed{}
	for r := range n {
		if err := c.appendRow(&p,
			func(col int) (float64, error) { return number(values[col][r]) },
			func() (int64, error) { return dateOf(values[c.date][r]) },
			func(int) string { return "row " + strconv.Itoa(first+r) }); err != nil {
			return err
		}
	}
	t.x, t.y, t.dropped = append(t.x, p.x...), append(t.y, p.y...), t.dropped+p.dropped
	if c.date >= 0 {
		t.dates = append(t.dates, p.dates...)
	}
	return nil
}

// readChunk reads a column chunk's n values, nulls included.
func readChunk(chunk parquet.ColumnChunk, n int) ([]parquet.Value, error) {
	out := make([]parquet.Value, 0, n)
	pages := chunk.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 1024)
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		vr := page.Values()
		for {
			k, err := vr.ReadValues(buf)
			for _, v := range buf[:k] {
				out = append(out, v.Clone()) // a page's buffers are reused
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		parquet.Release(page)
	}
	if len(out) != n {
		return nil, fmt.Errorf("%d values for %d rows: a nested column?", len(out), n)
	}
	return out, nil
}

// number is a numeric value as a float64; a null or NaN is a missingCell,
// an infinity or a non-numeric type an error.
func number(v parquet.Value) (float64, error) {
	if v.IsNull() {
		return 0, missingCell{text: "null"}
	}
	var x float64
	switch v.Kind() {
	case parquet.Double:
		x = v.Double()
	case parquet.Float:
		x = float64(v.Float())
	case parquet.Int32:
		x = float64(v.Int32())
	case parquet.Int64:
		x = float64(v.Int64())
	default:
		return 0, fmt.Errorf("a %s, want a number", v.Kind())
	}
	switch {
	case math.IsNaN(x):
		return 0, missingCell{text: "NaN"}
	case math.IsInf(x, 0):
		return 0, fmt.Errorf("%v is not a finite number", x)
	}
	return x, nil
}

// dateReader returns how to read a date column's values, in Unix
// nanoseconds: ISO 8601 strings, DATE (days) or TIMESTAMP.
func dateReader(field parquet.Field) (func(parquet.Value) (int64, error), error) {
	lt := field.Type().LogicalType()
	notNull := func(v parquet.Value) error {
		if v.IsNull() {
			return errors.New("a null date")
		}
		return nil
	}
	switch {
	case lt != nil && isDate(lt):
		return func(v parquet.Value) (int64, error) {
			return time.Unix(int64(v.Int32())*86400, 0).UnixNano(), notNull(v)
		}, nil
	case lt != nil && timestampUnit(lt) > 0:
		unit := timestampUnit(lt)
		return func(v parquet.Value) (int64, error) { return v.Int64() * int64(unit), notNull(v) }, nil
	case field.Type().Kind() == parquet.ByteArray:
		return func(v parquet.Value) (int64, error) {
			if err := notNull(v); err != nil {
				return 0, err
			}
			return parseDate(string(v.ByteArray()))
		}, nil
	}
	return nil, fmt.Errorf("a date column must hold dates: %s, DATE or TIMESTAMP; it holds %s", DateForms, field.Type())
}

func isDate(lt *format.LogicalType) bool {
	_, ok := lt.Value.(*format.DateType)
	return ok
}

// timestampUnit is a TIMESTAMP's unit, or 0 for another type.
func timestampUnit(lt *format.LogicalType) time.Duration {
	ts, ok := lt.Value.(*format.TimestampType)
	if !ok {
		return 0
	}
	switch ts.Unit.Value.(type) {
	case *format.MilliSeconds:
		return time.Millisecond
	case *format.MicroSeconds:
		return time.Microsecond
	case *format.NanoSeconds:
		return time.Nanosecond
	}
	return 0
}
