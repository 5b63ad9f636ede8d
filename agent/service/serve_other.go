//go:build !windows

package service

import (
	"context"
	"errors"
	"time"
)

// IsService reports whether a service manager that needs a handshake
// started this process: only Windows has one (systemd runs the agent as
// any program).
func IsService() (bool, error) { return false, nil }

// RunService is Windows only.
func RunService(time.Duration, func(context.Context) error) error {
	return errors.New("restic-agent runs as a Windows service only on Windows")
}
