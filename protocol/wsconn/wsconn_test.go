package wsconn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
)

// testTimeout bounds every wait in this file.
const testTimeout = 10 * time.Second

// server is a real HTTP server on 127.0.0.1 whose handler accepts with
// wsconn.Accept and hands each connection to the test.
type server struct {
	url   string
	conns chan *wsconn.Conn
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{conns: make(chan *wsconn.Conn, 4)}
	done := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Accept(w, r)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		s.conns <- c
		<-done // keep the handler alive until the test ends
		c.CloseNow()
	}))
	s.url = "ws" + strings.TrimPrefix(hs.URL, "http") + protocol.AgentPath
	t.Cleanup(hs.Close)
	t.Cleanup(func() { close(done) })
	return s
}

// accept waits for the server side of the next connection.
func (s *server) accept(t *testing.T) *wsconn.Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(testTimeout):
		t.Fatal("the server never accepted a connection")
		return nil
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dial connects a wsconn client and returns both ends.
func dial(t *testing.T, s *server) (client, srv *wsconn.Conn) {
	t.Helper()
	client, err := wsconn.Dial(testCtx(t), s.url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { client.CloseNow() })
	return client, s.accept(t)
}

// dialRaw connects a bare coder/websocket client, for frames wsconn itself
// would never send.
func dialRaw(t *testing.T, s *server) (client *websocket.Conn, srv *wsconn.Conn) {
	t.Helper()
	client, _, err := websocket.Dial(testCtx(t), s.url, nil)
	if err != nil {
		t.Fatalf("raw dial: %v", err)
	}
	t.Cleanup(func() { client.CloseNow() })
	return client, s.accept(t)
}

type result struct {
	env protocol.Envelope
	err error
}

// receiveAsync runs one Receive in the background.
func receiveAsync(ctx context.Context, c *wsconn.Conn) <-chan result {
	ch := make(chan result, 1)
	go func() {
		env, err := c.Receive(ctx)
		ch <- result{env, err}
	}()
	return ch
}

func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func TestSendReceiveRoundTrip(t *testing.T) {
	s := newServer(t)
	client, srv := dial(t, s)
	ctx := testCtx(t)

	sent, err := client.SendPayload(ctx, &protocol.Heartbeat{SentAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, "")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	got, err := srv.Receive(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if got.ID != sent.ID || got.Type != protocol.TypeHeartbeat || !got.TS.Equal(sent.TS) || !bytes.Equal(got.Payload, sent.Payload) {
		t.Fatalf("received %+v, sent %+v", got, sent)
	}
	hb, err := protocol.Decode[protocol.Heartbeat](got)
	if err != nil || hb.SentAt.Year() != 2026 {
		t.Fatalf("decode heartbeat: %+v, %v", hb, err)
	}

	// And back, as an error reply naming the frame it answers.
	if err := srv.SendError(ctx, got.ID, protocol.CodeBadRequest, "job_id: is required"); err != nil {
		t.Fatalf("send error: %v", err)
	}
	reply, err := client.Receive(ctx)
	if err != nil {
		t.Fatalf("receive reply: %v", err)
	}
	e, err := protocol.Decode[protocol.Error](reply)
	if err != nil || reply.ReplyTo != sent.ID || e.Code != protocol.CodeBadRequest {
		t.Fatalf("reply %+v (%+v, %v), want a bad_request error answering %s", reply, e, err, sent.ID)
	}
}

// SendRaw puts the bytes on the wire unchanged: a replayed journal entry
// must be byte for byte the original.
func TestSendRawIsByteForByte(t *testing.T) {
	s := newServer(t)
	client, srv := dialRaw(t, s)
	ctx := testCtx(t)
	frame := []byte(`{"type":"job.started","id":"0193a8f0-7c2e-7b4a-9f1e-2d3c4b5a6978","seq":7,"ts":"2026-11-22T10:00:00+01:00","payload":{"job_id":"j","kind":"backup","started_at":"2026-11-22T10:00:00+01:00"}}`)
	if err := srv.SendRaw(ctx, frame); err != nil {
		t.Fatal(err)
	}
	typ, got, err := client.Read(ctx)
	if err != nil || typ != websocket.MessageText || !bytes.Equal(got, frame) {
		t.Fatalf("client read %v %q %v, want the text frame %q", typ, got, err, frame)
	}
}

func TestConcurrentSendsAllArrive(t *testing.T) {
	s := newServer(t)
	client, srv := dial(t, s)
	ctx := testCtx(t)
	const senders, each = 4, 25
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for range each {
				if _, err := client.SendPayload(ctx, &protocol.Ack{Seq: 1}, ""); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		})
	}
	ids := map[string]bool{}
	for range senders * each {
		env, err := srv.Receive(ctx)
		if err != nil {
			t.Fatalf("receive after %d frames: %v", len(ids), err)
		}
		ids[env.ID] = true
	}
	wg.Wait()
	if len(ids) != senders*each {
		t.Errorf("got %d distinct frames, want %d", len(ids), senders*each)
	}
}

