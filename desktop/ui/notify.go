package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
)

// shellNotifyRecheck is how often staleness is re-evaluated while no hub
// change comes (a host turns stale by time passing, not by an event).
const shellNotifyRecheck = time.Minute

// shellNotifyJobs is how many of each host's latest jobs the notifier
// reads when it cannot know which job changed (at start, after a fire, or
// after the bus overflowed).
const shellNotifyJobs = 20

// shellNotifyHost is what the notifier knows of a host.
type shellNotifyHost struct {
	Name         string
	Approved     bool
	LastBackupAt *time.Time // latest successful backup; nil: none
	FirstSeen    time.Time
}

// shellNotifyJob is a failed job.
type shellNotifyJob struct {
	HostID, Kind, Group, Error string
}

// shellNotifyFacts is the notifier's picture at one moment. Failed holds
// every failed job seen since the window opened, including those that had
// already failed then: a job is notified when it first appears here.
type shellNotifyFacts struct {
	Now    time.Time
	Hosts  map[string]shellNotifyHost
	Failed map[string]shellNotifyJob // by job id
}

func (f shellNotifyFacts) clone() shellNotifyFacts {
	n := shellNotifyFacts{Now: f.Now, Hosts: make(map[string]shellNotifyHost, len(f.Hosts)), Failed: make(map[string]shellNotifyJob, len(f.Failed))}
	for k, v := range f.Hosts {
		n.Hosts[k] = v
	}
	for k, v := range f.Failed {
		n.Failed[k] = v
	}
	return n
}

// shellStaleAt: an approved host is stale when its last successful backup
// is older than after; one that never backed up, once it has existed that
// long.
func shellStaleAt(approved bool, last *time.Time, firstSeen, now time.Time, after time.Duration) bool {
	if !approved {
		return false
	}
	if last != nil && !last.IsZero() {
		return now.Sub(*last) > after
	}
	return now.Sub(firstSeen) > after
}

// shellNotifier decides which desktop notifications a change of facts
// deserves: one per job that failed, and one per stale episode of a host
// (again only after a successful backup ended the episode).
type shellNotifier struct {
	StaleAfter time.Duration
}

func (n shellNotifier) stale(h shellNotifyHost, now time.Time) bool {
	return shellStaleAt(h.Approved, h.LastBackupAt, h.FirstSeen, now, n.StaleAfter)
}

// decide returns the notifications for going from prev to next, failed
// jobs first (by host name, then job id), then stale hosts (by name).
func (n shellNotifier) decide(prev, next shellNotifyFacts) []*fyne.Notification {
	name := func(hostID string) string {
		if h, ok := next.Hosts[hostID]; ok && h.Name != "" {
			return h.Name
		}
		return hostID
	}
	var jobIDs []string
	for id := range next.Failed {
		if _, seen := prev.Failed[id]; !seen {
			jobIDs = append(jobIDs, id)
		}
	}
	sort.Slice(jobIDs, func(a, b int) bool {
		ja, jb := next.Failed[jobIDs[a]], next.Failed[jobIDs[b]]
		if na, nb := name(ja.HostID), name(jb.HostID); na != nb {
			return na < nb
		}
		return jobIDs[a] < jobIDs[b]
	})
	var out []*fyne.Notification
	for _, id := range jobIDs {
		j := next.Failed[id]
		out = append(out, fyne.NewNotification(shellFailedTitle(j.Kind, name(j.HostID)), shellFailedContent(j)))
	}

	var stale []string
	for id, h := range next.Hosts {
		if n.stale(h, next.Now) && !n.stale(prev.Hosts[id], prev.Now) {
			stale = append(stale, id)
		}
	}
	sort.Slice(stale, func(a, b int) bool { return name(stale[a]) < name(stale[b]) })
	for _, id := range stale {
		h := next.Hosts[id]
		title := fmt.Sprintf("%s: no backup in %s", h.Name, shellSpan(n.StaleAfter))
		var content string
		if h.LastBackupAt != nil {
			content = "Its last successful backup finished " + shellAgo(next.Now, h.LastBackupAt) + "."
		} else {
			content = "It has never backed up since it was added " + shellAgo(next.Now, &h.FirstSeen) + "."
		}
		out = append(out, fyne.NewNotification(title, content))
	}
	return out
}

// shellFailedTitle: "Backup failed on office-pc".
func shellFailedTitle(kind, host string) string {
	if kind == "" {
		kind = "job"
	}
	return strings.ToUpper(kind[:1]) + kind[1:] + " failed on " + host
}

