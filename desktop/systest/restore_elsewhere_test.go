package systest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/internal/leakcheck"
)

// "Anna's laptop died; put her files on the new one": two real agents,
// host A backs up, host B restores one of A's files from A's repository
// into a new folder, and the content matches. A's repository password
// travels to B only for that restore: it is in no restic command line on
// B while restic runs, and in no file of B's state and no line of B's log
// after. The wizard's warning names A's repository as a local path of A's.
func TestRestoreOneHostsFileOntoAnother(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "anna-laptop", BigFileMiB: 3})
	b := f.StartAgent(t, testfleet.AgentOptions{Name: "new-laptop", Files: map[string]string{"mine.txt": "the new laptop's own"}})
	a.Backup(t)
	var snaps []hub.Snapshot
	testfleet.WaitFor(t, testfleet.Wait, "anna's snapshot in the projection", func() bool {
		var err error
		snaps, err = f.Hub.Snapshots(a.HostID)
		return err == nil && len(snaps) == 1
	})

	warning, err := f.Hub.SourceRepositoryWarning(a.HostID, b.HostID)
	if err != nil || !strings.Contains(warning, "local path "+a.Repo+" on anna-laptop") {
		t.Errorf("warning = %q (%v); want it to name anna's local repository path", warning, err)
	}

	// A download cap of ≈ 1 MiB/s makes the restore of the 3 MiB file
	// last long enough to watch restic's command line.
	if err := f.Hub.SetBandwidth(b.HostID, 0, 8000); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(a.Files, "docs", "report.txt")
	target := filepath.Join(t.TempDir(), "from-anna")
	jobID, err := f.Hub.RestoreToHost(a.HostID, b.HostID, hub.RestoreRequest{SnapshotID: snaps[0].ID,
		Paths: []string{report, filepath.Join(a.Files, "big.bin")}, TargetDir: target})
	if err != nil {
		t.Fatal(err)
	}
	seen := watchResticArgv(t, b.Pid(), func() bool {
		j, err := f.Hub.Job(jobID)
		return err == nil && j.Terminal()
	}, a.Password, b.Password)
	job := f.WaitJob(t, jobID, "succeeded")
	if job.HostID != b.HostID {
		t.Errorf("the restore ran on %s, want the new laptop", job.HostID)
	}
	if !seen {
		t.Error("never saw the restore's restic running on B to check its command line")
	}
	got, err := os.ReadFile(filepath.Join(target, report))
	if err != nil || string(got) != testfleet.SampleFiles["docs/report.txt"] {
		t.Fatalf("restored report: %q (%v)", got, err)
	}
	wantBig, _ := os.ReadFile(filepath.Join(a.Files, "big.bin"))
	if gotBig, err := os.ReadFile(filepath.Join(target, a.Files, "big.bin")); err != nil || !bytes.Equal(gotBig, wantBig) {
		t.Errorf("restored big.bin differs (%v)", err)
	}
	if snaps, _ := f.Hub.Snapshots(b.HostID); len(snaps) != 0 {
		t.Errorf("the restore changed B's own repository: %d snapshots", len(snaps))
	}

	b.Stop(t)
	if files := filesHolding(t, b.State, a.Password); len(files) > 0 {
		t.Errorf("B's state holds A's repository password: %v", files)
	}
	if strings.Contains(b.Log(), a.Password) {
		t.Error("B's log holds A's repository password")
	}
	if !strings.Contains(b.Log(), "source repository received") {
		t.Error("B's log does not mention the source repository: not the log the test meant to read")
	}
}

// watchResticArgv polls the restic processes the agent pid started until
// done() holds, failing on any whose command line holds one of secrets.
// It reports whether it saw a restic restore.
func watchResticArgv(t *testing.T, pid int, done func() bool, secrets ...string) bool {
	t.Helper()
	seen := false
	testfleet.WaitFor(t, testfleet.Wait, "the job's end", func() bool {
		cmdlines, err := leakcheck.ChildCommandLines(pid, "restic")
		if errors.Is(err, leakcheck.ErrNoProc) {
			t.Skip(err)
		}
		for _, cmdline := range cmdlines {
			seen = seen || bytes.Contains(cmdline, []byte("\x00restore\x00"))
			for _, s := range secrets {
				if bytes.Contains(cmdline, []byte(s)) {
					t.Errorf("restic's command line holds a password: %q", cmdline)
				}
			}
		}
		return done()
	})
	return seen
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
