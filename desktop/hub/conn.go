package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
	"restic-manager/storage"
)

const (
	statusPolicy    = wsconn.StatusPolicyViolation
	statusGoingAway = wsconn.StatusGoingAway
	statusNormal    = wsconn.StatusNormal

	// outQueueLen bounds frames waiting to be written to one agent. Acks
	// are coalesced outside it.
	outQueueLen = 1024
)

// conn is one agent socket, from accept to close.
type conn struct {
	h        *Hub
	id       uint64
	ws       *wsconn.Conn
	listener string
	remote   string
	peer     *Peer

	out      outQueue      // frames to write; costs nothing while idle
	ackSeq   atomic.Uint64 // highest ack to send
	ackWake  chan struct{}
	done     chan struct{} // closed when the connection starts closing
	closed   chan struct{} // closed when the close handshake has ended
	once     sync.Once
	writerWG sync.WaitGroup
	inflight *inflight // events waiting for commit, and their bytes

	heardNS  atomic.Int64
	authed   atomic.Bool
	approved atomic.Bool
	// Set once in admit, before authed; read-only after.
	hostID   string
	protoVer int
	since    time.Time

	rpcMu sync.Mutex
	rpcs  map[string]chan rpcResult

	// commandMu keeps a command.run and the source slot sent before it
	// together (sendCommand).
	commandMu sync.Mutex

	// starting counts the job.started events of this connection waiting
	// for commit, by job id: progress may follow a job.started before it
	// is stored.
	startMu  sync.Mutex
	starting map[string]int

	// Reader goroutine only.
	unknown map[string]bool
	reports reportAssembler
}

type outItem struct {
	env         protocol.Envelope
	closeCode   websocket.StatusCode
	closeReason string
	isClose     bool
}

type rpcResult struct {
	env protocol.Envelope
	err error
}

func (h *Hub) newConn(ws *wsconn.Conn, l Listener, remote string) *conn {
	h.mu.Lock()
	h.connSeq++
	id := h.connSeq
	h.mu.Unlock()
	c := &conn{
		h: h, id: id, ws: ws, listener: l.Name, remote: remote,
		out: newOutQueue(outQueueLen), ackWake: make(chan struct{}, 1), done: make(chan struct{}), closed: make(chan struct{}),
		inflight: newInflight(h.opts.MaxInflight, h.opts.MaxInflightBytes), starting: map[string]int{},
		reports: reportAssembler{maxBytes: h.opts.MaxInflightBytes}, rpcs: map[string]chan rpcResult{}, unknown: map[string]bool{},
	}
	c.heardNow()
	return c
}

func (c *conn) heardNow()           { c.heardNS.Store(time.Now().UnixNano()) }
func (c *conn) heard() time.Time    { return time.Unix(0, c.heardNS.Load()) }
func (c *conn) authenticated() bool { return c.authed.Load() }
func (c *conn) closing() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}
func (c *conn) logAttrs() []any {
	return []any{"conn", c.id, "host", c.host(), "listener", c.listener, "remote", c.remote}
}

// host is the connection's host id once hello was accepted ("" before);
// safe from any goroutine.
func (c *conn) host() string {
	if c.authed.Load() {
		return c.hostID
	}
	return ""
}

// closeWith closes the socket with a close frame (async: the close
// handshake may wait for a dead peer). Safe to call many times.
func (c *conn) closeWith(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		close(c.done)
		go func() {
			defer close(c.closed)
			_ = c.ws.Close(code, reason) // bounded: the library waits at most 5 s for the peer
		}()
	})
}

// send queues a frame. A connection whose queue is full is too slow to
// keep: it is closed (the agent reconnects and gets everything again).
func (c *conn) send(env protocol.Envelope) bool {
	if c.closing() {
		return false
	}
	if c.out.push(&outItem{env: env}) {
		return true
	}
	c.h.log.Warn("agent is not reading; closing its connection", c.logAttrs()...)
	c.closeWith(statusGoingAway, "outbound queue full")
	return false
}

// trySend queues a frame that may be dropped (error replies to a flood
// must not disconnect it).
func (c *conn) trySend(env protocol.Envelope) {
	c.out.push(&outItem{env: env})
}

