package restic

import (
	"errors"
	"fmt"
	"strconv"

	"restic-manager/protocol"
)

// The builders below return argv after the binary: subcommand first, then
// flags, then "--" before any path or id that came from the network, so a
// value starting with "-" is never read as a flag. None of them ever holds a
// secret.

// BackupOptions are one source group's backup.
type BackupOptions struct {
	Host     string // the agent's own hostname (--host)
	Tag      string // the source group's name
	Includes []string
	Excludes []string
	// LimitUploadKiB and LimitDownloadKiB are restic's --limit-* values in
	// KiB/s; 0 = no cap.
	LimitUploadKiB   int
	LimitDownloadKiB int
}

// BackupArgs is `backup --json`.
func BackupArgs(o BackupOptions) ([]string, error) {
	if len(o.Includes) == 0 {
		return nil, errors.New("backup: no path to back up")
	}
	if o.Host == "" {
		return nil, errors.New("backup: own hostname unknown")
	}
	a := []string{"backup", "--json", "--host", o.Host}
	if o.Tag != "" {
		a = append(a, "--tag", o.Tag)
	}
	for _, x := range o.Excludes {
		a = append(a, "--exclude", x)
	}
	a = appendLimits(a, o.LimitUploadKiB, o.LimitDownloadKiB)
	a = append(a, "--")
	return append(a, o.Includes...), nil
}

func appendLimits(a []string, up, down int) []string {
	if up > 0 {
		a = append(a, "--limit-upload", strconv.Itoa(up))
	}
	if down > 0 {
		a = append(a, "--limit-download", strconv.Itoa(down))
	}
	return a
}

// KbpsToKiB converts a bandwidth cap in kilobits per second (the wire's
// bandwidth_*_kbps) to restic's KiB/s, rounding up so a small cap never
// becomes "no cap". 0 stays 0 (no cap).
func KbpsToKiB(kbps int) int {
	if kbps <= 0 {
		return 0
	}
	return (kbps*1000 + 8*1024 - 1) / (8 * 1024)
}

// InitArgs is `init`.
func InitArgs() []string { return []string{"init"} }

// ForgetArgs is one group's `forget --json`: only this host's snapshots with
// this tag, grouped by host and tags so the policy counts the group's
// snapshots even when its paths changed over time. forget never prunes. An
// empty policy is refused: it would remove every snapshot of the group.
func ForgetArgs(host, tag string, p protocol.RetentionPolicy) ([]string, error) {
	if p.IsEmpty() {
		return nil, fmt.Errorf("forget %q: the retention policy is empty; it would remove every snapshot", tag)
	}
	if host == "" || tag == "" {
		return nil, errors.New("forget: host and tag are required")
	}
	a := []string{"forget", "--json", "--host", host, "--tag", tag, "--group-by", "host,tags"}
	keep := []struct {
		flag string
		n    int
	}{
		{"--keep-last", p.KeepLast}, {"--keep-hourly", p.KeepHourly}, {"--keep-daily", p.KeepDaily},
		{"--keep-weekly", p.KeepWeekly}, {"--keep-monthly", p.KeepMonthly}, {"--keep-yearly", p.KeepYearly},
	}
	for _, k := range keep {
		if k.n > 0 {
			a = append(a, k.flag, strconv.Itoa(k.n))
		}
	}
	return a, nil
}

// ForgetDryRunArgs is ForgetArgs with --dry-run --no-lock: what the
// policy would keep and remove, changing nothing. Without --no-lock a dry
// run still takes restic's exclusive lock, so a preview would fail beside
// a running backup.
func ForgetDryRunArgs(host, tag string, p protocol.RetentionPolicy) ([]string, error) {
	a, err := ForgetArgs(host, tag, p)
	if err != nil {
		return nil, err
	}
	return append([]string{a[0], "--dry-run", "--no-lock"}, a[1:]...), nil
}

// ProbeArgs is `cat config --no-lock`: the cheapest command that needs the
// repository reachable, initialised and the password right, on every
// version, without a lock.
func ProbeArgs() []string { return []string{"cat", "config", "--no-lock"} }

