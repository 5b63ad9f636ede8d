//go:build !linux

package testfleet

import "testing"

// mountTmpfs is Linux only; elsewhere the test is skipped.
func mountTmpfs(t testing.TB, dir string, mib int) {
	t.Helper()
	t.Skip("a small full disk needs a Linux tmpfs")
}
