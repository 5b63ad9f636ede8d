//go:build !linux

package testdisk

import "testing"

// Tmpfs is Linux only; elsewhere the test is skipped.
func Tmpfs(t testing.TB, dir string, mib int) {
	t.Helper()
	t.Skip("a small full disk needs a Linux tmpfs")
}
