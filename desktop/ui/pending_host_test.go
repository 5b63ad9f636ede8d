package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/icons"
)

// hostStatus is the host's approval state as the hub stores it.
func hostStatus(t *testing.T, h *hub.Hub, id string) string {
	t.Helper()
	d, err := h.Host(id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Host.Status
}

func TestApprovePendingHostFromTheDashboard(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	u, app := newTestUI(t, f.Hub, Options{})
	d := u.main.dash
	p := f.PendingPeer(t, "kiosk") // arrives while the window is open

	app.WaitFor(t, "the dashboard to offer approving kiosk", func() bool { return d.approve[p.HostID] != nil })
	if icon, age, badge := renderedSidebarRow(t, u.main, "kiosk"); icon != icons.Pending || badge != "pending" || age != "waiting for approval" {
		t.Errorf("kiosk's sidebar row = %s, %q, badge %q; want the pending icon and badge", icon.Name(), age, badge)
	}
	test.Tap(d.approve[p.HostID])

	testfleet.WaitFor(t, testfleet.Wait, "the agent to hear it is approved", func() bool { return p.Status() == hub.StatusApproved })
	if s := hostStatus(t, f.Hub, p.HostID); s != hub.StatusApproved {
		t.Fatalf("hub says kiosk is %s; want approved", s)
	}
	hosts, err := f.Hub.Hosts()
	if err != nil || len(hosts) != 1 || hosts[0].Pending || hosts[0].Host.Status != hub.StatusApproved {
		t.Fatalf("hub lists %+v, %v; want kiosk approved", hosts, err)
	}
	app.WaitFor(t, "the pending list to empty", func() bool { return d.last.count(hub.AttentionPending) == 0 && d.approve[p.HostID] == nil })
	app.WaitFor(t, "kiosk's row to lose its badge", func() bool {
		_, _, badge := renderedSidebarRow(t, u.main, "kiosk")
		return badge == ""
	})
}

func TestApprovePendingHostFromItsHeader(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	p := f.PendingPeer(t, "kiosk")
	u, app := newTestUI(t, f.Hub, Options{})
	u.main.show(p.HostID)
	v := u.main.host
	if !v.pending.Visible() || v.rejected.Visible() {
		t.Fatalf("pending banner shown %v, rejected banner shown %v; want only the pending one", v.pending.Visible(), v.rejected.Visible())
	}
	if v.name.Text != "kiosk" || !strings.HasPrefix(v.online.Text, "Online since") {
		t.Errorf("header %q, %q; want kiosk, online", v.name.Text, v.online.Text)
	}
	test.Tap(v.approve)
	testfleet.WaitFor(t, testfleet.Wait, "the agent to hear it is approved", func() bool { return p.Status() == hub.StatusApproved })
	if s := hostStatus(t, f.Hub, p.HostID); s != hub.StatusApproved {
		t.Fatalf("hub says kiosk is %s; want approved", s)
	}
	app.WaitFor(t, "the pending banner to go", func() bool { return !v.pending.Visible() })
}

func TestRejectPendingHost(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	p := f.PendingPeer(t, "intruder")
	u, app := newTestUI(t, f.Hub, Options{})
	u.main.show(p.HostID)
	v := u.main.host

	// Reject asks first; Cancel leaves the host pending.
	test.Tap(v.reject)
	dlg := u.win.Canvas().Overlays().Top()
	if dlg == nil {
		t.Fatal("Reject opened no confirmation")
	}
	test.Tap(uitest.Button(dlg, "Cancel"))
	if s := hostStatus(t, f.Hub, p.HostID); s != hub.StatusPending {
		t.Fatalf("after Cancel the host is %s; want pending", s)
	}

	test.Tap(v.reject)
	confirm := uitest.Button(u.win.Canvas().Overlays().Top(), "Reject")
	if confirm == nil {
		t.Fatal("the confirmation has no Reject button")
	}
	test.Tap(confirm)
	if s := hostStatus(t, f.Hub, p.HostID); s != hub.StatusRejected {
		t.Fatalf("hub says the host is %s; want rejected", s)
	}
	app.WaitFor(t, "the rejected banner", func() bool { return v.rejected.Visible() && !v.pending.Visible() })
	app.WaitFor(t, "the sidebar's rejected badge", func() bool {
		_, _, badge := renderedSidebarRow(t, u.main, "intruder")
		return badge == "rejected"
	})
	// The dashboard no longer offers it.
	u.main.show("")
	if p := u.main.dash.last.with(hub.AttentionPending); len(p) != 0 {
		t.Errorf("dashboard still lists %+v as pending", p)
	}
}

func TestDashboardShowsRunningJobProgress(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc", BigFileMiB: 16, UploadKbps: 512})
	u, app := newTestUI(t, f.Hub, Options{})
	d := u.main.dash
	job := f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group})

	app.WaitFor(t, "a progress bar for the running backup", func() bool { return d.bars[job] != nil })
	if len(d.last.Running) != 1 || d.last.Running[0].Title != "office-pc — backup of "+testfleet.Group {
		t.Errorf("running list %+v; want the backup of %s on office-pc", d.last.Running, testfleet.Group)
	}
	app.WaitFor(t, "the bar to move", func() bool {
		p, ok := f.Hub.Progress(job)
		v, shown := d.barValue(job)
		return ok && shown && v > 0 && v <= 1 && strings.Contains(d.barText[job].Text, "%") && p.PercentDone > 0
	})
	if err := f.Hub.CancelJob(job); err != nil {
		t.Fatal(err)
	}
	f.WaitJob(t, job, "cancelled")
	app.WaitFor(t, "the running list to empty", func() bool { return len(d.last.Running) == 0 && d.bars[job] == nil })
}
