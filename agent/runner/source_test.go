package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/internal/leakcheck"
	"restic-manager/protocol"
)

// sourcePassword is the other host's repository password: it must reach
// restic through its environment and nothing else of this agent.
const sourcePassword = "anna's repository password 41d2-aa17"

// otherHostRepo makes another host's repository (its own password) with
// one snapshot of a tree holding note.txt and, when bigMiB > 0, a file of
// that many MiB of incompressible bytes. It returns the repository and
// the backed-up directory.
func otherHostRepo(t *testing.T, h *harness, bigMiB int) (repo, src string) {
	t.Helper()
	repo = filepath.Join(t.TempDir(), "anna-repo")
	src = filepath.Join(t.TempDir(), "anna")
	writeFiles(t, src, map[string]string{"Documents/note.txt": "Anna's note, from her old laptop"})
	if bigMiB > 0 {
		generateTree(t, filepath.Join(src, "Documents", "big"), 1, int64(bigMiB)<<20, 11)
	}
	for _, args := range [][]string{{"init"}, {"backup", "--host", "anna-laptop", src}} {
		cmd := exec.Command(h.restic.Path(), append(args, "--cache-dir", h.cacheDir)...)
		cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+sourcePassword)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("restic %s on the other host's repository: %v\n%s", args[0], err, out)
		}
	}
	return repo, src
}

func fromSourceJob(paths []string, target string) Job {
	return Job{Run: protocol.CommandRun{Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{
		SnapshotID: "", Paths: paths, TargetDir: target, FromSource: true}}}
}

// latestID is the newest snapshot of a repository.
func latestID(t *testing.T, h *harness, repo restic.Repo) string {
	t.Helper()
	snaps, err := h.restic.Snapshots(context.Background(), repo)
	if err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots of %s: %v (%d)", repo.URL, err, len(snaps))
	}
	return snaps[len(snaps)-1].ID
}

// resticChildren returns the command lines of this process's restic
// children right now.
func resticChildren(t *testing.T) [][]byte {
	t.Helper()
	out, err := leakcheck.ChildCommandLines(os.Getpid(), "restic")
	if errors.Is(err, leakcheck.ErrNoProc) {
		t.Skip(err)
	}
	return out
}

// filesHolding lists the files under dir whose bytes contain secret.
func filesHolding(t *testing.T, dir, secret string) []string {
	t.Helper()
	out, err := leakcheck.FilesHolding(dir, secret)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The restore of the issue: Anna's files from her old laptop's repository
// land on this host in a new folder. The other repository's password
// reaches restic only through its environment: it is in no argv (seen
// live in /proc while restic runs, and in every argv the agent built), no
// log line, no journaled frame and no file of the agent's state. The slot
// served that restore only: a second one is refused and writes nothing.
func TestRestoreFromSourceLandsTheOtherRepositorysFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	repo, src := otherHostRepo(t, h, 4)
	source := restic.Repo{URL: repo, Password: sourcePassword}
	snap := latestID(t, h, source)

	h.runner.SetSource(source)
	target := filepath.Join(t.TempDir(), "from-anna") // a new folder
	job := fromSourceJob([]string{src + "/Documents"}, target)
	job.Run.Restore.SnapshotID = snap
	cap := 8000 // ≈ 1 MiB/s: the restore is slow enough to be watched
	job.Run.BandwidthDownKbps = &cap
	id := h.submit(job)

	// While restic runs, its command line holds no secret. Polled: the
	// restore takes about four seconds under its cap.
	seen := false
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.After(60 * time.Second); !seen; {
		for _, cmdline := range resticChildren(t) {
			seen = seen || bytes.Contains(cmdline, []byte("restore"))
			if bytes.Contains(cmdline, []byte(sourcePassword)) || bytes.Contains(cmdline, []byte(testPassword)) {
				t.Errorf("a running restic's command line holds a password: %q", cmdline)
			}
		}
		if status, _, _ := h.journal.Status(id); protocol.IsTerminal(status) {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the restore neither ran nor ended within 60 s")
		}
	}
	if !seen {
		t.Error("never saw the restore's restic running to check its command line")
	}

	fin := h.waitFinished(id, 120*time.Second)
	mustSucceed(t, fin, h)
	got, err := os.ReadFile(filepath.Join(target, src, "Documents", "note.txt"))
	if err != nil || string(got) != "Anna's note, from her old laptop" {
		t.Fatalf("restored note: %q (%v)", got, err)
	}
	if n := h.resticCalls("unlock"); n != 0 {
		t.Errorf("%d unlocks: a restore from another host's repository must leave it as it was", n)
	}

	// The slot is gone with its restore: a second one is refused, and
	// nothing of it is written.
	if h.runner.source.holds() {
		t.Error("the source credentials are still in memory after the restore")
	}
	again := fromSourceJob([]string{src + "/Documents"}, filepath.Join(t.TempDir(), "again"))
	again.Run.JobID = protocol.NewID()
	again.Run.Restore.SnapshotID = snap
	before := len(h.jobEvents(again.Run.JobID))
	if err := h.runner.Submit(again); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "source slot is empty") {
		t.Fatalf("second from_source restore: %v, want a refusal naming the empty source slot", err)
	}
	if _, known, _ := h.journal.Status(again.Run.JobID); known || len(h.jobEvents(again.Run.JobID)) != before {
		t.Error("the refused restore was written to the journal")
	}

	h.stopRunner()
	for _, secret := range []string{sourcePassword} {
		for _, a := range h.allArgv() {
			if strings.Contains(strings.Join(a, " "), secret) {
				t.Errorf("argv %q holds the source password", a)
			}
		}
		if strings.Contains(h.logs.String(), secret) {
			t.Error("the agent's log holds the source password")
		}
		if files := filesHolding(t, h.stateDir, secret); len(files) > 0 {
			t.Errorf("the agent's state holds the source password in %v", files)
		}
		if strings.Contains(h.logText(id), secret) {
			t.Error("the job log holds the source password")
		}
	}
}

