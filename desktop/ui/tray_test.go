package ui

import (
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
	"restic-manager/protocol"
)

func TestTrayPauseAllSchedulesTogglesTheHub(t *testing.T) {
	h, st := storeHub(t, hub.Options{}, nil)
	enrollHost(t, st, testHost("office-pc", "linux"), time.Now().Add(-time.Hour))
	u, _ := newTestUI(t, h, Options{})
	tr := newTrayMenu(u)
	if tr.pause.Checked {
		t.Fatal("Pause all schedules starts checked")
	}
	for _, want := range []bool{true, false} {
		tr.pause.Action()
		got, err := h.AllSchedulesPaused()
		if err != nil || got != want {
			t.Fatalf("after the menu item: hub AllSchedulesPaused = %v, %v; want %v", got, err, want)
		}
		if tr.pause.Checked != want {
			t.Errorf("menu item checked %v; want %v", tr.pause.Checked, want)
		}
	}
	// Paused elsewhere (another window, the API): the menu follows.
	if err := h.PauseAllSchedules(true); err != nil {
		t.Fatal(err)
	}
	tr.refresh()
	if !tr.pause.Checked || tr.state.Label != "All backups OK · schedules paused" {
		t.Errorf("after pausing through the hub: checked %v, state %q", tr.pause.Checked, tr.state.Label)
	}
	if len(tr.menu.Items) == 0 || !tr.menu.Items[len(tr.menu.Items)-1].IsQuit {
		t.Error("the menu's last item is not Quit (the driver would add a second one)")
	}
}

func TestTrayIconFollowsTheFleet(t *testing.T) {
	h, st := storeHub(t, hub.Options{}, nil)
	id := enrollHost(t, st, testHost("office-pc", "linux"), time.Now().Add(-time.Hour))
	_, app := newTestUI(t, h, Options{})
	if app.TrayMenu() == nil || app.TrayIcon() != icons.App {
		t.Fatalf("tray: menu %v, icon %v; want the menu and the app icon", app.TrayMenu() != nil, app.TrayIcon())
	}
	// A failing backup: the next hub change turns the icon red. (The
	// store is written directly, so poke the hub for a change.)
	recordJob(t, st, id, "job-bad", protocol.KindBackup, "docs", protocol.StatusFailed, "boom", time.Now())
	if err := h.SetHookShell(id, "/bin/sh"); err != nil { // publishes ChangeHost
		t.Fatal(err)
	}
	app.WaitFor(t, "the failed tray icon", func() bool { return app.TrayIcon() == icons.Failed })
}

func TestFleetState(t *testing.T) {
	ok := hub.HostView{Host: hub.Host{Status: hub.StatusApproved}}
	running := hub.HostView{Host: hub.Host{Status: hub.StatusApproved}, RunningJobs: 2}
	failing := hub.HostView{Host: hub.Host{Status: hub.StatusApproved}, Failing: true, RunningJobs: 1}
	pendingFailing := hub.HostView{Host: hub.Host{Status: hub.StatusPending}, Failing: true}
	for _, c := range []struct {
		hosts []hub.HostView
		want  fleetState
		line  string
	}{
		{nil, fleetOK, "All backups OK"},
		{[]hub.HostView{ok, pendingFailing}, fleetOK, "All backups OK"},
		{[]hub.HostView{ok, running}, fleetRunning, "2 jobs running"},
		{[]hub.HostView{running, failing}, fleetFailing, "1 host failing"},
		{[]hub.HostView{failing, failing}, fleetFailing, "2 hosts failing"},
	} {
		got, line := fleetStateOf(c.hosts)
		if got != c.want || line != c.line {
			t.Errorf("%d hosts: %v %q; want %v %q", len(c.hosts), got, line, c.want, c.line)
		}
	}
}
