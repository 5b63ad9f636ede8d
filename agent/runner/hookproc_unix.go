//go:build unix

package runner

import (
	"os/exec"
	"syscall"
)

// hookInOwnGroup starts a hook in its own process group, so a cancel
// reaches what the hook's shell started too (a pg_dump, a sleep), not only
// the shell.
func hookInOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
}

// killHookGroup ends whatever of a cancelled hook's group is still running.
func killHookGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
