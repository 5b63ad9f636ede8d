// Package restictest picks the restic binary every test runs: the one named
// by $RM_TEST_RESTIC, else restic on PATH. It is the single knob the version
// matrix turns (scripts/test runs the restic-facing packages on 0.14 and on
// the newest, scripts/compat on every supported version; both get the
// binaries from scripts/restic-versions).
//
// Standard library only, so any package's tests may import it, agent/restic's
// own included. Test code only.
package restictest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvVar names the binary the tests use.
const EnvVar = "RM_TEST_RESTIC"

// Lookup returns the absolute path of the restic the tests use. When
// $RM_TEST_RESTIC is set it must name an executable: a wrong path is an
// error, never a silent fall-back to another version.
func Lookup() (string, error) {
	if p := os.Getenv(EnvVar); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("%s=%q: %w", EnvVar, p, err)
		}
		path, err := exec.LookPath(abs)
		if err != nil {
			return "", fmt.Errorf("%s=%q is not an executable: %w", EnvVar, p, err)
		}
		return path, nil
	}
	path, err := exec.LookPath("restic")
	if err != nil {
		return "", fmt.Errorf("restic is not on PATH and %s is not set (scripts/install-deps installs it; make test runs it): %w", EnvVar, err)
	}
	return filepath.Abs(path)
}

// Binary is Lookup for a test: it fails the test when there is no restic.
// A missing restic is a failure, not a skip, so a matrix run can never pass
// by testing nothing.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := Lookup()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