func (c *conn) sendPayload(p protocol.Payload, replyTo string) bool {
	env, err := protocol.Reply(replyTo, p)
	if err != nil {
		c.h.log.Error("encode frame", append(c.logAttrs(), "type", p.MessageType(), "err", err)...)
		return false
	}
	return c.send(env)
}

// closeAfterQueued closes once the frames queued before it are written
// (a refusal's hello.ack must arrive before the close frame).
func (c *conn) closeAfterQueued(code websocket.StatusCode, reason string) {
	if !c.out.push(&outItem{isClose: true, closeCode: code, closeReason: reason}) {
		c.closeWith(code, reason)
	}
}

func (c *conn) replyError(replyTo, code, msg string) {
	env, err := protocol.Reply(replyTo, &protocol.Error{Code: code, Message: msg})
	if err == nil {
		c.trySend(env)
	}
}

// queueAck raises the ack to send; acks coalesce (cumulative).
func (c *conn) queueAck(seq uint64) {
	for {
		cur := c.ackSeq.Load()
		if seq <= cur {
			return
		}
		if c.ackSeq.CompareAndSwap(cur, seq) {
			break
		}
	}
	select {
	case c.ackWake <- struct{}{}:
	default:
	}
}

func (c *conn) writeLoop() {
	defer c.writerWG.Done()
	var acked uint64
	ctx := context.Background() // each write is bounded by wsconn's write timeout
	for {
		var err error
		select {
		case <-c.done:
			return
		case <-c.out.ready:
			it := c.out.pop()
			if it == nil {
				continue
			}
			if it.isClose {
				c.closeWith(it.closeCode, it.closeReason)
				return
			}
			err = c.ws.Send(ctx, it.env)
		case <-c.ackWake:
			if seq := c.ackSeq.Load(); seq > acked {
				_, err = c.ws.SendPayload(ctx, &protocol.Ack{Seq: seq}, "")
				acked = seq
			}
		}
		if err != nil {
			if !c.closing() {
				c.h.log.Info("write to agent failed; closing", append(c.logAttrs(), "err", err)...)
			}
			c.closeWith(statusGoingAway, "write failed")
			return
		}
	}
}

// handleAgent runs one agent socket to its end.
func (h *Hub) handleAgent(sctx context.Context, w http.ResponseWriter, r *http.Request, l Listener) {
	ws, err := wsconn.Accept(w, r)
	if err != nil {
		h.log.Info("websocket upgrade failed", "remote", r.RemoteAddr, "listener", l.Name, "err", err)
		return
	}
	c := h.newConn(ws, l, r.RemoteAddr)
	h.mu.Lock()
	h.sockets[c] = struct{}{}
	h.mu.Unlock()
	stop := context.AfterFunc(sctx, func() { c.closeWith(statusGoingAway, "manager shutting down") })
	c.writerWG.Add(1)
	go c.writeLoop()
	defer func() {
		stop()
		// Frames already queued (a refusal's hello.ack) go out first.
		c.closeAfterQueued(statusNormal, "")
		c.writerWG.Wait()
		h.dropConn(c)
		<-c.closed
	}()

	hello, helloEnv, ok := h.awaitHello(c)
	if !ok {
		return
	}
	if !h.admit(sctx, c, l, hello, helloEnv) {
		return
	}
	h.readLoop(c)
}

// dropConn forgets a closed connection; if it was its host's live one, the
// host goes offline (its jobs keep their state: a dropped connection never
// fails a job).
func (h *Hub) dropConn(c *conn) {
	h.mu.Lock()
	delete(h.sockets, c)
	wasLive := c.hostID != "" && h.live[c.hostID] == c
	if wasLive {
		delete(h.live, c.hostID)
	}
	h.mu.Unlock()
	c.failRPCs(ErrConnectionLost)
	if !wasLive {
		return
	}
	h.log.Info("agent disconnected", c.logAttrs()...)
	if _, err := h.store.TouchHost(c.hostID, nil, h.now()); err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.log.Error("record last seen", append(c.logAttrs(), "err", err)...)
	}
	h.hostEvent(c.hostID, storage.EventConnection, "disconnected")
	h.broker.publish(Change{Kind: ChangeHost, HostID: c.hostID})
}

