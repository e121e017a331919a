package plugins

import (
	"os/exec"
	"syscall"
)

// leaveTerminalGroup starts the plugin in a process group of its own, which
// a console's Ctrl-C does not reach: as on Unix (see proc_unix.go), only the
// host decides when a plugin stops.
func leaveTerminalGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= syscall.CREATE_NEW_PROCESS_GROUP
}
