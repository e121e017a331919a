//go:build !linux

package results

import (
	"os"
	"path/filepath"
)

// fileKeyOf is fi's key: its size and modification time only, which is
// what os.FileInfo gives on every system.
func fileKeyOf(fi os.FileInfo) fileKey {
	return fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// statAt returns the key of rel, a path under the directory open as dir,
// without following a final symbolic link.
func statAt(dir *os.File, rel string) (fileKey, error) {
	fi, err := os.Lstat(filepath.Join(dir.Name(), rel))
	if err != nil {
		return fileKey{}, err
	}
	return fileKeyOf(fi), nil
}