// awaitHello reads until a hello arrives. Nothing before it is answered;
// a socket without a valid hello within HelloTimeout is closed.
func (h *Hub) awaitHello(c *conn) (*protocol.Hello, protocol.Envelope, bool) {
	timer := time.AfterFunc(h.opts.HelloTimeout, func() {
		h.log.Info("no hello in time; closing", append(c.logAttrs(), "timeout", h.opts.HelloTimeout)...)
		c.closeWith(statusPolicy, "no hello")
	})
	defer timer.Stop()
	for {
		env, err := c.ws.Receive(context.Background())
		var fe *wsconn.FrameError
		if errors.As(err, &fe) {
			continue
		}
		if err != nil {
			return nil, env, false
		}
		if env.Type != protocol.TypeHello {
			continue
		}
		hello, err := protocol.Decode[protocol.Hello](env)
		if err != nil {
			h.refuse(c, env.ID, "invalid hello: "+err.Error())
			return nil, env, false
		}
		if !timer.Stop() {
			return nil, env, false // the timeout won the race
		}
		return hello, env, true
	}
}

// refuse answers hello with accepted:false and closes (policy violation).
func (h *Hub) refuse(c *conn, replyTo, msg string) {
	h.log.Info("hello refused", append(c.logAttrs(), "reason", msg)...)
	c.sendPayload(&protocol.HelloAck{Accepted: false, ProtocolVersion: protocol.ProtocolVersion, Error: msg}, replyTo)
	c.closeAfterQueued(statusPolicy, "hello refused")
}

// refusal is an authentication outcome meant for the agent; any other
// error is internal.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func refused(format string, args ...any) error { return &refusal{msg: fmt.Sprintf(format, args...)} }

// admit authenticates a hello and makes the connection its host's live
// one. It returns false when the connection was refused.
func (h *Hub) admit(ctx context.Context, c *conn, l Listener, hello *protocol.Hello, env protocol.Envelope) bool {
	if hello.ProtocolVersion < protocol.MinProtocolVersion || hello.ProtocolVersion > protocol.MaxProtocolVersion {
		h.refuse(c, env.ID, fmt.Sprintf("protocol_version %d is not supported: this manager speaks %d to %d; upgrade the older side",
			hello.ProtocolVersion, protocol.MinProtocolVersion, protocol.MaxProtocolVersion))
		return false
	}
	if l.WhoIs != nil {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		p, err := l.WhoIs(wctx, c.remote)
		cancel()
		if err != nil {
			h.log.Warn("tailnet WhoIs failed", append(c.logAttrs(), "err", err)...)
			h.refuse(c, env.ID, "the manager could not identify this tailnet node")
			return false
		}
		c.peer = &p
	}
	adm, err := h.authenticate(c, hello)
	host := adm.host
	if err != nil {
		var r *refusal
		if errors.As(err, &r) {
			if host.ID != "" {
				h.hostEvent(host.ID, storage.EventConnection, "connection refused: "+r.msg)
			}
			h.refuse(c, env.ID, r.msg)
		} else {
			h.log.Error("authenticate agent", append(c.logAttrs(), "err", err)...)
			h.refuse(c, env.ID, "internal error on the manager; try again later")
		}
		return false
	}
	now := h.now()
	info := storage.HostInfoFromHello(hello)
	note := fmt.Sprintf("connected via %s from %s (agent %s, restic %s)", c.listener, c.remote, hello.AgentVersion, hello.ResticVersion)
	if host.Status == storage.HostPending {
		note += "; waiting for approval"
	}
	host, mark, err := h.store.RecordHello(host.ID, storage.HelloRecord{Info: info, LastAckedSeq: hello.LastAckedSeq, Note: note,
		ByToken: adm.byToken, Now: now})
	if err != nil {
		h.log.Error("record hello", append(c.logAttrs(), "err", err)...)
		h.refuse(c, env.ID, "internal error on the manager; try again later")
		return false
	}
	c.hostID, c.protoVer, c.since = host.ID, hello.ProtocolVersion, now
	c.approved.Store(host.Status == storage.HostApproved)
	c.authed.Store(true)

	h.mu.Lock()
	old := h.live[host.ID]
	h.live[host.ID] = c
	h.mu.Unlock()
	if old != nil {
		h.log.Info("a newer connection replaces this one", old.logAttrs()...)
		old.failRPCs(ErrConnectionLost)
		old.closeWith(statusPolicy, "replaced by a newer connection")
	}

	c.sendPayload(&protocol.HelloAck{Accepted: true, HostID: host.ID, Status: statusOf(host), ProtocolVersion: c.protoVer,
		AckedSeq: mark, AgentToken: adm.agentToken}, env.ID)
	h.log.Info("agent connected", append(c.logAttrs(), "hello", *hello, "status", host.Status, "acked_seq", mark)...)
	h.broker.publish(Change{Kind: ChangeHostEvents, HostID: host.ID})
	if c.approved.Load() {
		h.pushAll(c, host)
	}
	if adm.isNew {
		h.broker.publish(Change{Kind: ChangeHosts})
	}
	h.broker.publish(Change{Kind: ChangeHost, HostID: host.ID})
	return true
}

