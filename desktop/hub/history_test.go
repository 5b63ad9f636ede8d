package hub

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"restic-manager/protocol"
)

// historyStatus waits until no sweep runs and one has ended since the
// hub started.
func historyStatus(t *testing.T, th *testHub) HistoryStatus {
	t.Helper()
	var st HistoryStatus
	waitFor(t, testWait, "a history sweep to end", func() bool {
		var err error
		st, err = th.HistoryStatus()
		return err == nil && !st.Sweeping && st.LastSweep != nil
	})
	return st
}

func TestTheSweepRemovesOldJobsWhileTheAgentKeepsBeingAcked(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.SweepInterval = -1 }, nil)
	a, hostID, _ := enrollAgent(t, th, "old", th.enrollToken(t, 1))
	// 30 check jobs of two years ago, three log lines each, reported by
	// the agent as it would (a restored journal, say).
	old := time.Now().UTC().AddDate(-2, 0, 0)
	var last uint64
	for i := range 30 {
		job := fmt.Sprintf("old-%02d", i)
		at := old.Add(time.Duration(i) * time.Hour)
		a.emit(&protocol.JobStarted{JobID: job, Kind: protocol.KindCheck, StartedAt: at})
		for n := uint64(1); n <= 3; n++ {
			a.emit(&protocol.LogStream{JobID: job, Seq: n, TS: at, Stream: protocol.StreamStdout, Payload: "checking"})
		}
		last = a.emit(&protocol.JobFinished{JobID: job, Status: protocol.StatusSucceeded, FinishedAt: at.Add(time.Minute)})
	}
	a.waitAck(last)

	changes, cancel := th.Subscribe()
	defer cancel()
	th.SweepHistory()
	// The agent goes on while the sweep runs; its events are acked.
	for n := uint64(1); n <= 50; n++ {
		last = a.emit(logLine("old-29", 3+n))
	}
	a.waitAck(last)
	st := historyStatus(t, th)
	if st.SweepError != "" || st.LastSweep.JobsRemoved != 30-KeepJobsPerHost || st.LastSweep.LogLinesRemoved != 3*(30-KeepJobsPerHost) {
		t.Errorf("sweep = %+v (error %q); want %d jobs and their %d lines removed", *st.LastSweep, st.SweepError, 30-KeepJobsPerHost, 3*(30-KeepJobsPerHost))
	}
	page, err := th.Jobs(hostID, "", 100)
	if err != nil || len(page.Jobs) != KeepJobsPerHost || page.Jobs[len(page.Jobs)-1].ID != "old-10" {
		t.Errorf("jobs after the sweep: %d, %v; want the newest %d, down to old-10", len(page.Jobs), err, KeepJobsPerHost)
	}
	if lines, _ := th.JobLog("old-29", 1, 100); len(lines) != 53 {
		t.Errorf("the newest job's log has %d lines, want all 53", len(lines))
	}
	sawHistory := false
	for !sawHistory {
		select {
		case c := <-changes:
			sawHistory = c.Kind == ChangeHistory
		case <-time.After(testWait):
			t.Fatal("no ChangeHistory after a sweep")
		}
	}
}

func TestHistorySettingsThroughTheHub(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.SweepInterval = -1 }, nil)
	def, err := th.HistorySettings()
	if err != nil || def.JobDays != 365 || def.SucceededLogDays != 30 || def.FailedLogDays != 180 {
		t.Fatalf("default history settings = %+v, %v; want 365 / 30 / 180 days", def, err)
	}
	for _, bad := range []HistorySettings{
		{JobDays: 0, SucceededLogDays: 30, FailedLogDays: 180},
		{JobDays: 365, SucceededLogDays: 30, FailedLogDays: MaxHistoryDays + 1},
		{JobDays: 10, SucceededLogDays: 30, FailedLogDays: 10},
	} {
		if err := th.SetHistorySettings(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetHistorySettings(%+v) = %v, want ErrInvalid", bad, err)
		}
		var fe *FieldError
		if err := ValidateHistorySettings(bad); !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || fe.Field == "" || fe.Reason == "" {
			t.Errorf("ValidateHistorySettings(%+v) = %v, want a *FieldError naming the setting", bad, err)
		}
		if got, _ := th.HistorySettings(); got != def {
			t.Errorf("a refused setting was stored: %+v", got)
		}
	}
	if st, _ := th.HistoryStatus(); st.LastSweep != nil || st.Sweeping {
		t.Errorf("a refused setting started a sweep: %+v", st)
	}
	want := HistorySettings{JobDays: 90, SucceededLogDays: 14, FailedLogDays: 60}
	if err := th.SetHistorySettings(want); err != nil {
		t.Fatal(err)
	}
	st := historyStatus(t, th)
	if st.Settings != want || st.SweepError != "" || st.Space.FileBytes == 0 || st.CompactsAtNextStart || st.Compaction != nil {
		t.Errorf("status after a change = %+v; want the new settings, a sweep, the file's size, no compaction", st)
	}
}