// PruneArgs is `prune` (text output in every version).
func PruneArgs() []string { return []string{"prune"} }

// CheckArgs is `check`, reading subset of the data when readDataSubset is
// set ("5%", "1/10"). Text in every version, never --json: from 0.18 check
// --json prints only error lines and a summary, dropping what the operator
// reads in the job's log ("read group #1 of 3 data packs", the repair
// hints, "no errors were found"); the exit code says whether it passed.
func CheckArgs(readDataSubset string) ([]string, error) {
	a := []string{"check"}
	if readDataSubset != "" {
		if err := protocol.ValidateReadDataSubset(readDataSubset); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		a = append(a, "--read-data-subset", readDataSubset)
	}
	return a, nil
}

// UnlockArgs is `unlock`: stale locks only, never --remove-all.
func UnlockArgs() []string { return []string{"unlock"} }

// RestoreOptions say what to restore and where.
type RestoreOptions struct {
	SnapshotID string
	// Paths are absolute paths inside the snapshot (--include); restic
	// recreates them under the target as target/abs/path.
	Paths []string
	// Target is the directory to restore into; "/" restores in place.
	Target           string
	LimitDownloadKiB int
}

// RestoreArgs is `restore` (with --json where the version has it).
func (r *Restic) RestoreArgs(o RestoreOptions) ([]string, error) {
	if o.SnapshotID == "" || o.Target == "" {
		return nil, errors.New("restore: snapshot and target are required")
	}
	a := []string{"restore"}
	if r.caps.RestoreJSON {
		a = append(a, "--json")
	}
	a = append(a, "--target", o.Target)
	for _, p := range o.Paths {
		a = append(a, "--include", p)
	}
	a = appendLimits(a, 0, o.LimitDownloadKiB)
	return append(a, "--", snapshotRef(o.SnapshotID)), nil
}

// DiffArgs is `diff --json a b`.
func DiffArgs(a, b string) []string {
	return []string{"diff", "--json", "--", snapshotRef(a), snapshotRef(b)}
}

// LsArgs is `ls --json --recursive id [paths…]`, without taking a lock
// (listing never changes the repository).
func LsArgs(snapshotID string, paths ...string) []string {
	a := []string{"ls", "--json", "--no-lock", "--recursive", "--", snapshotRef(snapshotID)}
	return append(a, paths...)
}

// snapshotRef is how a snapshot id goes on restic's command line: a full
// 64-digit id (the wire allows lower-case hex only) as its first 63 digits,
// anything else as it is. Given a full id, restic 0.16 and later load that
// snapshot file directly, and a missing one is the backend's own not-found
// error: 0.16 retries it ten times (more than a minute before it answers),
// and every backend words it differently. Given a prefix, every version
// lists the snapshot files and matches it (one List call), and a missing
// snapshot is "no matching ID found" at once, as in 0.14. 63 hex digits name
// a snapshot as surely as 64.
func snapshotRef(id string) string {
	if len(id) != 64 {
		return id
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return id
		}
	}
	return id[:63]
}

// SnapshotsArgs is `snapshots --json`, without a lock.
func SnapshotsArgs() []string { return []string{"snapshots", "--json", "--no-lock"} }

// Stats modes.
const (
	StatsRestoreSize     = "restore-size"
	StatsRawData         = "raw-data"
	StatsFilesByContents = "files-by-contents"
)

// StatsArgs is `stats --json --mode mode [ids…]`, without a lock.
func StatsArgs(mode string, snapshotIDs ...string) []string {
	a := []string{"stats", "--json", "--no-lock", "--mode", mode}
	if len(snapshotIDs) > 0 {
		a = append(a, "--")
		for _, id := range snapshotIDs {
			a = append(a, snapshotRef(id))
		}
	}
	return a
}

// ListLocksArgs is `list locks --no-lock`: one line per lock file.
func ListLocksArgs() []string { return []string{"list", "locks", "--no-lock"} }
