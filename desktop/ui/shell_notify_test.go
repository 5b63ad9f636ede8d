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

func TestShellNotifierDecisions(t *testing.T) {
	at := func(h float64) *time.Time { x := shellT0.Add(time.Duration(h * float64(time.Hour))); return &x }
	host := func(last *time.Time) shellNotifyHost {
		return shellNotifyHost{Name: "office-pc", Approved: true, LastBackupAt: last, FirstSeen: shellT0.Add(-100 * time.Hour)}
	}
	facts := func(now time.Time, hosts map[string]shellNotifyHost, failed map[string]shellNotifyJob) shellNotifyFacts {
		if hosts == nil {
			hosts = map[string]shellNotifyHost{}
		}
		if failed == nil {
			failed = map[string]shellNotifyJob{}
		}
		return shellNotifyFacts{Now: now, Hosts: hosts, Failed: failed}
	}
	fresh := map[string]shellNotifyHost{"h1": host(at(-1))}
	bad := shellNotifyJob{HostID: "h1", Kind: "backup", Group: "docs", Error: "repository is locked\nby PID 42"}
	for _, c := range []struct {
		name       string
		prev, next shellNotifyFacts
		want       []string // "title | content"
	}{
		{"nothing changed", facts(shellT0, fresh, nil), facts(shellT0, fresh, nil), nil},
		{"a job failed", facts(shellT0, fresh, nil), facts(shellT0, fresh, map[string]shellNotifyJob{"j1": bad}),
			[]string{"Backup failed on office-pc | Group docs: repository is locked"}},
		{"the same failure again", facts(shellT0, fresh, map[string]shellNotifyJob{"j1": bad}), facts(shellT0, fresh, map[string]shellNotifyJob{"j1": bad}), nil},
		{"a prune without a message, on an unknown host", facts(shellT0, nil, nil), facts(shellT0, nil, map[string]shellNotifyJob{"j2": {HostID: "h9", Kind: "prune"}}),
			[]string{"Prune failed on h9 | no error message; see the job's log"}},
		{"time makes a host stale", facts(shellT0, fresh, nil), facts(shellT0.Add(24*time.Hour), fresh, nil),
			[]string{"office-pc: no backup in 24 hours | Its last successful backup finished 1 d 1 h ago."}},
		{"still stale", facts(shellT0.Add(25*time.Hour), fresh, nil), facts(shellT0.Add(48*time.Hour), fresh, nil), nil},
		{"recovered: no notification", facts(shellT0, map[string]shellNotifyHost{"h1": host(at(-30))}, nil), facts(shellT0, fresh, nil), nil},
		{"stale again after recovering", facts(shellT0.Add(23*time.Hour), fresh, nil), facts(shellT0.Add(26*time.Hour), fresh, nil),
			[]string{"office-pc: no backup in 24 hours | Its last successful backup finished 1 d 3 h ago."}},
		{"never backed up, old enough", facts(shellT0.Add(-77*time.Hour), map[string]shellNotifyHost{"h1": host(nil)}, nil), facts(shellT0, map[string]shellNotifyHost{"h1": host(nil)}, nil),
			[]string{"office-pc: no backup in 24 hours | It has never backed up since it was added 4 d 4 h ago."}},
		{"a pending host is never stale", facts(shellT0, map[string]shellNotifyHost{"h1": {Name: "kiosk", FirstSeen: shellT0.Add(-100 * time.Hour)}}, nil),
			facts(shellT0.Add(time.Hour), map[string]shellNotifyHost{"h1": {Name: "kiosk", FirstSeen: shellT0.Add(-100 * time.Hour)}}, nil), nil},
		{"failures first, by host name", facts(shellT0, nil, nil), facts(shellT0.Add(48*time.Hour),
			map[string]shellNotifyHost{"h1": host(at(-1)), "h2": {Name: "alpha", Approved: true, LastBackupAt: at(47)}},
			map[string]shellNotifyJob{"j9": bad, "j1": {HostID: "h2", Kind: "check", Error: "pack 1 damaged"}}),
			[]string{"Check failed on alpha | pack 1 damaged", "Backup failed on office-pc | Group docs: repository is locked",
				"office-pc: no backup in 24 hours | Its last successful backup finished 2 d 1 h ago."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := shellNoteLines(shellNotifier{StaleAfter: 24 * time.Hour}.decide(c.prev, c.next))
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func shellNoteLines[N *fyne.Notification | fyne.Notification](ns []N) []string {
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

// shellTestClock is a settable clock.
type shellTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *shellTestClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *shellTestClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestShellNotifierSkipsHistoryAndNotifiesOncePerEpisode(t *testing.T) {
	clock := &shellTestClock{t: shellT0}
	h, st := shellHub(t, clock.now)
	id := shellEnroll(t, st, "office-pc", "linux", shellT0.Add(-100*time.Hour))
	// History: an old failure, and a backup 23 h ago.
	shellJob(t, st, id, "old-failure", protocol.KindBackup, "mail", protocol.StatusFailed, "disk full", shellT0.Add(-50*time.Hour))
	shellJob(t, st, id, "good", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", shellT0.Add(-23*time.Hour))

	u, app := shellUI(t, h, Options{Now: clock.now, StaleAfter: 24 * time.Hour})
	w := newShellNotifyWatch(u) // a second watch, not subscribed: driven by hand below
	var sent []string
	w.send = func(n *fyne.Notification) { sent = append(sent, n.Title+" | "+n.Content) }
	w.changed(change{Kind: hub.ChangeAll})
	if len(sent) != 0 || len(app.notifications()) != 0 {
		t.Fatalf("history was notified: %q %v", sent, shellNoteLines(app.notifications()))
	}

	// A new failure: one notification, however often its job changes.
	shellJob(t, st, id, "new-failure", protocol.KindBackup, "docs", protocol.StatusFailed, "wrong password\ndetails", shellT0.Add(-time.Minute))
	for range 2 {
		w.changed(change{Kind: hub.ChangeJob, HostID: id, JobID: "new-failure"})
	}
	w.changed(change{Kind: hub.ChangeJob, HostID: id}) // a fire: the latest page is read
	if strings.Join(sent, "\n") != "Backup failed on office-pc | Group docs: wrong password" {
		t.Fatalf("sent %q; want one failure notification", sent)
	}

	// Time passes the 24 h: one stale notification, not repeated.
	sent = nil
	clock.set(shellT0.Add(2 * time.Hour))
	w.recheck()
	w.recheck()
	if strings.Join(sent, "\n") != "office-pc: no backup in 24 hours | Its last successful backup finished 1 d 1 h ago." {
		t.Fatalf("sent %q; want one stale notification", sent)
	}
	// A successful backup ends the episode; the next one notifies again.
	sent = nil
	shellJob(t, st, id, "good-again", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", shellT0.Add(2*time.Hour))
	w.changed(change{Kind: hub.ChangeHost, HostID: id})
	w.recheck()
	if len(sent) != 0 {
		t.Fatalf("sent %q after recovering; want nothing", sent)
	}
	clock.set(shellT0.Add(27 * time.Hour))
	w.recheck()
	if len(sent) != 1 || !strings.HasPrefix(sent[0], "office-pc: no backup in 24 hours") {
		t.Fatalf("sent %q; want a second stale notification", sent)
	}
}

func TestShellNotifiesARealFailedBackup(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc"})
	u, app := shellUI(t, f.Hub, Options{})
	missing := "/nonexistent/restic-manager-test"
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: "gone", Includes: []string{missing}}); err != nil {
		t.Fatal(err)
	}
	job := f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: "gone"}), "failed")
	shellWait(t, u, "a failure notification", func() bool { return len(app.notifications()) > 0 })
	got := shellNoteLines(app.notifications())
	want := "Backup failed on office-pc | Group gone: " + shellFirstLine(job.Error)
	if len(got) != 1 || got[0] != want {
		t.Errorf("notifications %q; want exactly %q", got, want)
	}
	// The sidebar and tray show it failing too.
	shellWait(t, u, "office-pc failing in the sidebar", func() bool {
		icon, _, _ := shellSidebarRow(t, u.main, "office-pc")
		return icon.Name() == "failed.svg"
	})
}
