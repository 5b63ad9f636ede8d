package hub

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
	"restic-manager/storage"
)

// fakeTailnet stands in for tsnet's WhoIs (the tailnet helper adds tests
// against a real in-process tailnet): it names the node behind each
// client address, as registered by the test before the agent says hello.
type fakeTailnet struct {
	mu    sync.Mutex
	nodes map[string]Peer // remote addr → peer
	next  Peer            // peer for the next unregistered address
}

func (f *fakeTailnet) whois(_ context.Context, addr string) (Peer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.nodes[addr]; ok {
		return p, nil
	}
	if f.next.NodeID == "" {
		return Peer{}, errors.New("no such peer")
	}
	f.nodes[addr] = f.next
	return f.next, nil
}

// as makes the next connection come from node.
func (f *fakeTailnet) as(node Peer) {
	f.mu.Lock()
	f.next = node
	f.mu.Unlock()
}

func newTailnetHub(t *testing.T) (*testHub, string, *fakeTailnet) {
	tn := &fakeTailnet{nodes: map[string]Peer{}}
	th, url := newTestHub(t, nil, tn.whois)
	return th, url, tn
}

func TestAnUnknownTailnetNodeIsPendingUntilApproved(t *testing.T) {
	th, url, tn := newTailnetHub(t)
	tn.as(Peer{NodeID: "nStable1", NodeName: "laptop.tail1234.ts.net", Hostname: "laptop"})
	a := dialAgent(t, url, "laptop")
	a.hello(nil)
	ack := a.expectHelloAck()
	if !ack.Accepted || ack.Status != protocol.HostPending || ack.AgentToken != "" {
		t.Fatalf("hello.ack = %+v; want accepted, pending, no token", ack)
	}
	hostID := ack.HostID

	// Pending: heartbeats only; no config, no schedule, no commands, and
	// its events are not taken.
	a.send(&protocol.Heartbeat{}, "")
	a.emit(logLine("j", 1))
	e, _ := protocol.Decode[protocol.Error](a.expect(protocol.TypeError))
	if e == nil || e.Code != protocol.CodeUnauthorized {
		t.Errorf("event from a pending host answered %+v; want unauthorized", e)
	}
	if _, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindUnlock}); !errors.Is(err, ErrHostPending) {
		t.Errorf("RunNow on a pending host: %v, want ErrHostPending", err)
	}
	if _, err := th.TreeList(context.Background(), hostID, "0123456789abcdef", "/", 0, 0); !errors.Is(err, ErrHostPending) {
		t.Errorf("TreeList on a pending host: %v, want ErrHostPending", err)
	}
	if a.has(protocol.TypeConfigUpdate) || a.has(protocol.TypeScheduleSet) || a.has(protocol.TypeCommandRun) {
		t.Fatal("a pending host received configuration or commands")
	}
	hv, _ := th.Host(hostID)
	if !hv.Pending || !hv.Online || hv.Host.NodeID != "nStable1" {
		t.Fatalf("host = %+v; want pending, online, bound to its node", hv)
	}

	if err := th.ApproveHost(hostID); err != nil {
		t.Fatal(err)
	}
	ack = a.expectHelloAck()
	if !ack.Accepted || ack.Status != protocol.HostApproved || ack.HostID != hostID {
		t.Fatalf("approval hello.ack = %+v; want approved on the same connection", ack)
	}
	a.expect(protocol.TypeConfigUpdate)
	a.expect(protocol.TypeScheduleSet)
	a.waitAck(a.emit(logLine("j", 2)))

	// The known node comes back without any token.
	a.c.CloseNow()
	b := dialAgent(t, url, "laptop")
	b.hello(nil)
	if ack := b.expectHelloAck(); !ack.Accepted || ack.Status != protocol.HostApproved || ack.HostID != hostID {
		t.Errorf("known node reconnect = %+v; want approved as %s", ack, hostID)
	}
}

