package hub

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
	"restic-manager/storage"
)

func TestEnrollmentThenTokenReconnect(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, token := enrollAgent(t, th, "pc1", th.enrollToken(t, 1))

	hosts, err := th.Hosts()
	if err != nil || len(hosts) != 1 || hosts[0].Host.ID != hostID || !hosts[0].Online || hosts[0].Pending {
		t.Fatalf("hosts = %+v, %v; want one online approved host", hosts, err)
	}
	if hosts[0].Host.Timezone != "Europe/Berlin" || hosts[0].Host.AgentID != a.agentID {
		t.Errorf("host info from hello not stored: %+v", hosts[0].Host)
	}
	a.c.Close(wsconn.StatusNormal, "bye")
	waitFor(t, testWait, "host offline", func() bool { hs, _ := th.Hosts(); return !hs[0].Online })

	b := a.reconnect(th.url, token)
	ack := b.expectHelloAck()
	if !ack.Accepted || ack.HostID != hostID || ack.Status != protocol.HostApproved || ack.AgentToken != "" {
		t.Fatalf("reconnect hello.ack = %+v; want the same host, approved, no new token", ack)
	}
	b.expect(protocol.TypeConfigUpdate)
	b.expect(protocol.TypeScheduleSet)
	seq := b.emit(logLine("j1", 1))
	b.waitAck(seq)
}

func TestEnrollmentRetryWithTheSameAgentIDGetsTheSameHostAndAFreshToken(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	tok := th.enrollToken(t, 1)
	a, hostID, first := enrollAgent(t, th, "pc1", tok)
	a.c.CloseNow()
	// The hello.ack was lost: the agent retries with the enrollment token.
	b := dialAgent(t, th.url, "pc1")
	b.hello(func(h *protocol.Hello) { h.EnrollToken = tok })
	ack := b.expectHelloAck()
	if !ack.Accepted || ack.HostID != hostID || ack.AgentToken == "" || ack.AgentToken == first {
		t.Fatalf("retry hello.ack = %+v; want host %s with a fresh token", ack, hostID)
	}
	toks, _ := th.EnrollTokens()
	if toks[0].Used != 1 {
		t.Errorf("the retry used another use: %d used", toks[0].Used)
	}
	c := dialAgent(t, th.url, "pc1-old-token")
	c.hello(func(h *protocol.Hello) { h.Token = first })
	if ack := c.expectHelloAck(); ack.Accepted {
		t.Errorf("the replaced token still connects: %+v", ack)
	}
}

