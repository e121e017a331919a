//go:build unix

package ffn

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used. On a machine shared
// with other work, CPU time per operation measures the code where
// wall-clock time also measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
