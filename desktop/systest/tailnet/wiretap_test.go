package tailnet

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"restic-manager/protocol"
)

// wireTap records the WebSocket messages on every connection a listener
// accepts, both ways, decoded as envelopes. The manager's tailnet listener
// carries plain HTTP inside WireGuard and agents never ask for compression,
// so the bytes the hub reads and writes are the frames themselves.
type wireTap struct {
	mu    sync.Mutex
	conns []*tappedConn
}

// frame is one WebSocket text message seen on the wire.
type frame struct {
	At  time.Time
	Env protocol.Envelope
	Raw []byte
}

func (w *wireTap) listen(l net.Listener) net.Listener { return &tapListener{Listener: l, tap: w} }

type tapListener struct {
	net.Listener
	tap *wireTap
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &tappedConn{Conn: c}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		tc.peer = ap.Addr()
	}
	l.tap.mu.Lock()
	l.tap.conns = append(l.tap.conns, tc)
	l.tap.mu.Unlock()
	return tc, nil
}

type tappedConn struct {
	net.Conn
	peer netip.Addr
	in   wsStream // agent → manager (masked frames)
	out  wsStream // manager → agent
}

func (c *tappedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.feed(p[:n])
	return n, err
}

func (c *tappedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.feed(p[:n])
	return n, err
}

// helloAcked returns when the manager sent the first hello.ack on the
// n-th connection (from 0) whose hello named hostname, on any listener.
func (w *wireTap) helloAcked(hostname string, n int) (time.Time, bool) {
	w.mu.Lock()
	conns := append([]*tappedConn(nil), w.conns...)
	w.mu.Unlock()
	for _, c := range conns {
		s := session{Received: c.in.messages(), Sent: c.out.messages()}
		if h, ok := s.hello(); !ok || h.Hostname != hostname {
			continue
		}
		if n > 0 {
			n--
			continue
		}
		for _, f := range s.Sent {
			if f.Env.Type == protocol.TypeHelloAck {
				return f.At, true
			}
		}
		return time.Time{}, false
	}
	return time.Time{}, false
}

// session is one tapped connection's traffic so far.
type session struct {
	Received []frame // from the agent
	Sent     []frame // to the agent
}

// sessions returns the traffic of every connection from peer, oldest first.
func (w *wireTap) sessions(peer netip.Addr) []session {
	w.mu.Lock()
	conns := append([]*tappedConn(nil), w.conns...)
	w.mu.Unlock()
	var out []session
	for _, c := range conns {
		if c.peer == peer {
			out = append(out, session{Received: c.in.messages(), Sent: c.out.messages()})
		}
	}
	return out
}

// hello returns the session's hello (the agent's first message).
func (s session) hello() (*protocol.Hello, bool) {
	for _, f := range s.Received {
		if f.Env.Type == protocol.TypeHello {
			h, err := protocol.Decode[protocol.Hello](f.Env)
			return h, err == nil
		}
	}
	return nil, false
}

// describeHello shows a hello's identity fields and whether it carried
// each token, never the tokens themselves (they are secrets).
func describeHello(h *protocol.Hello) string {
	if h == nil {
		return "no hello"
	}
	return fmt.Sprintf("hello{hostname %s, agent_id %s, last_acked_seq %d, token %v, enroll_token %v}",
		h.Hostname, h.AgentID, h.LastAckedSeq, h.Token != "", h.EnrollToken != "")
}

// describeAcks shows hello.acks without the agent tokens they may carry.
func describeAcks(acks []protocol.HelloAck) string {
	parts := make([]string, len(acks))
	for i, a := range acks {
		parts[i] = fmt.Sprintf("{accepted %v, host %s, %s, agent_token %v, error %q}", a.Accepted, a.HostID, a.Status, a.AgentToken != "", a.Error)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// helloAcks returns the hello.acks the manager sent, in order.
func (s session) helloAcks() []protocol.HelloAck {
	var out []protocol.HelloAck
	for _, f := range s.Sent {
		if f.Env.Type == protocol.TypeHelloAck {
			if a, err := protocol.Decode[protocol.HelloAck](f.Env); err == nil {
				out = append(out, *a)
			}
		}
	}
	return out
}

// sentTypes lists the types the manager sent, in order.
func (s session) sentTypes() []string {
	out := make([]string, len(s.Sent))
	for i, f := range s.Sent {
		out[i] = f.Env.Type
	}
	return out
}

// wsStream reassembles one direction of a connection: the HTTP upgrade
// (skipped), then RFC 6455 frames (control frames skipped, fragments
// joined, masked ones unmasked).
type wsStream struct {
	mu       sync.Mutex
	buf      []byte
	upgraded bool
	partial  []byte
	msgs     []frame
}

func (s *wsStream) feed(p []byte) {
	if len(p) == 0 {
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if !s.upgraded {
		i := bytes.Index(s.buf, []byte("\r\n\r\n"))
		if i < 0 {
			return
		}
		s.buf, s.upgraded = s.buf[i+4:], true
	}
	for {
		fin, op, payload, n := parseFrame(s.buf)
		if n == 0 {
			return
		}
		s.buf = s.buf[n:]
		if op >= 8 { // close, ping, pong
			continue
		}
		s.partial = append(s.partial, payload...)
		if !fin {
			continue
		}
		msg := s.partial
		s.partial = nil
		f := frame{At: now, Raw: msg}
		_ = json.Unmarshal(msg, &f.Env) // a frame that is no envelope keeps an empty one
		s.msgs = append(s.msgs, f)
	}
}

func (s *wsStream) messages() []frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]frame(nil), s.msgs...)
}

// parseFrame reads one frame from b; n is 0 when b does not hold a whole
// frame yet.
func parseFrame(b []byte) (fin bool, op byte, payload []byte, n int) {
	if len(b) < 2 {
		return false, 0, nil, 0
	}
	fin, op = b[0]&0x80 != 0, b[0]&0x0f
	masked := b[1]&0x80 != 0
	size, off := uint64(b[1]&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return false, 0, nil, 0
		}
		size, off = uint64(binary.BigEndian.Uint16(b[2:4])), 4
	case 127:
		if len(b) < 10 {
			return false, 0, nil, 0
		}
		size, off = binary.BigEndian.Uint64(b[2:10]), 10
	}
	var key []byte
	if masked {
		if len(b) < off+4 {
			return false, 0, nil, 0
		}
		key, off = b[off:off+4], off+4
	}
	if uint64(len(b)-off) < size {
		return false, 0, nil, 0
	}
	payload = append([]byte(nil), b[off:off+int(size)]...)
	if key != nil {
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return fin, op, payload, off + int(size)
}