// The slot serves the command.run right after it: any other command drops
// it, and so does a from_source restore the wire rules refuse (in place).
// Refusals write nothing.
func TestSourceSlotServesOnlyTheNextCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	source := restic.Repo{URL: "/srv/restic/anna", Password: sourcePassword}
	target := filepath.Join(t.TempDir(), "from-anna")

	refused := func(job Job, why string) {
		t.Helper()
		job.Run.JobID = protocol.NewID()
		job.Run.Restore.SnapshotID = "4f1c3e6a"
		err := h.runner.Submit(job)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("from_source restore: %v, want a refusal saying %q", err, why)
		}
		if _, known, _ := h.journal.Status(job.Run.JobID); known {
			t.Errorf("refused job %s was written", job.Run.JobID)
		}
		if h.runner.source.holds() {
			t.Error("the source slot outlived the command it came for")
		}
	}

	h.runner.SetSource(source)
	h.submit(Job{Run: protocol.CommandRun{Kind: protocol.KindUnlock}})
	refused(fromSourceJob([]string{"/home/anna"}, target), "source slot is empty")

	h.runner.SetSource(source)
	inPlace := fromSourceJob([]string{"/home/anna"}, "")
	inPlace.Run.Restore.InPlace = true
	refused(inPlace, "restore.in_place")

	h.runner.SetSource(source)
	refused(fromSourceJob([]string{"/home/anna"}, "/etc/anna"), "restore.target_dir")
}

// A command.run the manager sends again (the agent's command.result was
// lost) is accepted again without a source, and the job keeps the source
// it came with: the resent slot is dropped, not kept for later.
func TestResentFromSourceRestoreKeepsItsSource(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	repo, src := otherHostRepo(t, h, 0)
	source := restic.Repo{URL: repo, Password: sourcePassword}
	job := fromSourceJob([]string{src}, filepath.Join(t.TempDir(), "from-anna"))
	job.Run.JobID = protocol.NewID()
	job.Run.Restore.SnapshotID = latestID(t, h, source)

	h.runner.SetSource(source)
	if err := h.runner.Submit(job); err != nil {
		t.Fatal(err)
	}
	h.runner.SetSource(restic.Repo{URL: "/elsewhere", Password: "another-secret"})
	if err := h.runner.Submit(job); err != nil {
		t.Fatalf("re-sent command: %v, want it accepted again", err)
	}
	h.start()
	fin := h.waitFinished(job.Run.JobID, 120*time.Second)
	mustSucceed(t, fin, h)
	if countStarted(h.jobEvents(job.Run.JobID)) != 1 {
		t.Error("the re-sent restore ran twice")
	}
	if h.runner.source.holds() {
		t.Error("source credentials stayed in memory")
	}
}

// The slot lives in memory only: a restart loses it, and the restore that
// waited in the queue for it fails, saying so, instead of running with
// another repository's credentials.
func TestRestartLosesTheSourceSlot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	h.runner.SetSource(restic.Repo{URL: "/srv/restic/anna", Password: sourcePassword})
	job := fromSourceJob([]string{"/home/anna"}, filepath.Join(t.TempDir(), "from-anna"))
	job.Run.Restore.SnapshotID = "4f1c3e6a"
	id := h.submit(job)
	h.restart()
	fin := h.waitFinished(id, 60*time.Second)
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, "kept in memory only") {
		t.Fatalf("restore after a restart ended %s: %q; want failed, naming the lost source", fin.Status, fin.Error)
	}
	if files := filesHolding(t, h.stateDir, sourcePassword); len(files) > 0 {
		t.Errorf("the source password is in %v", files)
	}
}
