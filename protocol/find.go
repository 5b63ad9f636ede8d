package protocol

import (
	"strings"
	"time"
)

// FindSpec is what a find job looks for: one restic find pattern ("*.odt",
// "/home/anna/Documents/report*"), matched as restic matches it.
type FindSpec struct {
	Pattern    string `json:"pattern"`
	IgnoreCase bool   `json:"ignore_case,omitempty"`
}

func validateFind(v *validator, f *FindSpec) {
	if f == nil {
		v.fail("find", "is required for a find job")
		return
	}
	v.str("find.pattern", f.Pattern, MaxPathLen, true)
	if strings.ContainsRune(f.Pattern, 0) {
		// An argv string ends at NUL: restic would search for a pattern
		// other than the one the operator typed.
		v.fail("find.pattern", "contains a NUL byte")
	}
}

// FindMatch is one match of a find job: the payload of a log.stream line
// with stream "event". The agent writes the same shape whatever restic
// version found it.
type FindMatch struct {
	// SnapshotID is the full id of the snapshot the match is in.
	SnapshotID string `json:"snapshot_id"`
	// Path is the entry's path inside the snapshot (restic's syntax).
	Path string `json:"path"`
	// Type is restic's node type: file, dir, symlink, dev, chardev, fifo,
	// socket or irregular.
	Type string `json:"type"`
	// Size is the file's size in bytes; 0 for anything but a file.
	Size uint64 `json:"size"`
	// Mtime is the entry's modification time, in UTC.
	Mtime time.Time `json:"mtime"`
}

// FindStats is a find job's job.finished.stats.
type FindStats struct {
	// SnapshotsSearched counts the host's snapshots the find looked in.
	SnapshotsSearched int `json:"snapshots_searched"`
	// Matches counts every match, also those past the per-job log cap.
	Matches int `json:"matches"`
}
