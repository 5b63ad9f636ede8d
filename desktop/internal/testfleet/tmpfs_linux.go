package testfleet

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// mountTmpfs mounts a tmpfs of mib MiB on dir (created if missing) for the
// rest of the test: a small disk the test can fill. It needs root; without
// it the test is skipped, saying so.
func mountTmpfs(t testing.TB, dir string, mib int) {
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
	// Registered before the agent's own cleanup, so it runs after the
	// agent has stopped (cleanups run last first).
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}