// A frame over MaxFrameBytes ends the connection with close 1009.
func TestOversizedFrameIsRefusedWith1009(t *testing.T) {
	s := newServer(t)
	client, srv := dialRaw(t, s)
	ctx := testCtx(t)

	// The client reads so that it sees the close frame; its write may fail
	// half-way once the server gives up, which is fine.
	clientRead := make(chan error, 1)
	go func() {
		_, _, err := client.Read(ctx)
		clientRead <- err
	}()
	go func() {
		big := `{"type":"log.stream","id":"x","ts":"2026-11-22T10:00:00Z","payload":"` + strings.Repeat("x", 2<<20) + `"}`
		_ = client.Write(ctx, websocket.MessageText, []byte(big))
	}()

	r := await(t, receiveAsync(ctx, srv), "the server's Receive")
	if r.err == nil {
		t.Fatalf("the server received a 2 MiB frame: %s…", r.env.Type)
	}
	if !errors.Is(r.err, websocket.ErrMessageTooBig) || !wsconn.IsFrameTooBig(r.err) {
		t.Errorf("server error = %v, want ErrMessageTooBig, recognised by IsFrameTooBig", r.err)
	}
	var fe *wsconn.FrameError
	if errors.As(r.err, &fe) {
		t.Errorf("an oversized frame is a transport failure, not a *FrameError")
	}
	err := await(t, clientRead, "the client's Read")
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig || !wsconn.IsFrameTooBig(err) {
		t.Errorf("client saw close status %v (%v), want 1009, recognised by IsFrameTooBig", got, err)
	}
}

// IsFrameTooBig is about the frame limit only: other ways a connection
// ends are not it.
func TestIsFrameTooBigIsOnlyTheFrameLimit(t *testing.T) {
	s := newServer(t)
	client, srv := dial(t, s)
	ctx := testCtx(t)
	go func() { _ = client.Close(wsconn.StatusPolicyViolation, "go away") }()
	r := await(t, receiveAsync(ctx, srv), "the server's Receive after a policy close")
	if r.err == nil || wsconn.IsFrameTooBig(r.err) {
		t.Errorf("a policy-violation close: IsFrameTooBig(%v) = true, want false", r.err)
	}
	for _, err := range []error{nil, context.Canceled, errors.New("read limited at 1048577 bytes")} {
		if wsconn.IsFrameTooBig(err) {
			t.Errorf("IsFrameTooBig(%v) = true, want false (only the typed error or a 1009 close counts)", err)
		}
	}
}

