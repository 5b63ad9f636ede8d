package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/internal/testdisk"
	"restic-manager/protocol"
)

// These tests make the journal refuse writes through spyStore's fault
// seam (see spyStore): each names exactly which write fails. The real full
// disk, a tmpfs under a real agent, is in desktop/systest.

func ofType[T protocol.Payload](events []protocol.Payload) bool {
	for _, e := range events {
		if _, ok := e.(T); ok {
			return true
		}
	}
	return false
}

// waitNotice waits for a notice for the host's log that mentions s.
func (h *harness) waitNotice(s string) string {
	h.t.Helper()
	var got string
	h.waitSink(60*time.Second, "a notice about "+s, func(rs *recordingSink) bool {
		for _, n := range rs.notices {
			if strings.Contains(n, s) {
				got = n
				return true
			}
		}
		return false
	})
	return got
}

// A journal that stays unwritable when the job ends: the write is tried
// again, then the job ends failed in memory, its schedule is free for the
// next tick at once, and its job.finished — with the cause and the log
// lines lost — is recorded as soon as the journal takes writes again.
func TestAJobWhoseEndCannotBeJournaledEndsFailedAndFreesItsSchedule(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{quickRetries: true})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "a"})
	job := backupJob("docs", src)
	job.ScheduleID = "nightly"
	job.Run.PreHook = "seq 1 300"
	// From job.started on, nothing the job writes is taken.
	h.store.setRefuse(func(events []protocol.Payload) error {
		if ofType[*protocol.LogStream](events) || ofType[*protocol.JobFinished](events) {
			return errDiskFull
		}
		return nil
	})
	id := h.submit(job)
	notice := h.waitNotice(id)
	if !strings.Contains(notice, "no space left on device") {
		t.Errorf("notice %q; want the cause", notice)
	}
	if h.runner.Active("nightly") {
		t.Fatal("the schedule is still busy after its job ended in memory; the next tick would be skipped")
	}
	if st, ok, _ := h.journal.Status(id); !ok || st != protocol.StatusRunning {
		t.Fatalf("journal status %q; want it still running (the end is held in memory)", st)
	}
	if c := h.store.refusedCount(); c < 3 {
		t.Errorf("%d refused writes; want job.finished tried again (retries) after the log lines", c)
	}

	// The journal takes writes again: the held end is recorded.
	h.store.setRefuse(nil)
	h.runner.kick()
	fin := h.waitFinished(id, 60*time.Second)
	if fin.Status != protocol.StatusFailed {
		t.Fatalf("job ended %s; want failed", fin.Status)
	}
	for _, want := range []string{"could not record the end of this job (no space left on device)", "the job itself succeeded", "log lines lost: no space left on device"} {
		if !strings.Contains(fin.Error, want) {
			t.Errorf("job.finished error %q; want it to say %q", fin.Error, want)
		}
	}
	var lost int
	if _, err := fmt.Sscanf(fin.Error[strings.LastIndex(fin.Error, "; ")+2:], "%d log lines lost", &lost); err != nil || lost < 300 {
		t.Errorf("lost lines in %q: %d (%v); want at least the hook's 300", fin.Error, lost, err)
	}
	if st, ok, _ := h.journal.Status(id); !ok || st != protocol.StatusFailed {
		t.Errorf("journal status after recording: %q; want failed", st)
	}
}

// Log lines refused mid-job, the end accepted: the job keeps its own
// outcome, and a closing line, journaled with job.finished, says how many
// lines were lost and why — the log never looks complete when it is not.
func TestLostLogLinesAreCountedInAClosingLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{quickRetries: true})
	job := Job{Run: protocol.CommandRun{Kind: protocol.KindUnlock, PreHook: "seq 1 2000"}}
	h.store.setRefuse(func(events []protocol.Payload) error {
		if ofType[*protocol.LogStream](events) && !ofType[*protocol.JobFinished](events) {
			return errDiskFull
		}
		return nil
	})
	fin := h.run(job)
	mustSucceed(t, fin, h)
	lines := h.logLines(fin.JobID)
	if len(lines) != 1 {
		t.Fatalf("journaled lines: %q; want only the closing one", h.logText(fin.JobID))
	}
	last := lines[0]
	n := int(last.Seq) - 1 // every line before it was numbered and refused
	if want := lostLinesText(n, "no space left on device"); last.Payload != want || n < 2000 {
		t.Errorf("closing line %d %q; want %q after at least the hook's 2000", last.Seq, last.Payload, want)
	}
}

