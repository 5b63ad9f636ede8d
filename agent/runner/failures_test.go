package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/agent/secrets"
	"restic-manager/protocol"
)

func TestMissingBackupPathFailsTheJobButKeepsTheSnapshotStats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	gone := filepath.Join(t.TempDir(), "was-here")
	fin := h.run(backupJob("docs", src, gone))
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, gone) || len(fin.Stats) == 0 {
		t.Errorf("got %s %q stats %s; want failed naming %s, with restic's summary", fin.Status, fin.Error, fin.Stats, gone)
	}
	if len(h.snapshots()) != 1 {
		t.Error("restic 0.14 still makes a snapshot of the paths that exist")
	}
}

// holdLock keeps a real restic (backup --stdin, stdin left open) holding a
// lock on the repository until the test ends.
func holdLock(t *testing.T, h *harness) int {
	t.Helper()
	cmd := exec.Command(h.restic.Path(), "backup", "--stdin", "--stdin-filename", "held", "--cache-dir", h.cacheDir)
	cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+h.repoURL, "RESTIC_PASSWORD="+testPassword)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	if _, err := io.WriteString(stdin, "bytes"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		n, err := h.restic.LockCount(ctx, h.repo())
		cancel()
		if err == nil && n > 0 {
			return cmd.Process.Pid
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the holder never took its lock (%v)", err)
		}
	}
}

func TestHeldLockIsRetriedThenNamesTheHolder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	pid := holdLock(t, h)
	job := Job{Run: protocol.CommandRun{Kind: protocol.KindPrune}, RetryMax: 2, RetryBackoff: 100 * time.Millisecond}
	fin := h.run(job)
	host, _ := os.Hostname()
	if fin.Status != protocol.StatusFailed || fin.ErrorKind != protocol.ErrorKindLocked ||
		!strings.HasPrefix(fin.Error, fmt.Sprintf("locked by PID %d on %s", pid, host)) {
		t.Fatalf("got %s %q; want failed naming PID %d on %s", fin.Status, fin.Error, pid, host)
	}
	events := h.jobEvents(fin.JobID)
	if n := countStarted(events); n != 1 {
		t.Errorf("%d job.started for one job with retries", n)
	}
	retries := 0
	for _, l := range h.logLines(fin.JobID) {
		if strings.Contains(l.Payload, "retry") && strings.Contains(l.Payload, fmt.Sprintf("PID %d", pid)) {
			retries++
		}
	}
	if retries != 2 {
		t.Errorf("%d retry lines, want 2:\n%s", retries, h.logText(fin.JobID))
	}
	if h.resticCalls("prune") != 3 {
		t.Errorf("prune ran %d times, want 1 + 2 retries", h.resticCalls("prune"))
	}
}

func TestPreHookFailureFailsTheJobAndThePostHookStillRuns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	marker := filepath.Join(t.TempDir(), "post-hook-ran")
	job := backupJob("docs", src)
	job.Run.PreHook = "echo preparing; echo on stderr >&2; echo RESTIC_PASSWORD=$RESTIC_PASSWORD; exit 3"
	job.Run.PostHook = fmt.Sprintf(`echo "$RM_JOB_ID $RM_JOB_KIND $RM_JOB_STATUS" > %q`, marker)
	fin := h.run(job)
	if fin.Status != protocol.StatusFailed || fin.ExitCode != -1 || !strings.Contains(fin.Error, "pre-hook failed: exit status 3") {
		t.Fatalf("got %s, exit %d, %q", fin.Status, fin.ExitCode, fin.Error)
	}
	got, err := os.ReadFile(marker)
	if err != nil {
		t.Fatalf("post-hook did not run: %v", err)
	}
	if want := fin.JobID + " backup failed\n"; string(got) != want {
		t.Errorf("post-hook saw %q, want %q", got, want)
	}
	log := h.logText(fin.JobID)
	for _, want := range []string{"stdout: [pre-hook] preparing", "stderr: [pre-hook] on stderr", "stdout: [pre-hook] RESTIC_PASSWORD=\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("job log lacks %q:\n%s", want, log)
		}
	}
	if h.resticCalls("backup") != 0 {
		t.Error("restic ran after the pre-hook failed")
	}
}

func TestHookShellAndPostHookOnSuccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{hookShell: "bash -c"})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	job := backupJob("docs", src)
	job.Run.PreHook = `[[ -n "$BASH_VERSION" ]] && echo "in bash, job $RM_JOB_KIND"`
	job.Run.PostHook = `echo "status $RM_JOB_STATUS"`
	fin := h.run(job)
	mustSucceed(t, fin, h)
	log := h.logText(fin.JobID)
	if !strings.Contains(log, "[pre-hook] in bash, job backup") || !strings.Contains(log, "[post-hook] status succeeded") {
		t.Errorf("hook output:\n%s", log)
	}
}

