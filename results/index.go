package results

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"time"
	"unsafe"

	"github.com/sweep-ml/sweep/results/atomicfile"
)

// IndexFile is the record index that LoadSweepIndexed keeps at the root of
// a sweep directory: a copy of every finished record, each with what
// identifies the version of trial.json it was read from. The trial.json
// files stay the truth; the index is a cache of them, safe to delete at any
// time, and a sweep's writers (local workers, Slurm tasks on other nodes)
// never touch it.
const IndexFile = ".sweep-index"

// The index file: indexMagic, a version, trialSchema, how long the load
// that wrote it took, the trial directories in chunks of indexChunk (each
// its length in bytes, then the directories), and a CRC-32C of everything
// before it.
const (
	indexMagic   = "SWEEPIDX"
	indexVersion = 2
)

// racyMargin covers timestamps coarser than the nanoseconds the index
// compares: a file system that keeps seconds (or FAT's two) could give a
// record rewritten just after it was read the time it had before. Entries
// whose time is this close to the index's own are read again; this is git's
// "racy clean" rule.
const racyMargin = 2 * time.Second

// trialSchema fingerprints Trial's fields and their types, so that an index
// written for another shape of record (an older or newer sweep) is
// ignored rather than misread.
var trialSchema = func() string {
	sum := sha256.Sum256([]byte(typeShape(reflect.TypeFor[Trial](), 0)))
	return fmt.Sprintf("%x", sum[:8])
}()

// typeShape describes t's structure: names, types and JSON tags of its
// fields, recursively.
func typeShape(t reflect.Type, depth int) string {
	if depth > 8 {
		return t.String()
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		return t.Kind().String() + " " + typeShape(t.Elem(), depth+1)
	case reflect.Map:
		return "map " + typeShape(t.Key(), depth+1) + " " + typeShape(t.Elem(), depth+1)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "time"
		}
		s := "struct{"
		for i := range t.NumField() {
			f := t.Field(i)
			s += f.Name + " " + string(f.Tag) + " " + typeShape(f.Type, depth+1) + ";"
		}
		return s + "}"
	}
	return t.String()
}

// fileKey tells versions of a file or directory apart: a record written
// again (to a new file renamed over the old one) gets a new inode, change
// time and modification time; a directory that gains or loses an entry a
// new modification time. The inode and change time are zero outside Linux
// (see statAt).
type fileKey struct {
	size, mtime, ctime int64
	ino                uint64
}

// sweepIndex is an index as read: by trial directory name, what its
// directory and records were when it was written.
type sweepIndex struct {
	dirs map[string]*indexedDir
	// settledBefore is the modification time below which an entry is
	// trusted: the index file's own, less the time the load that wrote it
	// took and racyMargin.
	settledBefore int64
}

// indexedDir is a trial directory in the index: its key and its visible
// run directories. A run whose trial is nil was not cached (no record, or
// one still running) and is read from its file every time.
type indexedDir struct {
	key  fileKey
	runs []indexedRun
}

type indexedRun struct {
	name  string
	key   fileKey // of its trial.json
	trial *Trial
}

func (ix *sweepIndex) settled(k fileKey) bool {
	return ix != nil && k.mtime < ix.settledBefore
}

// lookup returns the index's entry for a trial directory, or nil.
func (ix *sweepIndex) lookup(name string) *indexedDir {
	if ix == nil {
		return nil
	}
	return ix.dirs[name]
}

// find returns the entry of run name, or nil.
func (e *indexedDir) find(name string) *indexedRun {
	if e == nil {
		return nil
	}
	for i := range e.runs {
		if e.runs[i].name == name {
			return &e.runs[i]
		}
	}
	return nil
}

// readIndex reads the index at path. Any failure (no index, another
// version, a corrupt or truncated file) returns nil: the caller then reads
// every record from its file.
func readIndex(path string) (*sweepIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, err
	}
	return decodeIndex(data, fi.ModTime().UnixNano())
}

