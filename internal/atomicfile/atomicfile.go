// Package atomicfile replaces small files (tokens, ids, settings) so that
// a crash or a full disk leaves either the old content or the new, never a
// torn file. Both programs import it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, with mode perm: a temporary file in the
// same directory, synced, then renamed over path, then the directory
// synced where the OS supports it.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported on every OS; the rename is what matters
		d.Close()
	}
	return nil
}
