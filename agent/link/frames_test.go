package link

import (
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// nextReply returns the next frame answering id, skipping heartbeats and
// state reports; anything else in between fails the test.
func (c *managerConn) nextReply(t *testing.T, id string) protocol.Envelope {
	t.Helper()
	env := c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats)
	if env.ReplyTo != id {
		t.Fatalf("got %s replying to %q; want the reply to %s", env.Type, env.ReplyTo, id)
	}
	return env
}

// A frame of a type this agent does not know (a newer manager's) is
// ignored: no error, no reconnect, and the next frame is handled on the
// same connection.
func TestAnUnknownFrameTypeIsIgnoredAndTheConnectionStays(t *testing.T) {
	m := newScriptedManager(t)
	a := startLink(t, m, openJournal(t), &memTokens{}, nil)
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")

	for i := range 3 { // logged once, ignored every time
		c.sendRaw(t, `{"type":"fleet.rebalance","id":"future-`+string(rune('a'+i))+`","ts":"2026-11-22T10:00:00Z","payload":{"shiny":true}}`)
	}
	set := c.send(t, &protocol.ScheduleSet{Version: 3, Schedules: []protocol.Schedule{}}, "")
	reply := c.nextReply(t, set.ID)
	if reply.Type != protocol.TypeScheduleAck {
		t.Fatalf("answer to schedule.set after unknown frames: %s; want schedule.ack", reply.Type)
	}
	if s := a.Status(); !s.Connected || s.Sessions != 1 {
		t.Errorf("status %+v; want still connected on the first session", s)
	}
	select {
	case extra := <-m.conns:
		t.Errorf("the agent reconnected (at %s) after unknown frames", extra.at.Format(time.RFC3339Nano))
	default:
	}
}

// A payload that fails validation is answered with an error naming the
// field (reply_to: the frame), is not applied, and the connection stays.
func TestABadConfigUpdateGetsAnErrorNamingTheField(t *testing.T) {
	m := newScriptedManager(t)
	a := startLink(t, m, openJournal(t), &memTokens{}, nil)
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")

	for _, tc := range []struct {
		name, payload, field string
	}{
		{"unknown slot", `{"repo_url":"/srv/repo","slot":"backup-admin"}`, "slot"},
		{"negative bandwidth", `{"bandwidth_up_kbps":-5}`, "bandwidth_up_kbps"},
		{"wrong JSON type", `{"repo_password":42}`, "repo_password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "cfg-" + strings.ReplaceAll(tc.name, " ", "-")
			c.sendRaw(t, `{"type":"config.update","id":"`+id+`","ts":"2026-11-22T10:00:00Z","payload":`+tc.payload+`}`)
			reply := c.nextReply(t, id)
			e, err := protocol.Decode[protocol.Error](reply)
			if reply.Type != protocol.TypeError || err != nil || e.Code != protocol.CodeBadRequest || !strings.Contains(e.Message, tc.field) {
				t.Fatalf("reply %s %+v (%v); want error bad_request naming %q", reply.Type, e, err, tc.field)
			}
		})
	}
	if n := a.h.configCount(); n != 0 {
		t.Errorf("%d invalid config.updates were applied; want none", n)
	}
	good := c.send(t, &protocol.ConfigUpdate{RepoURL: "/srv/repo"}, "")
	set := c.send(t, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{}}, "")
	if reply := c.nextReply(t, set.ID); reply.Type != protocol.TypeScheduleAck {
		t.Fatalf("after the bad frames: %s; want schedule.ack on the same connection", reply.Type)
	}
	if n := a.h.configCount(); n != 1 {
		t.Errorf("valid config.update %s applied %d times; want once, before the next frame", good.ID, n)
	}
}
