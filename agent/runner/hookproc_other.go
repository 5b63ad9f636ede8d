//go:build !unix

package runner

import "os/exec"

// hookInOwnGroup: without process groups, a cancel kills the shell.
func hookInOwnGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Kill() }
}

func killHookGroup(*exec.Cmd) {}
