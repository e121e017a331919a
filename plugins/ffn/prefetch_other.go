//go:build !amd64

package ffn

import "unsafe"

// prefetchRows is a hint that this architecture goes without.
func prefetchRows(base unsafe.Pointer, idx []int, rowBytes int) {}
