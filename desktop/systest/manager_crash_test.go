package systest

import (
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// The manager, a real restic-manager process, is killed (SIGKILL) in the
// middle of a backup and started again on the same data dir: once the
// agent is back, the job has every log line exactly once and ends
// succeeded. The agent replays what the dead manager never acked; what it
// did ack is not applied twice.
//
// The store is one file that one process holds, so the host is set up by
// an in-process hub first (the process has no API but its window), the
// job queued while the agent is away, and the process started on that
// directory and address: it delivers the job on connect. After the kill,
// the manager comes back as an in-process hub on the same directory, where
// the test can ask it questions.
func TestManagerKilledMidBackupLosesNothing(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "laptop-crash", BigFileMiB: 2})
	capUpload(t, f, a, 256) // 2 MiB at 256 KiB/s: restic uploads for about 8 s
	want := hookGroup(t, f, a, 200, 200, nil)

	a.Stop(t)
	waitOffline(t, f, a.HostID)
	jobID := f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group})
	m0, err := f.Store.Mark(a.HostID)
	if err != nil {
		t.Fatal(err)
	}
	f.Close(t)

	mgr := f.StartManagerProcess(t)
	a.Restart(t)
	// Mid-way: the process has durably stored job.started (m0+1) and at
	// least one log line (m0+2) — it acked them — and restic is uploading
	// (its lock is in the repository), so more is still to come.
	mgr.WaitLog(t, "the manager process to ack job.started and a log line", func(r testfleet.LogRecord) bool {
		return r.Msg() == "agent events committed; ack queued" && r.Str("host") == a.HostID && r.Uint("acked_seq") >= m0+2
	})
	testfleet.WaitFor(t, testfleet.Wait, "restic backup to hold its lock", func() bool { return len(repoLocks(t, a.Repo)) > 0 })
	if n := agentLogLines(a, "runner: job finished", jobID); len(n) > 0 {
		t.Fatalf("the backup finished before the manager could be killed mid-way: %s", n[0])
	}
	mgr.Kill(t)

	// What the killed process left behind: the job running, part of its log.
	var storedBefore uint64
	withStore(t, f.StoreDir(), func(st *storage.Store) {
		j, err := st.Job(jobID)
		if err != nil {
			t.Fatal(err)
		}
		storedBefore, _ = st.JobLogLast(jobID)
		if j.Status != protocol.StatusRunning || storedBefore == 0 || storedBefore >= uint64(len(want)) {
			t.Fatalf("after the kill the store holds the job %s with %d of %d log lines; want running with part of the log", j.Status, storedBefore, len(want))
		}
	})
	t.Logf("the killed manager had stored %d of %d log lines", storedBefore, len(want))

	f.Reopen(t)
	f.WaitJob(t, jobID, "succeeded")
	checkCompleteLog(t, f.Hub, jobID, want)
	if jobs, err := f.Hub.Jobs(a.HostID, "", 100); err != nil || countKind(jobs.Jobs, "backup") != 1 {
		t.Errorf("jobs of the host: %d backups (%v); want the one", countKind(jobs.Jobs, "backup"), err)
	}
}

func countKind(jobs []hub.Job, kind string) int {
	n := 0
	for _, j := range jobs {
		if j.Kind == kind {
			n++
		}
	}
	return n
}