// decodeIndex checks and decodes an index file whose modification time is
// written (Unix nanoseconds). The decoded strings share data's memory
// (copying a 100,000-trial index into a string first cost its size again
// at the peak), so the caller must not modify data afterwards.
func decodeIndex(data []byte, written int64) (*sweepIndex, error) {
	if len(data) < len(indexMagic)+4 || string(data[:len(indexMagic)]) != indexMagic {
		return nil, fmt.Errorf("%w: not an index", errIndexCorrupt)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (truncated or overwritten)", errIndexCorrupt)
	}
	d := &indexDecoder{data: unsafe.String(unsafe.SliceData(body), len(body)), off: len(indexMagic)}
	if v, schema := d.uvarint(), d.str(); v != indexVersion || schema != trialSchema {
		return nil, fmt.Errorf("%w: version %d, schema %s (want %d, %s)", errIndexCorrupt, v, schema, indexVersion, trialSchema)
	}
	took := d.varint()
	chunks := make([]string, d.length())
	for i := range chunks {
		chunks[i] = d.bytes(d.length())
	}
	if d.err == nil && d.off != len(d.data) {
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	ix := &sweepIndex{dirs: map[string]*indexedDir{}, settledBefore: written - took - int64(racyMargin)}
	return ix, ix.decodeChunks(chunks)
}

// indexChunk is how many trial directories the index encodes together, with
// a table of strings of their own, so that chunks decode on every core.
const indexChunk = 2048

// decodeChunks decodes the chunks in parallel into ix.dirs.
func (ix *sweepIndex) decodeChunks(chunks []string) error {
	type entry struct {
		name string
		dir  *indexedDir
	}
	decoded := make([][]entry, len(chunks))
	errs := make([]error, len(chunks))
	parallel(len(chunks), func(i int) {
		d := &indexDecoder{data: chunks[i]}
		for n := d.length(); n > 0 && d.err == nil; n-- {
			decoded[i] = append(decoded[i], entry{d.str(), d.indexedDir()})
		}
		if d.err == nil && d.off != len(d.data) {
			d.fail()
		}
		errs[i] = d.err
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, entries := range decoded {
		for _, e := range entries {
			ix.dirs[e.name] = e.dir
		}
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (d *indexDecoder) key() fileKey {
	return fileKey{size: d.varint(), mtime: d.varint(), ctime: d.varint(), ino: d.uvarint()}
}

func (e *indexEncoder) key(k fileKey) {
	e.varint(k.size)
	e.varint(k.mtime)
	e.varint(k.ctime)
	e.uvarint(k.ino)
}

func (d *indexDecoder) indexedDir() *indexedDir {
	e := &indexedDir{key: d.key(), runs: make([]indexedRun, d.length())}
	for i := range e.runs {
		r := &e.runs[i]
		r.name, r.key = d.str(), d.key()
		if d.bool() {
			r.trial = d.trial()
		}
	}
	return e
}

// encodeIndex encodes the trial directories as read by the load that took
// took; a record the index cannot hold is left out of it.
func encodeIndex(dirs []trialDir, took time.Duration) []byte {
	var indexed []*trialDir
	for i := range dirs {
		if dirs[i].indexed != nil {
			indexed = append(indexed, &dirs[i])
		}
	}
	chunks := make([][]byte, (len(indexed)+indexChunk-1)/indexChunk)
	parallel(len(chunks), func(i int) {
		part := indexed[i*indexChunk : min((i+1)*indexChunk, len(indexed))]
		e := &indexEncoder{}
		e.uvarint(uint64(len(part)))
		for _, d := range part {
			e.str(d.name)
			e.indexedDir(d.indexed)
		}
		chunks[i] = e.buf
	})
	e := &indexEncoder{buf: []byte(indexMagic)}
	e.uvarint(indexVersion)
	e.str(trialSchema)
	e.varint(int64(took))
	e.uvarint(uint64(len(chunks)))
	for _, c := range chunks {
		e.uvarint(uint64(len(c)))
		e.buf = append(e.buf, c...)
	}
	return binary.LittleEndian.AppendUint32(e.buf, crc32.Checksum(e.buf, castagnoli))
}

func (e *indexEncoder) indexedDir(d *indexedDir) {
	e.key(d.key)
	e.uvarint(uint64(len(d.runs)))
	for _, r := range d.runs {
		e.str(r.name)
		e.key(r.key)
		mark := len(e.buf)
		e.bool(true)
		if r.trial == nil || e.trial(r.trial) != nil {
			e.buf = e.buf[:mark]
			e.bool(false)
		}
	}
}

// LoadSweepIndexed is LoadSweep helped by the sweep's record index
// (IndexFile): a record whose trial.json is the same file as when the index
// was written (same inode, size, modification and change time, see
// fileKey) is taken from the index, and a trial directory that has not
// changed is not listed again. Everything else is read as LoadSweep reads
// it, so a missing, stale or corrupt index costs time, never correctness.
// Records still running are never cached: they are the ones that change.
// When something was read from the files, the index is rewritten; a sweep
// directory that cannot be written to (someone else's) keeps no index.
//
// On NFS, where the index is checked with stat(2), a client may answer
// from its attribute cache (up to a minute by default, actimeo), as `ls`
// does: a record rewritten on another node in that minute can be missed.
// Only running records are rewritten in place, and those are always read.
func LoadSweepIndexed(dir string) (*Sweep, error) {
	s, _, err := loadIndexed(dir, true)
	return s, err
}

// indexUse says what a load took from the index and what from the files.
type indexUse struct {
	fromIndex, fromFiles int // records
	wrote                bool
}

// loadIndexed is LoadSweepIndexed; without trust it reads every record
// from its file, as if there were no index, and writes the index anew.
func loadIndexed(dir string, trust bool) (*Sweep, indexUse, error) {
	start := time.Now()
	// The index is decoded while the sweep directory is listed: both take
	// a tenth of a second or more at 100,000 trials.
	index := make(chan *sweepIndex, 1)
	go func() {
		var ix *sweepIndex
		if trust {
			ix, _ = readIndex(filepath.Join(dir, IndexFile))
		}
		index <- ix
	}()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, indexUse{}, fmt.Errorf("results: sweep directory: %w", err)
	}
	ix := <-index
	root, err := os.Open(dir)
	if err != nil {
		return nil, indexUse{}, fmt.Errorf("results: sweep directory: %w", err)
	}
	defer root.Close()
	dirs := visibleTrialDirs(dir, entries)
	parallel(len(dirs), func(i int) { dirs[i].readIndexed(root, ix) })
	use := indexUse{}
	for _, d := range dirs {
		use.fromIndex += d.fromIndex
		use.fromFiles += len(d.runs) - d.fromIndex
	}
	if indexStale(ix, dirs) {
		// Best effort: the report is right without it.
		use.wrote = atomicfile.Write(filepath.Join(dir, IndexFile), encodeIndex(dirs, time.Since(start))) == nil
	}
	return assemble(dir, dirs), use, nil
}

// indexStale reports whether the index lacks something the load read from
// the files, or holds a trial directory that is gone.
func indexStale(ix *sweepIndex, dirs []trialDir) bool {
	if ix == nil {
		return true
	}
	seen := 0
	for _, d := range dirs {
		if d.reread {
			return true
		}
		if ix.dirs[d.name] != nil {
			seen++
		}
	}
	return seen != len(ix.dirs)
}

// readIndexed reads the trial directory's runs, taking from ix what is
// still valid, and sets d.indexed to what the next index holds of it. root
// is the sweep directory, open.
func (d *trialDir) readIndexed(root *os.File, ix *sweepIndex) {
	key, err := statAt(root, d.name)
	if err != nil {
		d.runs, d.err = readRuns(d.path)
		d.reread = true
		return
	}
	e := ix.lookup(d.name)
	names, err := d.runNames(ix, e, key)
	if err != nil {
		d.err = err
		return
	}
	d.indexed = &indexedDir{key: key, runs: make([]indexedRun, len(names))}
	d.runs = make([]runRecord, len(names))
	for i, name := range names {
		d.runs[i], d.indexed.runs[i] = d.readRun(root, ix, e, name)
	}
}

// runNames lists the trial directory's visible run directories: from the
// index while the directory is unchanged, else from the directory.
func (d *trialDir) runNames(ix *sweepIndex, e *indexedDir, k fileKey) ([]string, error) {
	if e != nil && e.key == k && ix.settled(k) {
		names := make([]string, len(e.runs))
		for i, r := range e.runs {
			names[i] = r.name
		}
		return names, nil
	}
	d.reread = true
	return runDirNames(d.path)
}

// readRun reads one run's record, from the index if its trial.json is
// the same file as then, else from the file, taking the key from the open
// file (see readTrialKeyed). It notes in d.reread that the index lacks
// what it read.
func (d *trialDir) readRun(root *os.File, ix *sweepIndex, e *indexedDir, name string) (runRecord, indexedRun) {
	path := filepath.Join(d.path, name)
	now, old := indexedRun{name: name}, e.find(name)
	if old != nil && old.trial != nil {
		if key, err := statAt(root, filepath.Join(d.name, name, TrialFile)); err == nil && key == old.key && ix.settled(key) {
			now.key, now.trial = key, old.trial
			d.fromIndex++
			return runRecord{path: path, trial: now.trial}, now
		}
	}
	t, key, err := readTrialKeyed(filepath.Join(path, TrialFile))
	now.key = key
	if err == nil && t.Status != StatusRunning {
		now.trial = t
	}
	if now.trial != nil || old == nil || old.trial != nil || old.key != now.key {
		d.reread = true
	}
	return runRecord{path: path, trial: t, err: err}, now
}
