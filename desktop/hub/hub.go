package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// Defaults of Options.
const (
	DefaultHeartbeatInterval = 30 * time.Second
	DefaultHelloTimeout      = 10 * time.Second
	DefaultRPCTimeout        = 15 * time.Second
	// MissedHeartbeats is how many intervals of silence make a host
	// offline (3 × 30 s = 90 s).
	MissedHeartbeats = 3
)

// Peer is what the tailnet says about the other end of a connection. It
// is the identity on a tailnet listener; hello fields never are.
type Peer struct {
	NodeID    string // tailnet stable node id
	NodeName  string
	Hostname  string
	LoginName string
	Tags      []string
}

// Listener is one place agents connect. WhoIs is nil for plain TCP, where
// hosts prove themselves with tokens; on a tailnet it names the peer
// behind a remote address (tsnet's LocalClient.WhoIs).
type Listener struct {
	Name  string
	L     net.Listener
	WhoIs func(ctx context.Context, remoteAddr string) (Peer, error)
}

// Options configure a Hub. Store and Secrets are required.
type Options struct {
	Store   *storage.Store
	Secrets secrets.Store
	// Logger gets structured logs (never a secret). Default: discard.
	Logger *slog.Logger
	// Now is the clock for stored times (default time.Now).
	Now func() time.Time
	// HeartbeatInterval is the agents' heartbeat period; a host is offline
	// after MissedHeartbeats of silence (default 30 s).
	HeartbeatInterval time.Duration
	// HelloTimeout bounds the wait for hello on a new socket (default 10 s).
	HelloTimeout time.Duration
	// RPCTimeout bounds tree.list (default 15 s).
	RPCTimeout time.Duration
	// MaxBatch caps the events committed in one transaction (default 16384).
	MaxBatch int
	// CommitInterval is the least time between the starts of two commits
	// (default 15 ms). An event arriving after a quiet spell commits at
	// once; under load, events gather for up to this long so one
	// transaction, one fsync and one ack per host cover many. It bounds
	// the added latency, not the commit rate alone.
	CommitInterval time.Duration
	// Hostname is this computer's name, as os.Hostname says it (the
	// default): a host that reports the same name is the manager's own
	// machine (HostView.ThisComputer).
	Hostname string
	// MaxInflight and MaxInflightBytes cap one connection's events
	// waiting for commit and their payload bytes; past either the hub
	// stops reading that socket until commits catch up (defaults 4096 and
	// 64 MiB).
	MaxInflight      int
	MaxInflightBytes int64
	// SweepDelay is when the first history sweep runs after New (default
	// DefaultSweepDelay: start-up comes first); SweepInterval the time
	// between sweeps (default DefaultSweepInterval; negative: only
	// SweepHistory and settings changes start one).
	SweepDelay    time.Duration
	SweepInterval time.Duration
	// SweepKeysPerTx bounds the keys one sweep transaction deletes
	// (default DefaultSweepKeysPerTx): the longer a transaction, the
	// longer a group commit behind it may wait.
	SweepKeysPerTx int
	// ReleaseInterval is how often the store's pages are taken out of the
	// process's memory map (default DefaultReleaseInterval; memory.go).
	ReleaseInterval time.Duration
	// Notify configures notifications (notify.go).
	Notify NotifyOptions

	// commitObserver, when set (benchmarks), is told each committed
	// event's receipt time, and when the commit started and ended.
	commitObserver func(received []time.Time, started, committed time.Time)
	// beforeCommit, when set (tests), runs before each commit.
	beforeCommit func()
}

// Hub is the server core. Create it with New, feed it listeners with
// Serve, stop it with Close.
type Hub struct {
	opts    Options
	store   *storage.Store
	secrets secrets.Store
	log     *slog.Logger
	now     func() time.Time
	broker  *broker

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu       sync.Mutex
	live     map[string]*conn // host id → its one authenticated connection
	sockets  map[*conn]struct{}
	progress map[string]Progress // job id → latest progress
	connSeq  uint64
	closed   bool // set by Close under mu: no new connection registers after

	notify *notifier

	ingest     chan *ingestItem // pointers: the queue's slots cost 8 bytes, not 200
	ingestDone chan struct{}
	wg         sync.WaitGroup // connections, servers, monitor, sweeper, releaser

	// The history sweep (history.go): its state under mu, its wake-up.
	sweep     sweepState
	sweepWake chan struct{}
}

