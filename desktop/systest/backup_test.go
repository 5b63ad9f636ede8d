package systest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
)

// Enroll → init → backup: the job ends succeeded in the store with every
// line the agent journaled, and its snapshot reaches the projection with
// the group's path and tag.
func TestEnrollInitBackup(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc"}) // enrolls, then init must succeed
	want := hookGroup(t, f, a, 300, 40, nil)

	job := f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group}), "succeeded")
	if job.Origin != hub.OriginOperator || job.Tag != testfleet.Group || job.ExitCode == nil || *job.ExitCode != 0 || job.StartedAt == nil || job.FinishedAt == nil {
		t.Fatalf("job row = origin %q tag %q exit %v started %v finished %v; want operator, %q, exit 0, both times", job.Origin, job.Tag, job.ExitCode, job.StartedAt, job.FinishedAt, testfleet.Group)
	}
	checkCompleteLog(t, f.Hub, job.ID, want)

	var stats struct {
		SnapshotID string `json:"snapshot_id"`
		FilesNew   int    `json:"files_new"`
	}
	if err := json.Unmarshal(job.Stats, &stats); err != nil || stats.SnapshotID == "" {
		t.Fatalf("job stats %s: %v; want restic's summary with snapshot_id", job.Stats, err)
	}
	if stats.FilesNew != len(testfleet.SampleFiles) {
		t.Errorf("summary files_new = %d; want %d", stats.FilesNew, len(testfleet.SampleFiles))
	}
	var snaps []hub.Snapshot
	testfleet.WaitFor(t, testfleet.Wait, "the snapshot in the projection", func() bool {
		var err error
		snaps, err = f.Hub.Snapshots(a.HostID)
		return err == nil && len(snaps) == 1
	})
	s := snaps[0]
	if !slices.Equal(s.Paths, []string{a.Files}) || !slices.Equal(s.Tags, []string{testfleet.Group}) || s.Hostname != a.Name {
		t.Errorf("snapshot paths %q tags %q host %q; want [%s] [%s] %s", s.Paths, s.Tags, s.Hostname, a.Files, testfleet.Group, a.Name)
	}
	// 0.14 reports the short id in the summary, later versions the full one.
	if !strings.HasPrefix(s.ID, stats.SnapshotID) && s.ShortID != stats.SnapshotID {
		t.Errorf("projected snapshot %s (%s) is not the backup's %s", s.ID, s.ShortID, stats.SnapshotID)
	}
}
