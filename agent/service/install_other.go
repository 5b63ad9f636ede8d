//go:build !linux && !windows

package service

import (
	"fmt"
	"runtime"
)

// Install is for Linux and Windows, where the agent runs.
func Install(Spec) error { return fmt.Errorf("restic-agent install: not on %s", runtime.GOOS) }

// Uninstall is for Linux and Windows, where the agent runs.
func Uninstall(Spec, bool) error {
	return fmt.Errorf("restic-agent uninstall: not on %s", runtime.GOOS)
}
