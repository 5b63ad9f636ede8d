package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/icons"
	"restic-manager/protocol"
	"restic-manager/protocol/mesh"
)

// renderedSidebarRow finds the rendered sidebar row showing name and returns
// its icon, second line and badge ("" when hidden).
func renderedSidebarRow(t *testing.T, m *mainWindow, name string) (fyne.Resource, string, string) {
	t.Helper()
	for _, o := range uitest.Objects(m.list) {
		row, ok := o.(*fyne.Container)
		if !ok || len(row.Objects) != 3 {
			continue
		}
		text, ok := row.Objects[0].(*fyne.Container)
		if !ok || len(text.Objects) != 2 {
			continue
		}
		l, ok := text.Objects[0].(*widget.Label)
		if !ok || l.Text != name {
			continue
		}
		icon := row.Objects[1].(*widget.Icon)
		badge := row.Objects[2].(*widget.Label)
		b := badge.Text
		if !badge.Visible() {
			b = ""
		}
		return icon.Resource, text.Objects[1].(*widget.Label).Text, b
	}
	t.Fatalf("no sidebar row shows %q", name)
	return nil, "", ""
}

func shownNames(m *mainWindow) []string {
	var out []string
	for _, v := range m.shown {
		out = append(out, v.Host.DisplayName())
	}
	return out
}

func TestSidebarShowsFailingAndNeverBackedUpHosts(t *testing.T) {
	now := func() time.Time { return testNow }
	h, st := storeHub(t, hub.Options{Now: now}, nil)
	failing := enrollHost(t, st, testHost("office-pc", "linux"), testNow.Add(-72*time.Hour))
	enrollHost(t, st, testHost("front-desk", "windows"), testNow.Add(-time.Hour))
	recordJob(t, st, failing, "job-ok", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", testNow.Add(-3*time.Hour))
	recordJob(t, st, failing, "job-bad", protocol.KindBackup, "docs", protocol.StatusFailed, "repository is locked\nretry later", testNow.Add(-time.Hour))

	u, _ := newTestUI(t, h, Options{Now: now})
	m := u.main
	icon, age, badge := renderedSidebarRow(t, m, "office-pc")
	if icon != icons.Failed || age != "last backup 3 h ago" || badge != "" {
		t.Errorf("office-pc row = %s, %q, badge %q; want the failed icon, %q, no badge", icon.Name(), age, badge, "last backup 3 h ago")
	}
	icon, age, badge = renderedSidebarRow(t, m, "front-desk")
	if icon != icons.Offline || age != "last backup never" || badge != "" {
		t.Errorf("front-desk row = %s, %q, badge %q; want the offline icon, %q, no badge", icon.Name(), age, badge, "last backup never")
	}
	_, fleet, _ := renderedSidebarRow(t, m, "All hosts")
	if fleet != "2 hosts, 0 online" {
		t.Errorf("All hosts row says %q; want %q", fleet, "2 hosts, 0 online")
	}

	// The dashboard lists the failing host with the error's first line.
	d := m.dash
	failingRows := d.last.with(hub.AttentionFailing)
	if len(failingRows) != 1 || failingRows[0].Name != "office-pc" || failingRows[0].Reasons[0].Text != "docs: repository is locked" {
		t.Errorf("dashboard failing = %+v; want office-pc with %q", failingRows, "docs: repository is locked")
	}
	if d.counter(hub.AttentionFailing).Text != "1" || d.hostsN.Text != "2" || d.onlineN.Text != "0" {
		t.Errorf("counts hosts/online/failing = %s/%s/%s; want 2/0/1", d.hostsN.Text, d.onlineN.Text, d.counter(hub.AttentionFailing).Text)
	}
	// Tapping it there opens the host.
	test.Tap(d.open[failing])
	if m.selected != failing || m.host == nil || m.host.name.Text != "office-pc" {
		t.Errorf("after tapping office-pc on the dashboard: selected %q, view %v; want the host view of %s", m.selected, m.host != nil, failing)
	}
}

func TestSidebarFilter(t *testing.T) {
	now := func() time.Time { return testNow }
	h, st := storeHub(t, hub.Options{Now: now}, nil)
	office := enrollHost(t, st, testHost("office-pc", "linux"), testNow.Add(-time.Hour))
	enrollHost(t, st, testHost("front-desk", "windows"), testNow.Add(-time.Hour))
	enrollHost(t, st, testHost("nas", "linux"), testNow.Add(-time.Hour))
	recordJob(t, st, office, "job-bad", protocol.KindBackup, "docs", protocol.StatusFailed, "boom", testNow.Add(-time.Minute))
	u, _ := newTestUI(t, h, Options{Now: now})
	m := u.main

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"front-desk", "nas", "office-pc"}},
		{"windows", []string{"front-desk"}},
		{"LINUX", []string{"nas", "office-pc"}},
		{"office", []string{"office-pc"}},
		{"failing", []string{"office-pc"}},
		{"linux offline", []string{"nas", "office-pc"}},
		{"online", nil},
		{"linux desk", nil},
	} {
		m.filter.SetText(c.query)
		if got := shownNames(m); !slices.Equal(got, c.want) {
			t.Errorf("filter %q shows %v; want %v", c.query, got, c.want)
		}
		if n := m.list.Length(); n != 1+len(c.want) {
			t.Errorf("filter %q: the list has %d rows; want All hosts and %d", c.query, n, len(c.want))
		}
	}

	// The host shown stays shown while the filter hides its row, and its
	// row is selected again when it reappears.
	m.filter.SetText("")
	m.list.Select(3) // office-pc
	if m.selected != office {
		t.Fatalf("selecting row 3 showed %q; want office-pc", m.selected)
	}
	m.filter.SetText("windows")
	if m.selected != office || m.host == nil {
		t.Errorf("filtering office-pc out closed its view")
	}
	m.filter.SetText("office")
	if got := m.list.Length(); got != 2 {
		t.Fatalf("list length %d; want 2", got)
	}
	m.list.Select(0)
	if m.selected != "" || m.host != nil {
		t.Errorf("All hosts did not bring the dashboard back: selected %q", m.selected)
	}
}

