//go:build !linux

package runner

import (
	"io/fs"
	"time"
)

// writtenSince counts every file where the change time is not at hand:
// right for a restore into a new directory, an over-estimate while an
// in-place restore is still running.
func writtenSince(fs.FileInfo, time.Time) bool { return true }
