package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
)

// snapID is a full restic snapshot id made from n.
func snapID(n int) string { return fmt.Sprintf("%08x", n) + strings.Repeat("ab", 28) }

// storeSnapshots gives the host n snapshots of group, an hour apart, the
// newest an hour before testNow, as the agent's list would.
func storeSnapshots(t *testing.T, e *testEnv, hostID, group string, n int) []string {
	t.Helper()
	var ids []string
	var list []protocol.Snapshot
	for i := 1; i <= n; i++ {
		id := snapID(i)
		ids = append(ids, id)
		list = append(list, protocol.Snapshot{ID: id, ShortID: id[:8], Time: testNow.Add(-time.Duration(n-i+1) * time.Hour),
			Hostname: "alpha", Paths: []string{"/srv/" + group}, Tags: []string{group}})
	}
	applyEvents(t, e.st, hostID, testNow, &protocol.SnapshotsReport{Snapshots: list})
	return ids
}

// answerForget ends a forget job as the agent would: started, then
// finished with the ids kept and removed of group. The store is written
// directly (no agent runs here), so the caller refreshes the view.
func answerForget(t *testing.T, e *testEnv, hostID, jobID, group string, keep, remove []string) {
	t.Helper()
	stats, err := json.Marshal(map[string]any{"groups": []map[string]any{{"tag": group, "keep": keep, "remove": remove}}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	applyEvents(t, e.st, hostID, at,
		&protocol.JobStarted{JobID: jobID, Kind: protocol.KindForget, StartedAt: at},
		&protocol.JobFinished{JobID: jobID, Status: protocol.StatusSucceeded, FinishedAt: at, Stats: stats})
}

func rowsText(rows []retentionRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ShortID+" "+r.Group+" "+r.Verdict)
	}
	return out
}

// The group editor previews the policy in its form — not saved yet —
// before Save: a dry run on the host, then a table of what it keeps and
// removes, removed first, each with its time and group.
func TestGroupEditorPreviewsRetentionBeforeSave(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "alpha", "UTC")
	if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: "docs", Includes: []string{"/srv/docs"}}); err != nil {
		t.Fatal(err)
	}
	ids := storeSnapshots(t, e, hostID, "docs", 3)
	sc := e.newScope()
	defer sc.close()
	g := newGroupsTab(e.UI, sc, hostID)
	e.show(g.obj)
	ed := g.editor
	if !ed.previewBtn.Disabled() {
		t.Error("Preview is offered for a group without a policy (it would remove everything)")
	}
	uitest.Retype(ed.keep[0], "1")
	if ed.previewBtn.Disabled() {
		t.Fatalf("Preview is off with keep-last 1: %v", ed.form.firstError())
	}
	test.Tap(ed.previewBtn)
	pv := ed.preview
	if pv.jobID == "" {
		t.Fatalf("no preview started: %q", pv.status.Text)
	}
	if !strings.Contains(pv.status.Text, "alpha is offline") {
		t.Errorf("while the host is offline the preview says %q; want that it waits for alpha", pv.status.Text)
	}
	j, err := e.hub.Job(pv.jobID)
	var cmd protocol.CommandRun
	if err != nil || json.Unmarshal(j.Command, &cmd) != nil || !cmd.DryRun || len(cmd.ForgetGroups) != 1 || cmd.ForgetGroups[0].Policy.KeepLast != 1 {
		t.Fatalf("the preview job %+v (%v) is not a dry run of the form's keep-last 1", cmd, err)
	}
	if gs, _ := e.hub.SourceGroups(hostID); !gs[0].Retention.IsEmpty() {
		t.Error("previewing saved the policy")
	}

	answerForget(t, e, hostID, pv.jobID, "docs", ids[2:], ids[:2])
	pv.refresh()
	want := []string{ids[1][:8] + " docs removes", ids[0][:8] + " docs removes", ids[2][:8] + " docs keeps"}
	if got := rowsText(pv.rows); !slices.Equal(got, want) {
		t.Errorf("preview rows %q; want %q", got, want)
	}
	if pv.rows[0].Time != snapshotTime(testNow.Add(-2*time.Hour)) {
		t.Errorf("the first removed snapshot's time %q; want when it was taken", pv.rows[0].Time)
	}
	if !strings.Contains(pv.status.Text, "would remove 2 snapshots and keep 1") || !pv.table.Visible() {
		t.Errorf("the preview says %q (table shown %v)", pv.status.Text, pv.table.Visible())
	}

	// An edit makes the preview stale: it goes.
	uitest.Retype(ed.keep[0], "2")
	if pv.obj.Visible() {
		t.Error("the preview of keep-last 1 still shows after the policy changed")
	}
}

// Forget… shows what forget would remove before it runs, and a finished
// forget's detail lists what it removed.
func TestForgetDialogPreviewsAndFinishedForgetListsRemoved(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "alpha", "UTC")
	if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: "docs", Includes: []string{"/srv/docs"},
		Retention: hub.RetentionPolicy{KeepLast: 2}}); err != nil {
		t.Fatal(err)
	}
	ids := storeSnapshots(t, e, hostID, "docs", 3)
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())
	test.Tap(v.actions.forgetBtn)
	pv := v.actions.forgetPreview
	if pv == nil || pv.jobID == "" {
		t.Fatal("Forget… started no preview")
	}
	answerForget(t, e, hostID, pv.jobID, "docs", ids[1:], ids[:1])
	pv.refresh()
	if got := rowsText(pv.rows); len(got) != 3 || got[0] != ids[0][:8]+" docs removes" {
		t.Errorf("the Forget… preview rows %q; want %s removed first", got, ids[0][:8])
	}
	if !uitest.Shows(e.win.Canvas().Overlays().Top(), "would remove 1 snapshot and keep 2") {
		t.Errorf("the dialog does not say what forget would do: %q", uitest.Texts(e.win.Canvas().Overlays().Top()))
	}
	test.Tap(v.actions.confirmOK)
	real := v.detail.selected
	j, err := e.hub.Job(real)
	var cmd protocol.CommandRun
	if err != nil || j.Kind != protocol.KindForget || json.Unmarshal(j.Command, &cmd) != nil || cmd.DryRun {
		t.Fatalf("Forget ran %+v (%v); want a real forget", cmd, err)
	}
	answerForget(t, e, hostID, real, "docs", ids[1:], ids[:1])
	// The agent's new list no longer has the removed snapshot; its time
	// is still known.
	applyEvents(t, e.st, hostID, testNow, &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{
		{ID: ids[1], ShortID: ids[1][:8], Time: testNow.Add(-2 * time.Hour), Paths: []string{"/srv/docs"}, Tags: []string{"docs"}},
		{ID: ids[2], ShortID: ids[2][:8], Time: testNow.Add(-time.Hour), Paths: []string{"/srv/docs"}, Tags: []string{"docs"}}}})
	v.detail.progress.refresh()
	rm := v.detail.progress.removed
	if got := rowsText(rm.rows); len(got) == 0 || got[0] != ids[0][:8]+" docs removed" {
		t.Fatalf("the finished forget lists %q; want %s removed", got, ids[0][:8])
	}
	if rm.rows[0].Time != snapshotTime(testNow.Add(-3*time.Hour)) {
		t.Errorf("the removed snapshot's time %q; want when it was taken", rm.rows[0].Time)
	}
	if !strings.Contains(rm.status.Text, "Removed 1 snapshot; kept 2.") {
		t.Errorf("the finished forget says %q", rm.status.Text)
	}
}