func statusOf(h storage.Host) string {
	if h.Status == storage.HostApproved {
		return protocol.HostApproved
	}
	return protocol.HostPending
}

// admission is what authenticate decided about a hello.
type admission struct {
	host storage.Host
	// agentToken is the token issued at enrollment on plain TCP ("" else).
	agentToken string
	isNew      bool
	// byToken: the host proved itself with its own agent token.
	byToken bool
}

// authenticate applies the identity rules. On a tailnet listener the node
// is the identity: a known node needs no token, an unknown node with an
// enrollment token enrolls, one with a valid agent token is bound to that
// host, and any other unknown node becomes pending. On plain TCP a host
// proves itself with its agent token, or enrolls with an enrollment token.
// A hostname or any other hello field never identifies a host. A refused
// hello changes nothing in the store (the caller may log the refusal on
// the host).
func (h *Hub) authenticate(c *conn, hello *protocol.Hello) (admission, error) {
	info := storage.HostInfoFromHello(hello)
	now := h.now()
	if p := c.peer; p != nil {
		if p.NodeID == "" {
			return admission{}, refused("the tailnet did not name this node")
		}
		host, err := h.store.HostByNode(p.NodeID)
		switch {
		case err == nil && host.Status == storage.HostRejected:
			return admission{host: host}, refused("this host was rejected by the administrator")
		case err == nil && host.Status == storage.HostPending && hello.EnrollToken != "":
			// A pending node that now brings an enrollment token enrolls.
		case err == nil:
			return admission{host: host}, nil
		case !errors.Is(err, storage.ErrNotFound):
			return admission{}, err
		}
		if hello.EnrollToken != "" {
			res, err := h.store.Enroll(storage.EnrollRequest{EnrollToken: hello.EnrollToken, AgentID: hello.AgentID,
				NodeID: p.NodeID, NodeName: p.NodeName, Info: info, Now: now})
			if errors.Is(err, storage.ErrEnrollRefused) {
				return admission{host: res.Host}, refused("%v", err)
			}
			if err == nil {
				h.hostEvent(res.Host.ID, storage.EventAdmin, "enrolled with an enrollment token over the tailnet")
			}
			return admission{host: res.Host, isNew: !res.Reenrolled && host.ID == ""}, err
		}
		if hello.Token != "" {
			th, err := h.store.HostByToken(hello.Token)
			if err == nil && th.Status != storage.HostRejected {
				if err := tokenHolder(th, hello); err != nil {
					return admission{host: th}, err
				}
				bound, err := h.store.BindNode(th.ID, p.NodeID, p.NodeName)
				if err != nil {
					return admission{host: th}, refused("%v", err)
				}
				return admission{host: bound, byToken: true}, nil
			}
			// An unknown token proves nothing: the node is pending below.
		}
		if host.ID != "" { // pending, with a refused enrollment
			return admission{host: host}, nil
		}
		host, err = h.store.CreatePendingHost(p.NodeID, p.NodeName, hello.AgentID, info, now)
		if err == nil {
			h.log.Info("unknown tailnet node is waiting for approval", "node", p.NodeID, "node_name", p.NodeName, "hostname", hello.Hostname)
		}
		return admission{host: host, isNew: err == nil}, err
	}

	if hello.Token != "" {
		host, err := h.store.HostByToken(hello.Token)
		switch {
		case err == nil && host.Status == storage.HostRejected:
			return admission{host: host}, refused("this host was rejected by the administrator")
		case err == nil:
			if err := tokenHolder(host, hello); err != nil {
				return admission{host: host}, err
			}
			return admission{host: host, byToken: true}, nil
		case !errors.Is(err, storage.ErrNotFound):
			return admission{}, err
		case hello.EnrollToken == "":
			return admission{}, refused("%s", protocol.RefusedUnknownToken)
		}
	}
	if hello.EnrollToken != "" {
		tok := newSecretToken()
		res, err := h.store.Enroll(storage.EnrollRequest{EnrollToken: hello.EnrollToken, AgentID: hello.AgentID,
			AgentToken: tok, Info: info, Now: now})
		if errors.Is(err, storage.ErrEnrollRefused) {
			return admission{host: res.Host}, refused("%v", err)
		}
		if err != nil {
			return admission{host: res.Host}, err
		}
		if res.Reenrolled {
			h.hostEvent(res.Host.ID, storage.EventAdmin, "enrollment retried: a fresh agent token replaces the old one")
		} else {
			h.hostEvent(res.Host.ID, storage.EventAdmin, "enrolled with an enrollment token")
		}
		return admission{host: res.Host, agentToken: tok, isNew: !res.Reenrolled}, nil
	}
	return admission{}, refused("this listener needs token (or enroll_token to enroll)")
}

