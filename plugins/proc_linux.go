package plugins

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal asks Linux to SIGKILL the plugin when the host dies,
// even a plugin that does not watch its parent (one written in another
// language). Serve's parent watch covers other systems.
//
// Linux sends the signal when the thread that started the child exits, not
// the process. Go ends a thread only when a goroutine locked to it exits
// still locked; the goroutines that start plugins never lock theirs.
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
