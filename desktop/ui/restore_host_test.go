package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
)

// The wizard's "Restore to" step: another host gets the files from the
// snapshot host's repository (hub.RestoreToHost: the job is the other
// host's, from_source, with the source host named), never in place, and
// the hub's warning about a local-path repository is shown on the step
// and in the review.
func TestRestoreWizardRestoresOntoAnotherHostFromTheSnapshotsRepository(t *testing.T) {
	e := newTestEnv(t)
	anna := e.enroll(t, "anna-laptop", "")
	desk := e.enroll(t, "front-desk", "")
	url, pw := "/srv/restic/anna", "anna-repo-password"
	if err := e.hub.SetRepository(anna, hub.RepositoryUpdate{URL: &url, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	snap := testSnapshot("aaaa1111", time.Now().Add(-time.Hour), "docs", "/home/anna")
	if err := e.st.ReplaceSnapshots(anna, []hub.Snapshot{snap}); err != nil {
		t.Fatal(err)
	}
	report := "/home/anna/Documents/report.odt"
	w := openRestoreAt(e.UI, anna, snap, report)
	if w.step != restoreStepFiles || strings.Join(w.tree.selection(), " ") != report {
		t.Fatalf("opened at step %d with %q ticked; want the files step with %s", w.step, w.tree.selection(), report)
	}
	test.Tap(w.nextBtn)
	if w.step != restoreStepHost || w.hosts.choice.Selected != "anna-laptop (this snapshot's host) — offline" {
		t.Fatalf("step %d, chosen %q; want the host step on the snapshot's own host", w.step, w.hosts.choice.Selected)
	}
	if got := strings.Join(w.hosts.choice.Options, " | "); got != "anna-laptop (this snapshot's host) — offline | front-desk — offline" {
		t.Errorf("hosts offered: %s", got)
	}
	if w.hosts.warnBox.Visible() {
		t.Errorf("a warning for the snapshot's own host: %q", w.hosts.warning.Text)
	}

	w.hosts.choice.SetSelected("front-desk — offline")
	if w.targetID != desk || w.target.Host.ID != desk {
		t.Fatalf("restoring to %q; want front-desk", w.targetID)
	}
	if !w.hosts.warnBox.Visible() || !strings.Contains(w.hosts.warning.Text, "local path /srv/restic/anna") {
		t.Errorf("warning %q (shown %v); want the hub's word on a local-path repository", w.hosts.warning.Text, w.hosts.warnBox.Visible())
	}
	if !strings.Contains(w.hosts.about.Text, "memory only") || !strings.Contains(w.hosts.about.Text, "front-desk is offline") {
		t.Errorf("the step says %q; want what is sent and that the offline host waits", w.hosts.about.Text)
	}

	test.Tap(w.nextBtn)
	if w.step != restoreStepDestination || !w.dest.modeRadio.Disabled() || !w.dest.elsewhereNote.Visible() {
		t.Fatalf("destination for another host: step %d, mode choice disabled %v, note shown %v; want in place off, and why",
			w.step, w.dest.modeRadio.Disabled(), w.dest.elsewhereNote.Visible())
	}
	// Even forced, in place onto another host is refused.
	w.dest.modeRadio.SetSelected(restoreModeInPlace)
	w.updateButtons()
	if !w.nextBtn.Disabled() || w.dest.err() == nil {
		t.Fatal("in place onto another host: Next must stay disabled")
	}
	w.dest.modeRadio.SetSelected(restoreModeNew)
	test.Type(w.dest.targetEntry, "/srv/from-anna")
	if w.nextBtn.Disabled() {
		t.Fatalf("/srv/from-anna refused: %v", w.dest.err())
	}
	test.Tap(w.nextBtn)
	for _, want := range []string{"Restore to: front-desk, from the repository of anna-laptop", "Destination: /srv/from-anna on front-desk",
		"local path /srv/restic/anna", "front-desk is offline"} {
		if !strings.Contains(w.review.Text, want) {
			t.Errorf("review lacks %q:\n%s", want, w.review.Text)
		}
	}
	test.Tap(w.nextBtn) // Restore
	settle(e.UI, e.app)
	if w.step != restoreStepProgress || w.jobID == "" {
		t.Fatalf("after Restore: step %d, job %q", w.step, w.jobID)
	}
	j, err := e.hub.Job(w.jobID)
	if err != nil || j.HostID != desk || j.SourceHostID != anna {
		t.Fatalf("job %+v (%v); want front-desk's, reading anna-laptop's repository", j, err)
	}
	var cmd struct {
		Restore struct {
			SnapshotID string   `json:"snapshot_id"`
			Paths      []string `json:"paths"`
			InPlace    bool     `json:"in_place"`
			TargetDir  string   `json:"target_dir"`
			FromSource bool     `json:"from_source"`
		} `json:"restore"`
	}
	if err := json.Unmarshal(j.Command, &cmd); err != nil {
		t.Fatal(err)
	}
	if r := cmd.Restore; !r.FromSource || r.InPlace || r.TargetDir != "/srv/from-anna" || r.SnapshotID != snap.ID || strings.Join(r.Paths, " ") != report {
		t.Errorf("command %s; want a from_source restore of %s into /srv/from-anna", j.Command, report)
	}
	if !strings.Contains(w.result.Text, "runs on front-desk") {
		t.Errorf("result %q; want it to say where the restore runs", w.result.Text)
	}
}

// Choosing another host and then the snapshot's own again gives in place
// back; a host with a remote repository gets no warning.
func TestRestoreWizardHostChoiceGivesInPlaceBackOnTheOwnHost(t *testing.T) {
	e := newTestEnv(t)
	anna := e.enroll(t, "anna-laptop", "")
	e.enroll(t, "front-desk", "")
	url, pw := "rest:https://backup.example:8000/anna", "anna-repo-password"
	if err := e.hub.SetRepository(anna, hub.RepositoryUpdate{URL: &url, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	snap := testSnapshot("aaaa1111", time.Now().Add(-time.Hour), "docs", "/home/anna")
	w := openRestoreAt(e.UI, anna, snap, "/home/anna/a.txt")
	test.Tap(w.nextBtn)
	w.hosts.choice.SetSelected("front-desk — offline")
	if w.hosts.warnBox.Visible() {
		t.Errorf("a rest: server on another machine: no warning wanted, got %q", w.hosts.warning.Text)
	}
	w.hosts.choice.SetSelected("anna-laptop (this snapshot's host) — offline")
	test.Tap(w.nextBtn)
	if w.dest.modeRadio.Disabled() || w.dest.elsewhereNote.Visible() {
		t.Error("back on the snapshot's own host: in place must be offered again")
	}
	w.dest.modeRadio.SetSelected(restoreModeInPlace)
	if !strings.Contains(w.dest.inPlaceCheck.Text, "on anna-laptop") {
		t.Errorf("in-place confirmation %q", w.dest.inPlaceCheck.Text)
	}
}
