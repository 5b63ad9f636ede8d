package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
)

// Settings → History shows the stored settings, refuses what the hub
// refuses under the input concerned (a log kept longer than its job, a
// word instead of days) with Save disabled, stores a valid change, and
// its "Clean up now" removes what the rules say and reports it.
func TestHistorySettingsFormSavesRefusesAndCleansUp(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "theta", "UTC")
	// 25 checks of two years ago: the newest 20 stay, 5 go.
	old := time.Now().AddDate(-2, 0, 0)
	for i := range 25 {
		recordJob(t, e.st, hostID, fmt.Sprintf("old-%02d", i), protocol.KindCheck, "", protocol.StatusSucceeded, "", old.Add(time.Duration(i)*time.Hour))
	}

	sc := e.newScope()
	defer sc.close()
	v := newHistorySettings(e.UI, sc)
	e.show(v.object())
	if v.jobDays.Text != "365" || v.okLogDays.Text != "30" || v.failedLogDays.Text != "180" {
		t.Fatalf("form shows %s / %s / %s days, want the defaults 365 / 30 / 180", v.jobDays.Text, v.okLogDays.Text, v.failedLogDays.Text)
	}
	if !v.saveBtn.Disabled() || !v.revertBtn.Disabled() {
		t.Error("Save and Revert should be disabled with nothing changed")
	}
	if !uitest.Shows(v.object(), "newest 20 jobs of each host") || !uitest.Shows(v.object(), "The store file is") {
		t.Errorf("the view should say what is always kept and how big the store is; it shows %q", uitest.VisibleTexts(v.object()))
	}

	// Job records kept 20 days: the 30-day log setting is refused under its
	// own input, in the hub's words.
	uitest.Retype(v.jobDays, "20")
	msg := v.form.fields[1].msg
	if !v.saveBtn.Disabled() || msg.Importance != widget.DangerImportance || !strings.Contains(msg.Text, "longer than its job record") {
		t.Errorf("20-day records with 30-day logs: Save disabled %v, under the succeeded logs %q", v.saveBtn.Disabled(), msg.Text)
	}
	uitest.Retype(v.okLogDays, "two weeks")
	if !v.saveBtn.Disabled() || !strings.Contains(v.form.fields[1].msg.Text, "whole number") {
		t.Errorf("a word for days: Save disabled %v, message %q", v.saveBtn.Disabled(), v.form.fields[1].msg.Text)
	}
	if got, _ := e.hub.HistorySettings(); got != (hub.HistorySettings{JobDays: 365, SucceededLogDays: 30, FailedLogDays: 180}) {
		t.Errorf("a refused form reached the hub: %+v", got)
	}

	uitest.Retype(v.jobDays, "400")
	uitest.Retype(v.okLogDays, "14")
	uitest.Retype(v.failedLogDays, "90")
	if v.saveBtn.Disabled() {
		t.Fatalf("Save should be enabled for 400 / 14 / 90; the form says %v", v.form.firstError())
	}
	test.Tap(v.saveBtn)
	want := hub.HistorySettings{JobDays: 400, SucceededLogDays: 14, FailedLogDays: 90}
	if got, _ := e.hub.HistorySettings(); got != want {
		t.Fatalf("stored settings = %+v, want %+v", got, want)
	}
	if !strings.Contains(v.status.label.Text, "Saved") || !v.saveBtn.Disabled() {
		t.Errorf("after Save: status %q, Save disabled %v", v.status.label.Text, v.saveBtn.Disabled())
	}
	// Saving started a clean-up; 400 days keeps every job of two years ago
	// that is among the newest 20, and these are older: 5 go.
	e.app.WaitFor(t, "the clean-up's report in the view", func() bool {
		return strings.Contains(v.sweep.Text, "removed 5 jobs,")
	})
	page, _ := e.hub.Jobs(hostID, "", 100)
	if len(page.Jobs) != hub.KeepJobsPerHost {
		t.Errorf("the host has %d jobs after the clean-up, want its newest %d", len(page.Jobs), hub.KeepJobsPerHost)
	}

	// "Clean up now" runs another, which finds nothing more.
	test.Tap(v.sweepBtn)
	e.app.WaitFor(t, "the second clean-up's report", func() bool {
		return strings.Contains(v.sweep.Text, "removed 0 jobs,")
	})
}

// The sidebar's "Settings…" opens the manager's settings on History.
func TestTheSidebarOpensManagerSettingsOnHistory(t *testing.T) {
	e := newTestEnv(t)
	test.Tap(e.main.settings)
	top := e.win.Canvas().Overlays().Top()
	if top == nil || !uitest.Shows(top, historyJobsLabel) || !uitest.Shows(top, "Clean up now") {
		t.Fatalf("Settings… should open a dialog with the History tab; the top overlay shows %v", top)
	}
}
