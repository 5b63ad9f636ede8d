package hub

import (
	"errors"
	"fmt"
	"time"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// ingestItem is one event on its way to a group commit.
type ingestItem struct {
	c        *conn
	ev       storage.Event
	size     int64 // payload bytes, held against the connection's budget
	received time.Time
}

// submit hands an event of size payload bytes to the committer. When the
// connection already has MaxInflight events or MaxInflightBytes waiting,
// or the committer's queue is full, it blocks: the reader stops reading
// that socket for a while (backpressure), which slows the sender without
// disconnecting it.
func (h *Hub) submit(c *conn, ev storage.Event, size int64, received time.Time) {
	if !c.inflight.take(size, c.done) {
		return
	}
	started, _ := ev.Payload.(*protocol.JobStarted)
	if started != nil {
		c.startingAdd(started.JobID, 1)
	}
	select {
	case h.ingest <- &ingestItem{c: c, ev: ev, size: size, received: received}:
	case <-h.ctx.Done():
		// Shutting down: not acked, so the agent replays it.
		h.released(ingestItem{c: c, ev: ev, size: size})
	}
}

// released gives an event's share of its connection's budget back, once
// it is committed or will never be.
func (h *Hub) released(it ingestItem) {
	if started, ok := it.ev.Payload.(*protocol.JobStarted); ok {
		it.c.startingAdd(started.JobID, -1)
	}
	it.c.inflight.give(it.size)
}

// startingAdd counts a job.started of this connection waiting for commit.
func (c *conn) startingAdd(jobID string, n int) {
	c.startMu.Lock()
	defer c.startMu.Unlock()
	if c.starting[jobID] += n; c.starting[jobID] <= 0 {
		delete(c.starting, jobID)
	}
}

func (c *conn) isStarting(jobID string) bool {
	c.startMu.Lock()
	defer c.startMu.Unlock()
	return c.starting[jobID] > 0
}

// batchShare is the most events of one connection a commit takes; the
// rest wait for the next. A host replaying a long offline spell then
// shares each commit with the others instead of making every host's ack
// wait for thousands of its events. Its own throughput barely changes:
// a commit of batchShare events is still mostly one fsync.
const batchShare = 512

// commitLoop is the group committer: it takes whatever has arrived (up to
// MaxBatch, and batchShare of each connection), applies it in one
// transaction, then acks. While a commit runs the next batch gathers, so
// batches grow with load and latency stays about one commit.
func (h *Hub) commitLoop() {
	defer close(h.ingestDone)
	// The batch grows to what load asks for; a small fleet never pays
	// for MaxBatch items.
	batch := make([]ingestItem, 0, min(h.opts.MaxBatch, 1024))
	var (
		lastStart time.Time
		carried   []ingestItem // events over their connection's share, in arrival order
		next      []ingestItem
		share     = map[*conn]int{}
	)
	// add puts it in the batch, or carries it to the next one when its
	// connection has had its share (then so are its later events: a
	// connection's events keep their order).
	add := func(it ingestItem) {
		if share[it.c] >= batchShare {
			next = append(next, it)
			return
		}
		share[it.c]++
		batch = append(batch, it)
	}
	linger := time.NewTimer(0)
	<-linger.C
	open := true
	for open || len(carried) > 0 {
		batch, next = batch[:0], next[:0]
		clear(share)
		for _, it := range carried {
			add(it)
		}
		if len(batch) == 0 {
			it, ok := <-h.ingest
			if !ok {
				return
			}
			add(*it)
		}
		// Under load, let the batch gather until CommitInterval has passed
		// since the previous commit began.
		if wait := h.opts.CommitInterval - time.Since(lastStart); open && wait > 0 {
			linger.Reset(wait)
		fill:
			for len(batch) < h.opts.MaxBatch {
				select {
				case it, ok := <-h.ingest:
					if !ok {
						open = false
						break fill
					}
					add(*it)
				case <-linger.C:
					break fill
				}
			}
			if !linger.Stop() {
				select {
				case <-linger.C:
				default:
				}
			}
		}
		lastStart = time.Now()
	gather:
		for open && len(batch) < h.opts.MaxBatch {
			select {
			case it, ok := <-h.ingest:
				if !ok {
					open = false
					break gather
				}
				add(*it)
			default:
				break gather
			}
		}
		h.commit(batch)
		carried, next = next, carried
	}
}

func (h *Hub) commit(batch []ingestItem) {
	events := make([]storage.Event, len(batch))
	for i := range batch {
		events[i] = batch[i].ev
	}
	var (
		res storage.BatchResult
		err error
	)
	if h.opts.beforeCommit != nil {
		h.opts.beforeCommit()
	}
	started := time.Now()
	for attempt := 0; ; attempt++ {
		res, err = h.store.ApplyBatch(events, h.now())
		if err == nil {
			break
		}
		h.log.Error("commit agent events failed; retrying", "events", len(events), "attempt", attempt+1, "err", err)
		if h.ctx.Err() != nil && attempt >= 2 {
			// Shutting down: leave them unacked; agents replay them next time.
			for _, it := range batch {
				h.released(it)
			}
			return
		}
		time.Sleep(min(time.Duration(attempt+1)*100*time.Millisecond, 2*time.Second))
	}
	committed := time.Now()

	acks := map[*conn]uint64{}
	changes := map[Change]struct{}{}
	add := func(c Change) { changes[c] = struct{}{} }
	var finished []string
	var dropProgress []ingestItem
	for i, it := range batch {
		r := res.Results[i]
		host := it.ev.HostID
		if it.ev.Seq != 0 {
			if m, ok := res.Marks[host]; ok && m > acks[it.c] {
				acks[it.c] = m
			}
		}
		if r.Gap {
			add(Change{Kind: ChangeHostEvents, HostID: host})
		}
		switch r.Outcome {
		case storage.Duplicate:
			continue
		case storage.Rejected:
			if r.Repeat { // a flood of one refusal is logged once
				h.log.Debug("agent event rejected again (acked)", "host", host, "type", it.ev.Env.Type, "seq", it.ev.Seq, "reason", r.Reason)
				continue
			}
			h.log.Warn("agent event rejected (acked, logged on the host)", "host", host, "type", it.ev.Env.Type, "seq", it.ev.Seq, "reason", r.Reason)
			add(Change{Kind: ChangeHostEvents, HostID: host})
			if it.ev.Env.Type == protocol.TypeJobStarted {
				dropProgress = append(dropProgress, it) // a start refused: no progress either
			}
			continue
		}
		switch it.ev.Env.Type {
		case protocol.TypeLogStream:
			add(Change{Kind: ChangeJobLog, HostID: host, JobID: r.JobID})
		case protocol.TypeSnapshotsReport:
			add(Change{Kind: ChangeSnapshots, HostID: host})
			add(Change{Kind: ChangeHost, HostID: host})
		case protocol.TypeRepoStats:
			add(Change{Kind: ChangeRepoStats, HostID: host})
		case protocol.TypeScheduleFire:
			add(Change{Kind: ChangeHostEvents, HostID: host})
			add(Change{Kind: ChangeJob, HostID: host})
			add(Change{Kind: ChangeHost, HostID: host})
		case protocol.TypeJobFinished:
			finished = append(finished, r.JobID)
		}
		if r.JobChanged {
			add(Change{Kind: ChangeJob, HostID: host, JobID: r.JobID})
			add(Change{Kind: ChangeHost, HostID: host})
		}
	}
	for c, m := range acks {
		c.queueAck(m)
		// One line per host and commit: what is durable on this side is
		// the first question when an agent replays or a host looks stuck.
		h.log.Debug("agent events committed; ack queued", "host", c.hostID, "conn", c.id, "acked_seq", m)
	}
	if len(finished) > 0 || len(dropProgress) > 0 {
		h.mu.Lock()
		for _, id := range finished {
			delete(h.progress, id)
		}
		for _, it := range dropProgress {
			if st, ok := it.ev.Payload.(*protocol.JobStarted); ok && h.progress[st.JobID].hostID == it.ev.HostID {
				delete(h.progress, st.JobID)
			}
		}
		h.mu.Unlock()
	}
	// Only now may the readers go on: what they read next sees this
	// batch's jobs (and their dropped progress) in place.
	for _, it := range batch {
		h.released(it)
	}
	if len(changes) > 0 {
		list := make([]Change, 0, len(changes))
		for c := range changes {
			list = append(list, c)
		}
		h.broker.publish(list...)
	}
	if obs := h.opts.commitObserver; obs != nil {
		rec := make([]time.Time, len(batch))
		for i := range batch {
			rec[i] = batch[i].received
		}
		obs(rec, started, committed)
	}
}

// setProgress keeps the latest progress of a job the connection's host has
// running, in memory. Progress for any other job — unknown, another
// host's, queued — is refused with unknown_job and not kept, so a peer
// cannot make the manager hold progress for job ids it invents. A late
// line for a job of this host that has just ended is dropped quietly.
func (h *Hub) setProgress(c *conn, replyTo string, p *protocol.JobProgress) {
	h.mu.Lock()
	prev, seen := h.progress[p.JobID]
	h.mu.Unlock()
	switch {
	case seen && prev.hostID == c.hostID:
		// Running when its first progress came; job.finished drops it.
	case c.isStarting(p.JobID):
		// Its job.started is waiting for commit on this connection.
	default:
		j, err := h.store.Job(p.JobID)
		switch {
		case errors.Is(err, storage.ErrNotFound) || (err == nil && j.HostID != c.hostID):
			c.replyError(replyTo, protocol.CodeUnknownJob, fmt.Sprintf("job.progress for job %s, which this host has not started", p.JobID))
			return
		case err != nil:
			h.log.Error("look up a job for its progress", append(c.logAttrs(), "job", p.JobID, "err", err)...)
			return
		case j.Terminal():
			return // a late progress line after the end
		case j.Status != protocol.StatusRunning:
			c.replyError(replyTo, protocol.CodeUnknownJob, fmt.Sprintf("job.progress for job %s, which is %s, not running", p.JobID, j.Status))
			return
		}
	}
	h.mu.Lock()
	h.progress[p.JobID] = Progress{JobProgress: *p, UpdatedAt: h.now(), hostID: c.hostID}
	h.mu.Unlock()
	h.broker.publish(Change{Kind: ChangeProgress, HostID: c.hostID, JobID: p.JobID})
}

func (h *Hub) progressOf(jobID string) (Progress, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.progress[jobID]
	return p, ok
}
