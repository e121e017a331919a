package ffn

import "unsafe"

// prefetchRows asks the processor to bring the rows of rowBytes bytes at
// base + i·rowBytes, for each i in idx, into its caches, without waiting
// for them (a hint: it cannot fault).
//
//go:noescape
func prefetchRows(base unsafe.Pointer, idx []int, rowBytes int)