// New makes a hub over an open store. It starts the ingest committer and
// the heartbeat monitor; no listener yet.
func New(o Options) (*Hub, error) {
	if o.Store == nil {
		return nil, errors.New("hub: Options.Store is required")
	}
	if o.Secrets == nil {
		return nil, errors.New("hub: Options.Secrets is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if o.HelloTimeout <= 0 {
		o.HelloTimeout = DefaultHelloTimeout
	}
	if o.RPCTimeout <= 0 {
		o.RPCTimeout = DefaultRPCTimeout
	}
	if o.CommitInterval <= 0 {
		o.CommitInterval = 15 * time.Millisecond
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 16384
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname() // unknown: only a loopback connection says "this computer"
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = 4096
	}
	if o.MaxInflightBytes <= 0 {
		o.MaxInflightBytes = 64 << 20
	}
	if o.SweepDelay <= 0 {
		o.SweepDelay = DefaultSweepDelay
	}
	if o.SweepInterval == 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	if o.SweepKeysPerTx <= 0 {
		o.SweepKeysPerTx = DefaultSweepKeysPerTx
	}
	if o.ReleaseInterval <= 0 {
		o.ReleaseInterval = DefaultReleaseInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		opts: o, store: o.Store, secrets: o.Secrets, log: o.Logger, now: o.Now, broker: newBroker(),
		ctx: ctx, cancel: cancel,
		live: map[string]*conn{}, sockets: map[*conn]struct{}{}, progress: map[string]Progress{},
		// One batch's worth: a longer queue only adds latency and memory
		// when the disk is the bottleneck; readers wait instead.
		ingest: make(chan *ingestItem, o.MaxBatch), ingestDone: make(chan struct{}),
		sweepWake: make(chan struct{}, 1),
	}
	h.logCompaction()
	go h.commitLoop()
	h.wg.Add(3)
	go h.monitor()
	go h.sweepLoop()
	go h.releaseLoop()
	h.startNotify()
	h.reportQuarantined(h.store.Quarantined())
	h.log.Info("hub started", "store", o.Store.Path(), "secrets", o.Secrets.Backend(), "heartbeat", o.HeartbeatInterval)
	return h, nil
}

// Serve accepts agent connections on l until ctx ends or Close is called.
// It returns nil then; any other listener failure is returned.
func (h *Hub) Serve(ctx context.Context, l Listener) error {
	if h.ctx.Err() != nil {
		return ErrClosed
	}
	if l.Name == "" {
		l.Name = l.L.Addr().String()
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()

	mux := http.NewServeMux()
	mux.HandleFunc(protocol.AgentPath, func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			http.Error(w, "manager shutting down", http.StatusServiceUnavailable)
			return
		}
		h.wg.Add(1)
		h.mu.Unlock()
		defer h.wg.Done()
		h.handleAgent(sctx, w, r, l)
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: h.opts.HelloTimeout,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l.L) }()
	h.log.Info("listening for agents", "listener", l.Name, "addr", l.L.Addr().String(), "tailnet", l.WhoIs != nil)
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", l.Name, err)
	case <-sctx.Done():
	}
	// Close stops accepting; hijacked WebSocket connections end through
	// sctx (see handleAgent).
	_ = srv.Close()
	<-errc
	return nil
}

// Close disconnects every agent, commits the events already received, and
// stops the hub. The store stays open (its owner closes it).
func (h *Hub) Close() error {
	if h.ctx.Err() != nil {
		return nil
	}
	h.cancel()
	h.mu.Lock()
	h.closed = true
	for c := range h.sockets {
		c.closeWith(statusGoingAway, "manager shutting down")
	}
	h.mu.Unlock()
	h.wg.Wait()
	close(h.ingest)
	<-h.ingestDone
	h.broker.closeAll()
	return nil
}

// liveConn returns the host's authenticated connection, or nil.
func (h *Hub) liveConn(hostID string) *conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live[hostID]
}

// monitor marks hosts offline after MissedHeartbeats silent intervals and
// drops stale progress.
func (h *Hub) monitor() {
	defer h.wg.Done()
	period := h.opts.HeartbeatInterval / 3
	if period < 10*time.Millisecond {
		period = 10 * time.Millisecond
	}
	t := time.NewTicker(period)
	defer t.Stop()
	limit := time.Duration(MissedHeartbeats) * h.opts.HeartbeatInterval
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		var silent []*conn
		h.mu.Lock()
		for c := range h.sockets {
			// A connection with events waiting for commit is not silent:
			// we are the slow side and its reader is held back on purpose.
			if c.authenticated() && c.inflight.pending() == 0 && now.Sub(c.heard()) > limit {
				silent = append(silent, c)
			}
		}
		for id, p := range h.progress {
			if now.Sub(p.UpdatedAt) > time.Hour {
				delete(h.progress, id)
			}
		}
		h.mu.Unlock()
		for _, c := range silent {
			h.log.Warn("host missed heartbeats; marking it offline", "host", c.hostID, "conn", c.id, "silent", now.Sub(c.heard()).Round(time.Millisecond))
			h.hostEvent(c.hostID, storage.EventConnection, fmt.Sprintf("no heartbeat for %s: offline", limit))
			c.closeWith(statusGoingAway, "no heartbeat")
		}
	}
}

// reportQuarantined logs each record the store moved to quarantine (at
// open, or in the check a large store defers) and notes it on its host,
// when the host is still there.
func (h *Hub) reportQuarantined(bad []storage.BadRecord) {
	for _, q := range bad {
		h.log.Error("a stored record could not be read; it was moved to quarantine", "record", q.What(), "reason", q.Reason)
		if _, err := h.store.Host(q.HostID); q.HostID != "" && err == nil {
			h.hostEvent(q.HostID, storage.EventStore, "the stored "+q.What()+" could not be read and was moved to quarantine ("+q.Reason+"); set it again")
		}
	}
}

// hostEvent appends to a host's event log and tells subscribers. Errors
// are logged: the event log must never break a connection.
func (h *Hub) hostEvent(hostID, kind, msg string) {
	if hostID == "" {
		return
	}
	if err := h.store.AddHostEvent(hostID, storage.HostEvent{Time: h.now(), Kind: kind, Message: msg}); err != nil {
		if !errors.Is(err, storage.ErrNotFound) { // a host removed a moment ago has no log
			h.log.Error("write host event", "host", hostID, "err", err)
		}
		return
	}
	h.broker.publish(Change{Kind: ChangeHostEvents, HostID: hostID})
}