// tokenHolder refuses an agent token presented by another agent than the
// one it was issued to: a token copied off a host (argv, a unit file, a
// backup) must not let a second agent displace the host's connection,
// receive its credentials or move its mark. The refusal never names the
// host's agent_id.
func tokenHolder(host storage.Host, hello *protocol.Hello) error {
	if hello.AgentID != host.AgentID {
		return refused("this agent token was issued to another agent (agent_id differs); enroll this agent with its own enrollment token")
	}
	return nil
}

// newSecretToken makes a 256-bit random token (43 URL-safe characters).
func newSecretToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// readLoop handles frames until the socket ends.
func (h *Hub) readLoop(c *conn) {
	for {
		env, err := c.ws.Receive(context.Background())
		received := time.Now()
		if err != nil {
			var fe *wsconn.FrameError
			if errors.As(err, &fe) {
				c.heardNow()
				h.noteOnce(c, "bad-frame", "bad frame from agent (answered with an error; more are not logged)", fe.Err)
				c.replyError(fe.ID, protocol.CodeBadRequest, fe.Err.Error())
				continue
			}
			if wsconn.IsFrameTooBig(err) {
				h.log.Warn("agent sent a frame over the 1 MiB limit; connection closed (1009)", c.logAttrs()...)
				h.hostEvent(c.hostID, storage.EventProtocol, "sent a frame over 1 MiB: connection closed (1009)")
			} else if !c.closing() {
				h.log.Debug("agent socket ended", append(c.logAttrs(), "err", err)...)
			}
			return
		}
		c.heardNow()
		h.dispatch(c, env, received)
	}
}

// noteOnce logs one kind of protocol trouble once per connection.
func (h *Hub) noteOnce(c *conn, key, msg string, err error) {
	if c.unknown[key] {
		return
	}
	c.unknown[key] = true
	h.log.Warn(msg, append(c.logAttrs(), "err", err)...)
}

func (c *conn) replyValidation(replyTo string, err error) {
	c.replyError(replyTo, protocol.CodeBadRequest, err.Error())
}

