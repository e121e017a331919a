//go:build !unix

package results

// Abandoned reports whether a running record's process is known to be
// gone; this platform cannot tell, so it reports false.
func (p Pending) Abandoned() bool { return false }