// The limit is exact: a frame of MaxFrameBytes arrives, one byte more is
// refused.
func TestFrameLimitIsExactlyMaxFrameBytes(t *testing.T) {
	s := newServer(t)
	client, srv := dial(t, s)
	ctx := testCtx(t)
	head := `{"type":"future.bulk","id":"x","ts":"2026-11-22T10:00:00Z","payload":"`
	tail := `"}`
	frame := head + strings.Repeat("y", protocol.MaxFrameBytes-len(head)-len(tail)) + tail
	if len(frame) != protocol.MaxFrameBytes {
		t.Fatalf("frame is %d bytes, want %d", len(frame), protocol.MaxFrameBytes)
	}
	if err := client.SendRaw(ctx, []byte(frame)); err != nil {
		t.Fatal(err)
	}
	env, err := srv.Receive(ctx)
	if err != nil {
		t.Fatalf("a %d-byte frame was refused: %v", len(frame), err)
	}
	if len(env.Payload) != protocol.MaxFrameBytes-len(head)-len(tail)+2 {
		t.Errorf("payload is %d bytes", len(env.Payload))
	}

	over := head + strings.Repeat("y", protocol.MaxFrameBytes+1-len(head)-len(tail)) + tail
	go func() { _ = client.SendRaw(ctx, []byte(over)) }()
	if r := await(t, receiveAsync(ctx, srv), "Receive of the frame one byte over"); !errors.Is(r.err, websocket.ErrMessageTooBig) {
		t.Fatalf("a %d-byte frame: got %v, want ErrMessageTooBig", len(over), r.err)
	}
}

// Bad frames come back as *FrameError and the connection carries on.
func TestBadFramesLeaveTheConnectionUsable(t *testing.T) {
	s := newServer(t)
	client, srv := dialRaw(t, s)
	ctx := testCtx(t)

	frames := []struct {
		typ   websocket.MessageType
		data  string
		bad   bool
		repID string // the id a FrameError should carry for the reply_to
	}{
		{websocket.MessageText, `{"type": "hello", garbage`, true, ""},
		{websocket.MessageBinary, `{"type":"heartbeat","id":"b","ts":"2026-11-22T10:00:00Z"}`, true, ""},
		{websocket.MessageText, `{"type":"job.started","id":"no-seq","ts":"2026-11-22T10:00:00Z","payload":{}}`, true, "no-seq"},
		{websocket.MessageText, `{"type":"heartbeat","id":"good","ts":"2026-11-22T10:00:00Z","payload":{"sent_at":"2026-11-22T10:00:00Z"}}`, false, ""},
	}
	for _, f := range frames {
		if err := client.Write(ctx, f.typ, []byte(f.data)); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	for _, f := range frames {
		env, err := srv.Receive(ctx)
		if !f.bad {
			if err != nil || env.ID != "good" {
				t.Fatalf("the good frame after the bad ones: %+v, %v", env, err)
			}
			continue
		}
		var fe *wsconn.FrameError
		if !errors.As(err, &fe) {
			t.Fatalf("frame %q: want *wsconn.FrameError, got %v", f.data, err)
		}
		if fe.ID != f.repID {
			t.Errorf("frame %q: FrameError.ID = %q, want %q", f.data, fe.ID, f.repID)
		}
	}
	// The server can still answer on the same connection.
	if err := srv.SendError(ctx, "no-seq", protocol.CodeBadRequest, "seq: is required on journaled events"); err != nil {
		t.Fatalf("answering after bad frames: %v", err)
	}
	if _, data, err := client.Read(ctx); err != nil || !strings.Contains(string(data), `"reply_to":"no-seq"`) {
		t.Fatalf("client read %s, %v", data, err)
	}
}

// wsconn knows envelopes, not message types: an unknown type is handed up
// untouched for the receiver to log and ignore.
func TestUnknownTypePassesThrough(t *testing.T) {
	s := newServer(t)
	client, srv := dial(t, s)
	ctx := testCtx(t)
	payload := `{"cpu":0.5,"nested":{"list":[1,2,3]}}`
	env := protocol.Envelope{Type: "agent.telemetry", ID: "t1", TS: time.Now().UTC(), Payload: json.RawMessage(payload)}
	if err := client.Send(ctx, env); err != nil {
		t.Fatal(err)
	}
	got, err := srv.Receive(ctx)
	if err != nil {
		t.Fatalf("an unknown type must not be a receive error: %v", err)
	}
	if got.Type != "agent.telemetry" || got.ID != "t1" || string(got.Payload) != payload {
		t.Fatalf("got %+v, want the frame untouched", got)
	}
	if _, err := got.DecodePayload(); !errors.Is(err, protocol.ErrUnknownType) {
		t.Errorf("DecodePayload: want ErrUnknownType, got %v", err)
	}
}

func TestContextCancellationEndsReceive(t *testing.T) {
	s := newServer(t)
	_, srv := dial(t, s)
	ctx, cancel := context.WithCancel(testCtx(t))
	ch := receiveAsync(ctx, srv)
	cancel()
	r := await(t, ch, "Receive to return after cancel")
	if r.err == nil {
		t.Fatal("Receive returned an envelope after its context was cancelled")
	}
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("Receive error = %v, want one wrapping context.Canceled", r.err)
	}
}