// dispatch handles one frame after hello.
func (h *Hub) dispatch(c *conn, env protocol.Envelope, received time.Time) {
	switch env.Type {
	case protocol.TypeHeartbeat:
		return // its arrival is the signal
	case protocol.TypeHello:
		c.replyError(env.ID, protocol.CodeBadRequest, "hello was already received on this connection")
		return
	}
	if !protocol.IsKnownType(env.Type) {
		if !c.unknown["type:"+env.Type] {
			c.unknown["type:"+env.Type] = true
			h.log.Warn("agent sent an unknown message type; ignoring it (logged once per connection)", append(c.logAttrs(), "type", env.Type)...)
		}
		return
	}
	if !c.approved.Load() {
		c.replyError(env.ID, protocol.CodeUnauthorized, "this host is waiting for approval; only heartbeats are accepted")
		return
	}
	if protocol.IsJournaled(env.Type) {
		ev := storage.Event{HostID: c.hostID, Seq: env.Seq, Env: env}
		p, err := env.DecodePayload()
		if err != nil {
			c.replyValidation(env.ID, err)
			ev.Reject = err.Error()
		} else {
			ev.Payload = p
		}
		h.submit(c, ev, int64(len(env.Payload)), received)
		return
	}
	p, err := env.DecodePayload()
	if err != nil {
		c.replyValidation(env.ID, err)
		if env.Type == protocol.TypeTreeListResult {
			c.deliverRPC(env.ReplyTo, rpcResult{err: fmt.Errorf("agent sent an invalid tree.list.result: %w", err)})
		}
		return
	}
	switch p := p.(type) {
	case *protocol.JobProgress:
		h.setProgress(c, env.ID, p)
	case *protocol.SnapshotsReport:
		whole, dropped, err := c.reports.add(p, int64(len(env.Payload)))
		if dropped > 0 {
			h.noteOnce(c, "report-dropped", "agent left split snapshots.reports unfinished; the oldest were dropped (more are not logged)",
				fmt.Errorf("%d dropped", dropped))
		}
		if err != nil {
			c.replyError(env.ID, protocol.CodeBadRequest, err.Error())
			return
		}
		if whole != nil {
			h.submit(c, storage.Event{HostID: c.hostID, Env: env, Payload: whole.report}, whole.size, received)
		}
	case *protocol.RepoStats:
		h.submit(c, storage.Event{HostID: c.hostID, Env: env, Payload: p}, int64(len(env.Payload)), received)
	case *protocol.ScheduleAck:
		h.scheduleAcked(c, p)
	case *protocol.CommandResult:
		h.commandResult(c, p)
	case *protocol.TreeListResult:
		c.deliverRPC(env.ReplyTo, rpcResult{env: env})
	case *protocol.Error:
		if !c.deliverRPC(env.ReplyTo, rpcResult{err: fmt.Errorf("agent: %s: %s", p.Code, p.Message)}) {
			h.log.Warn("agent reported an error", append(c.logAttrs(), "code", p.Code, "message", p.Message, "reply_to", env.ReplyTo)...)
			h.hostEvent(c.hostID, storage.EventProtocol, fmt.Sprintf("agent reported %s: %s", p.Code, p.Message))
		}
	default:
		c.replyError(env.ID, protocol.CodeBadRequest, env.Type+" is sent by the manager, not by an agent")
	}
}

// registerRPC returns the channel the reply to id will arrive on.
func (c *conn) registerRPC(id string) chan rpcResult {
	ch := make(chan rpcResult, 1)
	c.rpcMu.Lock()
	if c.rpcs == nil {
		c.rpcMu.Unlock()
		ch <- rpcResult{err: ErrConnectionLost}
		return ch
	}
	c.rpcs[id] = ch
	c.rpcMu.Unlock()
	return ch
}

func (c *conn) forgetRPC(id string) {
	c.rpcMu.Lock()
	if c.rpcs != nil {
		delete(c.rpcs, id)
	}
	c.rpcMu.Unlock()
}

// deliverRPC hands a reply to its waiting caller; false when nobody waits
// (a late reply after a timeout, or not an RPC reply).
func (c *conn) deliverRPC(replyTo string, r rpcResult) bool {
	if replyTo == "" {
		return false
	}
	c.rpcMu.Lock()
	ch, ok := c.rpcs[replyTo]
	if ok {
		delete(c.rpcs, replyTo)
	}
	c.rpcMu.Unlock()
	if ok {
		ch <- r
	}
	return ok
}

// failRPCs fails every pending RPC and refuses new ones.
func (c *conn) failRPCs(err error) {
	c.rpcMu.Lock()
	rpcs := c.rpcs
	c.rpcs = nil
	c.rpcMu.Unlock()
	for _, ch := range rpcs {
		ch <- rpcResult{err: err}
	}
}
