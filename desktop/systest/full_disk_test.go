package systest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/internal/testdisk"
	"restic-manager/protocol"
)

// The agent's state directory is a real 8 MiB tmpfs, filled up while a
// scheduled backup runs and prints 19,000 log lines, with the manager away
// (no acks, so nothing in the journal frees up). The job ends — never
// "running" for ever — and says how many log lines were lost and why.
// bbolt reuses the pages its last writes freed, so on a full disk the big
// batches of log lines fail while a small write such as the job's end may
// still fit: then a closing "[N lines lost: …]" line says it. When the end
// does not fit either (about half the runs here), the job ends failed in
// memory with the cause and the count, and its end reaches the manager
// once there is room (agent/runner's
// TestAJournalOnAFullDiskEndsTheJobFailedAndFreesItsSchedule drives that
// case every time). This test accepts either and checks that each line is
// stored or counted. The schedule's next tick fires instead of being
// skipped as "previous fire still running", and once there is room again
// everything reaches the manager.
func TestAFullDiskEndsTheJobAndCountsTheLostLines(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "full-disk-pc", StateTmpfsMiB: 8})
	gate := filepath.Join(f.Dir, "full-disk-go")
	const before, during = 50, 19000
	hook := fmt.Sprintf(`%s
n=0; while [ ! -e %q ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done
%s`, printLines("before", before), gate, printLines("during", during))
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: testfleet.Group, Includes: []string{a.Files}, PreHook: hook}); err != nil {
		t.Fatal(err)
	}
	s := putSchedule(t, f, a, "@every 3s", true)

	// The first fire's backup runs, waiting in its pre-hook.
	var jobID string
	testfleet.WaitFor(t, testfleet.Wait, "the scheduled backup to run", func() bool {
		fires, err := f.Hub.Fires(a.HostID, 20)
		if err != nil {
			return false
		}
		for _, fr := range fires {
			if fr.ScheduleID == s.ID && len(fr.JobIDs) == 1 {
				j, err := f.Hub.Job(fr.JobIDs[0])
				if err == nil && j.Status == protocol.StatusRunning {
					jobID = j.ID
					return true
				}
			}
		}
		return false
	})
	testfleet.WaitFor(t, testfleet.Wait, "the lines printed before the disk fills to be stored", func() bool {
		return len(storedLines(t, f.Hub, jobID)) == before
	})
	f.Close(t)
	filler := testdisk.Fill(t, a.State)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	var heldEnd bool
	var ended []string // the agent's log line that ends the job
	testfleet.WaitFor(t, testfleet.Wait, "the job to end on the full disk", func() bool {
		ended = agentLogLines(a, "cannot record the job's end", jobID)
		if heldEnd = len(ended) > 0; heldEnd {
			return true
		}
		ended = agentLogLines(a, "runner: job finished", jobID)
		return len(ended) > 0
	})
	// When the job stopped counting as running: after the retries of its
	// end, if they failed (ticks during them are rightly skipped).
	endedAt := logTime(t, ended[0])
	if heldEnd {
		// Ended in memory: the schedule is free, and the next tick tries
		// to start a job (which the full journal cannot record yet).
		testfleet.WaitFor(t, testfleet.Wait, "the next tick to fire", func() bool {
			return len(agentLogLines(a, "schedule fire dropped: cannot record it", "schedule_id="+s.ID, "jobs=1")) > 0
		})
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	f.Reopen(t)
	// Later fires need not flood the small disk again.
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: testfleet.Group, Includes: []string{a.Files}}); err != nil {
		t.Fatal(err)
	}

	j := f.WaitJob(t, jobID, "")
	lines := storedLines(t, f.Hub, jobID)
	stored := 0
	for _, l := range lines {
		if strings.HasPrefix(l.Payload, "[pre-hook] ") {
			stored++
		}
	}
	var lost int
	switch {
	case heldEnd:
		if j.Status != protocol.StatusFailed || !strings.Contains(j.Error, "could not record the end of this job (no space left on device)") {
			t.Fatalf("job ended %s: %q; want failed, naming the cause", j.Status, j.Error)
		}
		i := strings.LastIndex(j.Error, "; ")
		if _, err := fmt.Sscanf(j.Error[i+2:], "%d log lines lost: no space left on device", &lost); err != nil {
			t.Fatalf("job error %q does not say how many log lines were lost: %v", j.Error, err)
		}
		testfleet.WaitFor(t, testfleet.Wait, "the host's log to say the job's end could not be recorded", func() bool {
			return hostEventWith(t, f, a.HostID, "ended failed, but the agent's journal could not record it")
		})
	default:
		if j.Status != protocol.StatusSucceeded {
			t.Errorf("job ended %s: %q; want succeeded (restic was fine; only log lines were lost)", j.Status, j.Error)
		}
		last := lines[len(lines)-1]
		if _, err := fmt.Sscanf(last.Payload, "[%d lines lost: no space left on device]", &lost); err != nil {
			t.Fatalf("job ended %s; its last log line %q does not say how many lines were lost: %v", j.Status, last.Payload, err)
		}
		if int(last.Seq)-1 != len(lines)-1+lost {
			t.Errorf("the closing line is line %d after %d stored and %d lost; want every line accounted for", last.Seq, len(lines)-1, lost)
		}
	}
	// Every hook line is either stored or counted; the rest of the count
	// is restic's and the agent's own few lines.
	if lost == 0 || stored+lost < before+during || stored+lost > before+during+20 {
		t.Errorf("%d hook lines stored and %d lines lost; want the %d the hook printed, each either stored or counted", stored, lost, before+during)
	}
	t.Logf("job %s ended %s with %d hook lines stored and %d lines lost (end held in memory: %v)", jobID, j.Status, stored, lost, heldEnd)

	// Later ticks fire: a fire after this job's end starts a job, and no
	// tick between the end and that fire was skipped for it.
	end := endedAt
	next := waitFires(t, f, a.HostID, s.ID, 1, func(fr hub.Fire) bool { return fr.ScheduledAt.After(end) && fr.JobIDs[0] != jobID })
	first := next[len(next)-1].ScheduledAt // newest first
	all, err := f.Hub.Fires(a.HostID, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range all {
		if fr.ScheduleID == s.ID && fr.Skipped == protocol.SkipPreviousRunning && fr.ScheduledAt.After(end) && fr.ScheduledAt.Before(first) {
			t.Errorf("a tick at %s, after the job ended at %s, was skipped as %q", fr.ScheduledAt, end, fr.Skipped)
		}
	}
	s.Enabled = false
	putScheduleAs(t, f, a, s)
}

// logTime is the time= of one of the agent's log lines.
func logTime(t *testing.T, line string) time.Time {
	t.Helper()
	field, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
	at, err := time.Parse(time.RFC3339Nano, field)
	if err != nil {
		t.Fatalf("no time in the agent's log line %q: %v", line, err)
	}
	return at
}

// storedLines reads a job's whole stored log, which may have gaps (lines
// the agent could not journal).
func storedLines(t *testing.T, h *hub.Hub, jobID string) []hub.LogLine {
	t.Helper()
	var all []hub.LogLine
	from := uint64(1)
	for {
		page, err := h.JobLog(jobID, from, 1000)
		if err != nil {
			t.Fatalf("JobLog(%s): %v", jobID, err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		from = page[len(page)-1].Seq + 1
	}
}