// A peer that stops answering pings is noticed and dropped.
func TestKeepAliveNoticesADeadPeer(t *testing.T) {
	s := newServer(t)
	// A raw client that never reads never answers a ping: from the
	// server's side it is a dead peer (as a suspended laptop would be).
	_, srv := dialRaw(t, s)
	ctx := testCtx(t)
	received := receiveAsync(ctx, srv) // reads pongs, were any to come

	kaErr := make(chan error, 1)
	go func() { kaErr <- srv.KeepAlive(ctx, 20*time.Millisecond, 200*time.Millisecond) }()
	err := await(t, kaErr, "KeepAlive to give up on a dead peer")
	if err == nil || ctx.Err() != nil {
		t.Fatalf("KeepAlive = %v, want a keepalive failure before the test's own deadline", err)
	}
	if !strings.Contains(err.Error(), "keepalive") {
		t.Errorf("KeepAlive error %q does not say keepalive", err)
	}
	if r := await(t, received, "Receive to end once KeepAlive dropped the connection"); r.err == nil {
		t.Errorf("Receive returned %+v on a dropped connection", r.env)
	}
}

// With a live peer KeepAlive keeps going until its context ends.
func TestKeepAliveKeepsALivePeer(t *testing.T) {
	s := newServer(t)
	client, srv := dial(t, s)
	ctx := testCtx(t)
	go func() { _, _ = client.Receive(ctx) }() // the client answers pings while reading
	go func() { _, _ = srv.Receive(ctx) }()    // the server reads the pongs

	kaCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err := srv.KeepAlive(kaCtx, 20*time.Millisecond, 2*time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("KeepAlive with a live peer = %v, want it to run until its context ended", err)
	}
}

func TestCloseSendsTheCode(t *testing.T) {
	s := newServer(t)
	client, srv := dial(t, s)
	ctx := testCtx(t)
	clientGot := receiveAsync(ctx, client)
	if err := srv.Close(wsconn.StatusPolicyViolation, "replaced by a newer connection"); err != nil {
		t.Fatalf("close: %v", err)
	}
	r := await(t, clientGot, "the client to see the close")
	if got := wsconn.CloseStatus(r.err); got != wsconn.StatusPolicyViolation {
		t.Fatalf("client saw close status %v (%v), want 1008", got, r.err)
	}
	var ce websocket.CloseError
	if !errors.As(r.err, &ce) || ce.Reason != "replaced by a newer connection" {
		t.Errorf("close reason = %q, want the one sent", ce.Reason)
	}
	if wsconn.CloseStatus(errors.New("plain")) != -1 {
		t.Error("CloseStatus of a non-close error should be -1")
	}
}

func TestDialReportsHTTPStatus(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(hs.Close)
	_, err := wsconn.Dial(testCtx(t), "ws"+strings.TrimPrefix(hs.URL, "http")+protocol.AgentPath, nil)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("dial to a non-WebSocket endpoint = %v, want an error naming HTTP 404", err)
	}
}
