// Command sweep runs hyperparameter sweeps: it expands a TOML grid into
// trials, trains each one through a model plugin, logs every trial as a
// TensorBoard run and ranks the configurations by best validation loss.
//
// Exit codes: 0 success, 1 error, 2 usage, 3 some trials failed,
// 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitTrialFailed = 3
	exitInterrupted = 130
)

// errTrialsFailed and errInterrupted map a finished command to exit codes
// 3 and 130; their messages have already been shown.
var (
	errTrialsFailed = errors.New("some trials failed")
	errInterrupted  = errors.New("interrupted")
)

// errHelp is a request for a command's help, which has been printed.
var errHelp = errors.New("help requested")

// usageError is a command line that does not parse.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, ios *ioStreams) error
	hidden        bool
}

func commands() []command {
	return []command{
		{name: "run", summary: "run a sweep (resumes an interrupted one)", run: runRun},
		{name: "plan", summary: "show the trials a grid expands to and their state on disk", run: runPlan},
		{name: "report", summary: "rank a sweep's trials by best validation loss", run: runReport},
		{name: "predict", summary: "predict new rows with a trial's trained model (default: the best)", run: runPredict},
		{name: "plugins", summary: "model plugins: plugins describe PATH, plugins new go|python DIR", run: runPlugins},
		{name: "worker", summary: "run trials of a prepared sweep (used by Slurm tasks; also for debugging)", run: runWorker},
		{name: "version", summary: "print the version", run: runVersion},
		{name: serveBuiltinCommand, run: runServeBuiltin, hidden: true},
	}
}

func main() {
	os.Exit(mainExit(os.Args[1:]))
}

func mainExit(args []string) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		ctx, stop := interruptContext()
		defer stop()
		err := c.run(ctx, args[1:], systemStreams())
		if err != nil && ctx.Err() != nil && !errors.Is(err, errTrialsFailed) {
			// Whatever failed was cut short by Ctrl-C (a plugin still
			// starting, say): that is an interruption, not an error.
			err = errInterrupted
		}
		return exitCode(err)
	}
	fmt.Fprintf(os.Stderr, "sweep: unknown command %q\n\n", args[0])
	usage(os.Stderr)
	return exitUsage
}

func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.Is(err, errTrialsFailed):
		return exitTrialFailed
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "sweep: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(os.Stderr, "sweep: %v\n", err)
		return exitError
	}
}

// interruptContext is cancelled by the first SIGINT, SIGTERM or SIGUSR1
// (which Slurm sends a worker before its time limit: see slurm.Config's
// SignalSeconds), with a signalCause, so that running trials close their
// logs and are marked interrupted; a second signal exits at once.
func interruptContext() (context.Context, func()) {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if timeLimitSignal != nil {
		sigs = append(sigs, timeLimitSignal)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, sigs...)
	go func() {
		s, ok := <-sig
		if !ok {
			return
		}
		// Cancel first: whatever fails from here on is part of the
		// interruption, and mainExit must see the context ended.
		cancel(signalCause{s})
		if s == timeLimitSignal {
			fmt.Fprintln(os.Stderr, "\nsweep: SIGUSR1 (the Slurm time limit is near); stopping running trials, keeping their training states")
		} else {
			fmt.Fprintln(os.Stderr, "\nsweep: interrupted; stopping running trials (press Ctrl-C again to exit at once)")
		}
		if _, ok := <-sig; ok {
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(sig)
		cancel(nil)
	}
}

// signalCause is the cause of a context that interruptContext cancelled:
// the signal that stopped the command. Its text is the reason interrupted
// trials record.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return fmt.Sprintf("stopped by signal %v", c.sig) }

// stoppedBy returns the signal that cancelled ctx, or nil if no signal did.
func stoppedBy(ctx context.Context) os.Signal {
	var c signalCause
	if errors.As(context.Cause(ctx), &c) {
		return c.sig
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "sweep: hyperparameter sweeps with TensorBoard logs and a ranking")
	fmt.Fprintln(w, "\nUsage: sweep <command> [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintln(w, "\nRun 'sweep <command> -h' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 error, 2 usage, 3 some trials failed, 130 interrupted.")
}
