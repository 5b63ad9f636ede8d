package storage

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"restic-manager/protocol"
)

// hostEventsOf returns every event on a host's log, newest first.
func hostEventsOf(t *testing.T, s *Store, hostID string) []HostEvent {
	t.Helper()
	page, err := s.HostEvents(hostID, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return page.Events
}

// A flood of log lines for jobs that never sent job.started — one the
// manager never heard of, one an operator queued — is refused: acked (the
// mark moves past it), nothing stored, no job made up, and one note per
// job on the host, not one per line.
func TestLogLinesForAJobThatNeverStartedAreRefused(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "flood")
	if err := s.CreateJob(Job{ID: "queued-job", HostID: h, Kind: protocol.KindBackup, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	var evs []Event
	seq := uint64(0)
	for n := uint64(1); n <= 300; n++ {
		for _, job := range []string{"ghost-job", "queued-job"} {
			seq++
			evs = append(evs, ev(t, h, seq, line(job, n)))
		}
	}
	before := len(hostEventsOf(t, s, h))
	for i := 0; i < len(evs); i += 100 { // several batches, as commits would split them
		r := apply(t, s, evs[i:i+100]...)
		for _, res := range r.Results {
			if res.Outcome != Rejected || !strings.Contains(res.Reason, "has not started") {
				t.Fatalf("outcome %s (%s); want rejected, saying the job has not started", res.Outcome, res.Reason)
			}
		}
	}
	if m, _ := s.Mark(h); m != seq {
		t.Errorf("mark = %d, want %d: refused events are acked all the same", m, seq)
	}
	if _, err := s.Job("ghost-job"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Job(ghost-job) err = %v; a log line made up a job", err)
	}
	for _, job := range []string{"ghost-job", "queued-job"} {
		if n, _ := s.JobLogCount(job); n != 0 {
			t.Errorf("%s: %d lines stored, want none", job, n)
		}
	}
	notes := hostEventsOf(t, s, h)[:len(hostEventsOf(t, s, h))-before]
	if len(notes) != 2 {
		t.Fatalf("%d host events for 600 refused lines of 2 jobs; want one per job: %+v", len(notes), notes)
	}
	for _, e := range notes {
		if e.Kind != EventRejected || !strings.Contains(e.Message, "has not started") {
			t.Errorf("host event %+v; want a rejection saying the job has not started", e)
		}
	}

	// Once the job has started, its lines are kept.
	seq++
	apply(t, s, ev(t, h, seq, started("queued-job")))
	seq++
	if r := apply(t, s, ev(t, h, seq, line("queued-job", 1))); outcomes(r) != "stored" {
		t.Errorf("a line after job.started: %s, want stored", outcomes(r))
	}
}

// The manager holds a job to the agent's cap (plus the agent's closing
// lines): past it, lines are counted, not stored, and the job's log ends
// with "[N more lines not kept]", kept up to date as more arrive.
func TestTheManagerEnforcesThePerJobLogCap(t *testing.T) {
	long := strings.Repeat("é", protocol.MaxLogLineBytes/2) // 16 KiB, the longest line an agent sends
	for _, tc := range []struct {
		name    string
		payload string
		keep    int // lines within the cap
	}{
		{"lines", "short line", MaxStoredLogLines},
		{"bytes", long, MaxStoredLogBytes / len(long)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			h := approvedHost(t, s, "chatty")
			apply(t, s, ev(t, h, 1, started("j")))
			seq := uint64(1)
			send := func(from, to int) {
				var evs []Event
				for n := from; n <= to; n++ {
					seq++
					p := line("j", uint64(n))
					p.Payload = tc.payload
					evs = append(evs, ev(t, h, seq, p))
				}
				for i := 0; i < len(evs); i += 4096 {
					apply(t, s, evs[i:min(i+4096, len(evs))]...)
				}
			}
			send(1, tc.keep+300)
			assertCapped(t, s, "j", tc.keep, 300)
			send(tc.keep+301, tc.keep+500)
			assertCapped(t, s, "j", tc.keep, 500)
			if m, _ := s.Mark(h); m != seq {
				t.Errorf("mark = %d, want %d: lines past the cap are acked", m, seq)
			}
			var capNotes int
			for _, e := range hostEventsOf(t, s, h) {
				if strings.Contains(e.Message, "passed the limit") {
					capNotes++
				}
			}
			if capNotes != 1 {
				t.Errorf("%d host events about the cap, want exactly one", capNotes)
			}
		})
	}
}

func assertCapped(t *testing.T, s *Store, job string, kept, dropped int) {
	t.Helper()
	var lines []LogLine
	for from := uint64(1); ; {
		page, err := s.JobLog(job, from, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, page...)
		if len(page) < 10_000 {
			break
		}
		from = page[len(page)-1].Seq + 1
	}
	if len(lines) != kept+1 {
		t.Fatalf("%d lines stored; want the %d within the cap and the marker", len(lines), kept)
	}
	last := lines[len(lines)-1]
	if want := fmt.Sprintf("[%d more lines not kept]", dropped); last.Payload != want || last.Seq != uint64(kept+1) {
		t.Errorf("last line = seq %d %q; want seq %d %q", last.Seq, last.Payload, kept+1, want)
	}
	if n, _ := s.JobLogCount(job); n != kept+1 {
		t.Errorf("JobLogCount = %d, want %d (the tally is not a line)", n, kept+1)
	}
	tally, _ := s.JobLogTally(job)
	if tally.Lines != uint64(kept) || tally.Dropped != uint64(dropped) || tally.Bytes > MaxStoredLogBytes {
		t.Errorf("tally = %+v; want %d lines kept, %d dropped, bytes within %d", tally, kept, dropped, MaxStoredLogBytes)
	}
}

// A well-behaved agent's whole log fits: its cap, then its closing line.
func TestAnAgentAtItsOwnCapLosesNothingOnTheManager(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "at-cap")
	evs := []Event{ev(t, h, 1, started("j"))}
	for n := uint64(1); n <= protocol.MaxLogLinesPerJob; n++ {
		evs = append(evs, ev(t, h, n+1, line("j", n)))
	}
	closing := line("j", protocol.MaxLogLinesPerJob+1)
	closing.Payload = "[1234 more lines not kept]"
	evs = append(evs, ev(t, h, protocol.MaxLogLinesPerJob+2, closing))
	for i := 0; i < len(evs); i += 4096 {
		apply(t, s, evs[i:min(i+4096, len(evs))]...)
	}
	if tally, _ := s.JobLogTally("j"); tally.Dropped != 0 || tally.Lines != protocol.MaxLogLinesPerJob+1 {
		t.Errorf("tally = %+v; want every line kept", tally)
	}
	last, _ := s.JobLog("j", protocol.MaxLogLinesPerJob+1, 5)
	if len(last) != 1 || last[0].Payload != closing.Payload {
		t.Errorf("the agent's closing line = %+v; want it kept as sent", last)
	}
}
