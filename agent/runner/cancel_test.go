package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// slowBackup is a backup that takes long enough to be caught mid-flight:
// 24 MiB of incompressible data under a 4000 kbps (≈ 490 KiB/s) upload cap.
func slowBackup(t *testing.T) Job {
	src := t.TempDir()
	generateTree(t, src, 24, 24<<20, 7)
	cap := 4000
	job := backupJob("big", src)
	job.Run.BandwidthUpKbps = &cap
	return job
}

func assertRepoUsable(t *testing.T, h *harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if n, err := h.restic.LockCount(ctx, h.repo()); err != nil || n != 0 {
		t.Errorf("repository holds %d locks after the job (%v)", n, err)
	}
	mustSucceed(t, h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindCheck}}), h)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"after.txt": "the next backup works"})
	mustSucceed(t, h.run(backupJob("after", src)), h)
}

func TestCancelMidBackupEndsCancelledAndLeavesTheRepositoryUsable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	id := h.submit(slowBackup(t))
	h.waitProgress(id, 60*time.Second)
	if err := h.runner.Cancel(id); err != nil {
		t.Fatal(err)
	}
	fin := h.waitFinished(id, 60*time.Second)
	// restic exits by itself on SIGINT (not killed: -1). Up to 0.16 its
	// signal handler exits 130; from 0.17 the signal cancels the backup,
	// which then ends in the fatal "unable to save snapshot: context
	// canceled", exit 1 (the wrapping hides the cancellation from restic's
	// exit-code switch), unless the interrupt came outside that step.
	exitOK := fin.ExitCode == restic.ExitInterrupted ||
		fin.ExitCode == restic.ExitFailed && h.restic.Version().AtLeast(0, 17, 0)
	if fin.Status != protocol.StatusCancelled || !exitOK {
		t.Fatalf("job ended %s with exit %d (%s); want cancelled, restic's 130", fin.Status, fin.ExitCode, fin.Error)
	}
	if len(h.snapshots()) != 0 {
		t.Error("a cancelled backup left a snapshot")
	}
	assertRepoUsable(t, h)
}

func TestCancelPastTheGracePeriodKillsAndUnlocks(t *testing.T) {
	t.Parallel()
	// A grace period too short for restic to exit on SIGINT: it is killed,
	// and its lock is left behind for the runner to remove.
	h := newHarness(t, harnessOptions{grace: time.Nanosecond})
	id := h.submit(slowBackup(t))
	h.waitProgress(id, 60*time.Second)
	if err := h.runner.Cancel(id); err != nil {
		t.Fatal(err)
	}
	fin := h.waitFinished(id, 60*time.Second)
	if fin.Status != protocol.StatusCancelled || fin.ExitCode != -1 {
		t.Fatalf("job ended %s with exit %d; want cancelled, -1 (killed)", fin.Status, fin.ExitCode)
	}
	if need, _ := h.journal.UnlockNeeded(); need {
		t.Error("the unlock mark is still set after the runner unlocked")
	}
	assertRepoUsable(t, h)
}

func TestCancelQueuedAndUnknownJobs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	running := h.submit(slowBackup(t))
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	queued := h.submit(backupJob("later", src))
	h.waitProgress(running, 60*time.Second)

	if err := h.runner.Cancel(queued); err != nil {
		t.Fatal(err)
	}
	fin := h.waitFinished(queued, 10*time.Second)
	if fin.Status != protocol.StatusCancelled || fin.ExitCode != -1 {
		t.Errorf("queued job ended %s, exit %d", fin.Status, fin.ExitCode)
	}
	if n := countStarted(h.jobEvents(queued)); n != 0 {
		t.Errorf("a cancelled queued job sent %d job.started", n)
	}
	if err := h.runner.Cancel("no-such-job"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("cancel of an unknown job: %v", err)
	}
	if err := h.runner.Cancel(queued); err != nil {
		t.Errorf("cancelling a finished job again: %v", err)
	}
	if err := h.runner.Cancel(running); err != nil {
		t.Fatal(err)
	}
	if fin := h.waitFinished(running, 60*time.Second); fin.Status != protocol.StatusCancelled {
		t.Errorf("running job ended %s", fin.Status)
	}
	events := h.jobEvents(queued)
	if len(events) != 1 {
		t.Errorf("queued job has %d events, want only job.finished", len(events))
	}
}

func TestAgentRestartDuringAJobFailsItAndClearsStaleLocks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	id := h.submit(slowBackup(t))
	h.waitProgress(id, 60*time.Second)
	unlocksBefore := h.resticCalls("unlock")

	h.restart()
	fin := h.waitFinished(id, 10*time.Second)
	if fin.Status != protocol.StatusFailed || fin.Error != protocol.ErrAgentRestarted || fin.ExitCode != -1 {
		t.Fatalf("after restart: %s, exit %d, %q; want failed, -1, %q", fin.Status, fin.ExitCode, fin.Error, protocol.ErrAgentRestarted)
	}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"b": "b"})
	next := h.run(backupJob("next", src))
	mustSucceed(t, next, h)
	if h.resticCalls("unlock") != unlocksBefore+1 {
		t.Errorf("no stale-lock unlock before the first job after the restart")
	}

	// seq is consecutive over both lives.
	frames, err := h.journal.Pending(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if f.Seq != uint64(i+1) {
			t.Fatalf("frame %d has seq %d: not consecutive from 1", i, f.Seq)
		}
	}
}

func TestQueuedJobsRunAfterARestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"q": "queued before the restart"})
	id := h.submit(backupJob("queued", src))
	h.journal.Close()
	h.openJournal()
	h.newRunner(0)
	h.start()
	mustSucceed(t, h.waitFinished(id, 60*time.Second), h)
}

func TestCancelDuringThePreHookStopsItsChildrenAndRunsThePostHook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	marker := filepath.Join(t.TempDir(), "post")
	job := Job{Run: protocol.CommandRun{Kind: protocol.KindCheck,
		PreHook:  "echo started; sleep 120; echo never",
		PostHook: fmt.Sprintf(`echo "$RM_JOB_STATUS" > %q`, marker)}}
	id := h.submit(job)
	h.waitEvent(30*time.Second, "the pre-hook's first line", func(p protocol.Payload) bool {
		l, ok := p.(*protocol.LogStream)
		return ok && l.JobID == id && l.Payload == "[pre-hook] started"
	})
	if err := h.runner.Cancel(id); err != nil {
		t.Fatal(err)
	}
	// Far less than the hook's sleep: the whole process group was stopped.
	fin := h.waitFinished(id, 20*time.Second)
	if fin.Status != protocol.StatusCancelled || fin.ExitCode != -1 {
		t.Errorf("job ended %s, exit %d", fin.Status, fin.ExitCode)
	}
	if got, err := os.ReadFile(marker); err != nil || string(got) != "cancelled\n" {
		t.Errorf("post-hook after cancel: %q, %v", got, err)
	}
	if strings.Contains(h.logText(id), "never") || h.resticCalls("check") != 0 {
		t.Error("the job went on after the cancel")
	}
}
