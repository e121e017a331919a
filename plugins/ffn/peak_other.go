//go:build !amd64

package ffn

// fmaLoops returns no roofline loops: there are none for this architecture.
func fmaLoops() []fmaLoop { return nil }
