package storage

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Event is one agent event for ApplyBatch.
type Event struct {
	HostID string
	// Seq is the journaled seq (envelope seq); 0 for state that is not
	// journaled (snapshots.report, repo.stats), which has no mark.
	Seq uint64
	Env protocol.Envelope
	// Payload is the decoded payload when the caller has it already; when
	// nil it is decoded (and validated) here.
	Payload protocol.Payload
	// Reject, when set, is the caller's reason to refuse the event (for
	// example it failed validation). It is logged on the host and, for a
	// journaled event, still advances the mark.
	Reject string
}

// Outcome of one event.
type Outcome uint8

const (
	// Stored: the event's effect is in the store (a repeated terminal
	// event is Stored with JobChanged false: acked, no effect).
	Stored Outcome = iota + 1
	// Duplicate: seq ≤ the host's mark; acked again, no effect.
	Duplicate
	// Rejected: refused with Reason, logged on the host; a journaled one
	// still advances the mark so it never blocks the events behind it.
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Stored:
		return "stored"
	case Duplicate:
		return "duplicate"
	case Rejected:
		return "rejected"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// EventResult says what happened to one event.
type EventResult struct {
	Outcome Outcome
	Reason  string
	// JobID is the job the event concerned, if any; JobChanged whether its
	// row changed (status, times, stats).
	JobID      string
	JobChanged bool
	// Gap is set when this event's seq skipped past mark+1.
	Gap bool
	// Dropped: a log line past its job's cap, counted and not stored.
	Dropped bool
	// Repeat: a rejection already logged on the host (the same job and
	// reason), so not logged again.
	Repeat bool
}

// BatchResult holds one EventResult per event, in order, and each host's
// mark after the batch (only hosts that sent journaled events).
type BatchResult struct {
	Results []EventResult
	Marks   map[string]uint64
}

// ApplyBatch applies events from any number of hosts, and every host's new
// high-water mark, in one transaction (group commit). Events of one host
// are applied in slice order. A failed commit returns an error and nothing
// is stored; the caller retries or lets the agents replay.
func (s *Store) ApplyBatch(events []Event, now time.Time) (BatchResult, error) {
	res := BatchResult{Results: make([]EventResult, len(events)), Marks: map[string]uint64{}}
	sweep := s.sweepSlot.take() // a sweep's deletes ride along (sweep_share.go)
	err := s.db.Update(func(tx *bolt.Tx) error {
		a := &applier{tx: tx, now: now, jobs: map[string]*cachedJob{}, marks: map[string]uint64{}, hosts: map[string]bool{},
			tallies: map[string]*logTally{}, notes: s.notes}
		a.logs = tx.Bucket(bucketLogs)
		// Each job's lines only grow at its end: full pages on split.
		a.logs.FillPercent = 0.9
		latest := latestReports(events)
		for i := range events {
			if j, ok := latest[events[i].HostID]; ok && isReport(&events[i]) && j != i {
				// Snapshot lists are state, latest wins: a later list of
				// the same host in this batch replaces this one anyway, so
				// a burst of lists costs one replacement, not one each.
				res.Results[i] = EventResult{Outcome: Stored}
				continue
			}
			r, err := a.apply(&events[i])
			if err != nil {
				return err
			}
			res.Results[i] = r
		}
		if err := a.flush(); err != nil {
			return err
		}
		for h, m := range a.marks {
			res.Marks[h] = m
		}
		return sweep.deleteIn(tx)
	})
	sweep.finish(err)
	if err != nil {
		s.notes.forget()
		return BatchResult{}, fmt.Errorf("apply batch of %d events: %w", len(events), err)
	}
	s.notes.keep()
	return res, nil
}

// isReport: a whole snapshots.report the caller decoded (and assembled).
func isReport(ev *Event) bool {
	p, ok := ev.Payload.(*protocol.SnapshotsReport)
	return ok && ev.Reject == "" && p.Parts <= 1
}

// latestReports maps each host to the index of its last snapshot list in
// events.
func latestReports(events []Event) map[string]int {
	var latest map[string]int
	for i := range events {
		if isReport(&events[i]) {
			if latest == nil {
				latest = map[string]int{}
			}
			latest[events[i].HostID] = i
		}
	}
	return latest
}

type cachedJob struct {
	job   Job
	prev  *Job // as stored before this batch; nil for a new job
	dirty bool
}

type applier struct {
	tx    *bolt.Tx
	now   time.Time
	logs  *bolt.Bucket
	lines []logPut // written in key order at flush
	jobs  map[string]*cachedJob
	marks map[string]uint64 // loaded and updated marks
	hosts map[string]bool   // host exists
	// tallies are the log counts of the jobs this batch touched.
	tallies map[string]*logTally
	notes   *rejectionNotes
}

func (a *applier) hostExists(id string) bool {
	ok, seen := a.hosts[id]
	if !seen {
		ok = a.tx.Bucket(bucketHosts).Get([]byte(id)) != nil
		a.hosts[id] = ok
	}
	return ok
}

func (a *applier) mark(hostID string) uint64 {
	m, ok := a.marks[hostID]
	if !ok {
		m = getU64(a.tx.Bucket(bucketMarks).Get([]byte(hostID)))
		a.marks[hostID] = m
	}
	return m
}

// rejection is an event refused for a reason that is the agent's fault.
type rejection string

func (a *applier) apply(ev *Event) (EventResult, error) {
	if !a.hostExists(ev.HostID) {
		return EventResult{Outcome: Rejected, Reason: "unknown host " + ev.HostID}, nil
	}
	var res EventResult
	journaled := protocol.IsJournaled(ev.Env.Type)
	if journaled != (ev.Seq != 0) {
		return EventResult{Outcome: Rejected, Reason: fmt.Sprintf("%s with seq %d: journaled events and only they carry a seq", ev.Env.Type, ev.Seq)}, nil
	}
	if journaled {
		m := a.mark(ev.HostID)
		if ev.Seq <= m {
			return EventResult{Outcome: Duplicate}, nil
		}
		if ev.Seq > m+1 {
			res.Gap = true
			msg := fmt.Sprintf("events %d to %d never arrived (the agent sent %d after %d)", m+1, ev.Seq-1, ev.Seq, m)
			if ev.Seq == m+2 {
				msg = fmt.Sprintf("event %d never arrived (the agent sent %d after %d)", m+1, ev.Seq, m)
			}
			if err := addHostEvent(a.tx, ev.HostID, HostEvent{Time: a.now, Kind: EventGap, Message: msg, Seq: ev.Seq}); err != nil {
				return res, err
			}
		}
		a.marks[ev.HostID] = ev.Seq
	}
	reason := ev.Reject
	p := ev.Payload
	if reason == "" {
		if p == nil {
			var err error
			if p, err = ev.Env.DecodePayload(); err != nil {
				reason = err.Error()
			}
		}
		if reason == "" {
			r, err := a.effect(ev, p, &res)
			if err != nil {
				return res, err
			}
			reason = string(r)
		}
	}
	if reason != "" {
		res.Outcome, res.Reason = Rejected, reason
		// A flood of lines for one job refused for the same reason is
		// logged on the host once, not once a line.
		if ls, ok := p.(*protocol.LogStream); ok && ev.Reject == "" && !a.notes.first(ev.HostID, ls.JobID, reason) {
			res.Repeat = true
			return res, nil
		}
		msg := fmt.Sprintf("%s refused: %s", ev.Env.Type, reason)
		if err := addHostEvent(a.tx, ev.HostID, HostEvent{Time: a.now, Kind: EventRejected, Message: msg, Seq: ev.Seq}); err != nil {
			return res, err
		}
		return res, nil
	}
	res.Outcome = Stored
	return res, nil
}

// effect applies one valid event. A non-empty rejection refuses it.
func (a *applier) effect(ev *Event, p protocol.Payload, res *EventResult) (rejection, error) {
	switch p := p.(type) {
	case *protocol.ScheduleFire:
		return "", a.fire(ev.HostID, p, res)
	case *protocol.JobStarted:
		res.JobID = p.JobID
		return a.started(ev.HostID, p, res)
	case *protocol.JobFinished:
		res.JobID = p.JobID
		return a.finished(ev.HostID, p, res)
	case *protocol.LogStream:
		res.JobID = p.JobID
		return a.logLine(ev.HostID, p, res)
	case *protocol.SnapshotsReport:
		if p.Parts > 1 {
			return "a split snapshots.report must be assembled before it is stored", nil
		}
		return "", replaceSnapshots(a.tx, ev.HostID, p.Snapshots)
	case *protocol.RepoStats:
		return "", mergeRepoStats(a.tx, ev.HostID, p, a.now)
	}
	return rejection(fmt.Sprintf("%s is not an event the store keeps", ev.Env.Type)), nil
}

// job returns the job from the batch cache or the store (nil: unknown).
func (a *applier) job(id string) (*cachedJob, error) {
	if c, ok := a.jobs[id]; ok {
		return c, nil
	}
	j, err := loadJob(a.tx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prev := j
	c := &cachedJob{job: j, prev: &prev}
	a.jobs[id] = c
	return c, nil
}

func (a *applier) newJob(j Job) *cachedJob {
	c := &cachedJob{job: j, dirty: true}
	a.jobs[j.ID] = c
	return c
}

func wrongHost(jobID string) rejection {
	return rejection(fmt.Sprintf("job %s belongs to another host", jobID))
}

func (a *applier) started(hostID string, p *protocol.JobStarted, res *EventResult) (rejection, error) {
	c, err := a.job(p.JobID)
	if err != nil {
		return "", err
	}
	started := p.StartedAt
	if c == nil {
		origin := OriginAgent
		if p.ScheduleID != "" {
			origin = OriginSchedule
		}
		a.newJob(Job{ID: p.JobID, HostID: hostID, Kind: p.Kind, Origin: origin, ScheduleID: p.ScheduleID,
			Status: protocol.StatusRunning, CreatedAt: started, StartedAt: &started})
		res.JobChanged = true
		return "", nil
	}
	j := &c.job
	if j.HostID != hostID {
		return wrongHost(p.JobID), nil
	}
	if j.Terminal() || (j.Status == protocol.StatusRunning && !j.Placeholder && j.StartedAt != nil) {
		return "", nil // terminal is final; a second start changes nothing
	}
	j.Status = protocol.StatusRunning
	j.StartedAt = &started
	if j.Kind == "" {
		j.Kind = p.Kind
	}
	if j.ScheduleID == "" && p.ScheduleID != "" {
		j.ScheduleID = p.ScheduleID
		if j.Origin == OriginAgent {
			j.Origin = OriginSchedule
		}
	}
	j.Placeholder = false
	c.dirty, res.JobChanged = true, true
	return "", nil
}

func (a *applier) finished(hostID string, p *protocol.JobFinished, res *EventResult) (rejection, error) {
	c, err := a.job(p.JobID)
	if err != nil {
		return "", err
	}
	if c == nil {
		c = a.newJob(Job{ID: p.JobID, HostID: hostID, Origin: OriginAgent, Status: protocol.StatusQueued, CreatedAt: p.FinishedAt})
	}
	j := &c.job
	if j.HostID != hostID {
		return wrongHost(p.JobID), nil
	}
	if j.Terminal() {
		return "", nil // a repeated terminal event is a no-op
	}
	fin, code := p.FinishedAt, p.ExitCode
	j.Status, j.FinishedAt, j.ExitCode, j.Error = p.Status, &fin, &code, p.Error
	if p.Status == protocol.StatusFailed {
		// An agent older than error_kind, or a cause this build does not
		// know, is "other".
		j.ErrorKind = protocol.KnownErrorKind(p.ErrorKind)
	}
	if len(p.Stats) > 0 && string(p.Stats) != "null" {
		j.Stats = append([]byte(nil), p.Stats...)
		if j.Kind == protocol.KindBackup {
			if err := noteBackupSize(a.tx, hostID, j.Stats); err != nil {
				return "", err
			}
		}
	}
	j.Placeholder = false
	c.dirty, res.JobChanged = true, true
	return "", nil
}

// logLine stores one line of a started job, within the per-job cap; a
// line past the cap is counted, not stored. A line for a job that never
// started (no job.started) is refused: it would otherwise make up a job.
func (a *applier) logLine(hostID string, p *protocol.LogStream, res *EventResult) (rejection, error) {
	c, err := a.job(p.JobID)
	if err != nil {
		return "", err
	}
	switch {
	case p.Seq >= tallySeq: // validation stops line numbers far below; the key is the tally's
		return rejection(fmt.Sprintf("log line %d of job %s: no such line number", p.Seq, p.JobID)), nil
	case c == nil || (c.job.HostID == hostID && c.job.StartedAt == nil):
		return rejection(fmt.Sprintf("job %s has not started (no job.started): its log lines are not kept", p.JobID)), nil
	case c.job.HostID != hostID:
		return wrongHost(p.JobID), nil
	}
	t := a.tally(p.JobID)
	if !t.admit(p) {
		res.Dropped = true
		if t.dropped == 1 {
			msg := fmt.Sprintf("job %s passed the limit of %d log lines or %d MiB: later lines are counted, not stored",
				p.JobID, MaxStoredLogLines, MaxStoredLogBytes>>20)
			if err := addHostEvent(a.tx, hostID, HostEvent{Time: a.now, Kind: EventRejected, Message: msg, Seq: p.Seq}); err != nil {
				return "", err
			}
		}
		return "", nil
	}
	a.lines = append(a.lines, logPut{key: logKey(p.JobID, p.Seq), val: encodeLine(p), order: len(a.lines)})
	return "", nil
}

type logPut struct {
	key, val []byte
	order    int
}

func (a *applier) fire(hostID string, p *protocol.ScheduleFire, res *EventResult) error {
	b := a.tx.Bucket(bucketFires)
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	f := Fire{ScheduleID: p.ScheduleID, ScheduledAt: p.ScheduledAt, JobIDs: p.JobIDs, Skipped: p.Skipped, ReceivedAt: a.now}
	if err := putJSON(b, cat(hk(hostID), timeKey(p.ScheduledAt), u64(n)), f); err != nil {
		return err
	}
	msg := fmt.Sprintf("schedule %s fired for %s: %d job(s)", p.ScheduleID, p.ScheduledAt.UTC().Format(time.RFC3339), len(p.JobIDs))
	if p.Skipped != "" {
		msg = fmt.Sprintf("schedule %s fired for %s and started nothing: %s", p.ScheduleID, p.ScheduledAt.UTC().Format(time.RFC3339), p.Skipped)
	}
	if err := addHostEvent(a.tx, hostID, HostEvent{Time: a.now, Kind: EventFire, Message: msg}); err != nil {
		return err
	}
	// The fire's jobs are queued now; job.started will move them on. The
	// schedule as the manager knows it tells each job's kind and group:
	// one backup per group in order, then forget.
	kinds, tags := a.fireJobShapes(hostID, p.ScheduleID, len(p.JobIDs))
	for i, id := range p.JobIDs {
		c, err := a.job(id)
		if err != nil {
			return err
		}
		if c != nil {
			if c.job.HostID == hostID && c.job.Tag == "" && tags[i] != "" {
				c.job.Tag, c.dirty = tags[i], true
			}
			continue
		}
		a.newJob(Job{ID: id, HostID: hostID, Kind: kinds[i], Tag: tags[i], Origin: OriginSchedule, ScheduleID: p.ScheduleID,
			Status: protocol.StatusQueued, CreatedAt: p.ScheduledAt})
		res.JobChanged = true
	}
	return nil
}

func (a *applier) fireJobShapes(hostID, scheduleID string, n int) (kinds, tags []string) {
	kinds, tags = make([]string, n), make([]string, n)
	switch scheduleID {
	case protocol.MaintenancePruneID:
		for i := range kinds {
			kinds[i] = protocol.KindPrune
		}
		return
	case protocol.MaintenanceCheckID:
		for i := range kinds {
			kinds[i] = protocol.KindCheck
		}
		return
	case protocol.MaintenanceCopyID:
		for i := range kinds {
			kinds[i] = protocol.KindCopy
		}
		return
	}
	var sc Schedule
	if err := getJSON(a.tx.Bucket(bucketSchedules), cat(hk(hostID), []byte(scheduleID)), &sc); err != nil {
		return
	}
	for i := 0; i < n; i++ {
		switch {
		case i < len(sc.Groups):
			kinds[i], tags[i] = protocol.KindBackup, sc.Groups[i]
		case i == len(sc.Groups):
			kinds[i] = protocol.KindForget
		}
	}
	return
}

func (a *applier) flush() error {
	// A batch holds lines of many jobs interleaved; put them in key order
	// so each job's leaf is visited once. Stable: a line sent twice keeps
	// its last version.
	slices.SortFunc(a.lines, func(x, y logPut) int {
		if c := bytes.Compare(x.key, y.key); c != 0 {
			return c
		}
		return x.order - y.order
	})
	for _, l := range a.lines {
		if err := a.logs.Put(l.key, l.val); err != nil {
			return err
		}
	}
	if err := a.flushTallies(); err != nil {
		return err
	}
	for _, c := range a.jobs {
		if !c.dirty {
			continue
		}
		if err := saveJob(a.tx, &c.job, c.prev); err != nil {
			return err
		}
	}
	marks := a.tx.Bucket(bucketMarks)
	for h, m := range a.marks {
		if err := marks.Put([]byte(h), u64(m)); err != nil {
			return err
		}
	}
	return nil
}

// rejectionNotes remembers which (host, job, reason) rejections were
// logged on the host lately, so a flood of refused lines for one job
// writes one host event, not one per line. A batch's new notes count only
// once its transaction commits. It lives in memory: after a restart a
// rejection is logged once more.
type rejectionNotes struct {
	mu      sync.Mutex
	seen    map[string]struct{}
	pending []string
}

// maxRejectionNotes bounds the memory; when full it starts over (a repeat
// is then logged once more).
const maxRejectionNotes = 4096

func newRejectionNotes() *rejectionNotes { return &rejectionNotes{seen: map[string]struct{}{}} }

// first reports whether this rejection is not yet noted, and notes it.
func (n *rejectionNotes) first(hostID, jobID, reason string) bool {
	k := hostID + "\x00" + jobID + "\x00" + reason
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.seen[k]; ok || slices.Contains(n.pending, k) {
		return false
	}
	n.pending = append(n.pending, k)
	return true
}

func (n *rejectionNotes) keep() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.seen)+len(n.pending) > maxRejectionNotes {
		clear(n.seen)
	}
	for _, k := range n.pending {
		n.seen[k] = struct{}{}
	}
	n.pending = n.pending[:0]
}

func (n *rejectionNotes) forget() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pending = n.pending[:0]
}
