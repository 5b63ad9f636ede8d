package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
)

// The second repository is saved like the primary: the URL checked as it
// is typed (no password in it), the password typed twice, secrets into
// the secret store and never shown again, and the save line says where
// it went.
func TestCopyRepositorySavesLikeThePrimary(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "office-pc", "UTC")
	sc := e.newScope()
	defer sc.close()
	s := newSettingsTab(e.UI, sc, hostID)
	e.show(s.obj)
	c := s.copy

	if !c.saveBtn.Disabled() || c.password.state.Text != "not set" {
		t.Fatalf("nothing set: Save enabled %v, password %q", !c.saveBtn.Disabled(), c.password.state.Text)
	}
	uitest.Retype(c.url, "rest:https://copy:hunter2@offsite.example:8000/office")
	if !c.saveBtn.Disabled() || strings.Contains(c.form.fields[0].msg.Text, "hunter2") || c.form.fields[0].msg.Text == "" {
		t.Errorf("a password in the URL: Save enabled %v, message %q", !c.saveBtn.Disabled(), c.form.fields[0].msg.Text)
	}
	uitest.Retype(c.url, "rest:https://offsite.example:8000/office")
	const pw, cred = "copy-repo-s3cret", "rest-copy-token"
	test.Type(c.password.entry, pw)
	test.Type(c.confirm, pw+"x")
	if !c.saveBtn.Disabled() || !uitest.Shows(c.obj, "The two passwords differ") {
		t.Error("a confirmation that differs: Save must stay disabled and say why")
	}
	uitest.Retype(c.confirm, pw)
	test.Type(c.secrets[2].entry, cred)
	if c.saveBtn.Disabled() {
		t.Fatalf("Save disabled: %v", c.form.firstError())
	}
	test.Tap(c.saveBtn)
	settle(e.UI, e.app)

	cr, err := e.hub.CopyRepository(hostID)
	if err != nil || cr.URL != "rest:https://offsite.example:8000/office" || !cr.PasswordSet || !cr.CredentialSet || cr.UsernameSet {
		t.Fatalf("second repository %+v (%v)", cr, err)
	}
	for slot, want := range map[secrets.Slot]string{secrets.CopyPassword: pw, secrets.CopyCredential: cred} {
		if got, err := e.sec.Get(hostID, slot); err != nil || got != want {
			t.Errorf("secret store %s = %q (%v)", slot, got, err)
		}
	}
	if rs, _ := e.hub.Repository(hostID); rs.URL != "" || rs.PasswordSet {
		t.Errorf("the primary repository changed: %+v", rs)
	}
	want := "Saved the second repository's URL, the second repository's password and the second repository's REST credential. office-pc is offline: it gets the change when it connects."
	if got := c.status.text(); got != want {
		t.Errorf("save line %q; want %q", got, want)
	}
	e.waitChange(t, hub.ChangeHost, hostID)
	if c.password.entry.Text != "" || c.confirm.Text != "" || c.password.state.Text != "set" || !c.saveBtn.Disabled() {
		t.Errorf("after Save: entry %q, confirm %q, state %q, Save enabled %v", c.password.entry.Text, c.confirm.Text, c.password.state.Text, !c.saveBtn.Disabled())
	}
	fresh := newSettingsTab(e.UI, sc, hostID)
	for _, txt := range append(uitest.Texts(s.obj), uitest.Texts(fresh.obj)...) {
		if strings.Contains(txt, pw) || strings.Contains(txt, cred) {
			t.Fatalf("a widget shows a secret: %q", txt)
		}
	}

	// An empty URL removes the second repository: copies stop.
	uitest.Retype(c.url, "")
	test.Tap(c.saveBtn)
	settle(e.UI, e.app)
	if cr, _ := e.hub.CopyRepository(hostID); cr.Configured() || !strings.Contains(c.status.text(), "copies stop") {
		t.Errorf("after clearing the URL: %+v, line %q", cr, c.status.text())
	}
}

// copy_cron is saved with the maintenance plan; without a second
// repository the card says the schedule waits for one, and Copy now
// says where to set it; with one, Copy now starts a copy job and the
// Overview shows its outcome.
func TestCopyScheduleCopyNowAndLastCopy(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "office-pc", "UTC")
	sc := e.newScope()
	defer sc.close()
	s := newSchedulesTab(e.UI, sc, hostID)
	e.show(s.obj)
	m := s.maint
	if !m.copyNote.Visible() || !strings.Contains(m.copyNote.Text, "no second repository") {
		t.Errorf("no second repository: note %q (shown %v)", m.copyNote.Text, m.copyNote.Visible())
	}
	uitest.Retype(m.copyCron, "0 6 * * 7x")
	if !m.saveBtn.Disabled() {
		t.Error("a bad copy cron: Save maintenance must be disabled")
	}
	uitest.Retype(m.copyCron, "0 6 * * *")
	if !strings.Contains(m.copyPreview.Text, "Copy ") || !strings.Contains(m.copyPreview.Text, "next:") {
		t.Errorf("copy preview %q", m.copyPreview.Text)
	}
	test.Tap(m.saveBtn)
	e.waitChange(t, hub.ChangeSchedules, hostID)
	if plan, _ := e.hub.Maintenance(hostID); plan != (hub.Maintenance{CopyCron: "0 6 * * *"}) {
		t.Errorf("stored plan %+v; want copy_cron alone", plan)
	}

	jobs := newJobsTab(e.UI, sc, hostID)
	e.show(jobs.object())
	test.Tap(jobs.actions.copyBtn)
	if jobs.actions.dlg == nil || !uitest.Shows(e.win.Canvas().Overlays().Top(), "Set one in the Settings tab") {
		t.Fatal("Copy now without a second repository must say where to set one")
	}
	jobs.actions.dlg.Hide()
	url, pw := "/mnt/offsite/office", "copy-pw"
	if err := e.hub.SetCopyRepository(hostID, hub.CopyRepositoryUpdate{URL: &url, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	m.reload()
	if m.copyNote.Visible() {
		t.Errorf("with a second repository the note still shows: %q", m.copyNote.Text)
	}
	test.Tap(jobs.actions.copyBtn)
	page, err := e.hub.Jobs(hostID, "", 5)
	if err != nil || len(page.Jobs) != 1 || page.Jobs[0].Kind != hub.JobKindCopy || page.Jobs[0].Status != hub.JobQueued {
		t.Fatalf("jobs %+v (%v); want one queued copy", page.Jobs, err)
	}

	// The copy fails on the agent: the Overview says when and why.
	ov := newOverviewTab(e.UI, sc, hostID)
	if ov.copy.Text != "never" {
		t.Errorf("last copy before any: %q", ov.copy.Text)
	}
	job := page.Jobs[0].ID
	applyEvents(t, e.st, hostID, time.Now(),
		&protocol.JobStarted{JobID: job, Kind: protocol.KindCopy, StartedAt: time.Now().Add(-time.Minute)},
		&protocol.JobFinished{JobID: job, Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: time.Now(), Error: "restic exit 1: Fatal: unable to open repository\nmore"})
	ov.refreshCopy()
	if !strings.Contains(ov.copy.Text, "failed: restic exit 1: Fatal: unable to open repository; last success never") {
		t.Errorf("last copy %q", ov.copy.Text)
	}
	if v, _ := e.hub.Host(hostID); !v.Failing || !v.CopyFailing {
		t.Errorf("a failed copy: host failing %v, copy failing %v; want both", v.Failing, v.CopyFailing)
	}
}
