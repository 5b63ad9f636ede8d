package link

import (
	"testing"
	"time"

	"restic-manager/protocol"
)

// Progress recorded while a job ran, then its job.finished journaled: the
// manager gets the progress before the job.finished, never after, even
// when both wait for the same send (here: the agent is offline until
// both exist, so one replay carries them). Without the seq stamp the
// sender sent journaled frames first and the stale progress after them.
func TestProgressIsNeverSentAfterItsJobFinished(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	a := startLink(t, m, j, &memTokens{}, nil)

	const job = "job-progress-order"
	now := time.Now().UTC()
	if _, err := j.Append(&protocol.JobStarted{JobID: job, Kind: protocol.KindBackup, StartedAt: now}); err != nil {
		t.Fatal(err)
	}
	a.Progress(protocol.JobProgress{JobID: job, PercentDone: 0.5, FilesDone: 3, TotalFiles: 6})
	// A second job's progress, recorded after the first job finished:
	// it follows that job.finished.
	if _, err := j.Append(&protocol.JobFinished{JobID: job, Status: protocol.StatusSucceeded, FinishedAt: now}); err != nil {
		t.Fatal(err)
	}
	a.Progress(protocol.JobProgress{JobID: "job-next", PercentDone: 0.1})

	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")
	var order []string
	for len(order) < 4 {
		env := c.next(t)
		switch env.Type {
		case protocol.TypeJobStarted, protocol.TypeJobFinished:
			order = append(order, env.Type)
		case protocol.TypeJobProgress:
			p, err := protocol.Decode[protocol.JobProgress](env)
			if err != nil {
				t.Fatal(err)
			}
			order = append(order, "progress:"+p.JobID)
		}
	}
	want := []string{protocol.TypeJobStarted, "progress:" + job, protocol.TypeJobFinished, "progress:job-next"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("frames in the order %v; want %v", order, want)
		}
	}
}

// Notices queued with Report reach the manager as error frames (code
// internal, no reply_to) once the host is approved, each once, and the
// sent callback runs after the frame is out.
func TestReportsAreSentOnceAfterApproval(t *testing.T) {
	m := newScriptedManager(t)
	a := startLink(t, m, openJournal(t), &memTokens{}, nil)
	sent := make(chan string, 2)
	a.Report("journal.db was damaged and moved aside", func() { sent <- "first" })
	a.Report("a second notice", nil)

	c := m.accept(t)
	c.admit(t, protocol.HostPending, 0, "")
	c.send(t, &protocol.HelloAck{Accepted: true, HostID: "h1", Status: protocol.HostApproved, ProtocolVersion: protocol.ProtocolVersion}, "")
	var got []string
	for len(got) < 2 {
		env := c.nextExcept(t, protocol.TypeHeartbeat)
		if env.Type != protocol.TypeError {
			continue
		}
		e, err := protocol.Decode[protocol.Error](env)
		if err != nil || e.Code != protocol.CodeInternal || env.ReplyTo != "" {
			t.Fatalf("notice frame %+v (%v); want error{internal} without reply_to", env, err)
		}
		got = append(got, e.Message)
	}
	if got[0] != "journal.db was damaged and moved aside" || got[1] != "a second notice" {
		t.Fatalf("notices %q; want both, in order", got)
	}
	select {
	case <-sent:
	case <-time.After(wait):
		t.Fatal("the sent callback did not run")
	}

	c.drop()
	c = m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")
	a.Progress(protocol.JobProgress{JobID: "marker"}) // something to wait for after any notice
	for {
		env := c.nextExcept(t, protocol.TypeHeartbeat)
		if env.Type == protocol.TypeError {
			t.Fatalf("a notice was sent again after reconnecting: %s", env.Payload)
		}
		if env.Type == protocol.TypeJobProgress {
			return
		}
	}
}