// shellFailedContent: "Group docs: repository is locked".
func shellFailedContent(j shellNotifyJob) string {
	e := shellFirstLine(j.Error)
	if e == "" {
		e = "no error message; see the job's log"
	}
	if j.Group != "" {
		return "Group " + j.Group + ": " + e
	}
	return e
}

// shellNotifyWatch feeds the notifier from the hub.
type shellNotifyWatch struct {
	u    *UI
	n    shellNotifier
	cur  shellNotifyFacts
	gate shellBatchGate
	// send delivers a notification (u.app.SendNotification).
	send func(*fyne.Notification)
}

// startNotifier sends desktop notifications for failed jobs and stale hosts.
func (u *UI) startNotifier() { u.shellStartNotifier() }

func (u *UI) shellStartNotifier() *shellNotifyWatch {
	w := newShellNotifyWatch(u)
	sc := u.newScope()
	sc.on(w.changed)
	go func() {
		t := time.NewTicker(shellNotifyRecheck)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fyne.Do(w.recheck)
			case <-u.bus.closed:
				return
			}
		}
	}()
	return w
}

// newShellNotifyWatch reads the baseline: what is already in the store
// when the window opens is history, never notified.
func newShellNotifyWatch(u *UI) *shellNotifyWatch {
	w := &shellNotifyWatch{u: u, n: shellNotifier{StaleAfter: u.opts.StaleAfter}, gate: shellBatchGate{b: u.bus},
		send: u.app.SendNotification}
	w.cur = shellNotifyFacts{Now: u.opts.Now(), Hosts: map[string]shellNotifyHost{}, Failed: map[string]shellNotifyJob{}}
	w.readHosts(&w.cur)
	for id := range w.cur.Hosts {
		w.readLatestJobs(&w.cur, id)
	}
	return w
}

func (w *shellNotifyWatch) changed(c change) {
	switch c.Kind {
	case hub.ChangeJob, hub.ChangeAll:
	case hub.ChangeHosts, hub.ChangeHost:
		if !w.gate.first() {
			return
		}
	default:
		return
	}
	next := w.cur.clone()
	next.Now = w.u.opts.Now()
	switch c.Kind {
	case hub.ChangeJob:
		if c.JobID == "" {
			w.readLatestJobs(&next, c.HostID)
		} else if j, err := w.u.hub.Job(c.JobID); err == nil && j.Status == shellJobFailed {
			next.Failed[j.ID] = shellNotifyJob{HostID: j.HostID, Kind: j.Kind, Group: j.Tag, Error: j.Error}
		}
		if _, ok := next.Hosts[c.HostID]; !ok && c.HostID != "" {
			w.readHosts(&next)
		}
	case hub.ChangeHosts, hub.ChangeHost:
		w.readHosts(&next)
	case hub.ChangeAll:
		w.readHosts(&next)
		for id := range next.Hosts {
			w.readLatestJobs(&next, id)
		}
	}
	w.apply(next)
}

// recheck re-evaluates staleness as time passes.
func (w *shellNotifyWatch) recheck() {
	next := w.cur.clone()
	next.Now = w.u.opts.Now()
	w.readHosts(&next)
	w.apply(next)
}

func (w *shellNotifyWatch) apply(next shellNotifyFacts) {
	for _, n := range w.n.decide(w.cur, next) {
		w.send(n)
	}
	w.cur = next
}

func (w *shellNotifyWatch) readHosts(f *shellNotifyFacts) {
	hosts, err := w.u.hub.Hosts()
	if err != nil {
		w.u.log.Warn("notifier: read the host list", "err", err)
		return
	}
	f.Hosts = make(map[string]shellNotifyHost, len(hosts))
	for _, v := range hosts {
		f.Hosts[v.Host.ID] = shellNotifyHost{Name: v.Host.DisplayName(), Approved: v.Host.Status == hub.StatusApproved,
			LastBackupAt: v.LastBackupAt, FirstSeen: v.Host.FirstSeen}
	}
}

func (w *shellNotifyWatch) readLatestJobs(f *shellNotifyFacts, hostID string) {
	if hostID == "" {
		return
	}
	page, err := w.u.hub.Jobs(hostID, "", shellNotifyJobs)
	if err != nil {
		w.u.log.Warn("notifier: read jobs", "host", hostID, "err", err)
		return
	}
	for _, j := range page.Jobs {
		if j.Status == shellJobFailed {
			f.Failed[j.ID] = shellNotifyJob{HostID: j.HostID, Kind: j.Kind, Group: j.Tag, Error: j.Error}
		}
	}
}
