//go:build unix

package results

import (
	"errors"
	"os"
	"syscall"
)

// Abandoned reports whether a running record's process is known to be
// gone: it ran on this host and no process has its pid. A sweep killed
// with -9 leaves such records until the next `sweep run` marks them
// interrupted. On another host nothing is known, and it reports false.
func (p Pending) Abandoned() bool {
	host, err := os.Hostname()
	if p.Status != StatusRunning || err != nil || p.Host != host || p.PID <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(p.PID, 0), syscall.ESRCH)
}
