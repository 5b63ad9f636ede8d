package runner

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// findFixture backs up a small tree twice as the runner's host (a file
// changed in between) and once as another host, with known mtimes, and
// returns the matches a find of "*.odt" must report: only this host's
// snapshots, every version of every match.
func findFixture(t *testing.T, h *harness) (want []protocol.FindMatch) {
	t.Helper()
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"Documents/report.odt":    "first draft",
		"Documents/notes.txt":     "not a match",
		"Archive/old-report.odt":  "2019",
		"Archive/sub/.hidden.odt": "hidden files match too",
	})
	mtimes := map[string]time.Time{
		"Documents/report.odt":    time.Date(2026, 11, 20, 9, 15, 0, 123456789, time.UTC),
		"Archive/old-report.odt":  time.Date(2019, 3, 1, 12, 0, 0, 0, time.UTC),
		"Archive/sub/.hidden.odt": time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
	}
	setMtimes := func() {
		for name, m := range mtimes {
			if err := os.Chtimes(filepath.Join(src, name), m, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	setMtimes()
	mustSucceed(t, h.run(backupJob("docs", src)), h)
	writeFiles(t, src, map[string]string{"Documents/report.odt": "the final text, longer"})
	mtimes["Documents/report.odt"] = time.Date(2026, 11, 21, 16, 40, 12, 250000000, time.UTC)
	setMtimes()
	mustSucceed(t, h.run(backupJob("docs", src)), h)

	other := exec.Command(h.restic.Path(), "backup", "--host", "other-pc", "--cache-dir", h.cacheDir, src)
	other.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+h.repoURL, "RESTIC_PASSWORD="+testPassword)
	if out, err := other.CombinedOutput(); err != nil {
		t.Fatalf("backup as another host: %v\n%s", err, out)
	}

	sizes := map[string][]uint64{
		"Documents/report.odt":    {uint64(len("first draft")), uint64(len("the final text, longer"))},
		"Archive/old-report.odt":  {4, 4},
		"Archive/sub/.hidden.odt": {22, 22},
	}
	first := map[string]time.Time{"Documents/report.odt": time.Date(2026, 11, 20, 9, 15, 0, 123456789, time.UTC)}
	var own []protocol.Snapshot
	for _, s := range h.snapshots() {
		if s.Hostname == "agent-under-test" {
			own = append(own, s)
		}
	}
	slices.SortFunc(own, func(a, b protocol.Snapshot) int { return a.Time.Compare(b.Time) })
	if len(own) != 2 {
		t.Fatalf("%d snapshots of this host, want 2", len(own))
	}
	for i, s := range own {
		for name, sz := range sizes {
			m := mtimes[name]
			if f, ok := first[name]; ok && i == 0 {
				m = f
			}
			want = append(want, protocol.FindMatch{SnapshotID: s.ID, Path: filepath.ToSlash(filepath.Join(src, name)),
				Type: "file", Size: sz[i], Mtime: m})
		}
	}
	return want
}

// findMatches returns a finished find job's match lines, decoded, sorted,
// and fails on any line that is not a find match.
func (h *harness) findMatches(jobID string) []protocol.FindMatch {
	h.t.Helper()
	var out []protocol.FindMatch
	for _, l := range h.logLines(jobID) {
		if l.Stream != protocol.StreamEvent {
			continue
		}
		var m protocol.FindMatch
		dec := json.NewDecoder(strings.NewReader(l.Payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			h.t.Fatalf("event line %q is not a find match: %v", l.Payload, err)
		}
		out = append(out, m)
	}
	sortMatches(out)
	return out
}

func sortMatches(ms []protocol.FindMatch) {
	slices.SortFunc(ms, func(a, b protocol.FindMatch) int {
		if c := strings.Compare(a.SnapshotID, b.SnapshotID); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
}

func sameMatch(a, b protocol.FindMatch) bool {
	return a.SnapshotID == b.SnapshotID && a.Path == b.Path && a.Type == b.Type && a.Size == b.Size && a.Mtime.Equal(b.Mtime)
}

func findJob(pattern string, ignoreCase bool) Job {
	return Job{Run: protocol.CommandRun{Kind: protocol.KindFind, Find: &protocol.FindSpec{Pattern: pattern, IgnoreCase: ignoreCase}}}
}

// Every restic version reports the same matches, normalised by the agent:
// the full snapshot id, the path, type, size and UTC mtime of each version
// of each file, for this host's snapshots only; the stats count the
// host's snapshots and every match. A name nobody has succeeds with none.
// The expected lines do not depend on the version, so the matrix
// (RM_TEST_RESTIC: make test runs 0.14.0 and 0.19.1, make compat all five)
// proves every version gives the same; agent/restic's captures cover the
// parse of each version's output without running it.
func TestFindReportsTheSameMatchesOnEveryVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	want := findFixture(t, h)
	sortMatches(want)
	version := h.restic.Version().String()
	unlocks := h.resticCalls("unlock") // the fixture's backups ran theirs

	fin := h.run(findJob("*.odt", false))
	mustSucceed(t, fin, h)
	got := h.findMatches(fin.JobID)
	if !slices.EqualFunc(got, want, sameMatch) {
		t.Errorf("restic %s found\n%v\nwant\n%v", version, got, want)
	}
	for _, m := range got {
		if m.Mtime.Location() != time.UTC {
			t.Errorf("mtime %v is not in UTC", m.Mtime)
		}
	}
	var st protocol.FindStats
	if err := json.Unmarshal(fin.Stats, &st); err != nil || st != (protocol.FindStats{SnapshotsSearched: 2, Matches: 6}) {
		t.Errorf("stats %s (%v), want 2 snapshots searched and 6 matches", fin.Stats, err)
	}

	none := h.run(findJob("no-such-name.*", false))
	mustSucceed(t, none, h)
	if got := h.findMatches(none.JobID); len(got) != 0 {
		t.Errorf("a find of a missing name reported %v", got)
	}
	st = protocol.FindStats{}
	if err := json.Unmarshal(none.Stats, &st); err != nil || st != (protocol.FindStats{SnapshotsSearched: 2}) {
		t.Errorf("stats of a find without matches %s (%v)", none.Stats, err)
	}

	// --ignore-case, and a pattern that starts with a dash stays a
	// pattern.
	upper := h.run(findJob("REPORT.ODT", true))
	mustSucceed(t, upper, h)
	if got := h.findMatches(upper.JobID); len(got) != 2 || !strings.HasSuffix(got[0].Path, "/Documents/report.odt") {
		t.Errorf("ignore-case find of REPORT.ODT: %v", got)
	}
	dash := h.run(findJob("--help", false))
	mustSucceed(t, dash, h)
	if got := h.findMatches(dash.JobID); len(got) != 0 {
		t.Errorf("find of --help: %v", got)
	}
	if n := h.resticCalls("unlock") - unlocks; n != 0 {
		t.Errorf("find ran %d unlocks; it writes nothing and runs beside other jobs", n)
	}
}

// More matches than a job log keeps: the lines stop at the cap, the
// closing line counts the rest, the stats count them all, and the agent
// never holds more than the cap in memory (agent/restic's ReadFind keep).
func TestFindPastTheLogCapCountsEveryMatch(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes 21,000 files")
	}
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	const n = protocol.MaxLogLinesPerJob + 1000
	for i := range n {
		dir := filepath.Join(src, "d"+strconv.Itoa(i/500))
		if i%500 == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "m"+strconv.Itoa(i)+".dat"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustSucceed(t, h.run(backupJob("many", src)), h)
	fin := h.run(findJob("*.dat", false))
	mustSucceed(t, fin, h)
	var st protocol.FindStats
	if err := json.Unmarshal(fin.Stats, &st); err != nil || st.Matches != n {
		t.Fatalf("stats %s, want %d matches", fin.Stats, n)
	}
	lines := h.logLines(fin.JobID)
	events := 0
	for _, l := range lines {
		if l.Stream == protocol.StreamEvent {
			events++
		}
	}
	if events != protocol.MaxLogLinesPerJob {
		t.Errorf("%d match lines kept, want the cap %d", events, protocol.MaxLogLinesPerJob)
	}
	if last := lines[len(lines)-1]; last.Payload != "[1000 more lines not kept]" {
		t.Errorf("closing line %q, want the count of matches not kept", last.Payload)
	}
}

// A find runs beside a backup of the same repository: it starts and ends
// while the backup is still running.
func TestFindRunsBesideARunningBackup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a/report.odt": "x"})
	mustSucceed(t, h.run(backupJob("docs", src)), h)

	backup := h.submit(slowBackup(t))
	h.waitProgress(backup, 60*time.Second)
	find := h.run(findJob("report.odt", false))
	mustSucceed(t, find, h)
	if got := h.findMatches(find.JobID); len(got) != 1 {
		t.Errorf("find beside a backup: %v", got)
	}
	for _, e := range h.jobEvents(backup) {
		if f, ok := e.(*protocol.JobFinished); ok {
			t.Fatalf("the backup ended (%s) before the find did: the find waited for it", f.Status)
		}
	}
	if err := h.runner.Cancel(backup); err != nil {
		t.Fatal(err)
	}
	if fin := h.waitFinished(backup, 60*time.Second); fin.Status != protocol.StatusCancelled {
		t.Errorf("backup ended %s", fin.Status)
	}
}
