package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
)

// A mistyped password is caught before it is saved: it is asked twice,
// and Save stays off until both agree.
func TestSettingsAsksThePasswordTwice(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "alpha", "UTC")
	sc := e.newScope()
	defer sc.close()
	s := newSettingsTab(e.UI, sc, hostID)
	e.show(s.obj)
	uitest.Retype(s.url, "/srv/restic/alpha")
	test.Type(s.secrets[0].entry, "correct horse")
	if !s.saveBtn.Disabled() {
		t.Error("Save is on with the password typed once")
	}
	test.Type(s.confirm, "correct hose")
	if !s.saveBtn.Disabled() || !uitest.Shows(s.obj, "Does not match the password above") {
		t.Errorf("Save is on (%v) with two different passwords, or nothing says why", !s.saveBtn.Disabled())
	}
	uitest.Retype(s.confirm, "correct horse")
	if s.saveBtn.Disabled() {
		t.Fatalf("Save is off with the password confirmed: %v", s.form.firstError())
	}
	if !s.testBtn.Disabled() {
		t.Error("Test is on while the new settings are not saved (it tests the saved ones)")
	}
	test.Tap(s.saveBtn)
	settle(e.UI, e.app)
	if s.testBtn.Disabled() {
		t.Errorf("Test is off after Save: %q", s.testNote.Text)
	}
	if s.confirm.Text != "" {
		t.Error("the confirmation keeps the password after Save")
	}
}

// Test runs the hub's probe on the host and answers the four questions;
// while the host has not answered it says what it waits for and shows it
// is busy. The answers come from the agent's job end (written to the
// store here, as the agent's events would arrive; the real probe is
// tested on real restic in agent/runner and desktop/hub).
func TestRepositoryTestAnswersAndOffersInit(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "alpha", "UTC")
	url, pw := "rest:http://127.0.0.1:9/alpha", "secret"
	if _, err := e.hub.SaveRepository(hostID, hub.RepositoryUpdate{URL: &url, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	sc := e.newScope()
	defer sc.close()
	s := newSettingsTab(e.UI, sc, hostID)
	e.show(s.obj)

	run := func(end *protocol.JobFinished) *repoProbeView {
		t.Helper()
		if s.testBtn.Disabled() {
			t.Fatalf("Test is off: %q", s.testNote.Text)
		}
		test.Tap(s.testBtn)
		p := s.probe
		if !p.running() || !p.busy.Visible() || !strings.Contains(p.summary.Text, "alpha is offline") {
			t.Fatalf("a test waiting for the offline host says %q (busy %v)", p.summary.Text, p.busy.Visible())
		}
		if !s.testBtn.Disabled() {
			t.Error("Test can be started again while one waits")
		}
		at := time.Now()
		end.JobID, end.FinishedAt = p.jobID, at
		applyEvents(t, e.st, hostID, at, &protocol.JobStarted{JobID: p.jobID, Kind: protocol.KindProbe, StartedAt: at}, end)
		p.refresh()
		if p.running() || p.busy.Visible() {
			t.Errorf("the test ended but still looks busy")
		}
		return p
	}

	p := run(&protocol.JobFinished{Status: protocol.StatusFailed, ExitCode: 10, ErrorKind: protocol.ErrorKindNoRepository,
		Error: "there is no repository at this location\nFatal: unable to open config file"})
	text := p.probeText()
	for _, want := range []string{"There is no repository at this location", "Reachable: yes", "Initialised: no", "Password right: not known"} {
		if !strings.Contains(text, want) {
			t.Errorf("the test says %q; want %q in it", text, want)
		}
	}
	if p.fix == nil || p.fix.Text != "Initialise now" {
		t.Fatalf("a missing repository offers %v; want Initialise now", p.fix)
	}

	p = run(&protocol.JobFinished{Status: protocol.StatusFailed, ExitCode: 1, ErrorKind: protocol.ErrorKindUnreachable,
		Error: "cannot reach the repository: connection refused\ndial tcp 127.0.0.1:9: connect: connection refused"})
	if text := p.probeText(); !strings.Contains(text, "Cannot reach the repository: connection refused") || !strings.Contains(text, "Reachable: no") {
		t.Errorf("an unreachable server: %q", text)
	}
	if p.fix != nil {
		t.Errorf("an unreachable server offers %q", p.fix.Text)
	}

	p = run(&protocol.JobFinished{Status: protocol.StatusSucceeded, Stats: mustJSON(t, map[string]any{"locks": 0})})
	text = p.probeText()
	for _, want := range []string{"initialised and the password is right", "Reachable: yes", "Initialised: yes", "Password right: yes", "Locked: no (0 locks)"} {
		if !strings.Contains(text, want) {
			t.Errorf("a good repository: %q; want %q in it", text, want)
		}
	}
}
