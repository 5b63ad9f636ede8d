package ui

import (
	"fmt"
	"sort"
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
)

// notifyRecheck is how often staleness is re-evaluated while no hub
// change comes (a host turns stale by time passing, not by an event).
const notifyRecheck = time.Minute

// notifyJobs is how many of each host's latest jobs the notifier
// reads when it cannot know which job changed (at start, after a fire, or
// after the bus overflowed).
const notifyJobs = 20

// notifyHost is what the notifier knows of a host.
type notifyHost struct {
	Name         string
	Approved     bool
	LastBackupAt *time.Time // latest successful backup; nil: none
	FirstSeen    time.Time
}

// notifyJob is a failed job.
type notifyJob struct {
	HostID, Kind, Group, Error string
}

// notifyFacts is the notifier's picture at one moment. Failed holds
// every failed job seen since the window opened, including those that had
// already failed then: a job is notified when it first appears here.
type notifyFacts struct {
	Now    time.Time
	Hosts  map[string]notifyHost
	Failed map[string]notifyJob // by job id
}

func (f notifyFacts) clone() notifyFacts {
	n := notifyFacts{Now: f.Now, Hosts: make(map[string]notifyHost, len(f.Hosts)), Failed: make(map[string]notifyJob, len(f.Failed))}
	for k, v := range f.Hosts {
		n.Hosts[k] = v
	}
	for k, v := range f.Failed {
		n.Failed[k] = v
	}
	return n
}

// notifier decides which desktop notifications a change of facts
// deserves: one per job that failed, and one per stale episode of a host
// (again only after a successful backup ended the episode).
type notifier struct {
	StaleAfter time.Duration
}

func (n notifier) stale(h notifyHost, now time.Time) bool {
	return staleAt(h.Approved, h.LastBackupAt, h.FirstSeen, now, n.StaleAfter)
}

// decide returns the notifications for going from prev to next, failed
// jobs first (by host name, then job id), then stale hosts (by name).
func (n notifier) decide(prev, next notifyFacts) []*fyne.Notification {
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
		out = append(out, fyne.NewNotification(failedTitle(j.Kind, name(j.HostID)), failedContent(j)))
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
		title := fmt.Sprintf("%s: no backup in %s", h.Name, spanText(n.StaleAfter))
		var content string
		if h.LastBackupAt != nil {
			content = "Its last successful backup finished " + ago(next.Now, h.LastBackupAt) + "."
		} else {
			content = "It has never backed up since it was added " + ago(next.Now, &h.FirstSeen) + "."
		}
		out = append(out, fyne.NewNotification(title, content))
	}
	return out
}

// failedTitle: "Backup failed on office-pc".
func failedTitle(kind, host string) string {
	if kind == "" {
		kind = "job"
	}
	return capitalize(kind) + " failed on " + host
}

// failedContent: "Group docs: repository is locked".
func failedContent(j notifyJob) string {
	e := hub.FirstLine(j.Error)
	if e == "" {
		e = "no error message; see the job's log"
	}
	if j.Group != "" {
		return "Group " + j.Group + ": " + e
	}
	return e
}

// notifyWatch feeds the notifier from the hub.
type notifyWatch struct {
	u   *UI
	n   notifier
	cur notifyFacts
	// send delivers a notification (u.app.SendNotification).
	send func(*fyne.Notification)
}

// newNotifyWatch reads the baseline: what is already in the store when
// the window opens is history, never notified. It listens once started.
func newNotifyWatch(u *UI) *notifyWatch {
	w := &notifyWatch{u: u, n: notifier{StaleAfter: u.opts.StaleAfter}, send: u.app.SendNotification}
	w.cur = notifyFacts{Now: u.opts.Now(), Hosts: map[string]notifyHost{}, Failed: map[string]notifyJob{}}
	w.readHosts(&w.cur)
	for id := range w.cur.Hosts {
		w.readLatestJobs(&w.cur, id)
	}
	return w
}

// start sends desktop notifications for failed jobs and stale hosts from
// now on, until the window closes.
func (w *notifyWatch) start() {
	sc := w.u.newScope()
	sc.on(w.changed)
	go func() {
		t := time.NewTicker(notifyRecheck)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fyne.Do(w.recheck)
			case <-w.u.bus.closed:
				return
			}
		}
	}()
}

// changed reads what a batch may have changed (each job named, the host
// list once) and notifies what is new.
func (w *notifyWatch) changed(batch []change) {
	next := w.cur.clone()
	next.Now = w.u.opts.Now()
	var relevant, hosts, all bool
	for _, c := range batch {
		switch c.Kind {
		case hub.ChangeJob:
			relevant = true
			if c.JobID == "" {
				w.readLatestJobs(&next, c.HostID)
			} else if j, err := w.u.hub.Job(c.JobID); err == nil && j.Status == hub.JobFailed {
				next.Failed[j.ID] = notifyJob{HostID: j.HostID, Kind: j.Kind, Group: j.Tag, Error: j.Error}
			}
			if _, ok := next.Hosts[c.HostID]; !ok && c.HostID != "" {
				hosts = true
			}
		case hub.ChangeHosts, hub.ChangeHost:
			relevant, hosts = true, true
		case hub.ChangeAll:
			relevant, hosts, all = true, true, true
		}
	}
	if !relevant {
		return
	}
	if hosts {
		w.readHosts(&next)
	}
	if all {
		for id := range next.Hosts {
			w.readLatestJobs(&next, id)
		}
	}
	w.apply(next)
}

// recheck re-evaluates staleness as time passes.
func (w *notifyWatch) recheck() {
	next := w.cur.clone()
	next.Now = w.u.opts.Now()
	w.readHosts(&next)
	w.apply(next)
}

func (w *notifyWatch) apply(next notifyFacts) {
	for _, n := range w.n.decide(w.cur, next) {
		w.send(n)
	}
	w.cur = next
}

func (w *notifyWatch) readHosts(f *notifyFacts) {
	hosts, err := w.u.hub.Hosts()
	if err != nil {
		w.u.log.Warn("notifier: read the host list", "err", err)
		return
	}
	f.Hosts = make(map[string]notifyHost, len(hosts))
	for _, v := range hosts {
		f.Hosts[v.Host.ID] = notifyHost{Name: v.Host.DisplayName(), Approved: v.Host.Status == hub.StatusApproved,
			LastBackupAt: v.LastBackupAt, FirstSeen: v.Host.FirstSeen}
	}
}

func (w *notifyWatch) readLatestJobs(f *notifyFacts, hostID string) {
	if hostID == "" {
		return
	}
	page, err := w.u.hub.Jobs(hostID, "", notifyJobs)
	if err != nil {
		w.u.log.Warn("notifier: read jobs", "host", hostID, "err", err)
		return
	}
	for _, j := range page.Jobs {
		if j.Status == hub.JobFailed {
			f.Failed[j.ID] = notifyJob{HostID: j.HostID, Kind: j.Kind, Group: j.Tag, Error: j.Error}
		}
	}
}
