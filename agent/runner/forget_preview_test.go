package runner

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A retention preview (forget with dry_run) names, by full id, what the
// policy would keep and remove, and changes nothing: the same snapshots
// are there after it, and it runs beside a held lock.
func TestForgetDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	for i := range 3 {
		writeFiles(t, src, map[string]string{"d.txt": strings.Repeat("d", i+1)})
		mustSucceed(t, h.run(backupJob("docs", src)), h)
	}
	before := h.snapshots()
	// Each backup sends its snapshot list after its end; wait for all three.
	h.waitSink(30*time.Second, "the backups' snapshot lists", func(s *recordingSink) bool { return len(s.snapshots) >= 3 })
	reportsBefore := h.snapshotReports()
	holdLock(t, h) // a backup running elsewhere: a preview does not wait for it

	fin := h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindForget, DryRun: true, ForgetGroups: []protocol.ForgetGroup{
		{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 1}}}}})
	mustSucceed(t, fin, h)

	after := h.snapshots()
	// The held backup --stdin has not finished, so it made no snapshot.
	if len(after) != len(before) {
		t.Fatalf("a dry run changed the snapshot count from %d to %d", len(before), len(after))
	}
	var stats struct {
		Groups []forgetGroupStats `json:"groups"`
	}
	if err := json.Unmarshal(fin.Stats, &stats); err != nil || len(stats.Groups) != 1 {
		t.Fatalf("stats %s (%v)", fin.Stats, err)
	}
	g := stats.Groups[0]
	newest := before[len(before)-1].ID // restic lists oldest first
	if g.Tag != "docs" || !slices.Equal(g.Keep, []string{newest}) || len(g.Remove) != 2 || slices.Contains(g.Remove, newest) {
		t.Errorf("preview %+v; want keep [%s] and the two older removed", g, newest)
	}
	for _, id := range g.Remove {
		if !slices.ContainsFunc(after, func(s protocol.Snapshot) bool { return s.ID == id }) {
			t.Errorf("snapshot %s would be removed, but is already gone", id)
		}
	}
	for _, a := range h.allArgv() {
		if len(a) > 1 && a[1] == "forget" && (!slices.Contains(a, "--dry-run") || !slices.Contains(a, "--no-lock")) {
			t.Errorf("preview ran %q", a)
		}
	}
	if h.snapshotReports() != reportsBefore {
		t.Error("a preview sent a new snapshot list, as if it had changed the repository")
	}
	log := h.logText(fin.JobID)
	if !strings.Contains(log, "would remove 2 snapshot(s)") || !strings.Contains(log, "would remove "+before[0].ShortID) {
		t.Errorf("log does not say what would go:\n%s", log)
	}
}
