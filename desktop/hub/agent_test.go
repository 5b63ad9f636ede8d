package hub

// A small agent that speaks the real protocol over a real WebSocket to a
// real hub on loopback: the peer in these tests, not a mock of the hub.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
	"restic-manager/storage"
)

// testWait bounds every wait on the hub. It is a deadline, not a pace: a
// passing test never waits it out, and under -race on two busy cores a
// flood test's 4 MiB of report parts took more than 10 s to be read.
const testWait = 30 * time.Second

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer collects logs from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testHub struct {
	*Hub
	store   *storage.Store
	secrets *secrets.Memory
	url     string
	logs    *syncBuffer
}

// newTestHub runs a hub with a plain-TCP listener on 127.0.0.1 and, when
// whois is given, a "tailnet" listener that identifies peers with it.
// loopback is a listener on a free port of 127.0.0.1, named name in the
// hub's logs (the manager opens its own in desktop/internal/hubnet, which
// imports this package).
func loopback(t testing.TB, name string) Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Listener{Name: name + " " + l.Addr().String(), L: l}
}

func newTestHub(t testing.TB, tweak func(*Options), whois func(ctx context.Context, addr string) (Peer, error)) (*testHub, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := storage.OpenDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	sec := secrets.NewMemory()
	o := Options{Store: st, Secrets: sec, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if tweak != nil {
		tweak(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serving sync.WaitGroup
	serve := func(l Listener) string {
		serving.Add(1)
		go func() {
			defer serving.Done()
			if err := h.Serve(ctx, l); err != nil {
				t.Errorf("Serve(%s): %v", l.Name, err)
			}
		}()
		return "ws://" + l.L.Addr().String() + protocol.AgentPath
	}
	th := &testHub{Hub: h, store: st, secrets: sec, url: serve(loopback(t, "tcp")), logs: logs}
	tailURL := ""
	if whois != nil {
		l := loopback(t, "tailnet")
		l.WhoIs = whois
		tailURL = serve(l)
	}
	t.Cleanup(func() {
		cancel()
		h.Close()
		serving.Wait()
		st.Close()
	})
	return th, tailURL
}

// enrollToken seeds an enrollment token and returns it.
func (th *testHub) enrollToken(t testing.TB, uses int) string {
	t.Helper()
	tok, err := th.CreateEnrollToken(uses, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

type testAgent struct {
	t       testing.TB
	name    string
	c       *wsconn.Conn
	agentID string

	mu       sync.Mutex
	frames   []protocol.Envelope // received, not yet taken
	acked    uint64
	closed   bool
	closeErr error
	changed  chan struct{}

	seq     uint64
	journal map[uint64][]byte // seq → the frame as first sent
	line    uint64            // the last log line number keepsBeingAcked emitted
}

func dialAgent(t testing.TB, url, name string) *testAgent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, err := wsconn.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("agent %s: %v", name, err)
	}
	a := &testAgent{t: t, name: name, c: c, agentID: "agent-id-" + name, changed: make(chan struct{}, 1), journal: map[uint64][]byte{}}
	go a.read()
	t.Cleanup(func() { a.c.CloseNow() })
	return a
}

func (a *testAgent) read() {
	for {
		env, err := a.c.Receive(context.Background())
		var fe *wsconn.FrameError
		if errors.As(err, &fe) {
			continue
		}
		a.mu.Lock()
		if err != nil {
			a.closed, a.closeErr = true, err
			a.mu.Unlock()
			a.poke()
			return
		}
		if env.Type == protocol.TypeAck {
			if ack, err := protocol.Decode[protocol.Ack](env); err == nil && ack.Seq > a.acked {
				a.acked = ack.Seq
			}
		} else {
			a.frames = append(a.frames, env)
		}
		a.mu.Unlock()
		a.poke()
	}
}

func (a *testAgent) poke() {
	select {
	case a.changed <- struct{}{}:
	default:
	}
}

func (a *testAgent) hello(mod func(*protocol.Hello)) {
	a.t.Helper()
	h := &protocol.Hello{ProtocolVersion: protocol.ProtocolVersion, AgentVersion: "0.1.0-test", ResticVersion: "0.14.0",
		Hostname: a.name, OS: "linux", Arch: "amd64", Timezone: "Europe/Berlin", AgentID: a.agentID, LastAckedSeq: a.ackedSeq()}
	if mod != nil {
		mod(h)
	}
	a.send(h, "")
}

func (a *testAgent) send(p protocol.Payload, replyTo string) protocol.Envelope {
	a.t.Helper()
	env, err := a.c.SendPayload(context.Background(), p, replyTo)
	if err != nil {
		a.t.Fatalf("agent %s: send %s: %v", a.name, p.MessageType(), err)
	}
	return env
}

func (a *testAgent) sendRaw(frame []byte) error {
	return a.c.SendRaw(context.Background(), frame)
}

// emit journals p with the next seq and sends it.
func (a *testAgent) emit(p protocol.Payload) uint64 {
	a.t.Helper()
	a.seq++
	return a.emitSeq(a.seq, p)
}

func (a *testAgent) emitSeq(seq uint64, p protocol.Payload) uint64 {
	a.t.Helper()
	env, err := protocol.NewEnvelope(p)
	if err != nil {
		a.t.Fatal(err)
	}
	env.Seq = seq
	raw, _ := json.Marshal(env)
	a.journal[seq] = raw
	if err := a.sendRaw(raw); err != nil {
		a.t.Fatalf("agent %s: emit seq %d: %v", a.name, seq, err)
	}
	return seq
}

// replay resends journaled frames after seq, byte for byte.
func (a *testAgent) replay(after uint64) {
	a.t.Helper()
	for s := after + 1; s <= a.seq; s++ {
		if raw, ok := a.journal[s]; ok {
			if err := a.sendRaw(raw); err != nil {
				a.t.Fatalf("agent %s: replay %d: %v", a.name, s, err)
			}
		}
	}
}

func (a *testAgent) ackedSeq() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acked
}

// waitAck waits until every journaled event ≤ seq is acked.
func (a *testAgent) waitAck(seq uint64) {
	a.t.Helper()
	a.waitState(fmt.Sprintf("agent %s: ack ≥ %d (have %d)", a.name, seq, a.ackedSeq()), func() bool { return a.acked >= seq })
}

func (a *testAgent) waitState(what string, cond func() bool) {
	a.t.Helper()
	deadline := time.NewTimer(testWait)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		ok := cond()
		a.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-a.changed:
		case <-deadline.C:
			a.mu.Lock()
			var types []string
			for _, f := range a.frames {
				types = append(types, f.Type)
			}
			a.mu.Unlock()
			a.t.Fatalf("timed out waiting for %s; frames held: %v", what, types)
		}
	}
}

