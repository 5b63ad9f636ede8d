package runner

import (
	"io/fs"
	"syscall"
	"time"
)

// writtenSince reports whether a file's inode changed at or after t: restic
// writes the data and then sets the original mtime, so the change time is
// what shows the restore touched it (also for an in-place restore over
// files that were already there).
func writtenSince(fi fs.FileInfo, t time.Time) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	return !time.Unix(st.Ctim.Sec, st.Ctim.Nsec).Before(t)
}
