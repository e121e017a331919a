package orchestrator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LockFile is the name of the file that a running `sweep run` holds locked in
// its sweep directory.
const LockFile = ".sweep.lock"

// Lock is an exclusive hold on a sweep directory.
//
// It is an flock(2) on LockFile (LockFileEx on Windows), so the kernel
// releases it when its holder dies however it dies (kill -9 included): a
// stale lock is never an obstacle and taking it over needs no guesswork
// about whether its holder is alive.
// The file also says who holds it, for the error a second `sweep run` gets.
type Lock struct {
	f *os.File
}

// LockHolder says which process holds a sweep's lock.
type LockHolder struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// ErrLocked is returned (wrapped) by AcquireLock when another process holds
// the lock.
var ErrLocked = errors.New("sweep is locked")

// errHeld is tryLock's answer when another process holds the lock.
var errHeld = errors.New("held by another process")

// AcquireLock takes the sweep directory's lock without waiting. If another
// live process holds it, the error wraps ErrLocked and names that process.
func AcquireLock(sweepDir string) (*Lock, error) {
	path := filepath.Join(sweepDir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock sweep: %w", err)
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errHeld) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, describeHolder(f))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	holder := LockHolder{Host: host, PID: os.Getpid(), Command: commandLine(), Since: time.Now().UTC()}
	data, _ := json.Marshal(holder)
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(data, '\n'), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

func describeHolder(f *os.File) string {
	var h LockHolder
	data, err := os.ReadFile(f.Name())
	if err != nil || json.Unmarshal(data, &h) != nil {
		return "another sweep run holds " + f.Name()
	}
	return fmt.Sprintf("another sweep run (pid %d on %s, since %s: %s) is running it; wait for it or stop it",
		h.PID, h.Host, h.Since.Local().Format(time.DateTime), h.Command)
}

func commandLine() string {
	b, _ := json.Marshal(os.Args)
	return string(b)
}

// CheckLock tells, without keeping it, whether the sweep directory's lock
// is free, so that a second `sweep run` is refused before it starts model
// processes and loads data. Only AcquireLock guarantees the lock.
func CheckLock(sweepDir string) error {
	if _, err := os.Stat(filepath.Join(sweepDir, LockFile)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	l, err := AcquireLock(sweepDir)
	if err != nil {
		return err
	}
	return l.Release()
}

// Release gives the lock up. The file stays: removing it would let a third
// process lock a new inode while a second still waits on the old one.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
