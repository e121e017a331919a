package logger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultFlushInterval is how long a written event waits in memory at most,
// unless Options.FlushInterval says otherwise: a crash loses at most this
// much, and never damages what was flushed before.
const DefaultFlushInterval = 2 * time.Second

// flushThreshold flushes the buffer early once it holds this many bytes,
// so that memory stays bounded whatever the interval.
const flushThreshold = 1 << 20

// RunDirLayout is the time layout (%Y%m%d-%H%M%S) of the run directories
// NewTrainingLogger creates.
const RunDirLayout = "20060102-150405"

// Options configures a TrainingLogger. The zero value is ready to use.
type Options struct {
	// FlushInterval bounds how long an event stays buffered in memory:
	// 0 means DefaultFlushInterval, a negative value flushes every event
	// at once.
	FlushInterval time.Duration
	// Now is the clock of events' wall times, of the run directory's name
	// and of the file's name; nil means time.Now. Tests fix it to get
	// byte-identical files.
	Now func() time.Time
	// Hostname goes into the event file's name; "" means os.Hostname.
	Hostname string
}

// Param is a named tensor's values, flattened, such as a layer's weights.
type Param struct {
	Name   string
	Values []float64
}

// Scalar is one named value. Its fields match plugins.Scalar's, so that a
// model's scalar converts with logger.Scalar(s).
type Scalar struct {
	Tag   string
	Value float64
}

// TrainingLogger writes one TensorBoard run: a single event file in its run
// directory. Its methods are safe for concurrent use. Events are buffered
// and written when the flush interval passes, when the buffer grows large,
// on Flush and on Close. After a write fails (a full disk, say) every
// method returns that error; after Close every method returns ErrClosed.
type TrainingLogger struct {
	dir, path string
	now       func() time.Time
	interval  time.Duration

	mu      sync.Mutex
	f       *os.File
	buf     []byte
	timer   *time.Timer // pending interval flush; nil when buf is clean
	err     error       // sticky write error
	closed  bool
	values  []Value     // scratch for building an event
	histos  []Histogram // scratch histograms, reused across steps
	scratch []Scalar
}

// fileCounter numbers the event files this process creates, as
// TensorFlow's writers do, so that two files never share a name.
var fileCounter atomic.Int64

// NewTrainingLogger creates the run directory
// <logDir>/<experimentName>/<YYYYmmdd-HHMMSS>/, adding "-1", "-2", ... when
// another run started in the same second (nothing is ever overwritten), and
// opens an event file in it. experimentName must be a local path (see
// filepath.IsLocal): it cannot escape logDir.
func NewTrainingLogger(logDir, experimentName string, opts Options) (*TrainingLogger, error) {
	if !filepath.IsLocal(experimentName) {
		return nil, fmt.Errorf("logger: experiment name %q is not a local path inside %q", experimentName, logDir)
	}
	parent := filepath.Join(logDir, experimentName)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("logger: %w", err)
	}
	stamp := clock(opts)().Format(RunDirLayout)
	for i := 0; ; i++ {
		dir := filepath.Join(parent, stamp)
		if i > 0 {
			dir += "-" + strconv.Itoa(i)
		}
		// Mkdir, unlike MkdirAll, fails on an existing directory: that is
		// what makes the name unique among concurrent runs.
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return Open(dir, opts)
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("logger: %w", err)
		}
	}
}

// Open opens a new event file in the run directory runDir, creating the
// directory if needed. Use it when the caller chooses the run directory,
// as the orchestrator does. An existing file is never overwritten.
func Open(runDir string, opts Options) (*TrainingLogger, error) {
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, fmt.Errorf("logger: %w", err)
	}
	host := opts.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	now := clock(opts)
	for {
		name := fmt.Sprintf("events.out.tfevents.%010d.%s.%d.%d", now().Unix(), host, os.Getpid(), fileCounter.Add(1))
		path := filepath.Join(runDir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue // another process with our pid on a shared filesystem; take the next number
		}
		if err != nil {
			return nil, fmt.Errorf("logger: %w", err)
		}
		l := &TrainingLogger{dir: runDir, path: path, now: now, interval: opts.FlushInterval, f: f}
		if l.interval == 0 {
			l.interval = DefaultFlushInterval
		}
		// The file-version event goes to disk at once, so that the file
		// is valid from its start.
		l.mu.Lock()
		l.buf = appendEventRecord(l.buf, &Event{WallTime: l.wallTime(), FileVersion: FileVersion})
		err = l.flushLocked()
		l.mu.Unlock()
		if err != nil {
			f.Close()
			return nil, err
		}
		return l, nil
	}
}

func clock(opts Options) func() time.Time {
	if opts.Now != nil {
		return opts.Now
	}
	return time.Now
}

