// Package slurm holds the end-to-end tests of `sweep run --executor slurm`:
// the real sweep binary against a real Slurm cluster, as a user drives it.
//
// They need a cluster that answers on this machine: start the single-node
// one with `sudo scripts/slurm/up.sh` (stop it with scripts/slurm/down.sh).
// Without one the tests skip, saying so, unless SWEEP_SLURM_REQUIRED=1 (as
// CI sets after starting the cluster), when they fail instead.
//
// TestMain builds the sweep binary and the misbehaving test plugin once into
// a temporary directory. Each test works in its own temporary directory,
// which the Slurm tasks reach at the same path: this machine is the only
// node, so its /tmp is the "shared filesystem".
//
// The tests are Linux-only (build tag linux), as Slurm is; elsewhere this
// package has no tests.
//
// The per-trial overhead on Slurm against local runs, with and without
// packing, is BenchmarkTrialOverhead:
//
//	go test ./tests/slurm -run '^$' -bench TrialOverhead -benchtime 3x
package slurm