// Each bad peer is refused or answered while a healthy agent on the same
// hub keeps getting its events acked.
func TestBadPeersNeverDisturbAHealthyAgent(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	healthy, _, _ := enrollAgent(t, th, "healthy", th.enrollToken(t, 1))
	healthy.waitAck(healthy.emit(&protocol.JobStarted{JobID: "healthy-job", Kind: protocol.KindBackup, StartedAt: time.Now()}))
	line := uint64(0)
	stillWorks := func(after string) {
		t.Helper()
		line++
		seq := healthy.emit(logLine("healthy-job", line))
		healthy.waitAck(seq)
		if healthy.isClosed() {
			t.Fatalf("the healthy agent was disconnected after %s", after)
		}
	}

	t.Run("wrong token", func(t *testing.T) {
		a := dialAgent(t, th.url, "intruder")
		a.hello(func(h *protocol.Hello) { h.Token = "not-a-token-of-any-host" })
		if ack := a.expectHelloAck(); ack.Accepted || ack.Error != protocol.RefusedUnknownToken {
			t.Errorf("hello.ack = %+v; want refused as an unknown token", ack)
		}
		if code := a.waitClosed(); code != wsconn.StatusPolicyViolation {
			t.Errorf("close code = %d, want policy violation", code)
		}
		stillWorks("a wrong token")
	})

	t.Run("enrollment token past its use count", func(t *testing.T) {
		tok := th.enrollToken(t, 1)
		enrollAgent(t, th, "first", tok)
		a := dialAgent(t, th.url, "second")
		a.hello(func(h *protocol.Hello) { h.EnrollToken = tok })
		if ack := a.expectHelloAck(); ack.Accepted || !contains(ack.Error, "no uses left") {
			t.Errorf("hello.ack = %+v; want refused, no uses left", ack)
		}
		if code := a.waitClosed(); code != wsconn.StatusPolicyViolation {
			t.Errorf("close code = %d, want policy violation", code)
		}
		stillWorks("an exhausted enrollment token")
	})

	t.Run("2 MiB frame", func(t *testing.T) {
		a, _, _ := enrollAgent(t, th, "big", th.enrollToken(t, 1))
		big := `{"type":"heartbeat","id":"x","ts":"2026-11-22T10:00:00Z","payload":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
		_ = a.sendRaw([]byte(big))
		if code := a.waitClosed(); code != wsconn.StatusMessageTooBig {
			t.Errorf("close code = %d, want 1009 (message too big)", code)
		}
		stillWorks("a 2 MiB frame")
	})

	t.Run("garbage JSON", func(t *testing.T) {
		a, _, _ := enrollAgent(t, th, "garbage", th.enrollToken(t, 1))
		if err := a.sendRaw([]byte(`{"type":"log.stream","id":"g1",`)); err != nil {
			t.Fatal(err)
		}
		env := a.expect(protocol.TypeError)
		e, _ := protocol.Decode[protocol.Error](env)
		if e == nil || e.Code != protocol.CodeBadRequest || !contains(e.Message, "envelope") {
			t.Errorf("error reply = %+v; want bad_request naming the envelope", e)
		}
		a.waitAck(a.emit(logLine("garbage-job", 1))) // the connection stays up
		stillWorks("garbage JSON")
	})

	t.Run("invalid payload", func(t *testing.T) {
		a, _, _ := enrollAgent(t, th, "invalid", th.enrollToken(t, 1))
		seq := a.emit(&protocol.LogStream{JobID: "x", Seq: 0, Stream: protocol.StreamStdout, Payload: "no line number"})
		env := a.expect(protocol.TypeError)
		e, _ := protocol.Decode[protocol.Error](env)
		if e == nil || !strings.HasPrefix(e.Message, "seq:") {
			t.Errorf("error reply = %+v; want one naming the field seq", e)
		}
		a.waitAck(seq) // rejected events are acked so they never block the rest
		a.waitAck(a.emit(logLine("invalid-job", 1)))
		stillWorks("an invalid payload")
	})

	t.Run("unknown type", func(t *testing.T) {
		a, _, _ := enrollAgent(t, th, "future", th.enrollToken(t, 1))
		env := protocol.Envelope{Type: "agent.future_feature", ID: protocol.NewID(), TS: time.Now(), Payload: []byte(`{"x":1}`)}
		for i := 0; i < 3; i++ {
			if err := a.c.Send(context.Background(), env); err != nil {
				t.Fatal(err)
			}
		}
		a.waitAck(a.emit(logLine("future-job", 1)))
		if a.has(protocol.TypeError) {
			t.Error("an unknown type was answered; it must be ignored")
		}
		if n := strings.Count(th.logs.String(), "agent.future_feature"); n != 1 {
			t.Errorf("unknown type logged %d times, want once per connection", n)
		}
		stillWorks("an unknown type")
	})
}

func TestHelloRules(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.HelloTimeout = 300 * time.Millisecond }, nil)

	t.Run("nothing is answered before hello, and no hello closes the socket", func(t *testing.T) {
		a := dialAgent(t, th.url, "silent")
		a.send(&protocol.Heartbeat{SentAt: time.Now()}, "")
		_ = a.sendRaw([]byte("garbage"))
		if code := a.waitClosed(); code != wsconn.StatusPolicyViolation {
			t.Errorf("close code = %d, want policy violation", code)
		}
		if a.has(protocol.TypeError) || a.has(protocol.TypeHelloAck) {
			t.Error("frames before hello were answered")
		}
	})

	t.Run("an unsupported protocol version is refused", func(t *testing.T) {
		a := dialAgent(t, th.url, "future")
		a.hello(func(h *protocol.Hello) { h.ProtocolVersion = 99; h.EnrollToken = "whatever" })
		ack := a.expectHelloAck()
		if ack.Accepted || !contains(ack.Error, "protocol_version 99 is not supported") {
			t.Errorf("hello.ack = %+v; want refused naming the version", ack)
		}
	})

	t.Run("an invalid hello is refused naming the field", func(t *testing.T) {
		a := dialAgent(t, th.url, "bad-hello")
		a.hello(func(h *protocol.Hello) { h.OS = "plan9"; h.EnrollToken = "whatever" })
		ack := a.expectHelloAck()
		if ack.Accepted || !contains(ack.Error, "os:") {
			t.Errorf("hello.ack = %+v; want refused naming os", ack)
		}
	})

	t.Run("no token at all on plain TCP", func(t *testing.T) {
		a := dialAgent(t, th.url, "anon")
		a.hello(nil)
		if ack := a.expectHelloAck(); ack.Accepted {
			t.Errorf("hello.ack = %+v; want refused", ack)
		}
	})
}

func TestReplayAfterReconnectStoresEveryLineExactlyOnce(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, _, token := enrollAgent(t, th, "replayer", th.enrollToken(t, 1))
	a.emit(&protocol.JobStarted{JobID: "job-r", Kind: protocol.KindBackup, StartedAt: time.Now()})
	const lines = 300
	for n := uint64(1); n <= lines/2; n++ {
		a.emit(logLine("job-r", n))
	}
	a.waitAck(50)
	// The connection drops with events unacked; the agent remembers only
	// the ack it saw, which may be older than what the manager stored.
	sawAck := a.ackedSeq()
	a.c.CloseNow()
	for n := uint64(lines/2 + 1); n <= lines; n++ {
		a.seq++
		env, _ := protocol.NewEnvelope(logLine("job-r", n))
		env.Seq = a.seq
		raw, _ := json.Marshal(env)
		a.journal[a.seq] = raw // written to the journal while offline
	}
	b := dialAgent(t, th.url, "replayer")
	b.agentID, b.seq, b.journal = a.agentID, a.seq, a.journal
	b.hello(func(h *protocol.Hello) { h.Token = token; h.LastAckedSeq = sawAck })
	ack := b.expectHelloAck()
	if ack.AckedSeq < sawAck {
		t.Fatalf("hello.ack.acked_seq = %d, below the agent's last ack %d", ack.AckedSeq, sawAck)
	}
	// Replay everything after what the agent saw acked — including events
	// the manager already has — byte for byte.
	b.replay(sawAck)
	b.waitAck(b.seq)

	got, err := th.JobLog("job-r", 1, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != lines {
		t.Fatalf("stored %d lines, want %d exactly once", len(got), lines)
	}
	for i, l := range got {
		if l.Seq != uint64(i+1) || l.Payload != logLine("job-r", uint64(i+1)).Payload {
			t.Fatalf("line %d = %+v", i+1, l)
		}
	}
}

func TestAGapIsAcceptedAndLoggedOnTheHost(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "gappy", th.enrollToken(t, 1))
	a.emit(logLine("j", 1))
	a.waitAck(a.emitSeq(5, logLine("j", 2)))
	page, err := th.HostEvents(hostID, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range page.Events {
		found = found || (e.Kind == storage.EventGap && contains(e.Message, "events 2 to 4 never arrived"))
	}
	if !found {
		t.Errorf("host events = %+v; want a gap naming 2 to 4", page.Events)
	}
}

func TestDuplicateTerminalEventsAreNoOps(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, _, _ := enrollAgent(t, th, "dup", th.enrollToken(t, 1))
	a.emit(&protocol.JobStarted{JobID: "jd", Kind: protocol.KindCheck, StartedAt: time.Now()})
	fin := time.Now()
	a.emit(&protocol.JobFinished{JobID: "jd", Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: fin})
	a.emit(&protocol.JobFinished{JobID: "jd", Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: fin})
	a.waitAck(a.emit(&protocol.JobFinished{JobID: "jd", Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: fin.Add(time.Minute), Error: "late"}))
	j, err := th.Job("jd")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != protocol.StatusSucceeded || j.Error != "" || !j.FinishedAt.Equal(fin) {
		t.Errorf("job = %+v; want it to stay succeeded at its first finish", j)
	}
}

func TestJobStartedForAnUnknownJobCreatesIt(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "sched", th.enrollToken(t, 1))
	a.emit(&protocol.JobStarted{JobID: "by-schedule", Kind: protocol.KindBackup, StartedAt: time.Now(), ScheduleID: "s1"})
	a.waitAck(a.emit(&protocol.JobStarted{JobID: "by-agent", Kind: protocol.KindUnlock, StartedAt: time.Now()}))
	for id, origin := range map[string]string{"by-schedule": OriginSchedule, "by-agent": OriginAgent} {
		j, err := th.Job(id)
		if err != nil || j.Origin != origin || j.Status != protocol.StatusRunning || j.HostID != hostID {
			t.Errorf("job %s = %+v, %v; want running, origin %s", id, j, err, origin)
		}
	}
	if hv, _ := th.Host(hostID); hv.RunningJobs != 2 {
		t.Errorf("running jobs = %d, want 2", hv.RunningJobs)
	}
}

func TestOneLiveConnectionPerHost(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.RPCTimeout = testWait }, nil)
	a, hostID, token := enrollAgent(t, th, "twin", th.enrollToken(t, 1))
	rpcErr := make(chan error, 1)
	go func() {
		_, err := th.TreeList(context.Background(), hostID, "0123456789abcdef", "/", 0, 0)
		rpcErr <- err
	}()
	a.expect(protocol.TypeTreeList) // pending on the old connection, never answered

	b := a.reconnect(th.url, token)
	if ack := b.expectHelloAck(); !ack.Accepted || ack.HostID != hostID {
		t.Fatalf("second connection hello.ack = %+v", ack)
	}
	if code := a.waitClosed(); code != wsconn.StatusPolicyViolation {
		t.Errorf("old connection close code = %d, want policy violation", code)
	}
	select {
	case err := <-rpcErr:
		if !errors.Is(err, ErrConnectionLost) {
			t.Errorf("pending RPC on the old connection: %v, want ErrConnectionLost", err)
		}
	case <-time.After(testWait):
		t.Fatal("the old connection's pending RPC was not failed")
	}
	b.waitAck(b.emit(logLine("j", 1)))
	if hv, _ := th.Host(hostID); !hv.Online {
		t.Error("host offline after its connection was replaced")
	}
}

func TestAHostIsOfflineAfterThreeMissedHeartbeats(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.HeartbeatInterval = 60 * time.Millisecond }, nil)
	quiet, quietID, _ := enrollAgent(t, th, "quiet", th.enrollToken(t, 1))
	chatty, chattyID, _ := enrollAgent(t, th, "chatty", th.enrollToken(t, 1))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				_, _ = chatty.c.SendPayload(context.Background(), &protocol.Heartbeat{SentAt: time.Now()}, "")
			}
		}
	}()
	defer func() { close(stop); <-done }()

	quiet.waitClosed()
	waitFor(t, testWait, "quiet host offline", func() bool { h, _ := th.Host(quietID); return !h.Online })
	if h, _ := th.Host(chattyID); !h.Online {
		t.Error("a host sending heartbeats went offline")
	}
	page, _ := th.HostEvents(quietID, "", 10)
	if len(page.Events) == 0 || !contains(page.Events[0].Message+page.Events[1].Message, "no heartbeat") {
		t.Errorf("host events = %+v; want the missed heartbeats noted", page.Events)
	}
}

func TestAHostHeldBackByASlowCommitIsNotMarkedOffline(t *testing.T) {
	th, disk := gatedHub(t, func(o *Options) { o.HeartbeatInterval = 50 * time.Millisecond })
	a, hostID, _ := enrollAgent(t, th, "patient", th.enrollToken(t, 1))
	disk.stall()
	seq := a.emit(logLine("j", 1))
	// Well past 3 heartbeat intervals with the event stuck in our commit.
	deadline := time.Now().Add(400 * time.Millisecond)
	for time.Now().Before(deadline) {
		if h, _ := th.Host(hostID); !h.Online {
			t.Fatal("the host went offline while the manager was the slow side")
		}
		time.Sleep(20 * time.Millisecond)
	}
	disk.open()
	a.waitAck(seq)
}
