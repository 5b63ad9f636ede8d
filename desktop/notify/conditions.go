package notify

import (
	"sort"
	"strings"
	"time"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// Defaults of Thresholds (DESIGN.md: stale after 26 h, offline after 24 h;
// a lock is reported when it has been seen for 2 h, longer than any
// backup or check holds one on a healthy repository).
const (
	DefaultStaleAfter   = 26 * time.Hour
	DefaultOfflineAfter = 24 * time.Hour
	DefaultLockedAfter  = 2 * time.Hour
)

// Thresholds say how long a state lasts before it is a condition.
type Thresholds struct {
	StaleAfter   time.Duration // no successful backup for this long
	OfflineAfter time.Duration // not connected for this long
	LockedAfter  time.Duration // a repository lock seen for this long
}

func (t Thresholds) orDefaults() Thresholds {
	if t.StaleAfter <= 0 {
		t.StaleAfter = DefaultStaleAfter
	}
	if t.OfflineAfter <= 0 {
		t.OfflineAfter = DefaultOfflineAfter
	}
	if t.LockedAfter <= 0 {
		t.LockedAfter = DefaultLockedAfter
	}
	return t
}

// JobFact is a finished job as the conditions see it.
type JobFact struct {
	ID, Status, Error string
	FinishedAt        time.Time
}

// HostFacts is what the manager knows of one approved host.
type HostFacts struct {
	ID, Name            string
	Online              bool
	LastSeen, FirstSeen time.Time
	LastBackupAt        *time.Time
	// Groups is the latest backup of each source group.
	Groups map[string]storage.GroupHealth
	// LastCheck is the latest finished check; nil: none.
	LastCheck   *JobFact
	LockPresent bool
}

// Facts is the fleet at one moment.
type Facts struct {
	Now   time.Time
	Hosts []HostFacts
}

// Outcome is what Evaluate concluded: conditions to store or forget, and
// the messages their changes deserve, in a stable order.
type Outcome struct {
	Set      map[string]storage.NotifyCondition
	Drop     []string
	Messages []Message
}

// keyStarted remembers when notifications began watching this store: a
// backup that ended before it is history, not a ping.
const keyStarted = "started"

// Evaluate compares facts with the stored conditions. A condition that
// turns on sends its event, one that turns off sends its ".resolved"
// (only if its start was sent), and nothing else sends anything: the
// same facts twice give no messages. A host or group that is gone is
// forgotten silently.
func Evaluate(prev map[string]storage.NotifyCondition, f Facts, th Thresholds) Outcome {
	th = th.orDefaults()
	out := Outcome{Set: map[string]storage.NotifyCondition{}}
	seen := map[string]bool{keyStarted: true}
	started, ok := prev[keyStarted]
	if !ok {
		started = storage.NotifyCondition{Since: f.Now}
		out.Set[keyStarted] = started
	}
	// A copy: the lock's Since is written into it as hosts are read.
	prev = withCond(prev, keyStarted, started)
	hosts := append([]HostFacts(nil), f.Hosts...)
	sort.Slice(hosts, func(a, b int) bool { return hosts[a].Name+hosts[a].ID < hosts[b].Name+hosts[b].ID })

	// flip records a condition's new state (known: the facts say; else it
	// stays as it was) and sends on or off when it changed.
	flip := func(key string, known, active bool, on, off Message) {
		seen[key] = true
		p := prev[key]
		if !known || p.Active == active {
			return
		}
		c := p
		c.Active = active
		out.Set[key] = c
		if active {
			out.Messages = append(out.Messages, on)
		} else {
			out.Messages = append(out.Messages, off)
		}
	}

	for _, h := range hosts {
		base := Message{Host: h.Name, HostID: h.ID, At: f.Now}
		groups := make([]string, 0, len(h.Groups))
		for g := range h.Groups {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			gh := h.Groups[g]
			m := base
			m.JobID, m.Kind, m.Status, m.Error, m.Group, m.At = gh.JobID, protocol.KindBackup, gh.Status, gh.Error, g, gh.FinishedAt
			on, off := m, m
			on.Event, off.Event = BackupFailed, Resolved(BackupFailed)
			known := gh.Status == protocol.StatusFailed || gh.Status == protocol.StatusSucceeded
			flip(key(BackupFailed, h.ID, g), known, gh.Status == protocol.StatusFailed, on, off)

			// Each backup's end goes to the host's ping URLs.
			rk := key(BackupFinished, h.ID, g)
			seen[rk] = true
			if p, had := prev[rk]; gh.JobID != "" && p.Value != gh.JobID && (had || !gh.FinishedAt.Before(started.Since)) {
				out.Set[rk] = storage.NotifyCondition{Value: gh.JobID}
				m.Event = BackupFinished
				out.Messages = append(out.Messages, m)
			}
		}
		if c := h.LastCheck; c != nil {
			m := base
			m.JobID, m.Kind, m.Status, m.Error, m.At = c.ID, protocol.KindCheck, c.Status, c.Error, c.FinishedAt
			on, off := m, m
			on.Event, off.Event = CheckFailed, Resolved(CheckFailed)
			flip(key(CheckFailed, h.ID), c.Status == protocol.StatusFailed || c.Status == protocol.StatusSucceeded, c.Status == protocol.StatusFailed, on, off)
		}

		last, never := h.FirstSeen, true
		if h.LastBackupAt != nil {
			last, never = *h.LastBackupAt, false
		}
		on, off := base, base
		on.Event, off.Event = HostStale, Resolved(HostStale)
		if never {
			on.Detail = "It has not backed up since it was added " + last.Local().Format("2006-01-02 15:04") + "."
		} else {
			on.Detail = "Its last successful backup finished " + last.Local().Format("2006-01-02 15:04") + "."
			off.Detail = on.Detail
		}
		flip(key(HostStale, h.ID), true, f.Now.Sub(last) >= th.StaleAfter, on, off)

		on, off = base, base
		on.Event, off.Event = HostOffline, Resolved(HostOffline)
		on.Detail = "Last heard from " + h.LastSeen.Local().Format("2006-01-02 15:04") + "."
		flip(key(HostOffline, h.ID), true, !h.Online && f.Now.Sub(h.LastSeen) >= th.OfflineAfter, on, off)

		// A lock is a condition once it has been seen for LockedAfter:
		// Since remembers when it was first seen, across restarts.
		lk := key(RepoLocked, h.ID)
		p := prev[lk]
		var since time.Time
		if h.LockPresent {
			since = p.Since
			if since.IsZero() {
				since = f.Now
			}
		}
		if !since.Equal(p.Since) {
			c := p
			c.Since = since
			out.Set[lk] = c
			prev[lk] = c
		}
		on, off = base, base
		on.Event, off.Event = RepoLocked, Resolved(RepoLocked)
		if h.LockPresent {
			on.Detail = "A lock has been on its repository since " + since.Local().Format("2006-01-02 15:04") + "; a crashed restic may have left it (Unlock removes stale locks)."
		}
		flip(lk, true, h.LockPresent && f.Now.Sub(since) >= th.LockedAfter, on, off)
		if c, ok := out.Set[lk]; ok {
			c.Since = since
			out.Set[lk] = c
		}
	}
	for k := range prev {
		if !seen[k] {
			out.Drop = append(out.Drop, k)
		}
	}
	sort.Strings(out.Drop)
	return out
}

// withCond returns a copy of prev with k set: the caller's map is never
// written.
func withCond(prev map[string]storage.NotifyCondition, k string, c storage.NotifyCondition) map[string]storage.NotifyCondition {
	n := make(map[string]storage.NotifyCondition, len(prev)+1)
	for kk, v := range prev {
		n[kk] = v
	}
	n[k] = c
	return n
}

func key(parts ...string) string { return strings.Join(parts, "|") }