// Dir returns the run directory.
func (l *TrainingLogger) Dir() string { return l.dir }

// Path returns the event file's path.
func (l *TrainingLogger) Path() string { return l.path }

func (l *TrainingLogger) wallTime() float64 {
	t := l.now()
	return float64(t.UnixNano()) / 1e9
}

// appendEventRecord appends e framed as a record.
func appendEventRecord(b []byte, e *Event) []byte {
	b, start := beginRecord(b)
	b = AppendEvent(b, e)
	return endRecord(b, start)
}

// write buffers one event and arranges its flush. The caller holds l.mu.
func (l *TrainingLogger) writeLocked(e *Event) error {
	if err := l.usableLocked(); err != nil {
		return err
	}
	l.buf = appendEventRecord(l.buf, e)
	switch {
	case l.interval < 0 || len(l.buf) >= flushThreshold:
		return l.flushLocked()
	case l.timer == nil:
		l.timer = time.AfterFunc(l.interval, l.timedFlush)
	}
	return nil
}

func (l *TrainingLogger) usableLocked() error {
	if l.closed {
		return ErrClosed
	}
	return l.err
}

// timedFlush runs on the timer's goroutine; an error it meets is kept and
// returned by the next call.
func (l *TrainingLogger) timedFlush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = nil
	if !l.closed && l.err == nil {
		l.flushLocked()
	}
}

// flushLocked writes the buffer to the file. The caller holds l.mu.
func (l *TrainingLogger) flushLocked() error {
	l.stopTimerLocked()
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.f.Write(l.buf)
	l.buf = l.buf[:0]
	if err != nil {
		l.err = fmt.Errorf("logger: %w", err)
		return l.err
	}
	return nil
}

// stopTimerLocked cancels a pending interval flush. The caller holds l.mu.
func (l *TrainingLogger) stopTimerLocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}

// Flush writes buffered events to the file.
func (l *TrainingLogger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	return l.flushLocked()
}

// Close flushes buffered events, syncs the file to stable storage and
// closes it. It returns the first error met, or ErrClosed if the logger
// was already closed.
func (l *TrainingLogger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.closed = true
	l.stopTimerLocked()
	err := l.err
	if err == nil {
		err = l.flushLocked()
	}
	if err == nil {
		if serr := l.f.Sync(); serr != nil {
			err = fmt.Errorf("logger: %w", serr)
		}
	}
	if cerr := l.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("logger: %w", cerr)
	}
	return err
}

// LogScalars writes values at step as one event, in the order of their
// tags. A scalar is stored as a float32 simple_value, as PyTorch stores it
// and TensorBoard expects it: NaN and ±Inf are stored as such (and a value
// beyond float32's range as ±Inf), and TensorBoard shows them as such.
// Tags are kept as given, with any characters.
func (l *TrainingLogger) LogScalars(step int64, values map[string]float64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.scratch = l.scratch[:0]
	for tag, v := range values {
		l.scratch = append(l.scratch, Scalar{tag, v})
	}
	slices.SortFunc(l.scratch, func(a, b Scalar) int { return strings.Compare(a.Tag, b.Tag) })
	return l.scalarsLocked(step, l.scratch)
}

// LogScalarList writes scalars at step as one event, in the given order.
func (l *TrainingLogger) LogScalarList(step int64, scalars []Scalar) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.scalarsLocked(step, scalars)
}

func (l *TrainingLogger) scalarsLocked(step int64, scalars []Scalar) error {
	if len(scalars) == 0 {
		return l.usableLocked()
	}
	l.values = l.values[:0]
	for _, s := range scalars {
		if s.Tag == "" {
			return errors.New("logger: scalar with an empty tag")
		}
		l.values = append(l.values, Value{Tag: s.Tag, Kind: KindSimple, Simple: float32(s.Value)})
	}
	return l.writeLocked(&Event{WallTime: l.wallTime(), Step: step, Summary: l.values})
}

// LogHistogram writes the histogram of values under tag at step, with
// PyTorch's default buckets (see FillHistogram). Non-finite values are
// left out; values without a finite one give an error.
func (l *TrainingLogger) LogHistogram(step int64, tag string, values []float64) error {
	return l.LogHistograms(step, []Param{{Name: tag, Values: values}})
}

// LogWeights writes a histogram of each parameter's values under the tag
// weights/<name>, at step, in one event.
func (l *TrainingLogger) LogWeights(step int64, params []Param) error {
	return l.logHistograms(step, "weights/", params)
}

// LogGradients writes a histogram of each parameter's gradient under the
// tag gradients/<name>, at step, in one event.
func (l *TrainingLogger) LogGradients(step int64, grads []Param) error {
	return l.logHistograms(step, "gradients/", grads)
}

