package plugins

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// inEachLanguage runs bench as the sub-benchmarks go and python, on the
// test model in Go (internal/testplugins) and its twin on the Python SDK
// (internal/testplugins/python), so that each figure has its counterpart.
func inEachLanguage(b *testing.B, bench func(b *testing.B, cmd Command)) {
	b.Run("go", func(b *testing.B) { bench(b, testCommand()) })
	b.Run("python", func(b *testing.B) { bench(b, pythonCommand(b)) })
}

// BenchmarkStart measures the one-time cost of a plugin process: start,
// handshake, one Describe, and Close; and the memory of an idle plugin
// process, after its Describe.
func BenchmarkStart(b *testing.B) {
	inEachLanguage(b, func(b *testing.B, cmd Command) {
		ctx := context.Background()
		var rss float64
		for b.Loop() {
			c, err := Launch(ctx, cmd)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Describe(ctx); err != nil {
				b.Fatal(err)
			}
			rss = max(rss, residentMB(b, c.Pid()))
			c.Close()
		}
		b.ReportMetric(rss, "MB-rss")
	})
}

// BenchmarkRidgeTrial measures one trial of the ridge plugin on the default
// synthetic data (20,000 rows of 50 features), and the plugin process's
// memory after its first trial and after the last (the garbage of earlier
// trials included).
func BenchmarkRidgeTrial(b *testing.B) {
	c, err := Launch(context.Background(), Command{Path: ridgePluginPath})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	req := TrainRequest{TrialID: "ridge", Params: Params{"lambda": 1e-3, "epochs": int64(100), "tol": 1e-9}}
	var first float64
	for b.Loop() {
		if _, err := c.Train(context.Background(), req, nil, discard); err != nil {
			b.Fatal(err)
		}
		if first == 0 {
			first = residentMB(b, c.Pid())
		}
	}
	b.ReportMetric(first, "MB-rss-first")
	b.ReportMetric(residentMB(b, c.Pid()), "MB-rss-last")
}

// residentMB is the resident memory (VmRSS) of process pid in MB, read from
// /proc; it skips the benchmark where there is no /proc.
func residentMB(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no memory figure without /proc: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 64)
			if err != nil {
				b.Fatalf("/proc/%d/status: VmRSS %q", pid, kb)
			}
			return n / 1000
		}
	}
	b.Fatalf("/proc/%d/status has no VmRSS", pid)
	return 0
}

// warmPool returns a pool of size processes of cmd, all started.
func warmPool(b *testing.B, cmd Command, size int) *Pool {
	p := NewPool(cmd, size, PoolOptions{})
	b.Cleanup(func() { p.Close() })
	var wg sync.WaitGroup
	for range size {
		wg.Go(func() {
			if _, err := p.Train(context.Background(), TrainRequest{Params: Params{"epochs": int64(1), "sleep_ms": int64(20)}}, nil, discard); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	return p
}

func discard(Event) error { return nil }

// BenchmarkTrial measures the per-trial cost of the plugin boundary: a trial
// of a model that does no work, with 0 epochs (no events), 1 epoch (one event
// of three scalars and the graph) and 100 epochs.
func BenchmarkTrial(b *testing.B) {
	inEachLanguage(b, func(b *testing.B, cmd Command) {
		for _, epochs := range []int64{0, 1, 100} {
			b.Run(fmt.Sprintf("epochs=%d", epochs), func(b *testing.B) {
				p := warmPool(b, cmd, 1)
				req := TrainRequest{TrialID: "bench", Params: Params{"epochs": epochs}}
				for b.Loop() {
					if _, err := p.Train(context.Background(), req, nil, discard); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/trial")
			})
		}
	})
}

// Benchmark1000Trials runs 1,000 no-op trials on a pool of two processes
// from two workers, as a sweep with workers = 2 would.
func Benchmark1000Trials(b *testing.B) {
	inEachLanguage(b, run1000Trials)
}

func run1000Trials(b *testing.B, cmd Command) {
	const trials, workers = 1000, 2
	p := warmPool(b, cmd, workers)
	for b.Loop() {
		work := make(chan int, trials)
		for i := range trials {
			work <- i
		}
		close(work)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := range work {
					req := TrainRequest{TrialID: fmt.Sprint(i), Params: Params{"epochs": int64(0)}}
					if _, err := p.Train(context.Background(), req, nil, discard); err != nil {
						b.Error(err)
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(trials*b.N)/b.Elapsed().Seconds(), "trials/s")
}

// BenchmarkHistogram measures one event carrying a histogram of n raw values,
// against the no-op trial: 90 values is the size of a pre-binned histogram
// (30 buckets of left edge, right edge and count), 11,000 the parameters and
// gradients of the textbook network (50-64-32-1 with BatchNorm), 1,000,000 a
// large model.
func BenchmarkHistogram(b *testing.B) {
	inEachLanguage(b, func(b *testing.B, cmd Command) {
		for _, n := range []int64{90, 11000, 1000000} {
			b.Run(fmt.Sprintf("values=%d", n), func(b *testing.B) {
				p := warmPool(b, cmd, 1)
				req := TrainRequest{TrialID: "bench", Params: Params{"epochs": int64(1), "hist": n}}
				for b.Loop() {
					if _, err := p.Train(context.Background(), req, nil, discard); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/trial")
			})
		}
	})
}