func TestOnTheTailnetTheNodeIsTheIdentityNotTheHello(t *testing.T) {
	th, url, tn := newTailnetHub(t)
	tn.as(Peer{NodeID: "nA", NodeName: "a.ts.net"})
	a := dialAgent(t, url, "office-pc")
	a.hello(func(h *protocol.Hello) { h.EnrollToken = th.enrollToken(t, 1) })
	ackA := a.expectHelloAck()
	if !ackA.Accepted || ackA.Status != protocol.HostApproved || ackA.AgentToken != "" {
		t.Fatalf("enrolment over the tailnet = %+v; want approved at once, no agent token", ackA)
	}

	// Another node claiming the same hostname and agent id is a different,
	// pending host.
	tn.as(Peer{NodeID: "nB", NodeName: "b.ts.net"})
	b := dialAgent(t, url, "office-pc")
	b.agentID = a.agentID
	b.hello(nil)
	ackB := b.expectHelloAck()
	if ackB.HostID == ackA.HostID || ackB.Status != protocol.HostPending {
		t.Errorf("same hostname from another node = %+v; want a separate pending host", ackB)
	}
	if b.has(protocol.TypeConfigUpdate) {
		t.Error("the impostor got configuration")
	}

	// Rejected: refused and closed.
	if err := th.RejectHost(ackB.HostID); err != nil {
		t.Fatal(err)
	}
	if code := b.waitClosed(); code != wsconn.StatusPolicyViolation {
		t.Errorf("rejected host close code = %d", code)
	}
	c := dialAgent(t, url, "office-pc")
	c.hello(nil)
	if ack := c.expectHelloAck(); ack.Accepted || !contains(ack.Error, "rejected") {
		t.Errorf("rejected node reconnect = %+v; want refused", ack)
	}
}

func TestAPendingNodeThatBringsAnEnrollmentTokenIsApproved(t *testing.T) {
	th, url, tn := newTailnetHub(t)
	tn.as(Peer{NodeID: "nP"})
	a := dialAgent(t, url, "p")
	a.hello(nil)
	pending := a.expectHelloAck()
	a.c.CloseNow()
	b := dialAgent(t, url, "p")
	b.hello(func(h *protocol.Hello) { h.EnrollToken = th.enrollToken(t, 1) })
	ack := b.expectHelloAck()
	if !ack.Accepted || ack.Status != protocol.HostApproved || ack.HostID != pending.HostID {
		t.Errorf("hello.ack = %+v; want host %s approved", ack, pending.HostID)
	}
	hosts, _ := th.Hosts()
	if len(hosts) != 1 {
		t.Errorf("%d hosts, want 1", len(hosts))
	}
}

func TestAWhoIsFailureIsRefused(t *testing.T) {
	_, url, _ := newTailnetHub(t) // no node registered: WhoIs fails
	a := dialAgent(t, url, "ghost")
	a.hello(func(h *protocol.Hello) { h.Token = "whatever-token" })
	if ack := a.expectHelloAck(); ack.Accepted || !contains(ack.Error, "could not identify") {
		t.Errorf("hello.ack = %+v; want refused", ack)
	}
}

