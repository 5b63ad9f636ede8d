package systest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
)

// A second backup on the same repository, asked for while the first runs,
// waits for it instead of failing on its lock: it starts after the first
// finished, and both succeed.
func TestASecondBackupOnTheSameRepositoryWaits(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "busy-pc", BigFileMiB: 2})
	capUpload(t, f, a, 512) // the first backup uploads for about 4 s

	first := f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group})
	second := f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group})
	sawWaiting := false
	testfleet.WaitFor(t, testfleet.Wait, "both backups to end", func() bool {
		j1, j2 := job(t, f, first), job(t, f, second)
		if j1.Status == protocol.StatusRunning && j2.Status == protocol.StatusQueued && j2.ResultReceived {
			sawWaiting = true // accepted by the agent, waiting behind the first
		}
		return j1.Terminal() && j2.Terminal()
	})
	j1, j2 := f.WaitJob(t, first, "succeeded"), f.WaitJob(t, second, "succeeded")
	if !sawWaiting {
		t.Error("never saw the second backup accepted and queued while the first ran")
	}
	if j2.StartedAt.Before(*j1.FinishedAt) {
		t.Errorf("the second backup started at %s, before the first finished at %s", j2.StartedAt, j1.FinishedAt)
	}
	for _, l := range jobLog(t, f.Hub, second) {
		if strings.Contains(l.Payload, "locked") {
			t.Errorf("the second backup met a lock: %q", l.Payload)
		}
	}
}

// A lock held by another process — a real restic check holding its
// exclusive lock — makes a scheduled backup retry as its group says
// (retry_max, retry_backoff_seconds), each retry logged naming the holder,
// and then fail with an error naming it: PID and host.
func TestAHeldLockIsRetriedByTheGroupPolicyThenNamesTheHolder(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "contended-pc", BigFileMiB: 1})
	a.Backup(t) // data for the holder to read, slowly
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: testfleet.Group, Includes: []string{a.Files},
		RetryMax: 2, RetryBackoffSeconds: 1}); err != nil {
		t.Fatal(err)
	}
	pid := holdExclusiveLock(t, a)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}

	s := putSchedule(t, f, a, "@every 2s", true)
	fr := waitFires(t, f, a.HostID, s.ID, 1, func(fr hub.Fire) bool { return jobsEnded(f, fr.JobIDs) })
	oldest := fr[len(fr)-1]
	s.Enabled = false
	putScheduleAs(t, f, a, s)

	j := job(t, f, oldest.JobIDs[0])
	holder := fmt.Sprintf("PID %d on %s", pid, host)
	if j.Status != protocol.StatusFailed || !strings.Contains(j.Error, holder) {
		t.Fatalf("scheduled backup ended %s with %q; want failed naming the holder, %s", j.Status, j.Error, holder)
	}
	var retries []string
	for _, l := range jobLog(t, f.Hub, j.ID) {
		if strings.Contains(l.Payload, "retry") && strings.Contains(l.Payload, holder) {
			retries = append(retries, l.Payload)
		}
	}
	if len(retries) != 2 || !strings.Contains(retries[0], "retry 1 of 2 in 1s") || !strings.Contains(retries[1], "retry 2 of 2 in 1s") {
		t.Errorf("retry lines: %q; want two, 1 of 2 and 2 of 2, each after 1s, naming %s", retries, holder)
	}
	if elapsed := j.FinishedAt.Sub(*j.StartedAt); elapsed < 2*time.Second {
		t.Errorf("the job ended %s after it started; two backoffs of 1s make at least 2s", elapsed)
	}
}

// holdExclusiveLock starts `restic check --read-data` on the agent's
// repository with a 1 KiB/s download cap, so it holds restic's exclusive
// lock for as long as the test runs (a live process on this machine: the
// lock is not stale), and returns its pid once the lock is in place.
func holdExclusiveLock(t *testing.T, a *testfleet.Agent) int {
	t.Helper()
	cmd := exec.Command(testfleet.ResticBinary(t), "--no-cache", "--limit-download", "1", "check", "--read-data")
	cmd.Env = append(os.Environ(), "RESTIC_REPOSITORY="+a.Repo, "RESTIC_PASSWORD="+a.Password)
	testfleet.DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// SIGINT lets restic remove its lock; blocked in the download cap
		// it may not get to it soon, and the repository is a temp dir.
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	pid := cmd.Process.Pid
	testfleet.WaitFor(t, testfleet.Wait, "restic check to hold its exclusive lock", func() bool {
		for _, l := range resticLocksOf(t, a) {
			if l.PID == pid && l.Exclusive {
				return true
			}
		}
		return false
	})
	return pid
}
