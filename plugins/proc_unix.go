//go:build unix

package plugins

import (
	"os/exec"
	"syscall"
)

// leaveTerminalGroup starts the plugin in a process group of its own.
//
// A terminal's Ctrl-C sends SIGINT to its whole foreground process group.
// In the host's group, a plugin would die of it by itself, in a race with
// the host's own handling: one still in its handshake was reported as "did
// not start ... is it a sweep model plugin?", and one training as a crashed
// trial, recorded as failed and so never resumed. In a group of its own it
// stops only when the host cancels its call or kills it, so an interruption
// is always the host's to classify. No plugin outlives the host all the
// same: Linux's parent-death signal (setParentDeathSignal) and Serve's
// parent watch end it when the host dies, even of kill -9.
func leaveTerminalGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}
