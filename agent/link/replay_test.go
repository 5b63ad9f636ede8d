package link

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"restic-manager/agent/journal"
	"restic-manager/protocol"
)

// sameFrame reports how a received envelope differs from the journaled
// frame, or "". The manager reads envelopes, not bytes, so "byte for byte"
// is checked twice: every field (id, ts, seq and the raw payload bytes) is
// the stored one, and the envelope re-encodes to exactly the stored bytes
// (protocol's fuzz test holds the encoding stable).
func sameFrame(got protocol.Envelope, want journal.Frame) string {
	w, err := protocol.DecodeEnvelope(want.Data)
	if err != nil {
		return "stored frame unreadable: " + err.Error()
	}
	if got.Type != w.Type || got.ID != w.ID || !got.TS.Equal(w.TS) || got.Seq != w.Seq || !bytes.Equal(got.Payload, w.Payload) {
		return fmt.Sprintf("got %s seq %d id %s, want %s seq %d id %s (or ts/payload differ)", got.Type, got.Seq, got.ID, w.Type, w.Seq, w.ID)
	}
	if b, _ := json.Marshal(got); !bytes.Equal(b, want.Data) {
		return fmt.Sprintf("seq %d re-encodes to %s, stored %s", got.Seq, b, want.Data)
	}
	return ""
}

// journaled returns the next n journaled frames, skipping what is not
// journaled (heartbeats, state reports).
func (c *managerConn) journaled(t *testing.T, n int) []protocol.Envelope {
	t.Helper()
	var out []protocol.Envelope
	for len(out) < n {
		if env := c.next(t); protocol.IsJournaled(env.Type) {
			out = append(out, env)
		}
	}
	return out
}

// After a reconnect the agent replays exactly the journaled frames the
// manager has not acked: from the manager's mark, byte for byte, in seq
// order, and nothing it acked.
func TestReplaySendsExactlyTheUnackedFramesByteForByteInSeqOrder(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	stored := logLines(t, j, "job-1", 5)
	startLink(t, m, j, &memTokens{}, nil)

	// The manager already holds 1–2 (its mark, given in hello.ack).
	c := m.accept(t)
	if h := c.admit(t, protocol.HostApproved, 2, ""); h.LastAckedSeq != 0 {
		t.Fatalf("hello.last_acked_seq %d; want 0 before any ack", h.LastAckedSeq)
	}
	for i, env := range c.journaled(t, 3) {
		if d := sameFrame(env, stored[2+i]); d != "" {
			t.Errorf("first session, frame %d: %s", i, d)
		}
	}
	c.send(t, &protocol.Ack{Seq: 4}, "")
	waitAcked(t, j, 4)
	c.drop()

	more := logLines(t, j, "job-1", 2) // seq 6 and 7, written while away
	c = m.accept(t)
	if h := c.admit(t, protocol.HostApproved, 4, ""); h.LastAckedSeq != 4 {
		t.Fatalf("hello.last_acked_seq %d after ack 4; want 4", h.LastAckedSeq)
	}
	want := append([]journal.Frame{stored[4]}, more...)
	got := c.journaled(t, len(want))
	for i := range want {
		if d := sameFrame(got[i], want[i]); d != "" {
			t.Errorf("replay, frame %d: %s", i, d)
		}
	}
	c.send(t, &protocol.Ack{Seq: 7}, "")
	waitAcked(t, j, 7)
	// Nothing else journaled follows: a heartbeat-free probe is a
	// schedule.set, whose ack comes after anything already queued.
	c.send(t, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{}}, "")
	if env := c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats); env.Type != protocol.TypeScheduleAck {
		t.Errorf("after the replay the agent sent %s (seq %d); want nothing journaled", env.Type, env.Seq)
	}
}

