package link

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
)

// session is one accepted connection.
type session struct {
	l    *Link
	conn *wsconn.Conn

	// order makes command.result precede the job's job.started: the sender
	// holds it per journaled frame, the command.run handler across Submit
	// and its reply.
	order sync.Mutex

	approveOnce sync.Once
	approved    chan struct{}

	unknownMu sync.Mutex
	unknown   map[string]bool

	trees chan treeRequest // tree.lists waiting for a worker
}

// tree.list runs off the read loop, which only queues a request:
// maxConcurrentTreeList workers answer the queue in order, so acks,
// cancels and pongs keep flowing however long an index takes to build.
// A request waits at most Options.TreeListWait from its arrival (in the
// queue and for its index together); past maxQueuedTreeList waiting, one
// is answered busy at once.
const (
	maxConcurrentTreeList = 4
	maxQueuedTreeList     = 256
)

// errTreeQueueFull answers a tree.list that found the queue full.
var errTreeQueueFull = errors.New("busy: too many tree.list requests waiting; ask again")

type treeRequest struct {
	id       string // the request's envelope id, for reply_to
	q        *protocol.TreeList
	deadline time.Time
}

// treeWorker answers queued tree.lists until the session ends.
func (s *session) treeWorker(ctx context.Context) {
	for {
		var r treeRequest
		select {
		case <-ctx.Done():
			return
		case r = <-s.trees:
		}
		rctx, cancel := context.WithDeadline(ctx, r.deadline)
		res := s.l.opts.Handler.TreeList(rctx, r.q)
		cancel()
		if _, err := s.conn.SendPayload(ctx, res, r.id); err != nil {
			s.l.log.Debug("tree.list.result not sent", "err", err)
		}
	}
}

// queueTreeList hands a tree.list to the workers without ever waiting.
func (s *session) queueTreeList(ctx context.Context, id string, q *protocol.TreeList) {
	select {
	case s.trees <- treeRequest{id: id, q: q, deadline: time.Now().Add(s.l.opts.TreeListWait)}:
		s.l.log.Debug("tree.list queued", "snapshot", q.SnapshotID, "waiting", len(s.trees))
	default:
		s.l.log.Warn("tree.list refused: the queue is full", "waiting", maxQueuedTreeList)
		go func() { // the reply's write must not hold up the read loop either
			res := &protocol.TreeListResult{SnapshotID: q.SnapshotID, Path: q.Path, Error: errTreeQueueFull.Error()}
			if _, err := s.conn.SendPayload(ctx, res, id); err != nil {
				s.l.log.Debug("tree.list.result not sent", "err", err)
			}
		}()
	}
}

func (s *session) approve(ctx context.Context) {
	s.approveOnce.Do(func() {
		l := s.l
		l.mu.Lock()
		l.dirty.snaps = l.snaps != nil
		l.dirty.stats = l.statsSet
		l.mu.Unlock()
		l.setStatus(func(st *Status) { st.Approved, st.Pending = true, false })
		// Approved once, the enrollment token has done its work: it is
		// never sent again (an agent that enrolled over the tailnet holds
		// no token, and its node is known from now on).
		if ok, err := l.opts.Tokens.Enrolled(); err == nil && !ok {
			if err := l.opts.Tokens.SetEnrolled(); err != nil {
				l.log.Error("record the enrollment", "err", err)
			}
		}
		close(s.approved)
		go l.opts.Handler.Approved(ctx)
	})
}

func (s *session) heartbeat(ctx context.Context) error {
	t := time.NewTicker(s.l.opts.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := s.conn.SendPayload(ctx, &protocol.Heartbeat{SentAt: time.Now().UTC()}, ""); err != nil {
			return err
		}
	}
}

// send replays the journal from the manager's mark, then follows appends,
// and between journal batches sends the latest progress and state. It does
// nothing until the host is approved.
func (s *session) send(ctx context.Context) error {
	select {
	case <-s.approved:
	case <-ctx.Done():
		return nil
	}
	j := s.l.opts.Journal
	last := j.LastAckedSeq()
	for {
		frames, err := j.Pending(last, pendingBatch)
		if err != nil {
			return err
		}
		for _, f := range frames {
			if err := s.sendProgress(ctx, f.Seq); err != nil {
				return err
			}
			s.order.Lock()
			err := s.conn.SendRaw(ctx, f.Data)
			s.order.Unlock()
			if err != nil {
				return err
			}
			last = f.Seq
		}
		if len(frames) == pendingBatch {
			continue
		}
		if err := s.flushVolatile(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-j.Appended():
		case <-s.l.wake:
		}
	}
}