func TestDashboardStaleListHonoursStaleAfter(t *testing.T) {
	now := func() time.Time { return testNow }
	// A host that never backed up is stale however new it is (the
	// dashboard said "every host backed up" above a host that never had).
	for _, c := range []struct {
		after time.Duration
		title string
		stale []string
	}{
		{24 * time.Hour, "no successful backup in the last 24 hours", []string{"new-never", "old-backup", "old-never"}},
		{48 * time.Hour, "no successful backup in the last 48 hours", []string{"new-never", "old-never"}},
		{2 * time.Hour, "no successful backup in the last 2 hours", []string{"fresh", "new-never", "old-backup", "old-never"}},
	} {
		t.Run(fmt.Sprint(c.after), func(t *testing.T) {
			h, st := storeHub(t, hub.Options{Now: now}, nil)
			fresh := enrollHost(t, st, testHost("fresh", "linux"), testNow.Add(-100*time.Hour))
			old := enrollHost(t, st, testHost("old-backup", "linux"), testNow.Add(-100*time.Hour))
			enrollHost(t, st, testHost("old-never", "linux"), testNow.Add(-72*time.Hour))
			enrollHost(t, st, testHost("new-never", "linux"), testNow.Add(-time.Hour))
			recordJob(t, st, fresh, "j1", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", testNow.Add(-3*time.Hour))
			recordJob(t, st, old, "j2", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", testNow.Add(-30*time.Hour))

			u, _ := newTestUI(t, h, Options{Now: now, StaleAfter: c.after})
			d := u.main.dash
			var got []string
			for _, r := range d.last.with(hub.AttentionStale) {
				got = append(got, r.Name)
			}
			if !slices.Equal(got, c.stale) {
				t.Errorf("stale list %v; want %v", got, c.stale)
			}
			if d.counter(hub.AttentionStale).Text != fmt.Sprint(len(c.stale)) {
				t.Errorf("stale count %s; want %d", d.counter(hub.AttentionStale).Text, len(c.stale))
			}
			var sub bool
			for _, o := range uitest.Objects(d.body) {
				if card, ok := o.(*widget.Card); ok && strings.Contains(card.Subtitle, c.title) {
					sub = true
				}
			}
			if !sub {
				t.Errorf("the attention card does not say what stale means (%q)", c.title)
			}
			if !slices.Contains(uitest.Texts(d.body), "Stale — never backed up (added 3 d ago)") {
				t.Errorf("old-never's line does not say it never backed up since it was added 3 d ago: %q", uitest.Texts(d.body))
			}
		})
	}
}

func TestDashboardEmptyFleetSaysWhatToDo(t *testing.T) {
	h, _ := storeHub(t, hub.Options{}, nil)
	u, _ := newTestUI(t, h, Options{})
	if b := uitest.Button(u.main.dash.body, "Add host…"); b == nil {
		t.Fatal("an empty dashboard has no Add host button")
	}
	if _, fleet, _ := renderedSidebarRow(t, u.main, "All hosts"); fleet != "no hosts yet" {
		t.Errorf("All hosts row says %q; want %q", fleet, "no hosts yet")
	}
}

func TestHostViewBuildsTabsWhenFirstSelected(t *testing.T) {
	now := func() time.Time { return testNow }
	h, st := storeHub(t, hub.Options{Now: now}, nil)
	id := enrollHost(t, st, testHost("office-pc", "linux"), testNow.Add(-time.Hour))
	u, _ := newTestUI(t, h, Options{Now: now})
	u.main.show(id)
	v := u.main.host
	if v == nil {
		t.Fatal("no host view")
	}
	if v.name.Text != "office-pc" || v.details.Text != "linux/amd64 · agent 0.1.0 · restic 0.14.0" {
		t.Errorf("header %q / %q; want office-pc / linux/amd64 · agent 0.1.0 · restic 0.14.0", v.name.Text, v.details.Text)
	}
	if !strings.HasPrefix(v.online.Text, "Offline — last seen 1 h ago") {
		t.Errorf("online state %q; want Offline — last seen 1 h ago", v.online.Text)
	}
	if v.backup.Text != "Last successful backup never" {
		t.Errorf("backup line %q; want %q", v.backup.Text, "Last successful backup never")
	}
	if v.pending.Visible() || v.rejected.Visible() {
		t.Error("an approved host shows the pending or rejected banner")
	}
	if len(v.tabs.Items) != 6 {
		t.Fatalf("%d tabs; want 6", len(v.tabs.Items))
	}
	built := func() []bool {
		var out []bool
		for _, tv := range v.views {
			out = append(out, tv != nil)
		}
		return out
	}
	if b := built(); !b[0] || slices.Contains(b[1:], true) {
		t.Fatalf("built = %v; want only Overview", b)
	}
	if _, ok := v.showTab("Snapshots").(*snapshotsTab); !ok || v.tabs.SelectedIndex() != 4 {
		t.Fatalf("showTab(Snapshots) selected tab %d; want the Snapshots tab (4)", v.tabs.SelectedIndex())
	}
	if b := built(); !b[4] || len(v.holders[4].Objects) != 1 || b[1] {
		t.Errorf("after selecting Snapshots: built = %v; want Overview and Snapshots", b)
	}
	// Another host closes this view's scope.
	u.main.show("")
	if _, open := u.bus.listeners[v.sc]; open {
		t.Error("the host view's listeners outlived it")
	}
}

func TestTailnetLine(t *testing.T) {
	for _, c := range []struct {
		st   mesh.Status
		want string
	}{
		{mesh.Status{State: mesh.StateRunning, DNSName: "rm.tail1.ts.net"}, "Tailnet: connected as rm.tail1.ts.net"},
		{mesh.Status{State: mesh.StateNeedsLogin, Hostname: "restic-manager"}, "Tailnet: login needed (restic-manager)"},
		{mesh.Status{State: mesh.StateStarting}, "Tailnet: connecting…"},
		{mesh.Status{State: mesh.StateStopped, Err: "control unreachable"}, "Tailnet: stopped\ncontrol unreachable"},
	} {
		if got := tailnetLine(c.st); got != c.want {
			t.Errorf("%+v: %q; want %q", c.st, got, c.want)
		}
	}
}

// fakeTailnet stands in for the manager's tailnet node (a real one needs
// a control server; protocol/mesh tests that): it hands out statuses the
// test pushes.
type fakeTailnet struct {
	ch chan mesh.Status
}

func (n *fakeTailnet) Status() mesh.Status { return mesh.Status{State: mesh.StateStarting} }
func (n *fakeTailnet) Subscribe() (<-chan mesh.Status, func()) {
	return n.ch, func() {}
}

func TestTailnetFooterFollowsTheNode(t *testing.T) {
	h, _ := storeHub(t, hub.Options{}, nil)
	tn := &fakeTailnet{ch: make(chan mesh.Status)}
	u, app := newTestUI(t, h, Options{Tailnet: tn})
	m := u.main
	read := func() (string, bool, string) {
		link := ""
		if m.login.URL != nil {
			link = m.login.URL.String()
		}
		return m.tailnet.Text, m.login.Visible(), link
	}
	tn.ch <- mesh.Status{State: mesh.StateNeedsLogin, LoginURL: "https://login.example/a/123", Hostname: "rm"}
	app.WaitFor(t, "the login link", func() bool {
		text, shown, link := read()
		return text == "Tailnet: login needed (rm)" && shown && link == "https://login.example/a/123"
	})
	tn.ch <- mesh.Status{State: mesh.StateRunning, DNSName: "rm.tail1.ts.net"}
	app.WaitFor(t, "the connected line without a link", func() bool {
		text, shown, _ := read()
		return text == "Tailnet: connected as rm.tail1.ts.net" && !shown
	})
}