// An ack drops every journaled frame at or below it, cumulatively; a lower
// ack changes nothing; hello.ack's acked_seq counts as an ack too.
func TestAcksDropFrames(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	logLines(t, j, "job-1", 6)
	startLink(t, m, j, &memTokens{}, nil)
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 1, "")
	waitAcked(t, j, 1)
	c.journaled(t, 5)

	for _, step := range []struct {
		ack, wantAcked uint64
		wantLeft       int
	}{
		{ack: 3, wantAcked: 3, wantLeft: 3},
		{ack: 2, wantAcked: 3, wantLeft: 3}, // lower: a no-op
		{ack: 6, wantAcked: 6, wantLeft: 0},
	} {
		c.send(t, &protocol.Ack{Seq: step.ack}, "")
		// An ack is handled before the next frame: the schedule.ack that
		// answers the following schedule.set proves it was.
		c.send(t, &protocol.ScheduleSet{Version: step.ack, Schedules: []protocol.Schedule{}}, "")
		c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats)
		left, err := j.Pending(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if j.LastAckedSeq() != step.wantAcked || len(left) != step.wantLeft {
			t.Errorf("after ack %d: last acked %d, %d frames kept; want %d, %d", step.ack, j.LastAckedSeq(), len(left), step.wantAcked, step.wantLeft)
		}
	}
}

// command.result always precedes the job's job.started, even when the job
// starts (and journals job.started) the instant it is submitted.
func TestCommandResultPrecedesItsJobStarted(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	a := startLink(t, m, j, &memTokens{}, nil)
	a.h.setSubmit(func(c *protocol.CommandRun) error {
		_, err := j.Append(&protocol.JobStarted{JobID: c.JobID, Kind: c.Kind, StartedAt: time.Now().UTC()})
		return err
	})
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")

	const n = 20
	for i := range n {
		c.send(t, &protocol.CommandRun{JobID: fmt.Sprintf("job-%02d", i), Kind: protocol.KindUnlock}, "")
	}
	answered := map[string]bool{}
	for started := 0; started < n; {
		env := c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats)
		switch env.Type {
		case protocol.TypeCommandResult:
			r, err := protocol.Decode[protocol.CommandResult](env)
			if err != nil || !r.Accepted {
				t.Fatalf("command.result %+v, %v; want accepted", r, err)
			}
			answered[r.JobID] = true
		case protocol.TypeJobStarted:
			s, _ := protocol.Decode[protocol.JobStarted](env)
			if !answered[s.JobID] {
				t.Fatalf("job.started for %s before its command.result", s.JobID)
			}
			started++
		default:
			t.Fatalf("unexpected %s", env.Type)
		}
	}
}

// A pending agent stays connected with heartbeats and sends nothing else —
// no journaled event, no state — until the manager approves it on the same
// connection; then the journal follows, in order.
func TestAPendingAgentSendsOnlyHeartbeatsUntilApproved(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	stored := logLines(t, j, "job-1", 3)
	a := startLink(t, m, j, &memTokens{}, func(o *Options) { o.HeartbeatInterval = 20 * time.Millisecond })
	a.PublishSnapshots([]protocol.Snapshot{})
	c := m.accept(t)
	c.admit(t, protocol.HostPending, 0, "")
	a.waitStatus(t, "pending", func(s Status) bool { return s.Pending && s.Connected })

	for range 5 {
		if env := c.next(t); env.Type != protocol.TypeHeartbeat {
			t.Fatalf("a pending agent sent %s (seq %d); want heartbeats only", env.Type, env.Seq)
		}
	}
	if a.h.approvedCount() != 0 {
		t.Error("Handler.Approved ran while pending")
	}

	c.send(t, &protocol.HelloAck{Accepted: true, HostID: "h1", Status: protocol.HostApproved, ProtocolVersion: 1}, "")
	for i, env := range c.journaled(t, 3) {
		if d := sameFrame(env, stored[i]); d != "" {
			t.Errorf("after approval, frame %d: %s", i, d)
		}
	}
	select {
	case <-a.h.approvals:
	case <-time.After(wait):
		t.Fatal("Handler.Approved did not run after the approval")
	}
	a.waitStatus(t, "approved on the same connection", func(s Status) bool { return s.Approved && s.Sessions == 1 })
}

func waitAcked(t *testing.T, j *journal.Journal, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for j.LastAckedSeq() < seq {
		if time.Now().After(deadline) {
			t.Fatalf("journal acked up to %d after %s; want %d", j.LastAckedSeq(), wait, seq)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
