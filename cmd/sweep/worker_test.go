package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
)

// SIGUSR1, which Slurm's --signal=B:USR1@N sends before a task's time limit,
// stops a command as SIGTERM does (the context ends, the process lives on to
// mark its trials interrupted), with the signal as the cause.
func TestInterruptContextUSR1(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGTERM} {
		ctx, stop := interruptContext()
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%v did not cancel the context", sig)
		}
		if got := stoppedBy(ctx); got != sig {
			t.Errorf("stoppedBy = %v, want %v", got, sig)
		}
		if got, want := context.Cause(ctx).Error(), "stopped by signal "+sig.String(); got != want {
			t.Errorf("cause %q, want %q", got, want)
		}
		stop()
	}
	if stoppedBy(context.Background()) != nil {
		t.Error("stoppedBy of a live context is not nil")
	}
}

// A worker that SIGUSR1 stopped requeues its own task (SLURM_JOB_ID) with
// scontrol, after its trials ended; any other end requeues nothing.
func TestRequeueIfTimeLimit(t *testing.T) {
	stopped := func(sig os.Signal) context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(signalCause{sig})
		return ctx
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	inSlurm := env(map[string]string{"SLURM_JOB_ID": "4242", "SLURM_ARRAY_JOB_ID": "4240", "SLURM_ARRAY_TASK_ID": "2"})
	for _, c := range []struct {
		name    string
		ctx     context.Context
		getenv  func(string) string
		fail    error
		calls   []string
		stderr  string
		wantErr bool
	}{
		{"USR1 in Slurm", stopped(syscall.SIGUSR1), inSlurm, nil, []string{"scontrol requeue 4242"}, "requeued Slurm job 4242", false},
		{"USR1, requeue fails", stopped(syscall.SIGUSR1), inSlurm, errors.New("Access/permission denied"),
			[]string{"scontrol requeue 4242"}, "Access/permission denied", true},
		{"USR1 outside Slurm", stopped(syscall.SIGUSR1), env(nil), nil, nil, "nothing to requeue", false},
		{"SIGTERM (scancel)", stopped(syscall.SIGTERM), inSlurm, nil, nil, "", false},
		{"Ctrl-C", stopped(os.Interrupt), inSlurm, nil, nil, "", false},
		{"finished", context.Background(), inSlurm, nil, nil, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls []string
			client := &slurm.Client{Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
				if ctx.Err() != nil {
					t.Errorf("%s run with an ended context", name)
				}
				calls = append(calls, strings.Join(append([]string{name}, args...), " "))
				return nil, c.fail
			}}
			var stderr bytes.Buffer
			err := requeueIfTimeLimit(c.ctx, client, c.getenv, &stderr)
			if (err != nil) != c.wantErr {
				t.Errorf("error %v, want error %v", err, c.wantErr)
			}
			if strings.Join(calls, "; ") != strings.Join(c.calls, "; ") {
				t.Errorf("ran %q, want %q", calls, c.calls)
			}
			if c.stderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), c.stderr)
			}
		})
	}
}
