// Package atomicfile writes files so that a reader, on this host or on any
// NFS client of a shared sweep directory, sees a file whole or not at all:
// the data goes to a synced temporary file beside the target, which is then
// renamed over it (Write) or hard-linked to it (Create, which also claims
// the name exclusively), and the directory is synced.
//
// The temporary files are named ".<base>.tmp-*", so that directory
// listings and readers skip them, and RemoveTemps clears those a killed
// writer left behind.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// Write replaces path with data; a crash after it returns loses nothing.
func Write(path string, data []byte) error {
	return place(path, data, os.Rename)
}

// Create creates path with data unless it exists, atomically: of several
// processes creating the same path at once, on one host or on NFS clients,
// exactly one succeeds and the others get an error that errors.Is(err,
// fs.ErrExist). It is the claim of a name; link, unlike O_EXCL, is atomic on
// NFS too.
func Create(path string, data []byte) error {
	return place(path, data, func(tmp, path string) error {
		err := os.Link(tmp, path)
		os.Remove(tmp)
		return err
	})
}

// RemoveTemps removes the temporary files that a writer killed between
// writing and placing them left in dir.
func RemoveTemps(dir string) error {
	temps, err := filepath.Glob(filepath.Join(dir, ".*"+tempMark+"*"))
	for _, t := range temps {
		err = errors.Join(err, os.Remove(t))
	}
	return err
}

// tempMark is in the name of every temporary file, after ".<base>".
const tempMark = ".tmp-"

// place writes data to a synced temporary file beside path, then puts it at
// path with put and syncs the directory.
func place(path string, data []byte, put func(tmp, path string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempMark+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file 0600; records and reports are meant to be
	// read by whoever shares the sweep directory (a cluster group).
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = put(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir flushes a directory's entries so that a rename into it is durable.
// Some filesystems and platforms cannot sync a directory at all (EINVAL, or
// opening a directory fails on Windows); there the rename is as durable as
// the platform makes it and that is not reported as an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
