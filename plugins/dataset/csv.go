package dataset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sync/errgroup"
)

// table is parsed numeric data: rows of the selected features and the
// target, in file order.
type table struct {
	features []string
	x        []float64 // rows × len(features)
	y        []float64 // rows
	dates    []int64   // rows, Unix nanoseconds; nil without a date column
	dropped  int       // rows left out for a missing value (missing = "drop")
}

func (t *table) rows() int { return len(t.y) }

// reserve makes room for about rows rows, from an estimate (the file's size
// over the first block's bytes per row), so that a large file's matrix is
// allocated once rather than grown by doubling, which would hold up to
// three copies of it at once.
func (t *table) reserve(rows int) {
	t.x = make([]float64, 0, rows*len(t.features))
	t.y = make([]float64, 0, rows)
}

// blockSize is how much of the file one parsing goroutine takes at a time:
// large enough that handing blocks over costs nothing next to parsing them,
// small enough that a few in flight cost little memory. A variable so that
// tests can put block boundaries everywhere.
var blockSize = 4 << 20

// columns says which cells of a record a table takes, and how to name them.
type columns struct {
	name    string   // the file, for errors
	header  []string // every column's name
	cols    []int    // the features' indices in a record
	target  int      // the target's index
	date    int      // the date column's index, or -1
	take    []int    // cols, then target: the cells a record gives
	chosen  bool     // the features were listed, not every column but the excluded
	missing string   // MissingError or MissingDrop
}

// parseCSV reads a CSV with a header row from r. name is the file's name for
// errors. It selects the target column and the feature columns (spec's
// features, or every other column but the excluded ones). Every error names
// the file and, where there is one, the line and the column; of several bad
// cells, the first in the file.
//
// The body is cut into blocks at record boundaries and parsed on every
// core. A block without quotes, which is what numeric data is, goes through
// a scanner that allocates nothing per cell; a block with quotes through
// encoding/csv, so that quoted cells (line breaks included) keep its rules.
func parseCSV(ctx context.Context, name string, r io.Reader, spec Spec) (*table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	headerBytes, err := readRecord(br)
	if len(headerBytes) == 0 && err == io.EOF {
		return nil, fmt.Errorf("%s: empty file: want a header row naming the columns", name)
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	header, err := csv.NewReader(bytes.NewReader(headerBytes)).Read()
	if err != nil {
		return nil, csvError(name, 0, err)
	}
	c, err := selectColumns(name, header, spec)
	if err != nil {
		return nil, err
	}
	t := c.newTable()
	firstLine := 1 + bytes.Count(headerBytes, []byte{'\n'})
	if !bytes.HasSuffix(headerBytes, []byte{'\n'}) {
		firstLine++
	}
	return t, c.parseBody(ctx, br, firstLine, sizeOf(r)-int64(len(headerBytes)), t)
}

// sizeOf is the size of r if it is a file, else 0 (unknown).
func sizeOf(r io.Reader) int64 {
	if f, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := f.Stat(); err == nil {
			return fi.Size()
		}
	}
	return 0
}

// newTable is an empty table of the selected features.
func (c *columns) newTable() *table {
	t := &table{features: make([]string, len(c.cols))}
	for i, col := range c.cols {
		t.features[i] = c.header[col]
	}
	return t
}

// selectColumns finds the target and the features in the header.
func selectColumns(name string, header []string, spec Spec) (*columns, error) {
	index, err := headerIndex(name, header)
	if err != nil {
		return nil, err
	}
	list := func() string { return strings.Join(header, ", ") }
	c := &columns{name: name, header: header, missing: spec.Missing, chosen: len(spec.Features) > 0, date: -1}
	var ok bool
	if c.target, ok = index[spec.Target]; !ok {
		return nil, fmt.Errorf("%s: line 1: no target column %q in the header (columns: %s)", name, spec.Target, list())
	}
	if spec.Date != "" {
		if c.date, ok = index[spec.Date]; !ok {
			return nil, fmt.Errorf("%s: line 1: no date column %q in the header (columns: %s)", name, spec.Date, list())
		}
	}
	for _, e := range spec.Exclude {
		if _, ok := index[e]; !ok {
			return nil, fmt.Errorf("%s: line 1: no column %q to exclude in the header (columns: %s)", name, e, list())
		}
	}
	if len(spec.Features) == 0 {
		for i, h := range header {
			if i != c.target && i != c.date && !slices.Contains(spec.Exclude, h) {
				c.cols = append(c.cols, i)
			}
		}
		if len(c.cols) == 0 {
			return nil, fmt.Errorf("%s: line 1: no feature columns: the header has only the target %q and excluded columns", name, spec.Target)
		}
	}
	for _, f := range spec.Features {
		i, ok := index[f]
		if !ok {
			return nil, fmt.Errorf("%s: line 1: no feature column %q in the header (columns: %s)", name, f, list())
		}
		c.cols = append(c.cols, i)
	}
	c.take = append(slices.Clone(c.cols), c.target)
	return c, nil
}

