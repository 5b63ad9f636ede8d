package restic

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is a restic release number as printed by `restic version`.
type Version struct {
	Major, Minor, Patch int
	// Raw is the first line restic printed, for hello.restic_version.
	Raw string
}

var versionRe = regexp.MustCompile(`restic (\d+)\.(\d+)\.(\d+)`)

// ParseVersion reads the output of `restic version`, e.g.
// "restic 0.14.0 compiled with go1.19.8 on linux/amd64". A development build
// ("0.17.3-dev") counts as the release it names.
func ParseVersion(out string) (Version, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	m := versionRe.FindStringSubmatch(line)
	if m == nil {
		return Version{}, fmt.Errorf("restic version: cannot read a version from %q", shortenText(line, 120))
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	v.Raw = strings.TrimSpace(line)
	return v, nil
}

// AtLeast reports whether v is major.minor.patch or newer.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// String is "0.14.0".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Capabilities are the restic features the agent relies on that not every
// supported version has. Each field names the first release that has it.
type Capabilities struct {
	// BackupFullSnapshotID: backup's summary carries the full snapshot id
	// (0.15.0); 0.14 prints the short id.
	BackupFullSnapshotID bool
	// RestoreJSON: restore --json prints status and summary lines (0.16.0).
	// Before it, the runner measures bytes written under the target.
	RestoreJSON bool
	// RetryLock: the --retry-lock flag (0.16.0).
	RetryLock bool
	// RESTEnvCredentials: RESTIC_REST_USERNAME/RESTIC_REST_PASSWORD
	// (0.16.1). Before it, the credentials go inside RESTIC_REPOSITORY's URL.
	RESTEnvCredentials bool
	// ExitCodeNoRepo and ExitCodeLocked: exit codes 10 and 11 (0.17.0).
	ExitCodeNoRepo bool
	ExitCodeLocked bool
	// ExitCodeWrongPassword: exit code 12 (0.17.1).
	ExitCodeWrongPassword bool
	// LsMessageType: ls --json lines carry message_type (0.17.0); every
	// supported version carries struct_type.
	LsMessageType bool
	// SnapshotSummary: snapshots --json entries carry a summary with file
	// and byte counts (0.17.0).
	SnapshotSummary bool
}

// CapabilitiesOf returns what restic v can do.
func CapabilitiesOf(v Version) Capabilities {
	return Capabilities{
		BackupFullSnapshotID:  v.AtLeast(0, 15, 0),
		RestoreJSON:           v.AtLeast(0, 16, 0),
		RetryLock:             v.AtLeast(0, 16, 0),
		RESTEnvCredentials:    v.AtLeast(0, 16, 1),
		ExitCodeNoRepo:        v.AtLeast(0, 17, 0),
		ExitCodeLocked:        v.AtLeast(0, 17, 0),
		ExitCodeWrongPassword: v.AtLeast(0, 17, 1),
		LsMessageType:         v.AtLeast(0, 17, 0),
		SnapshotSummary:       v.AtLeast(0, 17, 0),
	}
}

// MinVersion is the oldest restic the agent supports.
var MinVersion = Version{Major: 0, Minor: 14, Patch: 0}

func shortenText(s string, max int) string {
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
