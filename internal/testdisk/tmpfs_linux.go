package testdisk

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Tmpfs mounts a tmpfs of mib MiB on dir (created if missing) until the
// test ends. Register it before anything that keeps files open in dir:
// cleanups run last first, so the unmount comes after them.
func Tmpfs(t testing.TB, dir string, mib int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a small full disk needs a tmpfs, and mounting one needs root")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm,mode=0700", mib), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}
