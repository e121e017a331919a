//go:build !linux

package plugins

import "os/exec"

// setParentDeathSignal does nothing here: only Linux offers it. Serve's
// parent watch still ends Go plugins whose host died.
func setParentDeathSignal(*exec.Cmd) {}
