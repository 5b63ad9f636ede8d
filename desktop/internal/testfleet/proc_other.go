//go:build !linux

package testfleet

import "os/exec"

// DieWithTest does nothing here: only Linux can tie a child's life to
// its parent's.
func DieWithTest(cmd *exec.Cmd) {}
