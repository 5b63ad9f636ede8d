package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
)

func TestNotifierDecisions(t *testing.T) {
	at := func(h float64) *time.Time { x := testNow.Add(time.Duration(h * float64(time.Hour))); return &x }
	host := func(last *time.Time) notifyHost {
		return notifyHost{Name: "office-pc", Approved: true, LastBackupAt: last, FirstSeen: testNow.Add(-100 * time.Hour)}
	}
	facts := func(now time.Time, hosts map[string]notifyHost, failed map[string]notifyJob) notifyFacts {
		if hosts == nil {
			hosts = map[string]notifyHost{}
		}
		if failed == nil {
			failed = map[string]notifyJob{}
		}
		return notifyFacts{Now: now, Hosts: hosts, Failed: failed}
	}
	fresh := map[string]notifyHost{"h1": host(at(-1))}
	bad := notifyJob{HostID: "h1", Kind: "backup", Group: "docs", Error: "repository is locked\nby PID 42"}
	for _, c := range []struct {
		name       string
		prev, next notifyFacts
		want       []string // "title | content"
	}{
		{"nothing changed", facts(testNow, fresh, nil), facts(testNow, fresh, nil), nil},
		{"a job failed", facts(testNow, fresh, nil), facts(testNow, fresh, map[string]notifyJob{"j1": bad}),
			[]string{"Backup failed on office-pc | Group docs: repository is locked"}},
		{"the same failure again", facts(testNow, fresh, map[string]notifyJob{"j1": bad}), facts(testNow, fresh, map[string]notifyJob{"j1": bad}), nil},
		{"a prune without a message, on an unknown host", facts(testNow, nil, nil), facts(testNow, nil, map[string]notifyJob{"j2": {HostID: "h9", Kind: "prune"}}),
			[]string{"Prune failed on h9 | no error message; see the job's log"}},
		{"time makes a host stale", facts(testNow, fresh, nil), facts(testNow.Add(24*time.Hour), fresh, nil),
			[]string{"office-pc: no backup in 24 hours | Its last successful backup finished 1 d 1 h ago."}},
		{"still stale", facts(testNow.Add(25*time.Hour), fresh, nil), facts(testNow.Add(48*time.Hour), fresh, nil), nil},
		{"recovered: no notification", facts(testNow, map[string]notifyHost{"h1": host(at(-30))}, nil), facts(testNow, fresh, nil), nil},
		{"stale again after recovering", facts(testNow.Add(23*time.Hour), fresh, nil), facts(testNow.Add(26*time.Hour), fresh, nil),
			[]string{"office-pc: no backup in 24 hours | Its last successful backup finished 1 d 3 h ago."}},
		{"never backed up, old enough", facts(testNow.Add(-77*time.Hour), map[string]notifyHost{"h1": host(nil)}, nil), facts(testNow, map[string]notifyHost{"h1": host(nil)}, nil),
			[]string{"office-pc: no backup in 24 hours | It has never backed up since it was added 4 d 4 h ago."}},
		{"a pending host is never stale", facts(testNow, map[string]notifyHost{"h1": {Name: "kiosk", FirstSeen: testNow.Add(-100 * time.Hour)}}, nil),
			facts(testNow.Add(time.Hour), map[string]notifyHost{"h1": {Name: "kiosk", FirstSeen: testNow.Add(-100 * time.Hour)}}, nil), nil},
		{"failures first, by host name", facts(testNow, nil, nil), facts(testNow.Add(48*time.Hour),
			map[string]notifyHost{"h1": host(at(-1)), "h2": {Name: "alpha", Approved: true, LastBackupAt: at(47)}},
			map[string]notifyJob{"j9": bad, "j1": {HostID: "h2", Kind: "check", Error: "pack 1 damaged"}}),
			[]string{"Check failed on alpha | pack 1 damaged", "Backup failed on office-pc | Group docs: repository is locked",
				"office-pc: no backup in 24 hours | Its last successful backup finished 2 d 1 h ago."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := noteLines(notifier{StaleAfter: 24 * time.Hour}.decide(c.prev, c.next))
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func noteLines[N *fyne.Notification | fyne.Notification](ns []N) []string {
	var out []string
	for _, n := range ns {
		var x fyne.Notification
		switch v := any(n).(type) {
		case *fyne.Notification:
			x = *v
		case fyne.Notification:
			x = v
		}
		out = append(out, x.Title+" | "+x.Content)
	}
	return out
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestNotifierSkipsHistoryAndNotifiesOncePerEpisode(t *testing.T) {
	clock := &testClock{t: testNow}
	h, st := storeHub(t, hub.Options{Now: clock.now}, nil)
	id := enrollHost(t, st, testHost("office-pc", "linux"), testNow.Add(-100*time.Hour))
	// History: an old failure, and a backup 23 h ago.
	recordJob(t, st, id, "old-failure", protocol.KindBackup, "mail", protocol.StatusFailed, "disk full", testNow.Add(-50*time.Hour))
	recordJob(t, st, id, "good", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", testNow.Add(-23*time.Hour))

	u, app := newTestUI(t, h, Options{Now: clock.now, StaleAfter: 24 * time.Hour})
	w := newNotifyWatch(u) // a second watch, not subscribed: driven by hand below
	var sent []string
	w.send = func(n *fyne.Notification) { sent = append(sent, n.Title+" | "+n.Content) }
	w.changed([]change{{Kind: hub.ChangeAll}})
	if len(sent) != 0 || len(app.Notifications()) != 0 {
		t.Fatalf("history was notified: %q %v", sent, noteLines(app.Notifications()))
	}

	// A new failure: one notification, however often its job changes.
	recordJob(t, st, id, "new-failure", protocol.KindBackup, "docs", protocol.StatusFailed, "wrong password\ndetails", testNow.Add(-time.Minute))
	for range 2 {
		w.changed([]change{{Kind: hub.ChangeJob, HostID: id, JobID: "new-failure"}})
	}
	w.changed([]change{{Kind: hub.ChangeJob, HostID: id}}) // a fire: the latest page is read
	if strings.Join(sent, "\n") != "Backup failed on office-pc | Group docs: wrong password" {
		t.Fatalf("sent %q; want one failure notification", sent)
	}

	// Time passes the 24 h: one stale notification, not repeated.
	sent = nil
	clock.set(testNow.Add(2 * time.Hour))
	w.recheck()
	w.recheck()
	if strings.Join(sent, "\n") != "office-pc: no backup in 24 hours | Its last successful backup finished 1 d 1 h ago." {
		t.Fatalf("sent %q; want one stale notification", sent)
	}
	// A successful backup ends the episode; the next one notifies again.
	sent = nil
	recordJob(t, st, id, "good-again", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", testNow.Add(2*time.Hour))
	w.changed([]change{{Kind: hub.ChangeHost, HostID: id}})
	w.recheck()
	if len(sent) != 0 {
		t.Fatalf("sent %q after recovering; want nothing", sent)
	}
	clock.set(testNow.Add(27 * time.Hour))
	w.recheck()
	if len(sent) != 1 || !strings.HasPrefix(sent[0], "office-pc: no backup in 24 hours") {
		t.Fatalf("sent %q; want a second stale notification", sent)
	}
}

func TestNotifiesARealFailedBackup(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc"})
	u, app := newTestUI(t, f.Hub, Options{})
	missing := "/nonexistent/restic-manager-test"
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: "gone", Includes: []string{missing}}); err != nil {
		t.Fatal(err)
	}
	job := f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: "gone"}), "failed")
	app.WaitFor(t, "a failure notification", func() bool { return len(app.Notifications()) > 0 })
	got := noteLines(app.Notifications())
	want := "Backup failed on office-pc | Group gone: " + hub.FirstLine(job.Error)
	if len(got) != 1 || got[0] != want {
		t.Errorf("notifications %q; want exactly %q", got, want)
	}
	// The sidebar and tray show it failing too.
	app.WaitFor(t, "office-pc failing in the sidebar", func() bool {
		icon, _, _ := renderedSidebarRow(t, u.main, "office-pc")
		return icon.Name() == "failed.svg"
	})
}
