//go:build unix

package plugins

import (
	"context"
	"syscall"
	"testing"
)

// A plugin leads a process group of its own, so that a terminal's Ctrl-C,
// which goes to the host's group, never reaches it (see leaveTerminalGroup).
func TestPluginHasItsOwnProcessGroup(t *testing.T) {
	c, err := Launch(context.Background(), testCommand())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pgid, err := syscall.Getpgid(c.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if pgid != c.Pid() || pgid == syscall.Getpgrp() {
		t.Errorf("plugin %d is in process group %d (the host's: %d), want a group of its own", c.Pid(), pgid, syscall.Getpgrp())
	}
}
