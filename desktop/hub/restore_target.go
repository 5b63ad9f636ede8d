package hub

// The restore wizard's rules for where files go on the agent.

import (
	"encoding/json"
	"errors"
	"path"
	"strings"

	"restic-manager/protocol"
)

// ValidateRestoreTarget checks a "restore to a new folder" destination, a
// path on the agent, by the syntax of the host's OS ("linux", "windows";
// empty when unknown): the wire's rules (protocol.ValidateRestoreTarget),
// in the words the agent would use. The path is cleaned first, so a root
// or a system directory in disguise ("/.", "/tmp/..") is refused too. A
// Linux host takes "/x" only; a Windows host "C:\x", "C:/x" or
// "\\server\share\x"; an unknown OS either style. The refusal is a
// *FieldError (wrapping ErrInvalid) that says what to type. What only the
// agent can see (symlinks, owners, modes) it checks when the job arrives.
func ValidateRestoreTarget(hostOS, dir string) error {
	var ve *protocol.ValidationError
	if err := protocol.ValidateRestoreTarget(hostOS, dir); errors.As(err, &ve) {
		return &FieldError{Field: "restore folder", Reason: ve.Msg}
	}
	return nil
}

func windowsAbs(p string) bool {
	if strings.HasPrefix(p, `\\`) {
		return true
	}
	return len(p) >= 3 && isDriveLetter(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func isDriveLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// HostPath is where a snapshot path (restic syntax) lives on a host of
// the given OS: "/C/Users/a" is `C:\Users\a` on Windows; other paths are
// unchanged.
func HostPath(hostOS, snapshotPath string) string {
	if hostOS != "windows" {
		return snapshotPath
	}
	p := strings.TrimPrefix(snapshotPath, "/")
	if len(p) >= 1 && isDriveLetter(p[0]) && (len(p) == 1 || p[1] == '/') {
		return strings.ToUpper(p[:1]) + `:\` + strings.ReplaceAll(strings.TrimPrefix(p[1:], "/"), "/", `\`)
	}
	return strings.ReplaceAll(snapshotPath, "/", `\`)
}

// RestoredPath is where restic writes snapshotPath when restoring into
// target: target/abs/path, joined the host's way.
func RestoredPath(hostOS, target, snapshotPath string) string {
	if hostOS == "windows" || (hostOS == "" && windowsAbs(target)) {
		t := strings.TrimRight(target, `\/`)
		return t + strings.ReplaceAll(snapshotPath, "/", `\`)
	}
	return path.Join(target, snapshotPath)
}

// RestoreStats is a restore job's stats: restic's restore summary (0.16+)
// or the counts the agent measured for an older restic, which use the
// same names.
type RestoreStats struct {
	TotalFiles    uint64 `json:"total_files"`
	FilesRestored uint64 `json:"files_restored"`
	FilesSkipped  uint64 `json:"files_skipped"`
	TotalBytes    uint64 `json:"total_bytes"`
	BytesRestored uint64 `json:"bytes_restored"`
}

// ParseRestoreStats reads a restore job's stats; ok is false when there
// are none or they are not a restore summary.
func ParseRestoreStats(raw []byte) (RestoreStats, bool) {
	if len(raw) == 0 {
		return RestoreStats{}, false
	}
	var s RestoreStats
	if err := json.Unmarshal(raw, &s); err != nil {
		return RestoreStats{}, false
	}
	return s, true
}