// sendProgress sends the progress recorded before frame seq was journaled
// (all of it when seq is 0), taking it out of the map: it must precede
// that frame, which may be its job's job.finished.
func (s *session) sendProgress(ctx context.Context, seq uint64) error {
	l := s.l
	l.mu.Lock()
	var due []protocol.JobProgress
	for id, sp := range l.progress {
		if seq == 0 || sp.stamp < seq {
			due = append(due, sp.p)
			delete(l.progress, id)
		}
	}
	l.mu.Unlock()
	for i := range due {
		if _, err := s.conn.SendPayload(ctx, &due[i], ""); err != nil {
			return err
		}
	}
	return nil
}

// flushVolatile sends what is not journaled: the newest progress per job,
// the notices queued by Report, and the snapshot list and repo stats when
// they changed.
func (s *session) flushVolatile(ctx context.Context) error {
	if err := s.sendProgress(ctx, 0); err != nil {
		return err
	}
	if err := s.sendReports(ctx); err != nil {
		return err
	}
	l := s.l
	l.mu.Lock()
	var snaps []protocol.Snapshot
	sendSnaps := l.dirty.snaps && l.snaps != nil
	if sendSnaps {
		snaps = *l.snaps
	}
	stats, sendStats := l.stats, l.dirty.stats
	l.dirty = dirtyState{}
	l.mu.Unlock()

	if sendSnaps {
		for _, part := range SplitSnapshots(snaps, protocol.SnapshotsReportSplit) {
			if _, err := s.conn.SendPayload(ctx, part, ""); err != nil {
				return err
			}
		}
	}
	if sendStats {
		if _, err := s.conn.SendPayload(ctx, &stats, ""); err != nil {
			return err
		}
	}
	return nil
}

// sendReports sends the queued notices, oldest first; one that could not
// be sent stays queued for the next connection.
func (s *session) sendReports(ctx context.Context) error {
	l := s.l
	for {
		l.mu.Lock()
		if len(l.reports) == 0 {
			l.mu.Unlock()
			return nil
		}
		r := l.reports[0]
		l.mu.Unlock()
		if _, err := s.conn.SendPayload(ctx, &protocol.Error{Code: protocol.CodeInternal, Message: r.text}, ""); err != nil {
			return err
		}
		l.mu.Lock()
		l.reports = slices.DeleteFunc(l.reports, func(q report) bool { return q.n == r.n })
		l.mu.Unlock()
		if r.sent != nil {
			r.sent()
		}
	}
}

