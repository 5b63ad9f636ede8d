package systest

import (
	"context"
	"path/filepath"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
)

// Find over two real agents: one find job per host, and the results group
// their matches by path with every version (host, snapshot and its time,
// size) — a file backed up twice with a change between has two versions.
func TestFindAcrossTwoHosts(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "anna-laptop"})
	b := f.StartAgent(t, testfleet.AgentOptions{Name: "front-desk", Files: map[string]string{"reports/report-2026.txt": "front desk figures"}})
	a.Backup(t)
	testfleet.WriteFiles(t, a.Files, map[string]string{"docs/report.txt": "quarterly report, revised and longer\n"})
	a.Backup(t)
	b.Backup(t)
	testfleet.WaitFor(t, testfleet.Wait, "both hosts' snapshot lists", func() bool {
		sa, _ := f.Hub.Snapshots(a.HostID)
		sb, _ := f.Hub.Snapshots(b.HostID)
		return len(sa) == 2 && len(sb) == 1
	})

	search, err := f.Hub.Find(nil, "report*", false)
	if err != nil {
		t.Fatal(err)
	}
	var last hub.FindResults
	search.Watch(context.Background(), func(r hub.FindResults, err error) {
		if err != nil {
			t.Fatal(err)
		}
		last = r
	})
	if !last.Done {
		t.Fatal("Watch returned before the searches ended")
	}
	for _, h := range last.Hosts {
		if h.Status != "succeeded" {
			t.Fatalf("find on %s ended %s: %s", h.HostName, h.Status, h.Error)
		}
	}
	paths := map[string]hub.FindPath{}
	for _, p := range last.Paths {
		paths[p.Path] = p
	}
	anna := paths[filepath.Join(a.Files, "docs", "report.txt")]
	if len(anna.Versions) != 2 || anna.Versions[0].Size != uint64(len("quarterly report, revised and longer\n")) ||
		anna.Versions[1].Size != uint64(len(testfleet.SampleFiles["docs/report.txt"])) || anna.Versions[0].HostID != a.HostID ||
		anna.Versions[0].SnapshotTime.IsZero() || !anna.Versions[0].SnapshotTime.After(anna.Versions[1].SnapshotTime) {
		t.Errorf("anna's report versions = %+v; want the revised one first, both with their snapshot times", anna.Versions)
	}
	desk := paths[filepath.Join(b.Files, "reports", "report-2026.txt")]
	if len(desk.Versions) != 1 || desk.Versions[0].HostName != "front-desk" || desk.Type != "file" {
		t.Errorf("front desk's report = %+v", desk)
	}
	if dir := paths[filepath.Join(b.Files, "reports")]; len(dir.Versions) != 1 || dir.Type != "dir" {
		t.Errorf("front desk's reports folder = %+v; want one dir version", dir)
	}
	for _, h := range last.Hosts {
		want := map[string]int{a.HostID: 2, b.HostID: 1}[h.HostID]
		if h.SnapshotsSearched != want || h.TotalMatches != h.Matches {
			t.Errorf("%s searched %d snapshots (want %d), %d of %d matches read", h.HostName, h.SnapshotsSearched, want, h.Matches, h.TotalMatches)
		}
	}
}