// LogHistograms writes a histogram of each param's values, tagged with its
// name, at step, in one event.
func (l *TrainingLogger) LogHistograms(step int64, params []Param) error {
	return l.logHistograms(step, "", params)
}

func (l *TrainingLogger) logHistograms(step int64, prefix string, params []Param) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil || len(params) == 0 {
		return err
	}
	if len(l.histos) < len(params) {
		l.histos = append(l.histos, make([]Histogram, len(params)-len(l.histos))...)
	}
	l.values = l.values[:0]
	for i, p := range params {
		if p.Name == "" {
			return fmt.Errorf("logger: histogram %d at step %d has an empty name", i, step)
		}
		tag := prefix + p.Name
		if err := FillHistogram(&l.histos[i], p.Values); err != nil {
			return fmt.Errorf("logger: histogram %q at step %d: %w", tag, step, err)
		}
		l.values = append(l.values, Value{Tag: tag, Kind: KindHisto, Histo: &l.histos[i]})
	}
	return l.writeLocked(&Event{WallTime: l.wallTime(), Step: step, Summary: l.values})
}

// LogModelGraph writes g as the run's graph, after checking it with
// Graph.Validate. TensorBoard shows one graph per run: log it once.
func (l *TrainingLogger) LogModelGraph(g *Graph) error {
	if g == nil {
		return errors.New("logger: nil graph")
	}
	if err := g.Validate(); err != nil {
		return fmt.Errorf("logger: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeLocked(&Event{WallTime: l.wallTime(), GraphDef: AppendGraphDef(nil, g)})
}

// TextPlugin is the plugin name of text summaries.
const TextPlugin = "text"

// LogText writes text (Markdown, as TensorBoard renders it) under tag at
// step.
func (l *TrainingLogger) LogText(tag, text string, step int64) error {
	if tag == "" {
		return errors.New("logger: text with an empty tag")
	}
	v := Value{
		Tag:      tag,
		Metadata: &Metadata{PluginName: TextPlugin},
		Kind:     KindTensor,
		Tensor:   &Tensor{DType: DTString, Shape: []int64{1}, Strings: [][]byte{[]byte(text)}},
	}
	return l.writeSummary(step, v)
}

// LogHyperparameters starts the run's HParams session with hparams: numbers,
// strings and bools as themselves, anything else (lists, ...) as its text;
// see HParam. It never refuses a value.
func (l *TrainingLogger) LogHyperparameters(hparams map[string]any) error {
	return l.StartSession(SessionStart{HParams: HParams(hparams)})
}

// HParams converts each value of m with HParam.
func HParams(m map[string]any) map[string]HParamValue {
	out := make(map[string]HParamValue, len(m))
	for k, v := range m {
		out[k] = HParam(v)
	}
	return out
}

// StartSession writes an HParams session start; use it instead of
// LogHyperparameters to set a group name (TensorBoard aggregates the
// sessions of a group, such as the seeds of one configuration). A zero
// StartTime is set to now.
func (l *TrainingLogger) StartSession(s SessionStart) error {
	if s.StartTime == 0 {
		s.StartTime = l.wallTime()
	}
	return l.writeSummary(0, hparamsValue(SessionStartInfoTag, appendSessionStart(nil, &s)))
}

// EndSession ends the run's HParams session with status: StatusSuccess for
// a trial that finished, StatusFailure for one that failed.
func (l *TrainingLogger) EndSession(status SessionStatus) error {
	e := SessionEnd{Status: status, EndTime: l.wallTime()}
	return l.writeSummary(0, hparamsValue(SessionEndInfoTag, appendSessionEnd(nil, &e)))
}

// LogExperiment writes the HParams experiment summary. TensorBoard applies
// the first one it finds to the whole logdir and hides every hyperparameter
// and metric it does not list, so write it only in a run of its own (see
// WriteExperiment) and only for a logdir that holds a single sweep.
func (l *TrainingLogger) LogExperiment(exp Experiment) error {
	if exp.TimeCreated == 0 {
		exp.TimeCreated = l.wallTime()
	}
	return l.writeSummary(0, hparamsValue(ExperimentTag, appendExperiment(nil, &exp)))
}

// WriteExperiment writes the HParams experiment summary exp as the only
// content of a new event file in dir.
func WriteExperiment(dir string, exp Experiment, opts Options) error {
	l, err := Open(dir, opts)
	if err != nil {
		return err
	}
	err = l.LogExperiment(exp)
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *TrainingLogger) writeSummary(step int64, v Value) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeLocked(&Event{WallTime: l.wallTime(), Step: step, Summary: []Value{v}})
}
