// Package slurmtest decides whether tests that need a real Slurm cluster run,
// for every package that has them (orchestrator/slurm, tests/slurm), so that
// they probe the cluster, and skip or fail, the same way.
package slurmtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Missing returns why no Slurm cluster answers on this machine, or "" when
// one does. It probes once per test binary.
var Missing = sync.OnceValue(probe)

func probe() string {
	for _, cmd := range []string{"sinfo", "sbatch", "squeue", "scontrol", "scancel"} {
		if _, err := exec.LookPath(cmd); err != nil {
			return cmd + " is not on PATH"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sinfo", "--noheader", "--format=%t").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return fmt.Sprintf("sinfo does not answer (%v: %s)", err, bytes.TrimSpace(out))
	}
	return ""
}

// Require skips tb when no cluster answers, saying how to start one, or fails
// it when SWEEP_SLURM_REQUIRED=1 (as CI sets after starting the cluster), so
// that a broken cluster cannot pass as a skipped test.
func Require(tb testing.TB) {
	tb.Helper()
	why := Missing()
	if why == "" {
		return
	}
	msg := "no Slurm cluster: " + why + "; start one with `sudo scripts/slurm/up.sh` (stop it with scripts/slurm/down.sh)"
	if os.Getenv("SWEEP_SLURM_REQUIRED") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}
