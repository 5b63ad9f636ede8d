package protocol

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the version this build speaks (DESIGN.md: PROTOCOL_VERSION).
const ProtocolVersion = 1

// MinProtocolVersion and MaxProtocolVersion bound the versions a manager of
// this build accepts in hello.
const (
	MinProtocolVersion = 1
	MaxProtocolVersion = 1
)

// AgentPath is the WebSocket path agents connect to.
const AgentPath = "/v1/agent"

// Envelope is one WebSocket text frame. Payload stays raw until the receiver
// knows the type; see DecodePayload.
type Envelope struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	ReplyTo string          `json:"reply_to,omitempty"`
	Seq     uint64          `json:"seq,omitempty"`
	TS      time.Time       `json:"ts"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Payload is implemented by every message body. MessageType names the
// envelope type the body travels in.
type Payload interface {
	MessageType() string
	// Validate reports the first rule the payload breaks, as a
	// *ValidationError naming the field.
	Validate() error
}

// NewEnvelope wraps p in an envelope with a fresh id and the current time.
func NewEnvelope(p Payload) (Envelope, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", p.MessageType(), err)
	}
	return Envelope{Type: p.MessageType(), ID: NewID(), TS: time.Now().UTC(), Payload: raw}, nil
}

// Reply wraps p as the answer to the envelope with id replyTo.
func Reply(replyTo string, p Payload) (Envelope, error) {
	env, err := NewEnvelope(p)
	env.ReplyTo = replyTo
	return env, err
}

// ErrUnknownType is returned by DecodePayload for a type this build does not
// know. Receivers log it once and carry on; it is never fatal.
var ErrUnknownType = errors.New("unknown message type")

// DecodeEnvelope parses one frame and checks the envelope's own fields. The
// payload is not decoded.
func DecodeEnvelope(frame []byte) (Envelope, error) {
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(frame))
	if err := dec.Decode(&env); err != nil {
		return Envelope{}, &ValidationError{Field: "envelope", Msg: "not a JSON object: " + shorten(err.Error())}
	}
	if dec.More() {
		return Envelope{}, &ValidationError{Field: "envelope", Msg: "trailing data after the JSON object"}
	}
	if err := env.Validate(); err != nil {
		return Envelope{}, err
	}
	return env, nil
}

// Validate checks the envelope fields (not the payload).
func (e Envelope) Validate() error {
	var v validator
	v.required("type", e.Type)
	v.maxLen("type", e.Type, MaxIDLen)
	v.required("id", e.ID)
	v.maxLen("id", e.ID, MaxIDLen)
	v.maxLen("reply_to", e.ReplyTo, MaxIDLen)
	if e.TS.IsZero() {
		v.fail("ts", "is required (RFC 3339)")
	}
	if e.Seq != 0 && !IsJournaled(e.Type) {
		v.fail("seq", "is only set on journaled events")
	}
	if e.Seq == 0 && IsJournaled(e.Type) {
		v.fail("seq", "is required on journaled events")
	}
	v.safeUint("seq", e.Seq)
	return v.err
}

// DecodePayload decodes the payload into the type registered for e.Type and
// validates it. An unregistered type returns ErrUnknownType.
func (e Envelope) DecodePayload() (Payload, error) {
	mk, ok := registry[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownType, e.Type)
	}
	p := mk()
	if len(e.Payload) == 0 || bytes.Equal(bytes.TrimSpace(e.Payload), []byte("null")) {
		return nil, &ValidationError{Field: "payload", Msg: "is required"}
	}
	dec := json.NewDecoder(bytes.NewReader(e.Payload))
	if err := dec.Decode(p); err != nil {
		return nil, payloadDecodeError(err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Decode decodes e's payload as a *T, the payload type that matches e.Type,
// and validates it.
func Decode[T any](e Envelope) (*T, error) {
	p, err := e.DecodePayload()
	if err != nil {
		return nil, err
	}
	t, ok := any(p).(*T)
	if !ok {
		return nil, fmt.Errorf("envelope type %q does not carry a %T", e.Type, t)
	}
	return t, nil
}

func payloadDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &ValidationError{Field: te.Field, Msg: "has the wrong JSON type (" + te.Value + ", want " + te.Type.String() + ")"}
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return &ValidationError{Field: "payload", Msg: "holds a time that is not RFC 3339: " + shorten(pe.Value)}
	}
	return &ValidationError{Field: "payload", Msg: "is not valid JSON for its type: " + shorten(err.Error())}
}

// IsJournaled reports whether events of type t carry a seq and are acked
// (DESIGN.md "Delivery").
func IsJournaled(t string) bool {
	switch t {
	case TypeScheduleFire, TypeJobStarted, TypeLogStream, TypeJobFinished:
		return true
	}
	return false
}

// IsKnownType reports whether this build has a payload type for t.
func IsKnownType(t string) bool {
	_, ok := registry[t]
	return ok
}

// NewID returns a UUIDv7 string: unique, and sortable by creation time, so
// job ids also order a host's history.
func NewID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint64(b[0:8], ms<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	b[6] = 0x70 | b[6]&0x0f // version 7
	b[8] = 0x80 | b[8]&0x3f // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

func shorten(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
