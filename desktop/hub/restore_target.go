package hub

// The restore wizard's rules for where files go on the agent.

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"restic-manager/protocol"
)

// ValidateRestoreTarget checks a "restore to a new folder" destination, a
// path on the agent, by the syntax of the host's OS ("linux", "windows";
// empty when unknown): absolute and not a filesystem root. A Linux host
// takes "/x" only; a Windows host "C:\x", "C:/x" or "\\server\share\x";
// an unknown OS either style. The error says what to type.
func ValidateRestoreTarget(hostOS, dir string) error {
	switch {
	case strings.TrimSpace(dir) == "":
		return fmt.Errorf("%w: enter the folder to restore into", ErrInvalid)
	case strings.TrimSpace(dir) != dir:
		return fmt.Errorf("%w: the path starts or ends with a space", ErrInvalid)
	case len(dir) > protocol.MaxPathLen:
		return fmt.Errorf("%w: the path is longer than %d bytes", ErrInvalid, protocol.MaxPathLen)
	case strings.ContainsRune(dir, 0):
		return fmt.Errorf("%w: the path contains a NUL byte", ErrInvalid)
	}
	switch hostOS {
	case "linux":
		if !strings.HasPrefix(dir, "/") {
			return fmt.Errorf("%w: must be an absolute path on the host, starting with / (e.g. /srv/restore)", ErrInvalid)
		}
	case "windows":
		if !windowsAbs(dir) {
			return fmt.Errorf(`%w: must be an absolute path on the host, with a drive (e.g. D:\Restore) or \\server\share`, ErrInvalid)
		}
	default:
		if !protocol.IsAbsPath(dir) {
			return fmt.Errorf(`%w: must be an absolute path on the host (e.g. /srv/restore or D:\Restore)`, ErrInvalid)
		}
	}
	if protocol.IsRootPath(dir) || isUNCRoot(dir) {
		return fmt.Errorf("%w: must not be a filesystem root: choose a folder, or restore in place", ErrInvalid)
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

// isUNCRoot: `\\server` or `\\server\share` with nothing below.
func isUNCRoot(p string) bool {
	if !strings.HasPrefix(p, `\\`) {
		return false
	}
	parts := strings.FieldsFunc(p[2:], func(r rune) bool { return r == '\\' || r == '/' })
	return len(parts) <= 2
}

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