func TestLogFloodPastTheCapKeepsTheCapAndOneMarker(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	job := Job{Run: protocol.CommandRun{Kind: protocol.KindUnlock, PreHook: "seq 1 25000; exit 1"}}
	fin := h.run(job)
	lines := h.logLines(fin.JobID)
	if len(lines) != protocol.MaxLogLinesPerJob+1 {
		t.Fatalf("%d log lines, want %d kept + 1 marker", len(lines), protocol.MaxLogLinesPerJob)
	}
	for i, l := range lines {
		if l.Seq != uint64(i+1) {
			t.Fatalf("line %d has seq %d", i, l.Seq)
		}
	}
	if lines[protocol.MaxLogLinesPerJob-1].Payload != "[pre-hook] 20000" {
		t.Errorf("last kept line %q", lines[protocol.MaxLogLinesPerJob-1].Payload)
	}
	if last := lines[len(lines)-1].Payload; last != "[5000 more lines not kept]" {
		t.Errorf("marker %q", last)
	}
	events := h.jobEvents(fin.JobID)
	if _, ok := events[len(events)-1].(*protocol.JobFinished); !ok {
		t.Error("job.finished is not the job's last event")
	}
}

func TestLongLinesAreCutAndTheByteCapHolds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	// 600 lines of 20,000 bytes: each is cut to 16 KiB, and 8 MiB holds 511
	// of those.
	hook := `awk 'BEGIN { s = "x"; while (length(s) < 20000) s = s s; s = substr(s, 1, 20000); for (i = 0; i < 600; i++) print s }'; exit 1`
	fin := h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindUnlock, PreHook: hook}})
	lines := h.logLines(fin.JobID)
	total := 0
	for _, l := range lines[:len(lines)-1] {
		total += len(l.Payload)
		if !strings.HasSuffix(l.Payload, "…[truncated 3627 bytes]") {
			t.Fatalf("line %d not cut with the marker: …%s", l.Seq, l.Payload[len(l.Payload)-40:])
		}
	}
	if total > protocol.MaxLogBytesPerJob {
		t.Errorf("%d bytes kept, cap %d", total, protocol.MaxLogBytesPerJob)
	}
	kept := len(lines) - 1
	if want := fmt.Sprintf("[%d more lines not kept]", 600-kept); lines[len(lines)-1].Payload != want {
		t.Errorf("marker %q, want %q (kept %d)", lines[len(lines)-1].Payload, want, kept)
	}
}

func TestSubmitValidatesBeforeAccepting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	notDir := filepath.Join(t.TempDir(), "file")
	writeFiles(t, filepath.Dir(notDir), map[string]string{"file": "x"})
	cases := []struct {
		name string
		job  Job
		want string
	}{
		{"bad kind", Job{Run: protocol.CommandRun{JobID: "j1", Kind: "explode"}}, "kind"},
		{"empty forget policy", Job{Run: protocol.CommandRun{JobID: "j2", Kind: protocol.KindForget, ForgetGroups: []protocol.ForgetGroup{{Tag: "docs"}}}}, "policy"},
		{"admin slot empty", Job{Run: protocol.CommandRun{JobID: "j3", Kind: protocol.KindPrune, RequiresAdminCreds: true}}, "admin slot is empty"},
		{"restore target is a file", Job{Run: protocol.CommandRun{JobID: "j4", Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{SnapshotID: "abcdef12", Paths: []string{"/x"}, TargetDir: notDir}}}, "not a directory"},
		{"negative retry", Job{Run: protocol.CommandRun{JobID: "j5", Kind: protocol.KindCheck}, RetryMax: -1}, "retry"},
	}
	for _, tc := range cases {
		err := h.runner.Submit(tc.job)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error about %q", tc.name, err, tc.want)
		}
		var ve *protocol.ValidationError
		if !errors.As(err, &ve) && !errors.Is(err, ErrRejected) {
			t.Errorf("%s: %v is neither a ValidationError nor ErrRejected", tc.name, err)
		}
	}
	if jobs, _ := h.journal.Jobs(); len(jobs) != 0 {
		t.Errorf("rejected jobs were persisted: %v", jobs)
	}

	ok := Job{Run: protocol.CommandRun{JobID: "good", Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{
		SnapshotID: "abcdef12", Paths: []string{"/x"}, TargetDir: filepath.Join(t.TempDir(), "new", "dir")}}}
	if err := h.runner.Submit(ok); err != nil {
		t.Fatalf("restore into a new directory under a writable one: %v", err)
	}
	if err := h.runner.Submit(ok); err != nil {
		t.Errorf("re-sent job: %v", err)
	}
	if jobs, _ := h.journal.Jobs(); len(jobs) != 1 {
		t.Errorf("%d jobs after a re-send, want 1", len(jobs))
	}

	if err := h.secrets.ApplyConfig(&protocol.ConfigUpdate{Slot: secrets.SlotAdmin, RepoPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	if err := h.runner.Submit(cases[2].job); err != nil {
		t.Errorf("admin job with admin credentials: %v", err)
	}
}

func TestAdminJobRunsWithTheAdminSlot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	// The admin slot holds the right password, the everyday slot a wrong
	// one: only a job run with the admin slot can succeed.
	if err := h.secrets.Set(secrets.SlotAdmin, secrets.Credentials{Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if err := h.secrets.Set(secrets.SlotRepo, secrets.Credentials{Password: "everyday-but-wrong"}); err != nil {
		t.Fatal(err)
	}
	fin := h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindPrune, RequiresAdminCreds: true}})
	mustSucceed(t, fin, h)
	// Emptied after acceptance: the job fails with a clear error.
	id := protocol.NewID()
	h.stopRunner()
	if err := h.runner.Submit(Job{Run: protocol.CommandRun{JobID: id, Kind: protocol.KindPrune, RequiresAdminCreds: true}}); err != nil {
		t.Fatal(err)
	}
	if err := h.secrets.Set(secrets.SlotAdmin, secrets.Credentials{}); err != nil {
		t.Fatal(err)
	}
	h.start()
	fin = h.waitFinished(id, 60*time.Second)
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, "admin slot is empty") || fin.ExitCode != -1 {
		t.Errorf("got %s, exit %d, %q", fin.Status, fin.ExitCode, fin.Error)
	}
}

