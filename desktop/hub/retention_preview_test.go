package hub

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

func snap(id string, at time.Time, tag string) protocol.Snapshot {
	return protocol.Snapshot{ID: id, ShortID: id[:8], Time: at, Hostname: "pc", Paths: []string{"/docs"}, Tags: []string{tag}}
}

// snapID is a full snapshot id of one repeated hex digit.
func snapID(c byte) string { return strings.Repeat(string(c), 64) }

// The group editor's unsaved policy is previewed (forget --dry-run on the
// agent): the result lists what it keeps and removes with each
// snapshot's time and group, newest first. A real forget's result lists
// what it removed with their times, although the agent's new list no
// longer has them.
func TestRetentionPreviewAndWhatAForgetRemoved(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "pc", th.enrollToken(t, 1))
	t0 := time.Date(2026, 11, 1, 22, 0, 0, 0, time.UTC)
	s1, s2, s3 := snap(snapID('a'), t0, "docs"), snap(snapID('b'), t0.Add(24*time.Hour), "docs"), snap(snapID('c'), t0.Add(48*time.Hour), "docs")
	a.send(&protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{s1, s2, s3}}, "")
	waitFor(t, testWait, "snapshots stored", func() bool { l, _ := th.Snapshots(hostID); return len(l) == 3 })

	if _, err := th.PreviewRetention(hostID, "docs", RetentionPolicy{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("an empty policy: %v; want ErrInvalid", err)
	}
	policy := RetentionPolicy{KeepLast: 1}
	jobID, err := th.PreviewRetention(hostID, "docs", policy)
	if err != nil {
		t.Fatal(err)
	}
	stats := json.RawMessage(`{"groups":[{"tag":"docs","keep":["` + s3.ID + `"],"remove":["` + s1.ID + `","` + s2.ID + `"]}]}`)
	cmd := runReported(t, a, protocol.JobFinished{Status: protocol.StatusSucceeded, Stats: stats})
	if !cmd.DryRun || len(cmd.ForgetGroups) != 1 || cmd.ForgetGroups[0].Policy != policy || cmd.ForgetGroups[0].Tag != "docs" {
		t.Fatalf("preview command %+v; want a dry-run forget of docs with the editor's policy", cmd)
	}
	r, err := th.RetentionPreview(jobID)
	if err != nil {
		t.Fatal(err)
	}
	if !r.DryRun || !r.Done || len(r.Groups) != 1 || r.Removed() != 2 {
		t.Fatalf("preview %+v", r)
	}
	g := r.Groups[0]
	if len(g.Keep) != 1 || g.Keep[0].ID != s3.ID || !g.Keep[0].Time.Equal(s3.Time) || g.Keep[0].Group != "docs" {
		t.Errorf("kept %+v", g.Keep)
	}
	if len(g.Remove) != 2 || g.Remove[0].ShortID != s2.ShortID || !g.Remove[0].Time.Equal(s2.Time) || !g.Remove[1].Time.Equal(s1.Time) {
		t.Errorf("removed %+v; want b then a, newest first, with their times", g.Remove)
	}

	// A real forget (the Forget… dialog): the agent then lists only what
	// is left, before or after its job's end.
	if err := th.PutSourceGroup(hostID, SourceGroup{Name: "docs", Includes: []string{"/docs"}, Retention: policy}); err != nil {
		t.Fatal(err)
	}
	realID, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindForget})
	if err != nil {
		t.Fatal(err)
	}
	a.send(&protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{s3}}, "")
	waitFor(t, testWait, "the new list", func() bool { l, _ := th.Snapshots(hostID); return len(l) == 1 })
	real := runReported(t, a, protocol.JobFinished{Status: protocol.StatusSucceeded, Stats: stats})
	if real.DryRun {
		t.Fatal("the real forget was sent as a dry run")
	}
	r, err = th.RetentionPreview(realID)
	if err != nil {
		t.Fatal(err)
	}
	removed := r.Groups[0].Remove
	if r.DryRun || len(removed) != 2 || removed[1].Time.IsZero() || !removed[1].Time.Equal(s1.Time) ||
		!slices.Equal(removed[0].Paths, []string{"/docs"}) {
		t.Errorf("what the forget removed: %+v; want both with their times", removed)
	}
}