// headerIndex cleans up the header's names in place and maps each to its
// column, refusing a name that appears twice.
func headerIndex(name string, header []string) (map[string]int, error) {
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
	return index, nil
}

// block is a run of whole records and the line it starts on.
type block struct {
	data []byte
	line int
}

// parsed is what parsing a block gives.
type parsed struct {
	x, y    []float64
	dates   []int64
	dropped int
	bytes   int // the block's size
	err     error
}

// parseBody parses the records after the header, size bytes if known (else
// 0), into t, in file order. It stops reading at the first bad cell: the
// blocks after it are not parsed.
func (c *columns) parseBody(ctx context.Context, br *bufio.Reader, line int, size int64, t *table) error {
	g, ctx := errgroup.WithContext(ctx)
	// stop ends the reading and parsing once the collector has the file's
	// first error; the blocks already in flight return at once.
	work, stop := context.WithCancel(ctx)
	defer stop()
	// Each block gets a channel for its result, queued in file order, so
	// that the collector appends blocks in order and the first error it
	// meets is the file's first.
	order := make(chan chan parsed, runtime.GOMAXPROCS(0))
	g.Go(func() error {
		defer close(order)
		err := c.split(work, br, line, func(b block) {
			out := make(chan parsed, 1)
			order <- out
			g.Go(func() error {
				out <- c.parseBlock(work, b)
				return nil
			})
		})
		if work.Err() != nil && ctx.Err() == nil {
			return nil // stopped: the collector returns the error
		}
		return err
	})
	g.Go(func() error {
		var first error // in file order, whichever block finished first
		for out := range order {
			p := <-out
			if first != nil {
				continue // drained, so that no sender blocks
			}
			if p.err != nil {
				first = p.err
				stop()
				continue
			}
			if t.y == nil && size > 0 && p.bytes > 0 {
				t.reserve(int(float64(size) / float64(p.bytes) * float64(len(p.y)) * 1.02))
			}
			t.x, t.y, t.dropped = append(t.x, p.x...), append(t.y, p.y...), t.dropped+p.dropped
			if c.date >= 0 {
				t.dates = append(t.dates, p.dates...)
			}
		}
		return first
	})
	return g.Wait()
}

// split reads br and calls emit with blocks of whole records: it cuts after
// a line break outside quotes. At most cap(order) blocks are in flight, as
// emit blocks until the collector takes one.
func (c *columns) split(ctx context.Context, br *bufio.Reader, line int, emit func(block)) error {
	var carry []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf := make([]byte, len(carry), max(blockSize, 2*len(carry)))
		copy(buf, carry)
		n, err := io.ReadFull(br, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		cut := len(buf)
		if !eof {
			cut = recordEnd(buf)
		}
		if cut > 0 {
			emit(block{data: buf[:cut], line: line})
			line += bytes.Count(buf[:cut], []byte{'\n'})
		}
		if eof {
			return nil
		}
		carry = buf[cut:]
	}
}

// recordEnd returns the length of the longest prefix of b that ends with a
// line break outside quotes, or 0 if there is none.
func recordEnd(b []byte) int {
	if bytes.IndexByte(b, '"') < 0 {
		return bytes.LastIndexByte(b, '\n') + 1
	}
	end, quoted := 0, false
	for i, ch := range b {
		switch {
		case ch == '"':
			quoted = !quoted
		case ch == '\n' && !quoted:
			end = i + 1
		}
	}
	return end
}

// readRecord reads one record's bytes (more than one line if a quoted cell
// holds a line break), with its final line break.
func readRecord(br *bufio.Reader) ([]byte, error) {
	var rec []byte
	for {
		line, err := br.ReadBytes('\n')
		rec = append(rec, line...)
		if err != nil || bytes.Count(rec, []byte{'"'})%2 == 0 {
			return rec, err
		}
	}
}

// parseBlock parses the records of b.
func (c *columns) parseBlock(ctx context.Context, b block) parsed {
	if err := ctx.Err(); err != nil {
		return parsed{err: err}
	}
	if bytes.IndexByte(b.data, '"') >= 0 {
		return c.parseQuoted(b)
	}
	rows := bytes.Count(b.data, []byte{'\n'}) + 1 // at most
	p := parsed{x: make([]float64, 0, rows*len(c.cols)), y: make([]float64, 0, rows), bytes: len(b.data)}
	fields := make([][]byte, 0, len(c.header))
	line := b.line
	for rest := b.data; len(rest) > 0; line++ {
		var rec []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			rec, rest = rest[:i], rest[i+1:]
		} else {
			rec, rest = rest, nil
		}
		rec = bytes.TrimSuffix(rec, []byte{'\r'})
		if len(rec) == 0 {
			continue // encoding/csv skips empty lines too
		}
		fields = fields[:0]
		for {
			i := bytes.IndexByte(rec, ',')
			if i < 0 {
				fields = append(fields, rec)
				break
			}
			fields = append(fields, rec[:i])
			rec = rec[i+1:]
		}
		if len(fields) != len(c.header) {
			p.err = fmt.Errorf("%s: line %d, column 1: wrong number of fields", c.name, line)
			return p
		}
		// The cells are read only during the call, while b.data lives.
		if p.err = c.record(&p, func(col int) (string, int) {
			return unsafe.String(unsafe.SliceData(fields[col]), len(fields[col])), line
		}); p.err != nil {
			return p
		}
	}
	return p
}