// A job whose start cannot be journaled does not run, is not taken again,
// and does not keep the queue: the next job runs, and the failed one's
// end is recorded once the journal takes writes.
func TestAJobWhoseStartCannotBeJournaledNeitherRunsNorBlocksTheQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{quickRetries: true})
	first := protocol.NewID()
	h.store.setRefuse(func(events []protocol.Payload) error {
		for _, e := range events {
			if s, ok := e.(*protocol.JobStarted); ok && s.JobID == first {
				return errDiskFull
			}
			if f, ok := e.(*protocol.JobFinished); ok && f.JobID == first {
				return errDiskFull
			}
		}
		return nil
	})
	h.submit(Job{Run: protocol.CommandRun{JobID: first, Kind: protocol.KindUnlock}})
	h.waitNotice(first)
	mustSucceed(t, h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindUnlock}}), h)

	h.store.setRefuse(nil)
	h.runner.kick()
	fin := h.waitFinished(first, 60*time.Second)
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, "could not record the start of this job (no space left on device); it did not run") {
		t.Fatalf("first job ended %s: %q; want failed, saying its start could not be recorded", fin.Status, fin.Error)
	}
	if n := countStarted(h.jobEvents(first)); n != 0 {
		t.Errorf("%d job.started for the job that never ran", n)
	}
}

// The same on a real full disk: the journal on a small tmpfs, filled while
// a scheduled job runs, and filled so far that even the smallest write
// fails (the journal reuses the pages its last writes freed, so a full
// disk alone still lets small writes through). The job's end is tried
// again and given up on; the job ends failed in memory, its schedule is
// free, and once there is room again its job.finished — cause and lost
// lines included — is recorded.
func TestAJournalOnAFullDiskEndsTheJobFailedAndFreesItsSchedule(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{quickRetries: true, stateTmpfsMiB: 4})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "a"})
	gate := filepath.Join(t.TempDir(), "go")
	job := backupJob("docs", src)
	job.ScheduleID = "nightly"
	job.Run.PreHook = fmt.Sprintf(`n=0; while [ ! -e %q ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done; seq 1 500`, gate)
	id := h.submit(job)
	h.waitEvent(60*time.Second, "job.started", func(p protocol.Payload) bool {
		s, ok := p.(*protocol.JobStarted)
		return ok && s.JobID == id
	})

	filler := testdisk.Fill(t, h.stateDir)
	for n := uint64(1); ; n++ {
		if _, err := h.journal.Append(logLine("filler", n)); err != nil {
			break
		}
		if n == 100_000 {
			t.Fatal("the journal still takes writes on a full disk")
		}
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	notice := h.waitNotice(id)
	if !strings.Contains(notice, "no space left on device") {
		t.Errorf("notice %q; want the cause", notice)
	}
	if h.runner.Active("nightly") {
		t.Fatal("the schedule is still busy after its job ended; its next tick would be skipped")
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	h.runner.kick()
	fin := h.waitFinished(id, 60*time.Second)
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, "could not record the end of this job (no space left on device)") ||
		!strings.Contains(fin.Error, "log lines lost: no space left on device") {
		t.Fatalf("job ended %s: %q; want failed, with the cause and the lines lost", fin.Status, fin.Error)
	}
}

func logLine(job string, n uint64) *protocol.LogStream {
	return &protocol.LogStream{JobID: job, Seq: n, TS: time.Now().UTC(), Stream: protocol.StreamStdout, Payload: fmt.Sprintf("line %d", n)}
}
