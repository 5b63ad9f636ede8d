package systest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
	"restic-manager/storage"
)

// Misbehaving peers next to a healthy real agent: a wrong token, an
// enrollment token past its use count, a 2 MiB frame, garbage JSON, an
// invalid payload, an unknown message type and a socket that never says
// hello are each
// refused as DESIGN says (close code, or an error reply on a connection
// that stays up), while the real agent on the same manager keeps working:
// a backup running through the abuse and one after it both succeed, and
// its connection never drops.
func TestMisbehavingPeersNeverDisturbARealAgent(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{Hub: func(o *hub.Options) { o.HelloTimeout = 2 * time.Second }})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "steady-pc", BigFileMiB: 2})
	capUpload(t, f, a, 256) // about 8 s: it runs while the peers misbehave

	before, err := f.Hub.Host(a.HostID)
	if err != nil || !before.Online {
		t.Fatalf("Host = %+v, %v; want online", before.HostView, err)
	}
	during := f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group})
	testfleet.WaitFor(t, testfleet.Wait, "the first backup to run", func() bool {
		j, err := f.Hub.Job(during)
		return err == nil && j.Status == protocol.StatusRunning
	})

	t.Run("wrong token", func(t *testing.T) {
		p := dialRaw(t, f)
		ack := p.hello(func(h *protocol.Hello) { h.Token = "not-a-token-of-any-host" })
		if ack.Accepted || ack.Error != protocol.RefusedUnknownToken {
			t.Errorf("hello.ack = %+v; want refused as an unknown token", ack)
		}
		p.wantClosed(wsconn.StatusPolicyViolation)
	})

	tok := f.EnrollToken(t, 1)
	intruder := dialRaw(t, f)
	ack := intruder.hello(func(h *protocol.Hello) { h.EnrollToken, h.AgentID, h.Hostname = tok, "agent-id-intruder", "intruder" })
	if !ack.Accepted || ack.AgentToken == "" {
		t.Fatalf("first use of a one-use enrollment token: hello.ack = %+v; want accepted with an agent token", ack)
	}
	intruderToken := ack.AgentToken

	t.Run("enrollment token past its use count", func(t *testing.T) {
		p := dialRaw(t, f)
		ack := p.hello(func(h *protocol.Hello) { h.EnrollToken, h.AgentID, h.Hostname = tok, "agent-id-second", "second" })
		if ack.Accepted || !strings.Contains(ack.Error, "no uses left") {
			t.Errorf("hello.ack = %+v; want refused, no uses left", ack)
		}
		p.wantClosed(wsconn.StatusPolicyViolation)
	})

	t.Run("garbage JSON", func(t *testing.T) {
		intruder.sendRaw([]byte(`{"type":"log.stream","id":"g1",`))
		e := intruder.wantError()
		if e.Code != protocol.CodeBadRequest {
			t.Errorf("error reply = %+v; want bad_request", e)
		}
		intruder.wantAlive()
	})

	t.Run("invalid payload", func(t *testing.T) {
		bad, err := protocol.NewEnvelope(&protocol.LogStream{JobID: "intruder-job", Seq: 0, TS: time.Now().UTC(), Stream: protocol.StreamStdout, Payload: "no line number"})
		if err != nil {
			t.Fatal(err)
		}
		bad.Seq = 1
		intruder.send(bad)
		// Refused, and acked all the same: one bad event never blocks the
		// ones behind it.
		var gotError, gotAck bool
		for !gotError || !gotAck {
			env := intruder.next()
			switch env.Type {
			case protocol.TypeError:
				e, _ := protocol.Decode[protocol.Error](env)
				if e == nil || e.Code != protocol.CodeBadRequest || !strings.HasPrefix(e.Message, "seq:") {
					t.Errorf("error reply = %+v; want bad_request naming the field seq", e)
				}
				gotError = true
			case protocol.TypeAck:
				ack, _ := protocol.Decode[protocol.Ack](env)
				gotAck = ack != nil && ack.Seq >= 1
			}
		}
		intruder.wantAlive()
	})

	t.Run("unknown message type", func(t *testing.T) {
		intruder.send(protocol.Envelope{Type: "agent.future_feature", ID: protocol.NewID(), TS: time.Now().UTC(), Payload: []byte(`{"x":1}`)})
		intruder.wantAlive() // and the unknown frame got no answer: wantAlive reads the next frame
	})

	t.Run("2 MiB frame", func(t *testing.T) {
		p := dialRaw(t, f)
		if ack := p.hello(func(h *protocol.Hello) {
			h.Token, h.AgentID, h.Hostname = intruderToken, "agent-id-intruder", "intruder"
		}); !ack.Accepted {
			t.Fatalf("hello.ack = %+v; want accepted", ack)
		}
		big := `{"type":"heartbeat","id":"big","ts":"2026-11-22T10:00:00Z","payload":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
		go p.sendRawMayFail([]byte(big))
		p.wantClosed(wsconn.StatusMessageTooBig)
	})

	t.Run("no hello", func(t *testing.T) {
		p := dialRaw(t, f)
		p.sendRaw([]byte(`{"type":"heartbeat","id":"h1","ts":"2026-11-22T10:00:00Z","payload":{"sent_at":"2026-11-22T10:00:00Z"}}`))
		if n := p.wantClosed(wsconn.StatusPolicyViolation); n != 0 { // after HelloTimeout
			t.Errorf("%d frames answered a socket that never said hello; want none", n)
		}
	})

	if j, _ := f.Hub.Job(during); j.Status != protocol.StatusRunning {
		t.Errorf("the first backup is %s after the abuse; the test meant it to run through it", j.Status)
	}
	f.WaitJob(t, during, "succeeded")
	a.Backup(t)
	after, err := f.Hub.Host(a.HostID)
	if err != nil || !after.Online || !after.ConnectedSince.Equal(before.ConnectedSince) {
		t.Errorf("the real agent's connection: online %t since %s; want still the one since %s", after.Online, after.ConnectedSince, before.ConnectedSince)
	}
	events, err := f.Hub.HostEvents(a.HostID, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Events {
		if e.Time.After(before.ConnectedSince) && e.Kind == storage.EventConnection {
			t.Errorf("host event on the real agent's host during the abuse: %s %q", e.Kind, e.Message)
		}
	}
}

// rawPeer is a hand-driven protocol client on the fleet's plain-TCP
// listener: it sends what a real agent never would.
type rawPeer struct {
	t      *testing.T
	c      *wsconn.Conn
	frames chan protocol.Envelope
	closed chan error // the read error that ended the connection
}

func dialRaw(t *testing.T, f *testfleet.Fleet) *rawPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testfleet.Wait)
	defer cancel()
	c, err := wsconn.Dial(ctx, f.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPeer{t: t, c: c, frames: make(chan protocol.Envelope, 64), closed: make(chan error, 1)}
	go func() {
		for {
			env, err := c.Receive(context.Background())
			if _, bad := err.(*wsconn.FrameError); bad {
				continue
			}
			if err != nil {
				p.closed <- err
				return
			}
			p.frames <- env
		}
	}()
	t.Cleanup(func() { c.CloseNow() })
	return p
}

func (p *rawPeer) send(env protocol.Envelope) {
	p.t.Helper()
	if err := p.c.Send(context.Background(), env); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPeer) sendRaw(frame []byte) {
	p.t.Helper()
	if err := p.c.SendRaw(context.Background(), frame); err != nil {
		p.t.Fatal(err)
	}
}

// sendRawMayFail writes a frame the other side may hang up on midway.
func (p *rawPeer) sendRawMayFail(frame []byte) { _ = p.c.SendRaw(context.Background(), frame) }

// next returns the next frame, failing on close or after a deadline.
func (p *rawPeer) next() protocol.Envelope {
	p.t.Helper()
	select {
	case env := <-p.frames:
		return env
	case err := <-p.closed:
		p.t.Fatalf("connection closed (%v); want it to stay up", err)
	case <-time.After(testfleet.Wait):
		p.t.Fatal("no frame from the manager")
	}
	return protocol.Envelope{}
}

// hello sends a hello (a valid one, changed by mod) and returns the ack.
func (p *rawPeer) hello(mod func(*protocol.Hello)) *protocol.HelloAck {
	p.t.Helper()
	h := &protocol.Hello{ProtocolVersion: protocol.ProtocolVersion, AgentVersion: "raw", ResticVersion: "0.14.0",
		Hostname: "raw-peer", OS: "linux", Arch: "amd64", Timezone: "UTC", AgentID: "agent-id-raw"}
	mod(h)
	hello, err := protocol.NewEnvelope(h)
	if err != nil {
		p.t.Fatal(err)
	}
	p.send(hello)
	for {
		env := p.next()
		if env.Type != protocol.TypeHelloAck {
			continue // config.update and schedule.set follow an accepted one
		}
		ack, err := protocol.Decode[protocol.HelloAck](env)
		if err != nil {
			p.t.Fatalf("hello.ack: %v", err)
		}
		if env.ReplyTo != hello.ID {
			p.t.Errorf("hello.ack answers %q; want the hello %s", env.ReplyTo, hello.ID)
		}
		return ack
	}
}

// wantError reads frames until an error reply arrives.
func (p *rawPeer) wantError() *protocol.Error {
	p.t.Helper()
	for {
		env := p.next()
		if env.Type == protocol.TypeError {
			e, err := protocol.Decode[protocol.Error](env)
			if err != nil {
				p.t.Fatal(err)
			}
			return e
		}
	}
}

// wantAlive proves the connection is up and read in order: a second hello
// is answered with an error naming it, and nothing else was answered in
// between (pushes of configuration aside).
func (p *rawPeer) wantAlive() {
	p.t.Helper()
	probe, err := protocol.NewEnvelope(&protocol.Hello{ProtocolVersion: protocol.ProtocolVersion, AgentVersion: "raw", ResticVersion: "0.14.0",
		Hostname: "raw-peer", OS: "linux", Arch: "amd64", Timezone: "UTC", AgentID: "agent-id-raw"})
	if err != nil {
		p.t.Fatal(err)
	}
	p.send(probe)
	for {
		env := p.next()
		switch env.Type {
		case protocol.TypeConfigUpdate, protocol.TypeScheduleSet:
			continue
		case protocol.TypeError:
			if env.ReplyTo == probe.ID {
				return
			}
		}
		p.t.Fatalf("got %s (reply to %q) before the probe's answer; want nothing for the frame before it", env.Type, env.ReplyTo)
	}
}

// wantClosed waits for the manager to close the connection with code and
// returns how many frames came before the close.
func (p *rawPeer) wantClosed(code websocket.StatusCode) int {
	p.t.Helper()
	n := 0
	for {
		select {
		case <-p.frames:
			n++
		case err := <-p.closed:
			if got := wsconn.CloseStatus(err); got != code {
				p.t.Errorf("connection ended with %v (code %d); want close code %d", err, got, code)
			}
			return n
		case <-time.After(testfleet.Wait):
			p.t.Fatalf("the manager did not close the connection (want code %d)", code)
			return n
		}
	}
}