// parseQuoted parses a block that has quotes with encoding/csv.
func (c *columns) parseQuoted(b block) parsed {
	p := parsed{bytes: len(b.data)}
	cr := csv.NewReader(bytes.NewReader(b.data))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = len(c.header)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return p
		}
		if err != nil {
			p.err = csvError(c.name, b.line-1, err)
			return p
		}
		if p.err = c.record(&p, func(col int) (string, int) {
			line, _ := cr.FieldPos(col) // a quoted cell before it may span lines
			return rec[col], b.line - 1 + line
		}); p.err != nil {
			return p
		}
	}
}

// record appends one record's date, features and target to p, or drops
// it for a missing value when the spec says so. cell returns a column's
// text and the line it is on; the text may be used only during the call.
func (c *columns) record(p *parsed, cell func(col int) (string, int)) error {
	return c.appendRow(p,
		func(col int) (float64, error) { text, _ := cell(col); return parseCell(text) },
		func() (int64, error) { text, _ := cell(c.date); return parseDate(text) },
		func(col int) string { _, line := cell(col); return "line " + strconv.Itoa(line) })
}

// appendRow appends one row to p, whatever the format: its date (with a
// date column), then its features and target, each from value; or it drops
// the row, date and all, for a missing value when the spec says so. where
// names a column's cell for errors ("line 7", "row 7").
func (c *columns) appendRow(p *parsed, value func(col int) (float64, error), date func() (int64, error), where func(col int) string) error {
	n := len(p.x)
	if c.date >= 0 {
		d, err := date()
		if err != nil {
			return fmt.Errorf("%s: %s, column %q: %v", c.name, where(c.date), c.header[c.date], err)
		}
		p.dates = append(p.dates, d)
	}
	for _, col := range c.take {
		v, err := value(col)
		_, missing := err.(missingCell) // not errors.As, whose target would cost an allocation per cell
		switch {
		case err == nil:
		case missing && c.missing == MissingDrop:
			p.x = p.x[:n]
			if c.date >= 0 {
				p.dates = p.dates[:len(p.dates)-1]
			}
			p.dropped++
			return nil
		default:
			return c.cellError(where(col), col, err)
		}
		if col == c.target {
			p.y = append(p.y, v)
		} else {
			p.x = append(p.x, v)
		}
	}
	return nil
}

// cellError names the file, where (a line or row) and the column of a bad
// cell, and says how to get past it: drop rows with missing values, or
// leave out a column that is no feature.
func (c *columns) cellError(where string, col int, err error) error {
	hint := ""
	switch _, missing := err.(missingCell); {
	case missing:
		hint = fmt.Sprintf(" (or drop such rows: data.missing = %q)", MissingDrop)
	case !c.chosen && col != c.target:
		hint = fmt.Sprintf(" (not a feature? leave it out: data.exclude = [%q])", c.header[col])
	}
	return fmt.Errorf("%s: %s, column %q: %v%s", c.name, where, c.header[col], err, hint)
}

// missingCell is a cell with no value: empty, or NaN.
type missingCell struct{ text string }

func (m missingCell) Error() string {
	if m.text == "" {
		return "empty cell, want a number"
	}
	return fmt.Sprintf("%q is not a finite number", m.text)
}

// parseCell parses one numeric cell; surrounding spaces are allowed, empty,
// non-numeric, NaN and infinite values are not. An empty or NaN cell's
// error is a missingCell.
func parseCell(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, missingCell{}
	}
	if v, ok := plainDecimal(s); ok {
		return v, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is out of float64's range", s)
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(v) {
		return 0, missingCell{text: strings.Clone(s)}
	}
	if math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// plainDecimal parses the form exported numbers nearly always take, an
// optional sign, digits and an optional point with more digits ("-1.234567"),
// when its digits make an integer below 2⁵³ and it has at most 22 digits
// after the point: both are then exact float64s, and IEEE division rounds
// their quotient correctly, so the result is the one strconv.ParseFloat
// gives (Clinger's fast path), at a fraction of its cost. Anything else
// reports false, for strconv to parse.
func plainDecimal(s string) (float64, bool) {
	i, neg := 0, false
	if s[0] == '-' || s[0] == '+' {
		neg, i = s[0] == '-', 1
	}
	var mant uint64
	decimals, digits, dot := 0, 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if dot {
				decimals++
			}
			if mant >= 1<<53 {
				return 0, false
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false // an exponent, Inf, NaN, underscores, garbage
		}
	}
	if digits == 0 || decimals >= len(pow10) {
		return 0, false
	}
	v := float64(mant) / pow10[decimals]
	if neg {
		v = -v
	}
	return v, true
}

// csvError names the file in an error from encoding/csv, which already
// names the line (counted from the start of its input, which is lineOffset
// lines into the file) and column.
func csvError(name string, lineOffset int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d, column %d: %v", name, lineOffset+pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
