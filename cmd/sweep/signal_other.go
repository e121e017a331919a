//go:build !unix

package main

import "os"

// timeLimitSignal is nil where there is no SIGUSR1: Slurm, which sends it,
// runs on Unix.
var timeLimitSignal os.Signal
