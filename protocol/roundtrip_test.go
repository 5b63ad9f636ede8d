package protocol_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"

	"restic-manager/protocol"
)

// What one end marshals, the other decodes to the same value: envelope
// fields and typed payload alike.
func TestRoundTripEveryType(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			env := s.envelope(t)
			wire, err := json.Marshal(env)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got, err := protocol.DecodeEnvelope(wire)
			if err != nil {
				t.Fatalf("DecodeEnvelope(%s): %v", wire, err)
			}
			if !reflect.DeepEqual(got, env) {
				t.Errorf("envelope changed on the way:\n got %+v\nwant %+v", got, env)
			}
			p, err := got.DecodePayload()
			if err != nil {
				t.Fatalf("DecodePayload: %v", err)
			}
			if !reflect.DeepEqual(p, s.payload) {
				t.Errorf("payload changed on the way:\n got %#v\nwant %#v", p, s.payload)
			}
		})
	}
}

func TestDecodeGenericReturnsTheTypedPayload(t *testing.T) {
	want := &protocol.CommandCancel{JobID: jobID}
	env, err := protocol.NewEnvelope(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := protocol.Decode[protocol.CommandCancel](env)
	if err != nil {
		t.Fatalf("Decode[CommandCancel]: %v", err)
	}
	if *got != *want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := protocol.Decode[protocol.JobStarted](env); err == nil {
		t.Error("Decode[JobStarted] of a command.cancel envelope: want an error, got none")
	}
}

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewEnvelopeAndReply(t *testing.T) {
	before := time.Now()
	env, err := protocol.NewEnvelope(&protocol.Heartbeat{SentAt: fixedTS})
	if err != nil {
		t.Fatal(err)
	}
	if env.Type != protocol.TypeHeartbeat {
		t.Errorf("type = %q, want %q", env.Type, protocol.TypeHeartbeat)
	}
	if !uuidV7.MatchString(env.ID) {
		t.Errorf("id %q is not a UUIDv7", env.ID)
	}
	if env.TS.Location() != time.UTC || env.TS.Before(before.Add(-time.Second)) || env.TS.After(time.Now().Add(time.Second)) {
		t.Errorf("ts = %v, want now in UTC", env.TS)
	}
	if env.ReplyTo != "" || env.Seq != 0 {
		t.Errorf("a fresh envelope carries reply_to %q and seq %d, want neither", env.ReplyTo, env.Seq)
	}
	if string(env.Payload) != `{"sent_at":"2026-11-22T10:00:00Z"}` {
		t.Errorf("payload = %s", env.Payload)
	}

	reply, err := protocol.Reply(env.ID, &protocol.Error{Code: protocol.CodeBadRequest, Message: "no"})
	if err != nil {
		t.Fatal(err)
	}
	if reply.ReplyTo != env.ID || reply.Type != protocol.TypeError || reply.ID == env.ID {
		t.Errorf("reply = %+v, want an error envelope with its own id answering %s", reply, env.ID)
	}
}

func TestIsJournaledIsExactlyTheDesignsFour(t *testing.T) {
	journaled := map[string]bool{
		protocol.TypeScheduleFire: true, protocol.TypeJobStarted: true,
		protocol.TypeLogStream: true, protocol.TypeJobFinished: true,
	}
	for _, typ := range protocol.RegisteredTypes() {
		if got := protocol.IsJournaled(typ); got != journaled[typ] {
			t.Errorf("IsJournaled(%q) = %v, want %v", typ, got, journaled[typ])
		}
	}
}

func TestErrorPayloadIsAnError(t *testing.T) {
	var err error = &protocol.Error{Code: protocol.CodeNotFound, Message: "no such snapshot"}
	var pe *protocol.Error
	if !errors.As(err, &pe) || err.Error() != "not_found: no such snapshot" {
		t.Errorf("Error() = %q", err.Error())
	}
}
