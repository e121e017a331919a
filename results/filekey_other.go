//go:build !linux

package results

import "os"

// fileKeyOf is fi's key: its size and modification time only, which is
// what os.FileInfo gives on every system.
func fileKeyOf(fi os.FileInfo) fileKey {
	return fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}