func TestScheduleFireJobsCarryTheScheduleAndForgetWaitsForABackup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	missing := filepath.Join(t.TempDir(), "gone")

	ok, failing, forget1 := protocol.NewID(), protocol.NewID(), protocol.NewID()
	failing2, forget2 := protocol.NewID(), protocol.NewID()
	forgetJob := func(id string, after ...string) Job {
		return Job{Run: protocol.CommandRun{JobID: id, Kind: protocol.KindForget, ForgetGroups: []protocol.ForgetGroup{
			{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 5}}}}, ScheduleID: "nightly", RunIfAnySucceeded: after}
	}
	withID := func(j Job, id string) Job { j.Run.JobID = id; j.ScheduleID = "nightly"; return j }
	at := time.Now().UTC().Truncate(time.Minute)
	err := h.runner.SubmitFire(&protocol.ScheduleFire{ScheduleID: "nightly", ScheduledAt: at, JobIDs: []string{ok, failing, forget1}},
		[]Job{withID(backupJob("docs", src), ok), withID(backupJob("docs", missing), failing), forgetJob(forget1, ok, failing)})
	if err != nil {
		t.Fatal(err)
	}
	err = h.runner.SubmitFire(&protocol.ScheduleFire{ScheduleID: "nightly", ScheduledAt: at.Add(time.Minute), JobIDs: []string{failing2, forget2}},
		[]Job{withID(backupJob("docs", missing), failing2), forgetJob(forget2, failing2)})
	if err != nil {
		t.Fatal(err)
	}
	if !h.runner.Active("nightly") || h.runner.Active("weekly") {
		t.Error("Active does not see the queued jobs of the fire")
	}
	h.start()

	mustSucceed(t, h.waitFinished(forget1, 120*time.Second), h)
	started := h.jobEvents(ok)[0].(*protocol.JobStarted)
	if started.ScheduleID != "nightly" {
		t.Errorf("job.started schedule_id %q", started.ScheduleID)
	}
	skipped := h.waitFinished(forget2, 120*time.Second)
	if skipped.Status != protocol.StatusCancelled || skipped.Error != protocol.SkipNoBackupSucceeded || skipped.ExitCode != -1 {
		t.Errorf("forget after a failed backup: %s, %q, exit %d", skipped.Status, skipped.Error, skipped.ExitCode)
	}
	if n := countStarted(h.jobEvents(forget2)); n != 0 {
		t.Errorf("skipped forget sent %d job.started", n)
	}
	if h.runner.Active("nightly") {
		t.Error("Active after every job of the schedule finished")
	}
	fires, _ := h.journal.LastFires()
	if !fires["nightly"].Equal(at.Add(time.Minute)) {
		t.Errorf("last fire %v", fires["nightly"])
	}
}
