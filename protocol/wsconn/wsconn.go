// Package wsconn sends and receives protocol envelopes over a
// github.com/coder/websocket connection: JSON text frames, a 1 MiB read
// limit (larger frames close the connection with 1009), per-write
// deadlines, ping keepalive and a clean close. No compression.
//
// It knows the envelope, not the message types: an unknown type is handed
// up like any other, and a frame that is not a valid envelope comes back as
// a *FrameError while the connection stays usable.
//
// Imported by desktop/hub and the agent's link; imports only protocol.
package wsconn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"restic-manager/protocol"
)

// DefaultWriteTimeout bounds every frame write.
const DefaultWriteTimeout = 10 * time.Second

// Close codes the project uses.
const (
	StatusNormal          = websocket.StatusNormalClosure
	StatusPolicyViolation = websocket.StatusPolicyViolation
	StatusMessageTooBig   = websocket.StatusMessageTooBig
	StatusGoingAway       = websocket.StatusGoingAway
)

// CloseStatus returns the close code carried by err, or -1.
func CloseStatus(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

// IsFrameTooBig reports whether err ended a connection because a frame
// passed the read limit: this side refused it (the library's
// ErrMessageTooBig), or the peer closed with 1009 for one of ours.
func IsFrameTooBig(err error) bool {
	return errors.Is(err, websocket.ErrMessageTooBig) || CloseStatus(err) == StatusMessageTooBig
}

// FrameError is a frame that arrived whole but is not a valid envelope
// (garbage JSON, a binary frame, a missing field). The connection is still
// usable; answer with an error reply and carry on.
type FrameError struct {
	Err error
	// ID is the envelope id when it could be read, for the error's reply_to.
	ID string
}

func (e *FrameError) Error() string { return "bad frame: " + e.Err.Error() }
func (e *FrameError) Unwrap() error { return e.Err }

// Conn is one agent link. Send may be called from many goroutines; Receive
// from one.
type Conn struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
}

func wrap(ws *websocket.Conn) *Conn {
	ws.SetReadLimit(protocol.MaxFrameBytes)
	return &Conn{ws: ws, writeTimeout: DefaultWriteTimeout}
}

// Accept upgrades an HTTP request on the manager side.
func Accept(w http.ResponseWriter, r *http.Request) (*Conn, error) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, fmt.Errorf("websocket accept: %w", err)
	}
	return wrap(ws), nil
}

// Dial connects to url (ws:// or wss://). client may be nil for the default
// HTTP client, or a tsnet node's HTTPClient.
func Dial(ctx context.Context, url string, client *http.Client) (*Conn, error) {
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient:      client,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: HTTP %s: %w", url, resp.Status, err)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return wrap(ws), nil
}

// Send writes one envelope as a text frame, within the write timeout.
func (c *Conn) Send(ctx context.Context, env protocol.Envelope) error {
	b, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode %s: %w", env.Type, err)
	}
	return c.SendRaw(ctx, b)
}

// SendRaw writes an already encoded envelope (a replayed journal entry must
// go out byte for byte).
func (c *Conn) SendRaw(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, c.writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// SendPayload wraps p in a fresh envelope (answering replyTo when not empty)
// and sends it. It returns the envelope sent.
func (c *Conn) SendPayload(ctx context.Context, p protocol.Payload, replyTo string) (protocol.Envelope, error) {
	env, err := protocol.Reply(replyTo, p)
	if err != nil {
		return env, err
	}
	return env, c.Send(ctx, env)
}

// SendError answers the frame replyTo with an error payload.
func (c *Conn) SendError(ctx context.Context, replyTo, code, msg string) error {
	_, err := c.SendPayload(ctx, &protocol.Error{Code: code, Message: msg}, replyTo)
	return err
}

// Receive reads the next envelope. A transport failure (closed, over the
// read limit, context done) is returned as is and ends the connection; an
// invalid frame is a *FrameError and the next Receive may go on.
func (c *Conn) Receive(ctx context.Context) (protocol.Envelope, error) {
	typ, data, err := c.ws.Read(ctx)
	if err != nil {
		return protocol.Envelope{}, err
	}
	if typ != websocket.MessageText {
		return protocol.Envelope{}, &FrameError{Err: errors.New("binary frames are not part of the protocol")}
	}
	env, err := protocol.DecodeEnvelope(data)
	if err != nil {
		var probe struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(data, &probe)
		if len(probe.ID) > protocol.MaxIDLen {
			probe.ID = ""
		}
		return protocol.Envelope{}, &FrameError{Err: err, ID: probe.ID}
	}
	return env, nil
}

// KeepAlive pings every interval until ctx ends or a pong does not arrive
// within timeout; then it closes the connection and returns the error. A
// Receive loop must be running for pongs to be read.
func (c *Conn) KeepAlive(ctx context.Context, interval, timeout time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := c.ws.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.ws.CloseNow()
			return fmt.Errorf("keepalive: %w", err)
		}
	}
}

// Close ends the connection with a close frame carrying code and reason.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	return c.ws.Close(code, reason)
}

// CloseNow drops the connection without a close handshake.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }
