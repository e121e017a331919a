//go:build unix

package main

import (
	"os"
	"syscall"
)

// timeLimitSignal is what Slurm sends a worker before its time limit (the
// script's --signal): SIGUSR1.
var timeLimitSignal os.Signal = syscall.SIGUSR1
