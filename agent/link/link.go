package link

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
)

// Frame is one journaled event exactly as it was first encoded.
type Frame struct {
	Seq  uint64
	Data []byte
}

// Journal is the agent's durable outbound queue (agent/journal implements it).
type Journal interface {
	// LastAckedSeq is the highest seq the manager has acknowledged.
	LastAckedSeq() uint64
	// Pending returns up to max frames with seq > after, in seq order. The
	// frames are copies: the link sends them outside any transaction.
	Pending(after uint64, max int) ([]Frame, error)
	// Ack drops every frame ≤ seq. Acks are cumulative; a lower seq is a no-op.
	Ack(seq uint64) error
	// Appended is signalled after every append (a buffered channel; a
	// missed signal is fine because Pending is re-read after each wake).
	Appended() <-chan struct{}
	// LastSeq is the last seq assigned so far (0 before any). Progress is
	// stamped with it, so it goes out before any frame journaled after it.
	LastSeq() (uint64, error)
}

// Handler carries out what the manager asks for. Each method returns once
// the request is durably applied (or refused); long work runs elsewhere.
type Handler interface {
	ApplyConfig(ctx context.Context, u *protocol.ConfigUpdate) error
	// ApplySchedule persists and applies s, returning the version now in
	// force (s.Version, or the newer one already applied).
	ApplySchedule(ctx context.Context, s *protocol.ScheduleSet) (uint64, error)
	// Submit validates and persists a job; nil means accepted. A job id the
	// agent already has is accepted again and not run twice.
	Submit(ctx context.Context, c *protocol.CommandRun) error
	// Cancel cancels a queued or running job; ErrUnknownJob if there is none.
	Cancel(ctx context.Context, jobID string) error
	// TreeList answers one page; it may take long (a snapshot's index
	// builds first) and runs off the read loop. ctx's deadline is the
	// request's: past it, answer busy rather than keep waiting.
	TreeList(ctx context.Context, q *protocol.TreeList) *protocol.TreeListResult
	// Approved runs after every hello.ack with status approved: the moment
	// to publish snapshots and repo stats.
	Approved(ctx context.Context)
}

// ErrUnknownJob is returned by Handler.Cancel for a job id the agent does
// not have.
var ErrUnknownJob = errors.New("unknown job")

// Tokens keeps how the agent proves itself to the manager: the per-host
// token the manager issues at enrollment on its plain-TCP listener, and
// whether the manager has ever approved this agent. Over the tailnet no
// token is issued (the node is the identity), so approval is what ends
// the enrollment token's use there.
type Tokens interface {
	AgentToken() (string, error)
	SetAgentToken(token string) error
	// Enrolled reports whether a hello.ack{approved} was ever received.
	Enrolled() (bool, error)
	SetEnrolled() error
}

// Options configures a Link. Zero durations take the defaults below.
type Options struct {
	URL string // ws://host:port/v1/agent
	// Dial opens the WebSocket (mesh.Dialer.Dial over an embedded tailnet
	// node); nil dials URL over the host's network.
	Dial        func(ctx context.Context) (*wsconn.Conn, error)
	Hello       protocol.Hello
	EnrollToken string
	Journal     Journal
	Handler     Handler
	Tokens      Tokens
	Logger      *slog.Logger

	HeartbeatInterval time.Duration // default 30 s
	HelloTimeout      time.Duration // default 15 s
	RejectedRetry     time.Duration // default 5 min
	MaxBackoff        time.Duration // default 60 s
	// TreeListWait bounds one tree.list from its arrival, waiting for a
	// worker and for its snapshot's index (default 60 s).
	TreeListWait time.Duration
}

// Defaults from DESIGN.md.
const (
	DefaultHeartbeat     = 30 * time.Second
	DefaultHelloTimeout  = 15 * time.Second
	DefaultRejectedRetry = 5 * time.Minute
	DefaultMaxBackoff    = 60 * time.Second
	DefaultTreeListWait  = 60 * time.Second
	firstBackoff         = 500 * time.Millisecond
	pendingBatch         = 256
)

// Status is the link's state, for logs, the agent's own status output and
// tests.
type Status struct {
	Connected bool
	Approved  bool
	Pending   bool
	HostID    string
	LastError string
	Sessions  int // accepted sessions so far
}

