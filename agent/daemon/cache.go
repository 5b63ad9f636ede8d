package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cacheDirName is restic-agent's folder inside the OS cache directory.
const cacheDirName = "restic-agent"

// DefaultCacheDir is restic's cache when --cache-dir is not given: the
// OS cache directory (XDG_CACHE_HOME or ~/.cache on Linux, %LocalAppData%
// on Windows) plus restic-agent; the system temp directory when the OS
// has none for this user (a service without a home).
func DefaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, cacheDirName)
	}
	return filepath.Join(os.TempDir(), cacheDirName+"-cache")
}

// cacheDir resolves --cache-dir and refuses one inside the state
// directory: the cache grows with the repository, and the journal must
// not share its disk. The cache an older agent kept inside the state
// directory is removed (restic rebuilds a cache by itself); removedOld
// says so.
func cacheDir(flag, state string) (dir string, removedOld bool, err error) {
	dir = flag
	if dir == "" {
		dir = DefaultCacheDir()
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return "", false, fmt.Errorf("--cache-dir: %w", err)
	}
	if rel, err := filepath.Rel(state, dir); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
		return "", false, fmt.Errorf("--cache-dir %s is inside --state %s: restic's cache grows with the repository and must not fill the journal's disk; choose a directory outside it", dir, state)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("create restic's cache directory: %w", err)
	}
	old := filepath.Join(state, "restic-cache")
	if _, err := os.Stat(old); err == nil {
		if err := os.RemoveAll(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", false, fmt.Errorf("remove the old restic cache from the state directory: %w", err)
		}
		removedOld = true
	}
	return dir, removedOld, nil
}