// A token copied off a host is not the host: a hello that brings it with
// another agent_id is refused, and the real host keeps its connection,
// its events and its mark (the impostor's last_acked_seq moves nothing).
func TestAStolenTokenWithAnotherAgentIDIsRefused(t *testing.T) {
	th, tailURL, tn := newTailnetHub(t)
	real, hostID, token := enrollAgent(t, th, "office-pc", th.enrollToken(t, 1))
	real.emit(&protocol.JobStarted{JobID: "real-job", Kind: protocol.KindBackup, StartedAt: time.Now()})
	real.emit(logLine("real-job", 1))
	real.waitAck(real.emit(logLine("real-job", 2)))
	before, _ := th.Host(hostID)

	for _, tc := range []struct{ name, url string }{{"plain TCP", th.url}, {"tailnet, unknown node", tailURL}} {
		t.Run(tc.name, func(t *testing.T) {
			tn.as(Peer{NodeID: "nThief", NodeName: "thief.ts.net"})
			thief := dialAgent(t, tc.url, "office-pc") // the same hostname: it names nothing
			thief.agentID = "agent-id-of-the-thief"
			thief.hello(func(h *protocol.Hello) { h.Token, h.LastAckedSeq = token, 1_000_000 })
			ack := thief.expectHelloAck()
			if ack.Accepted || !contains(ack.Error, "issued to another agent") || contains(ack.Error, real.agentID) {
				t.Errorf("hello.ack = %+v; want refused, saying the token belongs to another agent without naming it", ack)
			}
			if code := thief.waitClosed(); code != wsconn.StatusPolicyViolation {
				t.Errorf("impostor close code = %d, want policy violation", code)
			}
			if thief.has(protocol.TypeConfigUpdate) || thief.has(protocol.TypeScheduleSet) {
				t.Error("the impostor received the host's configuration")
			}
		})
	}
	if _, err := th.store.HostByNode("nThief"); err == nil {
		t.Error("the impostor's tailnet node was bound to the host")
	}
	if m, _ := th.store.Mark(hostID); m != 3 {
		t.Errorf("mark = %d after the impostor, want 3: a refused hello moves nothing", m)
	}
	if real.isClosed() {
		t.Fatal("the real host lost its connection to the impostor")
	}
	seq := real.emit(logLine("real-job", 3))
	real.waitAck(seq)
	if got := real.ackedSeq(); got != seq {
		t.Errorf("the real host's ack = %d, want %d", got, seq)
	}
	if n, _ := th.store.JobLogCount("real-job"); n != 3 {
		t.Errorf("the real host's job has %d lines, want 3: none dropped as duplicates of a raised mark", n)
	}
	after, _ := th.Host(hostID)
	if !after.Online || !after.ConnectedSince.Equal(before.ConnectedSince) {
		t.Errorf("the real host: online %t since %s; want still its connection since %s", after.Online, after.ConnectedSince, before.ConnectedSince)
	}
	page, _ := th.HostEvents(hostID, "", 50)
	refusals := 0
	for _, e := range page.Events {
		if e.Kind == storage.EventConnection && contains(e.Message, "connection refused") {
			refusals++
		}
	}
	if refusals != 2 {
		t.Errorf("%d refusals logged on the host, want 2 (one per impostor)", refusals)
	}
}

// Enrolling again with the same enrollment token and agent_id is a retry
// only until the host has used its own token; after that it is refused,
// nothing is written, and the host keeps its token and connection.
func TestEnrollmentReplayAfterTheHostUsedItsTokenIsRefused(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	tok := th.enrollToken(t, 2) // uses to spare: the refusal is not about uses
	first, hostID, token := enrollAgent(t, th, "pc1", tok)
	first.c.CloseNow()
	// Offline first, then its last-seen time and "disconnected" written:
	// wait for the event, or those writes may land after rev below.
	waitFor(t, testWait, "the host's disconnection logged", func() bool {
		page, _ := th.HostEvents(hostID, "", 1)
		return len(page.Events) == 1 && page.Events[0].Message == "disconnected"
	})
	real := first.reconnect(th.url, token)
	if ack := real.expectHelloAck(); !ack.Accepted || ack.HostID != hostID {
		t.Fatalf("the host's hello with its own token = %+v", ack)
	}
	real.expect(protocol.TypeConfigUpdate)
	real.expect(protocol.TypeScheduleSet)

	rev, err := th.store.Revision()
	if err != nil {
		t.Fatal(err)
	}
	replay := dialAgent(t, th.url, "pc1")
	replay.agentID = real.agentID
	replay.hello(func(h *protocol.Hello) { h.EnrollToken, h.LastAckedSeq = tok, 1_000_000 })
	ack := replay.expectHelloAck()
	if ack.Accepted || ack.AgentToken != "" || !contains(ack.Error, "already enrolled; remove the host to enroll it again") {
		t.Fatalf("replayed enrollment: hello.ack = %+v; want refused, already enrolled", ack)
	}
	replay.waitClosed()
	if after, _ := th.store.Revision(); after != rev {
		t.Errorf("the refused replay wrote to the store (revision %d → %d)", rev, after)
	}
	if real.isClosed() {
		t.Fatal("the replay displaced the host's connection")
	}
	toks, _ := th.EnrollTokens()
	if toks[0].Used != 1 {
		t.Errorf("enrollment token used %d times, want 1", toks[0].Used)
	}
	if h, err := th.store.HostByToken(token); err != nil || h.ID != hostID {
		t.Errorf("the host's own token after the replay: %v, %v; want it to still work", h.ID, err)
	}
}
