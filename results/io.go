package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/sweep-ml/sweep/results/atomicfile"
)

// WriteTrial writes t to runDir/trial.json atomically: the record goes to a
// temporary file in runDir, which is flushed to stable storage and renamed
// over trial.json, and then runDir itself is flushed so that the rename
// survives a crash. A reader therefore sees either the previous record or
// the new one, never a mix, also on NFS, where rename within one directory is
// atomic but appends from several clients are not. Each run directory has a
// single writer (the process running that trial), so no locking is needed.
//
// Metrics that are NaN or infinite are written as null, because JSON has no
// such numbers; that is what a nil metric in Trial means. t is not modified.
// runDir must exist. On error no temporary file is left behind.
func WriteTrial(runDir string, t *Trial) error {
	if t == nil {
		return errors.New("results: WriteTrial: nil trial")
	}
	path := filepath.Join(runDir, TrialFile)
	data, err := encodeTrial(t)
	if err != nil {
		return fmt.Errorf("results: encode %s: %w", path, err)
	}
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	return nil
}

// encodeTrial is trial.json's content for t.
func encodeTrial(t *Trial) ([]byte, error) {
	c := *sanitized(t)
	c.ParamTypes = paramTypes(t.Params)
	data, err := json.MarshalIndent(&c, "", "  ")
	return append(data, '\n'), err
}

// sanitized returns t, or a copy of t whose non-finite metrics are nil.
func sanitized(t *Trial) *Trial {
	writable := func(p *float64) bool { return p == nil || finite(p) }
	if writable(t.Score) && writable(t.BestValLoss) && writable(t.FinalTrainLoss) && writable(t.FinalValLoss) {
		return t
	}
	c := *t
	for _, p := range []**float64{&c.Score, &c.BestValLoss, &c.FinalTrainLoss, &c.FinalValLoss} {
		if !writable(*p) {
			*p = nil
		}
	}
	return &c
}

// ReadTrial reads and checks the record at path (a trial.json). Errors name
// the file and, for malformed JSON, the line and column.
func ReadTrial(path string) (*Trial, error) {
	t, err := readTrial(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return t, nil
}

// readTrial is ReadTrial with errors that start with the path, as LoadSweep
// lists them among its warnings.
func readTrial(path string) (*Trial, error) {
	t, _, err := readTrialKeyed(path)
	return t, err
}

// readTrialKeyed is readTrial that also returns the key (see fileKey) of
// the file it read, taken from the open file before reading it: the file
// read is the one the key names, or if it was changed in place meanwhile,
// one the key no longer matches. The record index needs no stat of its
// own then.
func readTrialKeyed(path string) (*Trial, fileKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileKey{}, err // an *fs.PathError names path
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileKey{}, err
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fileKey{}, fmt.Errorf("%s: %w", path, err)
	}
	t, err := decodeTrial(data)
	if err != nil {
		return nil, fileKeyOf(fi), fmt.Errorf("%s: %w", path, err)
	}
	return t, fileKeyOf(fi), nil
}

// decodeTrial parses and checks one record; its errors do not name a file.
func decodeTrial(data []byte) (*Trial, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty file")
	}
	var t Trial
	if err := json.Unmarshal(data, &t); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := lineCol(data, syn.Offset)
			if syn.Offset >= int64(len(data)) {
				return nil, fmt.Errorf("line %d, column %d: truncated JSON (partial write?): %v", line, col, syn)
			}
			return nil, fmt.Errorf("line %d, column %d: %v", line, col, syn)
		case errors.As(err, &typ):
			line, col := lineCol(data, typ.Offset)
			return nil, fmt.Errorf("line %d, column %d: key %q: cannot use JSON %s as Go %s",
				line, col, typ.Field, typ.Value, typ.Type)
		}
		return nil, err
	}
	if t.ID == "" {
		return nil, errors.New(`key "id": missing or empty`)
	}
	if !slices.Contains(Statuses, t.Status) {
		return nil, fmt.Errorf("key %q: unknown status %q (want one of %q)", "status", t.Status, Statuses)
	}
	if err := restoreTypes(t.Params, t.ParamTypes); err != nil {
		return nil, err
	}
	t.ParamTypes = nil // on disk only: the values carry their types now
	return &t, nil
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	prefix := data[:off]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(prefix, '\n') + 1)
	if col == 0 {
		col = 1
	}
	return line, col
}
