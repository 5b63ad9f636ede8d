package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/internal/uitest"
)

// With a real agent: a schedule saved in the Schedules tab is sent to the
// online host, acknowledged by the agent, and the tab says both; a backup and a check show up in the
// Overview (the group's outcome, the check's time and status); Settings
// says the host is online.
func TestConfigTabsWithRealAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real agent and restic")
	}
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc"})
	e := newTestEnvOn(t, f.Hub, f.Store, f.Secrets)
	hostID := a.HostID
	sc := e.newScope()
	defer sc.close()

	s := newSchedulesTab(e.UI, sc, hostID)
	o := newOverviewTab(e.UI, sc, hostID)
	set := newSettingsTab(e.UI, sc, hostID)
	e.show(s.obj)

	if !strings.Contains(set.online.Text, "office-pc is online") {
		t.Errorf("settings note %q, want it to say the host is online", set.online.Text)
	}
	if got := strings.Join(s.editor.groups.Options, ","); got != testfleet.Group {
		t.Fatalf("group checklist %q, want %q", got, testfleet.Group)
	}
	uitest.Retype(s.editor.cron, "30 2 * * *")
	s.editor.groups.SetSelected([]string{testfleet.Group})
	if s.editor.saveBtn.Disabled() {
		t.Fatalf("Save disabled; form says %v", s.editor.form.firstError())
	}
	test.Tap(s.editor.saveBtn)
	if got := s.editor.status.text(); !strings.HasPrefix(got, "Saved. Next fire: ") || !strings.HasSuffix(got, "Sent to office-pc; waiting for it to confirm.") {
		t.Errorf("the schedule's save says %q; want its next fire and that it went to the online host", got)
	}
	// The line follows the save: once the agent acknowledges the new
	// schedule set, it says so.
	e.app.WaitFor(t, "the save's line to say office-pc applied it", func() bool {
		return strings.Contains(s.editor.status.text(), "office-pc applied it at ")
	})
	st, err := f.Hub.ScheduleStatus(hostID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.InSync() && !strings.Contains(s.status.syncLabel.Text, fmt.Sprintf("Waiting for the agent to acknowledge version %d", st.Version)) {
		t.Errorf("right after Save (agent at %d of %d) the tab says %q", st.AckedVersion, st.Version, s.status.syncLabel.Text)
	}
	want := fmt.Sprintf("The agent runs version %d", st.Version)
	e.app.WaitFor(t, "the tab to show the agent's acknowledgement", func() bool {
		return strings.Contains(s.status.syncLabel.Text, want)
	})

	a.Backup(t)
	e.app.WaitFor(t, "the overview to show the backup", func() bool {
		return uitest.Shows(o.groupsBox, "succeeded")
	})
	f.WaitJob(t, f.RunNow(t, hostID, hub.RunRequest{Kind: "check"}), "succeeded")
	e.app.WaitFor(t, "the overview to show the check", func() bool {
		return strings.HasSuffix(o.check.Text, "— ok")
	})
}