// Link is the agent's connection to its manager.
type Link struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	status   Status
	progress map[string]stampedProgress
	snaps    *[]protocol.Snapshot // latest list, nil until known
	stats    protocol.RepoStats   // merged latest
	statsSet bool
	dirty    dirtyState
	reports  []report // notices for the host's log, oldest first
	reportN  uint64
	wake     chan struct{} // progress or state changed
	changed  chan struct{} // closed and replaced on every status change

	// reenroll is set when the manager refused the agent's token as
	// unknown and an enrollment token is at hand: the next hello enrolls
	// with it instead. Only Run's goroutine touches it.
	reenroll bool
}

// report is one notice for the manager, sent as an error frame.
type report struct {
	n    uint64 // order of queueing, to find it again after sending
	text string
	sent func() // called once the frame is out; may be nil
}

// maxReports bounds the notices kept while offline; the oldest go first.
const maxReports = 64

type dirtyState struct{ snaps, stats bool }

// stampedProgress is a job's latest progress and the journal's last seq
// when it was recorded: it is sent before any journaled frame with a
// higher seq, so the manager sees events in the order they happened and
// never a job's progress after its job.finished.
type stampedProgress struct {
	p     protocol.JobProgress
	stamp uint64
}

// New returns a Link; call Run to connect.
func New(opts Options) *Link {
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeat
	}
	if opts.HelloTimeout <= 0 {
		opts.HelloTimeout = DefaultHelloTimeout
	}
	if opts.RejectedRetry <= 0 {
		opts.RejectedRetry = DefaultRejectedRetry
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.TreeListWait <= 0 {
		opts.TreeListWait = DefaultTreeListWait
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Link{
		opts:     opts,
		log:      opts.Logger.With("component", "link"),
		progress: map[string]stampedProgress{},
		wake:     make(chan struct{}, 1),
		changed:  make(chan struct{}),
	}
}

// Status returns the current state.
func (l *Link) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// Changed returns a channel closed at the next status change.
func (l *Link) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

func (l *Link) setStatus(f func(*Status)) {
	l.mu.Lock()
	f(&l.status)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// Progress records a job's latest progress; only the newest per job is
// sent, and nothing is queued while offline beyond that one value.
func (l *Link) Progress(p protocol.JobProgress) {
	stamp, err := l.opts.Journal.LastSeq()
	if err != nil {
		stamp = 0 // unknown: sent at the first chance, before any frame
	}
	l.mu.Lock()
	l.progress[p.JobID] = stampedProgress{p: p, stamp: stamp}
	l.mu.Unlock()
	l.poke()
}

// ForgetProgress drops unsent progress of a finished job.
func (l *Link) ForgetProgress(jobID string) {
	l.mu.Lock()
	delete(l.progress, jobID)
	l.mu.Unlock()
}

// PublishSnapshots replaces the snapshot list the manager should see. It is
// sent now when connected and again after every approval.
func (l *Link) PublishSnapshots(snaps []protocol.Snapshot) {
	if snaps == nil {
		snaps = []protocol.Snapshot{}
	}
	l.mu.Lock()
	l.snaps = &snaps
	l.dirty.snaps = true
	l.mu.Unlock()
	l.poke()
}

// PublishRepoStats merges a partial repo.stats update (nil fields keep the
// previous value) and sends it.
func (l *Link) PublishRepoStats(s protocol.RepoStats) {
	l.mu.Lock()
	mergeStats(&l.stats, s)
	l.statsSet = true
	l.dirty.stats = true
	l.mu.Unlock()
	l.poke()
}

// Report queues a notice for the host's log on the manager: sent once, on
// the next approved connection, as error{code:"internal"} without
// reply_to, which the manager stores as a host event (the wire has no
// other agent→manager channel for free text outside a job). sent, when
// not nil, runs after the frame went out.
func (l *Link) Report(text string, sent func()) {
	text = protocol.TruncateText(text, protocol.MaxTextLen)
	l.mu.Lock()
	if len(l.reports) == maxReports {
		l.reports = l.reports[1:]
	}
	l.reportN++
	l.reports = append(l.reports, report{n: l.reportN, text: text, sent: sent})
	l.mu.Unlock()
	l.poke()
}

func (l *Link) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

var (
	errRejected = errors.New("manager refused the agent")
	// errUnknownToken: the manager knows no host with the agent's token,
	// and the agent will enroll again at once with its enrollment token.
	errUnknownToken = errors.New("manager does not know this agent's token")
)

// Run connects and stays connected until ctx ends, reconnecting with
// exponential backoff and jitter (first retry within 1 s, capped at
// MaxBackoff), or after RejectedRetry when the manager refused the hello.
func (l *Link) Run(ctx context.Context) error {
	attempt := 0
	for {
		accepted, err := l.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if accepted {
			attempt = 0
		}
		wait := l.backoff(attempt)
		attempt++
		switch {
		case errors.Is(err, errRejected):
			wait = l.opts.RejectedRetry
		case errors.Is(err, errUnknownToken):
			wait = l.backoff(0) // enroll again at once
		}
		l.setStatus(func(s *Status) {
			s.Connected, s.Approved, s.Pending = false, false, false
			if err != nil {
				s.LastError = err.Error()
			}
		})
		l.log.Info("disconnected from manager", "err", err, "retry_in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (l *Link) backoff(attempt int) time.Duration {
	d := firstBackoff << min(attempt, 10)
	if d > l.opts.MaxBackoff || d <= 0 {
		d = l.opts.MaxBackoff
	}
	// Full jitter on the upper half keeps a fleet that lost its manager
	// together from reconnecting in lockstep.
	return d/2 + rand.N(d/2+1)
}

// session runs one connection. accepted reports whether the manager
// accepted the hello (which resets the backoff).
func (l *Link) session(ctx context.Context) (accepted bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	dctx, dcancel := context.WithTimeout(ctx, l.opts.HelloTimeout)
	conn, err := l.dial(dctx)
	dcancel()
	if err != nil {
		return false, err
	}
	defer conn.CloseNow()

	ack, err := l.handshake(ctx, conn)
	if err != nil {
		return false, err
	}
	s := &session{l: l, conn: conn, approved: make(chan struct{}), trees: make(chan treeRequest, maxQueuedTreeList)}
	for range maxConcurrentTreeList {
		go s.treeWorker(ctx)
	}
	l.setStatus(func(st *Status) {
		st.Connected, st.HostID, st.LastError = true, ack.HostID, ""
		st.Pending = ack.Status == protocol.HostPending
		st.Sessions++
	})

	errc := make(chan error, 4)
	go func() { errc <- s.receive(ctx) }()
	go func() { errc <- s.heartbeat(ctx) }()
	go func() { errc <- conn.KeepAlive(ctx, l.opts.HeartbeatInterval, l.opts.HeartbeatInterval) }()
	go func() { errc <- s.send(ctx) }()
	if ack.Status == protocol.HostApproved {
		s.approve(ctx)
	} else {
		l.log.Warn("manager holds this agent as pending; waiting for approval", "host_id", ack.HostID)
	}
	err = <-errc
	cancel()
	if ctx.Err() == nil || err != nil {
		_ = conn.Close(wsconn.StatusGoingAway, "agent reconnecting")
	}
	return true, err
}

func (l *Link) dial(ctx context.Context) (*wsconn.Conn, error) {
	if l.opts.Dial != nil {
		return l.opts.Dial(ctx)
	}
	return wsconn.Dial(ctx, l.opts.URL, nil)
}

func (l *Link) handshake(ctx context.Context, conn *wsconn.Conn) (*protocol.HelloAck, error) {
	hello := l.opts.Hello
	hello.ProtocolVersion = protocol.ProtocolVersion
	hello.LastAckedSeq = l.opts.Journal.LastAckedSeq()
	tok, err := l.opts.Tokens.AgentToken()
	if err != nil {
		return nil, fmt.Errorf("read agent token: %w", err)
	}
	enrolled, err := l.opts.Tokens.Enrolled()
	if err != nil {
		return nil, fmt.Errorf("read enrollment state: %w", err)
	}
	switch {
	case l.reenroll:
		hello.EnrollToken = l.opts.EnrollToken
	case tok != "":
		hello.Token = tok
	case !enrolled:
		hello.EnrollToken = l.opts.EnrollToken
	}
	if _, err := conn.SendPayload(ctx, &hello, ""); err != nil {
		return nil, err
	}

	hctx, cancel := context.WithTimeout(ctx, l.opts.HelloTimeout)
	defer cancel()
	for {
		env, err := conn.Receive(hctx)
		if err != nil {
			var fe *wsconn.FrameError
			if errors.As(err, &fe) {
				continue
			}
			return nil, fmt.Errorf("waiting for hello.ack: %w", err)
		}
		if env.Type != protocol.TypeHelloAck {
			l.log.Debug("frame before hello.ack ignored", "type", env.Type)
			continue
		}
		ack, err := protocol.Decode[protocol.HelloAck](env)
		if err != nil {
			return nil, fmt.Errorf("bad hello.ack: %w", err)
		}
		if !ack.Accepted {
			return nil, l.refused(ack, hello.Token != "")
		}
		if ack.AgentToken != "" {
			if err := l.opts.Tokens.SetAgentToken(ack.AgentToken); err != nil {
				return nil, fmt.Errorf("store agent token: %w", err)
			}
			if l.reenroll {
				l.log.Warn("enrolled again with the enrollment token; the manager issued a new agent token", "host_id", ack.HostID)
			} else {
				l.log.Info("enrolled with the manager", "host_id", ack.HostID)
			}
		}
		l.reenroll = false
		if err := l.opts.Journal.Ack(ack.AckedSeq); err != nil {
			return nil, fmt.Errorf("journal ack %d: %w", ack.AckedSeq, err)
		}
		return ack, nil
	}
}

// refused logs why the manager refused the hello and picks the next
// step. A token the manager does not know (its store was lost, or the
// host was removed) is retried at once as an enrollment when the agent
// has an enrollment token; otherwise, as for any refusal, the agent asks
// again after RejectedRetry.
func (l *Link) refused(ack *protocol.HelloAck, sentToken bool) error {
	enrolling := l.reenroll
	l.reenroll = false // a refused enrollment goes back to the token next time
	switch {
	case sentToken && ack.Error == protocol.RefusedUnknownToken && l.opts.EnrollToken != "":
		l.log.Warn("the manager does not know this agent's token (its data was lost, or the host was removed); enrolling again with the enrollment token")
		l.reenroll = true
		return errUnknownToken
	case sentToken && ack.Error == protocol.RefusedUnknownToken:
		l.log.Error("the manager does not know this agent's token (its data was lost, or the host was removed), and this agent has no enrollment token: "+
			"make one in the manager's \"Add host\" and give it to this agent (--enroll or --enroll-file), or restore the manager's data; asking again periodically",
			"retry_in", l.opts.RejectedRetry)
	case enrolling:
		l.log.Error("the manager refused to enroll this agent again; asking again periodically", "reason", ack.Error, "retry_in", l.opts.RejectedRetry)
	default:
		l.log.Error("manager refused this agent", "reason", ack.Error)
	}
	return fmt.Errorf("%w: %s", errRejected, ack.Error)
}

func mergeStats(dst *protocol.RepoStats, src protocol.RepoStats) {
	if src.TotalSizeBytes != nil {
		dst.TotalSizeBytes = src.TotalSizeBytes
	}
	if src.RawSizeBytes != nil {
		dst.RawSizeBytes = src.RawSizeBytes
	}
	if src.UniqueFiles != nil {
		dst.UniqueFiles = src.UniqueFiles
	}
	if src.SnapshotCount != nil {
		dst.SnapshotCount = src.SnapshotCount
	}
	if src.LastCheckAt != nil {
		dst.LastCheckAt = src.LastCheckAt
	}
	if src.LastCheckStatus != nil {
		dst.LastCheckStatus = src.LastCheckStatus
	}
	if src.LockPresent != nil {
		dst.LockPresent = src.LockPresent
	}
	if src.LastPruneAt != nil {
		dst.LastPruneAt = src.LastPruneAt
	}
	if src.LastPruneFreedBytes != nil {
		dst.LastPruneFreedBytes = src.LastPruneFreedBytes
	}
}