func (s *session) receive(ctx context.Context) error {
	for {
		env, err := s.conn.Receive(ctx)
		if err != nil {
			var fe *wsconn.FrameError
			if errors.As(err, &fe) {
				s.l.log.Warn("bad frame from manager", "err", err)
				_ = s.conn.SendError(ctx, fe.ID, protocol.CodeBadRequest, fe.Err.Error())
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := s.dispatch(ctx, env); err != nil {
			return err
		}
	}
}

// dispatch handles one frame. It returns an error only when the
// connection must end.
func (s *session) dispatch(ctx context.Context, env protocol.Envelope) error {
	l := s.l
	switch env.Type {
	case protocol.TypeAck:
		a, err := protocol.Decode[protocol.Ack](env)
		if err != nil {
			return s.badRequest(ctx, env, err)
		}
		if err := l.opts.Journal.Ack(a.Seq); err != nil {
			l.log.Error("journal ack failed", "seq", a.Seq, "err", err)
		}

	case protocol.TypeHelloAck:
		a, err := protocol.Decode[protocol.HelloAck](env)
		if err != nil {
			return s.badRequest(ctx, env, err)
		}
		if !a.Accepted {
			l.log.Error("manager revoked this agent", "reason", a.Error)
			return errRejected
		}
		if a.Status == protocol.HostApproved {
			l.log.Info("manager approved this agent", "host_id", a.HostID)
			s.approve(ctx)
		}

	case protocol.TypeConfigUpdate:
		u, err := protocol.Decode[protocol.ConfigUpdate](env)
		if err != nil {
			return s.badRequest(ctx, env, err)
		}
		if err := l.opts.Handler.ApplyConfig(ctx, u); err != nil {
			l.log.Error("config.update not applied", "err", err)
			return s.conn.SendError(ctx, env.ID, protocol.CodeInternal, "config.update not applied: "+err.Error())
		}

	case protocol.TypeScheduleSet:
		set, err := protocol.Decode[protocol.ScheduleSet](env)
		if err != nil {
			return s.badRequest(ctx, env, err)
		}
		v, err := l.opts.Handler.ApplySchedule(ctx, set)
		if err != nil {
			l.log.Error("schedule.set refused", "version", set.Version, "err", err)
			return s.conn.SendError(ctx, env.ID, protocol.CodeBadRequest, "schedule.set refused: "+err.Error())
		}
		_, err = s.conn.SendPayload(ctx, &protocol.ScheduleAck{Version: v, AppliedAt: time.Now().UTC()}, env.ID)
		return err

	case protocol.TypeCommandRun:
		return s.commandRun(ctx, env)

	case protocol.TypeCommandCancel:
		c, err := protocol.Decode[protocol.CommandCancel](env)
		if err != nil {
			return s.badRequest(ctx, env, err)
		}
		switch err := l.opts.Handler.Cancel(ctx, c.JobID); {
		case errors.Is(err, ErrUnknownJob):
			return s.conn.SendError(ctx, env.ID, protocol.CodeUnknownJob, "no job "+c.JobID+" on this agent")
		case err != nil:
			return s.conn.SendError(ctx, env.ID, protocol.CodeInternal, "cancel "+c.JobID+": "+err.Error())
		}

	case protocol.TypeTreeList:
		q, err := protocol.Decode[protocol.TreeList](env)
		if err != nil {
			return s.badRequest(ctx, env, err)
		}
		// Indexing a snapshot can take minutes: never hold up the read loop.
		s.queueTreeList(ctx, env.ID, q)

	case protocol.TypeAgentUpdateAvailable:
		u, err := protocol.Decode[protocol.AgentUpdateAvailable](env)
		if err == nil {
			l.log.Info("a newer agent is available", "version", u.LatestVersion, "url", u.PackageURL)
		}

	case protocol.TypeError:
		e, err := protocol.Decode[protocol.Error](env)
		if err == nil {
			l.log.Warn("manager reported an error", "code", e.Code, "message", e.Message, "reply_to", env.ReplyTo)
		}

	default:
		s.unknownMu.Lock()
		seen := s.unknown[env.Type]
		if s.unknown == nil {
			s.unknown = map[string]bool{}
		}
		s.unknown[env.Type] = true
		s.unknownMu.Unlock()
		if !seen {
			l.log.Warn("ignoring frames of a type this agent does not know", "type", env.Type)
		}
	}
	return nil
}

// commandRun answers command.run with command.result. A request that fails
// validation is refused with its job id when one can be read.
func (s *session) commandRun(ctx context.Context, env protocol.Envelope) error {
	c, err := protocol.Decode[protocol.CommandRun](env)
	if err != nil {
		var probe struct {
			JobID string `json:"job_id"`
		}
		if json.Unmarshal(env.Payload, &probe) != nil || probe.JobID == "" || len(probe.JobID) > protocol.MaxIDLen {
			return s.badRequest(ctx, env, err)
		}
		_, err = s.conn.SendPayload(ctx, &protocol.CommandResult{JobID: probe.JobID, Error: err.Error()}, env.ID)
		return err
	}
	s.order.Lock()
	defer s.order.Unlock()
	res := &protocol.CommandResult{JobID: c.JobID, Accepted: true}
	if err := s.l.opts.Handler.Submit(ctx, c); err != nil {
		res.Accepted, res.Error = false, err.Error()
		s.l.log.Warn("command.run refused", "job_id", c.JobID, "kind", c.Kind, "err", err)
	}
	_, err = s.conn.SendPayload(ctx, res, env.ID)
	return err
}

func (s *session) badRequest(ctx context.Context, env protocol.Envelope, err error) error {
	s.l.log.Warn("invalid frame from manager", "type", env.Type, "err", err)
	return s.conn.SendError(ctx, env.ID, protocol.CodeBadRequest, env.Type+": "+err.Error())
}
