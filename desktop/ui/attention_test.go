package ui

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// recordFailed records a backup that failed with the agent's cause.
func recordFailed(t *testing.T, st *storage.Store, hostID, jobID, group, kind, errMsg string, finished time.Time) {
	t.Helper()
	started := finished.Add(-time.Minute)
	if err := st.CreateJob(storage.Job{ID: jobID, HostID: hostID, Kind: protocol.KindBackup, Tag: group, Origin: storage.OriginOperator, CreatedAt: started}); err != nil {
		t.Fatal(err)
	}
	applyEvents(t, st, hostID, finished,
		&protocol.JobStarted{JobID: jobID, Kind: protocol.KindBackup, StartedAt: started},
		&protocol.JobFinished{JobID: jobID, Status: protocol.StatusFailed, ExitCode: 10, FinishedAt: finished, Error: errMsg, ErrorKind: kind})
}

// The dashboard said "Every host backed up within 24 hours." under a host
// that never had, and "1 online" with nobody listed once a host went
// offline. Now each host needing attention is listed once with every
// reason, and each counter is the number of listed hosts with that reason.
func TestDashboardListsEachHostOnceWithWhy(t *testing.T) {
	now := func() time.Time { return testNow }
	h, st := storeHub(t, hub.Options{Now: now}, nil)
	office := enrollHost(t, st, testHost("office-pc", "linux"), testNow.Add(-72*time.Hour))
	desk := enrollHost(t, st, testHost("front-desk", "windows"), testNow.Add(-time.Hour))
	recordJob(t, st, office, "job-ok", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", testNow.Add(-3*time.Hour))
	recordFailed(t, st, office, "job-bad", "docs", protocol.ErrorKindNoRepository,
		"there is no repository at this location\nFatal: unable to open config file: stat /srv/restic/config: no such file or directory", testNow.Add(-time.Hour))
	if _, err := st.CreatePendingHost("nKIOSK", "kiosk.tail-test.ts.net", "agent-kiosk", testHost("kiosk", "linux"), testNow.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}

	u, app := newTestUI(t, h, Options{})
	d := u.main.dash
	var names []string
	for _, r := range d.last.Attention {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"front-desk", "kiosk", "office-pc"}) {
		t.Fatalf("needs attention: %v; want each of front-desk, kiosk, office-pc once", names)
	}
	for _, c := range []struct {
		kind  hub.AttentionKind
		hosts []string
	}{
		{hub.AttentionFailing, []string{"office-pc"}},
		{hub.AttentionStale, []string{"front-desk"}},
		{hub.AttentionOffline, []string{"front-desk", "office-pc"}},
		{hub.AttentionPending, []string{"kiosk"}},
	} {
		var got []string
		for _, r := range d.last.with(c.kind) {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, c.hosts) {
			t.Errorf("%s: %v; want %v", c.kind, got, c.hosts)
		}
		if n := d.counter(c.kind).Text; n != strconv.Itoa(len(c.hosts)) {
			t.Errorf("the %s counter says %s beside a list of %d", c.kind, n, len(c.hosts))
		}
	}
	if d.hostsN.Text != "2" || d.onlineN.Text != "0" {
		t.Errorf("hosts/online = %s/%s; want 2/0", d.hostsN.Text, d.onlineN.Text)
	}

	// Each reason says why, in a line under the host, cause first.
	lines := func(hostID string) string {
		var out []string
		for _, l := range d.reasons[hostID] {
			out = append(out, l.Text)
		}
		return strings.Join(out, " | ")
	}
	if got := lines(office); !strings.Contains(got, "Failing — docs: there is no repository at this location") || !strings.Contains(got, "Offline since ") {
		t.Errorf("office-pc says %q; want the failing group with its cause, and since when it is offline", got)
	}
	if got := lines(desk); !strings.Contains(got, "Stale — never backed up (added 1 h ago)") {
		t.Errorf("front-desk says %q; want that it never backed up", got)
	}
	if uitest.Shows(d.body, "Every host backed up") || uitest.Shows(d.body, "Nothing needs attention") {
		t.Error("the dashboard says all is well beside hosts that are not")
	}
	if d.approve == nil || d.approve[pendingID(t, h)] == nil {
		t.Error("the pending host has no Approve on the dashboard")
	}

	// The missing repository's fix is right there: Initialise now starts
	// init and shows it in office-pc's Jobs tab.
	fix := d.fix[office]
	if fix == nil || fix.Text != "Initialise now" {
		t.Fatalf("office-pc's fix: %v; want Initialise now", fix)
	}
	test.Tap(fix)
	app.Pump()
	m := u.main
	if m.selected != office || m.host == nil {
		t.Fatalf("Initialise now did not open office-pc (selected %q)", m.selected)
	}
	jobs, _ := m.host.views[3].(*jobsTab)
	if jobs == nil {
		t.Fatal("office-pc's Jobs tab is not built")
	}
	j, err := h.Job(jobs.detail.selected)
	if err != nil || j.Kind != protocol.KindInit || j.HostID != office || j.Origin != hub.OriginOperator {
		t.Errorf("the selected job is %+v (%v); want office-pc's init, started by the operator", j, err)
	}

	// Tapping a host there opens it.
	m.show("")
	test.Tap(d.open[desk])
	if m.selected != desk {
		t.Errorf("tapping front-desk opened %q", m.selected)
	}
}

func pendingID(t *testing.T, h *hub.Hub) string {
	t.Helper()
	hosts, err := h.Hosts()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range hosts {
		if v.Pending {
			return v.Host.ID
		}
	}
	t.Fatal("no pending host")
	return ""
}
