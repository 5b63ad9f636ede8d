//go:build !linux

package daemon

import "time"

// bootTime is optional in hello; only Linux reports it for now.
func bootTime() *time.Time { return nil }