// expect takes the first received frame of type typ (waiting for it).
func (a *testAgent) expect(typ string) protocol.Envelope {
	a.t.Helper()
	var got protocol.Envelope
	a.waitState(fmt.Sprintf("agent %s: a %s frame", a.name, typ), func() bool {
		for i, f := range a.frames {
			if f.Type == typ {
				got = f
				a.frames = append(a.frames[:i], a.frames[i+1:]...)
				return true
			}
		}
		return false
	})
	return got
}

// next takes the next frame of type typ, waiting until one arrives or the
// connection closes (false). It never fails the test, so helper
// goroutines may use it.
func (a *testAgent) next(typ string) (protocol.Envelope, bool) {
	for {
		a.mu.Lock()
		for i, f := range a.frames {
			if f.Type == typ {
				a.frames = append(a.frames[:i], a.frames[i+1:]...)
				a.mu.Unlock()
				return f, true
			}
		}
		closed := a.closed
		a.mu.Unlock()
		if closed {
			return protocol.Envelope{}, false
		}
		<-a.changed
	}
}

// takeAll takes every received frame of type typ, without waiting.
func (a *testAgent) takeAll(typ string) []protocol.Envelope {
	a.mu.Lock()
	defer a.mu.Unlock()
	var got, rest []protocol.Envelope
	for _, f := range a.frames {
		if f.Type == typ {
			got = append(got, f)
		} else {
			rest = append(rest, f)
		}
	}
	a.frames = rest
	return got
}

// has reports whether a frame of type typ is held, without waiting.
func (a *testAgent) has(typ string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range a.frames {
		if f.Type == typ {
			return true
		}
	}
	return false
}

func (a *testAgent) expectHelloAck() *protocol.HelloAck {
	a.t.Helper()
	env := a.expect(protocol.TypeHelloAck)
	ack, err := protocol.Decode[protocol.HelloAck](env)
	if err != nil {
		a.t.Fatalf("agent %s: hello.ack: %v", a.name, err)
	}
	return ack
}

// waitClosed waits for the hub to close the socket and returns the code.
func (a *testAgent) waitClosed() websocket.StatusCode {
	a.t.Helper()
	a.waitState(fmt.Sprintf("agent %s: connection closed", a.name), func() bool { return a.closed })
	a.mu.Lock()
	defer a.mu.Unlock()
	return wsconn.CloseStatus(a.closeErr)
}

func (a *testAgent) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// enroll connects a fresh agent with an enrollment token and returns it
// with its host id and agent token, config and schedule consumed.
func enrollAgent(t testing.TB, th *testHub, name, enrollTok string) (*testAgent, string, string) {
	t.Helper()
	a := dialAgent(t, th.url, name)
	a.hello(func(h *protocol.Hello) { h.EnrollToken = enrollTok })
	ack := a.expectHelloAck()
	if !ack.Accepted || ack.Status != protocol.HostApproved || ack.AgentToken == "" {
		t.Fatalf("agent %s enrollment: hello.ack = %+v; want accepted, approved, with agent_token", name, ack)
	}
	a.expect(protocol.TypeConfigUpdate)
	a.expect(protocol.TypeScheduleSet)
	return a, ack.HostID, ack.AgentToken
}

// reconnect dials again as the same agent (same journal and seq) with its
// token.
func (a *testAgent) reconnect(url, token string) *testAgent {
	a.t.Helper()
	b := dialAgent(a.t, url, a.name)
	b.agentID, b.seq, b.journal, b.acked = a.agentID, a.seq, a.journal, a.ackedSeq()
	b.hello(func(h *protocol.Hello) { h.Token = token })
	return b
}

func logLine(job string, n uint64) *protocol.LogStream {
	return &protocol.LogStream{JobID: job, Seq: n, TS: time.Now().UTC(), Stream: protocol.StreamStdout, Payload: fmt.Sprintf("%s line %d", job, n)}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
