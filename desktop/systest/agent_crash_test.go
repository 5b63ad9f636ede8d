package systest

import (
	"fmt"
	"strings"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
)

// The agent is killed (SIGKILL) in the middle of a backup and started
// again: the job ends failed with "agent restarted during job" (only the
// agent's journal can know), and the next backup on the same repository
// succeeds, because the lock the dead restic left behind is cleared first.
func TestAgentKilledMidBackupFailsTheJobAndTheNextBackupSucceeds(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "crashy-pc", BigFileMiB: 2})
	capUpload(t, f, a, 256) // about 8 s of uploading

	jobID := f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group})
	var held []resticLock
	testfleet.WaitFor(t, testfleet.Wait, "the backup to run with restic holding its lock", func() bool {
		j, err := f.Hub.Job(jobID)
		if err != nil || j.Status != protocol.StatusRunning {
			return false
		}
		held = resticLocksOf(t, a)
		return len(held) == 1
	})
	a.Kill(t)

	// restic outlives the agent only until its next write to the dead
	// agent's pipe; its lock stays behind, stale: its process is gone.
	pid := held[0].PID
	testfleet.WaitFor(t, testfleet.Wait, fmt.Sprintf("the orphaned restic (pid %d) to end", pid), func() bool { return !processAlive(pid) })
	if left := resticLocksOf(t, a); len(left) != 1 || left[0].PID != pid {
		t.Fatalf("locks after restic died: %+v; want its stale lock (pid %d) left behind", left, pid)
	}

	a.Restart(t)
	j := f.WaitJob(t, jobID, "failed")
	if j.Error != protocol.ErrAgentRestarted {
		t.Errorf("job error %q; want %q", j.Error, protocol.ErrAgentRestarted)
	}
	if j.ExitCode == nil || *j.ExitCode != -1 {
		t.Errorf("job exit code %v; want -1 (the agent never saw restic end)", j.ExitCode)
	}

	if err := f.Hub.SetBandwidth(a.HostID, 0, 0); err != nil { // the next one needn't be slow
		t.Fatal(err)
	}
	next := a.Backup(t)
	var cleared bool
	for _, l := range jobLog(t, f.Hub, next.ID) {
		cleared = cleared || strings.Contains(l.Payload, "cleared stale locks")
	}
	if !cleared {
		t.Errorf("the next backup's log does not say it cleared the stale lock:\n%s", logText(jobLog(t, f.Hub, next.ID), 10))
	}
	if left := repoLocks(t, a.Repo); len(left) != 0 {
		t.Errorf("locks left in the repository after the next backup: %v", left)
	}
}
