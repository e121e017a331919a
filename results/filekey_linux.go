package results

import (
	"os"
	"syscall"
)

// fileKeyOf is fi's key, with the inode and change time that stat(2) gives.
func fileKeyOf(fi os.FileInfo) fileKey {
	k := fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.ino = uint64(st.Ino)
		k.ctime = st.Ctim.Nano()
	}
	return k
}
