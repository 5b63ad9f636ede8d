package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/protocol"
)

// A host without a repository says so in its header with Set up…; the
// flow saves the URL and password (asked twice), tests them on the host,
// offers Initialise when there is no repository, and then the first
// backup — both started as the manager's setup, not as "operator". The
// host's answers are written to the store as its events would arrive (no
// agent runs here), and the views are handed the hub's change for them.
func TestSetupFlowTestsInitialisesAndBacksUp(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "office-pc2", "UTC")
	m := e.main
	m.show(hostID)
	v := m.host
	if !v.setup.Visible() {
		t.Fatal("a host without a repository offers no Set up…")
	}
	test.Tap(v.setupBtn)
	w := newSetupWizardFor(t, e)
	w.url.SetText("/srv/restic/office-pc2")
	test.Type(w.password, "pw-1")
	test.Type(w.confirm, "pw-2")
	test.Tap(w.saveTest)
	if w.status.label.Importance == 0 || w.probe.jobID != "" {
		t.Fatalf("two different passwords were saved: %q", w.status.text())
	}
	w.confirm.SetText("pw-1")
	test.Tap(w.saveTest)
	settle(e.UI, e.app)
	if w.probe.jobID == "" {
		t.Fatalf("no test started after Save: %q", w.status.text())
	}
	answer := func(jobID, kind string, end *protocol.JobFinished) {
		t.Helper()
		at := time.Now()
		end.JobID, end.FinishedAt = jobID, at
		applyEvents(t, e.st, hostID, at, &protocol.JobStarted{JobID: jobID, Kind: kind, StartedAt: at}, end)
		e.bus.deliver([]change{{Kind: hub.ChangeJob, HostID: hostID, JobID: jobID}})
		e.app.Pump()
	}
	answer(w.probe.jobID, protocol.KindProbe, &protocol.JobFinished{Status: protocol.StatusFailed, ExitCode: 10,
		ErrorKind: protocol.ErrorKindNoRepository, Error: "there is no repository at this location"})
	if !w.initBtn.Visible() || w.step2.Visible() {
		t.Fatalf("no repository: Initialise shown %v, first backup shown %v", w.initBtn.Visible(), w.step2.Visible())
	}
	test.Tap(w.initBtn)
	initJob := newestJob(t, e.hub, hostID)
	if initJob.Kind != protocol.KindInit || initJob.Origin != hub.OriginSetup || e.hub.OriginLabel(initJob) != "manager: setup" {
		t.Fatalf("Initialise started %s with origin %q; want init by the manager's setup", initJob.Kind, initJob.Origin)
	}
	answer(initJob.ID, protocol.KindInit, &protocol.JobFinished{Status: protocol.StatusSucceeded})
	probe2 := w.probe.jobID
	if probe2 == "" || probe2 == initJob.ID {
		t.Fatal("the repository was not tested again after init")
	}
	answer(probe2, protocol.KindProbe, &protocol.JobFinished{Status: protocol.StatusSucceeded, Stats: mustJSON(t, map[string]any{"locks": 0})})
	if !w.step2.Visible() {
		t.Fatal("a working repository does not lead to the first backup")
	}
	w.paths.SetText("/home/office")
	test.Tap(w.backupBtn)
	b := newestJob(t, e.hub, hostID)
	if b.Kind != protocol.KindBackup || b.Tag != "documents" || b.Origin != hub.OriginSetup {
		t.Errorf("Back up now started %s of %q, origin %q; want the setup's backup of documents", b.Kind, b.Tag, b.Origin)
	}
	e.bus.deliver([]change{{Kind: hub.ChangeHost, HostID: hostID}})
	e.app.Pump()
	if v.setup.Visible() {
		t.Error("Set up… is still offered once the host has a repository")
	}
}

// newSetupWizardFor finds the wizard Set up… opened: the dialog's owner
// is the host view's button, so the test opens its own over the same
// host instead when none can be reached.
func newSetupWizardFor(t *testing.T, e *testEnv) *setupWizard {
	t.Helper()
	e.win.Canvas().Overlays().Top().Hide()
	return newSetupWizard(e.UI, e.main.host.hostID, e.main.host.name.Text)
}

func newestJob(t *testing.T, h *hub.Hub, hostID string) hub.Job {
	t.Helper()
	p, err := h.Jobs(hostID, "", 1)
	if err != nil || len(p.Jobs) == 0 {
		t.Fatalf("no job: %v", err)
	}
	return p.Jobs[0]
}
