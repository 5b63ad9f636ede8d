// Package testdisk gives tests a small real disk they can fill: a tmpfs
// mounted for the test's lifetime (Linux, as root; the test is skipped
// otherwise, saying why), and Fill, which writes a file until the disk is
// full. The agent's behaviour on a full disk is tested with it, against
// the real file system rather than a simulated write error.
//
// Imported by tests and test fixtures only.
package testdisk

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Fill writes a file in dir until the disk is full and returns its path;
// removing it makes room again.
func Fill(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "testdisk-filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		_, err := f.Write(buf)
		if errors.Is(err, syscall.ENOSPC) {
			return p
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
