package testfleet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
)

// whois names the peer behind a remote address on the fleet's "tailnet"
// listener: the addresses PendingPeer registered. (The real tailnet's
// WhoIs is exercised by protocol/mesh and the system tests.)
func (f *Fleet) whois(_ context.Context, addr string) (hub.Peer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.whoisMap[addr]
	if !ok {
		return hub.Peer{}, fmt.Errorf("%s is not a peer of the test tailnet", addr)
	}
	return p, nil
}

// Peer is a raw protocol client that connected over the fleet's tailnet
// listener as an unknown node: the hub holds it pending.
type Peer struct {
	HostID string
	Node   hub.Peer
	conn   *wsconn.Conn

	mu     sync.Mutex
	status string // the latest hello.ack status
	frames []string
}

// PendingPeer connects a new tailnet node called name that presents no
// token, waits for hello.ack{status:"pending"}, and keeps the connection
// open (answering nothing, heartbeating) until the test ends.
func (f *Fleet) PendingPeer(t testing.TB, name string) *Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	node := hub.Peer{NodeID: "n" + name + "CNTRL", NodeName: name + ".tail-test.ts.net", Hostname: name, LoginName: "admin@example.com"}
	// The hub asks WhoIs for the remote address of the socket; register
	// the local address of a dial before the hello goes out.
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			f.mu.Lock()
			f.whoisMap[c.LocalAddr().String()] = node
			f.mu.Unlock()
		}
		return c, err
	}}}
	conn, err := wsconn.Dial(ctx, "ws://"+f.tailAddr+protocol.AgentPath, client)
	if err != nil {
		t.Fatalf("pending peer %s: dial: %v", name, err)
	}
	p := &Peer{Node: node, conn: conn}
	hello := &protocol.Hello{ProtocolVersion: protocol.ProtocolVersion, AgentVersion: "test", ResticVersion: "0.14.0",
		Hostname: name, OS: "linux", Arch: "amd64", Timezone: "UTC", AgentID: "agent-" + name}
	if _, err := conn.SendPayload(ctx, hello, ""); err != nil {
		t.Fatal(err)
	}
	env, err := conn.Receive(ctx)
	if err != nil {
		t.Fatalf("pending peer %s: hello.ack: %v", name, err)
	}
	ack, err := protocol.Decode[protocol.HelloAck](env)
	if err != nil || !ack.Accepted || ack.Status != protocol.HostPending {
		t.Fatalf("pending peer %s: hello.ack = %+v, %v; want accepted and pending", name, ack, err)
	}
	p.HostID, p.status = ack.HostID, ack.Status
	rctx, rcancel := context.WithCancel(context.Background())
	go p.read(rctx)
	go p.heartbeat(rctx)
	t.Cleanup(func() {
		rcancel()
		conn.CloseNow()
	})
	return p
}

func (p *Peer) read(ctx context.Context) {
	for {
		env, err := p.conn.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if _, bad := err.(*wsconn.FrameError); bad {
				continue
			}
			return
		}
		p.mu.Lock()
		p.frames = append(p.frames, env.Type)
		if env.Type == protocol.TypeHelloAck {
			if ack, err := protocol.Decode[protocol.HelloAck](env); err == nil {
				p.status = ack.Status
			}
		}
		p.mu.Unlock()
	}
}

func (p *Peer) heartbeat(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = p.conn.SendPayload(ctx, &protocol.Heartbeat{SentAt: time.Now().UTC()}, "")
		}
	}
}

// Status is the latest hello.ack status the peer received ("pending",
// then "approved" once the admin approves it).
func (p *Peer) Status() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Received lists the types of the frames received after the first
// hello.ack, in order.
func (p *Peer) Received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.frames...)
}
