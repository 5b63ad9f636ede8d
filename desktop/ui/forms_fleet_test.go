package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
)

// With a real agent: a schedule saved in the Schedules tab is acknowledged
// by the agent and the tab says so; a backup and a check show up in the
// Overview (the group's outcome, the check's time and status); Settings
// says the host is online.
func TestFormsWithRealAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real agent and restic")
	}
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc"})
	app := test.NewApp()
	t.Cleanup(app.Quit)
	e := newFormsEnvOn(t, app, f.Hub, f.Store, f.Secrets, a.HostID)
	e.pump(t)
	sc := e.u.newScope()
	defer sc.close()

	s := newSchedulesView(e.u, sc, e.hostID)
	o := newOverviewView(e.u, sc, e.hostID)
	set := newSettingsView(e.u, sc, e.hostID)
	e.show(t, s.obj)

	if !strings.Contains(set.online.Text, "office-pc is online") {
		t.Errorf("settings note %q, want it to say the host is online", set.online.Text)
	}
	if got := strings.Join(s.groups.Options, ","); got != testfleet.Group {
		t.Fatalf("group checklist %q, want %q", got, testfleet.Group)
	}
	formsType(s.cron, "30 2 * * *")
	s.groups.SetSelected([]string{testfleet.Group})
	if s.saveBtn.Disabled() {
		t.Fatalf("Save disabled; form says %v", s.form.firstError())
	}
	test.Tap(s.saveBtn)
	st, err := f.Hub.ScheduleStatus(e.hostID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.InSync() && !strings.Contains(s.syncLabel.Text, fmt.Sprintf("Waiting for the agent to acknowledge version %d", st.Version)) {
		t.Errorf("right after Save (agent at %d of %d) the tab says %q", st.AckedVersion, st.Version, s.syncLabel.Text)
	}
	want := fmt.Sprintf("The agent runs version %d", st.Version)
	testfleet.WaitFor(t, testfleet.Wait, "the tab to show the agent's acknowledgement", func() bool {
		e.pump(t)
		return strings.Contains(s.syncLabel.Text, want)
	})

	a.Backup(t)
	testfleet.WaitFor(t, testfleet.Wait, "the overview to show the backup", func() bool {
		e.pump(t)
		return formsShows(o.groupsBox, "succeeded")
	})
	f.WaitJob(t, f.RunNow(t, e.hostID, hub.RunRequest{Kind: "check"}), "succeeded")
	testfleet.WaitFor(t, testfleet.Wait, "the overview to show the check", func() bool {
		e.pump(t)
		return strings.HasSuffix(o.check.Text, "— ok")
	})
}
