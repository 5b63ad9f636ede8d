package testfleet

import (
	"os/exec"
	"syscall"
)

// DieWithTest makes cmd's process get SIGKILL when the test process dies,
// so a test killed by its -timeout (which runs no cleanup) leaves no
// agent, manager or restic behind retrying forever. Call it before Start.
func DieWithTest(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
