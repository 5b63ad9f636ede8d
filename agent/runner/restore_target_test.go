package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// backedUp backs up a fresh folder holding a.txt ("alpha") and returns
// the folder and the snapshot's short id.
func backedUp(t *testing.T, h *harness) (src, snapshotID string) {
	t.Helper()
	src = t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "alpha"})
	mustSucceed(t, h.run(backupJob("docs", src)), h)
	return src, h.snapshots()[0].ShortID
}

func restoreInto(snapshotID, path, target string) Job {
	return Job{Run: protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{
		SnapshotID: snapshotID, Paths: []string{path}, TargetDir: target}}}
}

// entries lists what is under dir (relative paths), to show nothing was
// written there.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mkdirMode(t *testing.T, p string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each restore target the agent refuses, fed to Submit after a real
// backup: command.result would say accepted:false with the reason, no job
// is queued, restic never runs a restore, and nothing appears where the
// files would have gone.
func TestUnsafeRestoreTargetsAreRefusedAndNothingIsWritten(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src, snap := backedUp(t, h)

	base := t.TempDir()
	dest := mkdirMode(t, filepath.Join(base, "dest"), 0o700)
	if err := os.Symlink(dest, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	worldWritable := mkdirMode(t, filepath.Join(base, "shared"), 0o777)
	groupWritable := mkdirMode(t, filepath.Join(base, "team"), 0o770)
	notDir := filepath.Join(base, "file")
	writeFiles(t, base, map[string]string{"file": "x"})

	cases := []struct {
		name, target string
		want         string
		untouched    string // a directory that must stay empty
	}{
		{"through a symlink", filepath.Join(base, "link", "out"), "is a symbolic link", dest},
		{"the symlink itself", filepath.Join(base, "link"), "is a symbolic link", dest},
		{"a world-writable directory", worldWritable, "writable by other users (mode 0777)", worldWritable},
		{"a new directory in a world-writable one", filepath.Join(worldWritable, "new"), "writable by other users", worldWritable},
		{"a group-writable directory", groupWritable, "writable by other users (mode 0770)", groupWritable},
		{"inside the state directory", filepath.Join(h.stateDir, "restore"), "inside the agent's state directory", ""},
		{"the state directory itself", h.stateDir, "inside the agent's state directory", ""},
		{"a file", notDir, "is not a directory", ""},
		{"below a file", filepath.Join(notDir, "x"), "is not a directory", ""},
	}
	if os.Geteuid() == 0 {
		other := mkdirMode(t, filepath.Join(base, "others"), 0o700)
		mustChown(t, other, 65534)
		home := mkdirMode(t, filepath.Join(base, "home-of-nobody"), 0o755)
		mustChown(t, home, 65534)
		inHome := mkdirMode(t, filepath.Join(home, "restore"), 0o700)
		cases = append(cases,
			struct{ name, target, want, untouched string }{"a directory of another user", other, "belongs to uid 65534", other},
			struct{ name, target, want, untouched string }{"a directory below another user's", inHome, "above " + inHome + ", belongs to uid 65534", inHome},
			struct{ name, target, want, untouched string }{"a new directory below another user's", filepath.Join(home, "new"), "belongs to uid 65534", ""},
		)
	}
	restoresBefore := h.resticCalls("restore")
	for _, tc := range cases {
		err := h.runner.Submit(restoreInto(snap, src, tc.target))
		if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s (%s): Submit = %v; want ErrRejected saying %q", tc.name, tc.target, err, tc.want)
		}
		if tc.untouched != "" {
			if got := entries(t, tc.untouched); len(got) != 0 {
				t.Errorf("%s: %s now holds %v; want nothing written", tc.name, tc.untouched, got)
			}
		}
	}
	if _, err := os.Lstat(filepath.Join(worldWritable, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused new target was created (%v)", err)
	}
	if jobs, _ := h.journal.Jobs(); len(jobs) != 0 {
		t.Errorf("refused restores were queued: %v", jobs)
	}
	if n := h.resticCalls("restore"); n != restoresBefore {
		t.Errorf("restic restore ran %d times for refused targets", n-restoresBefore)
	}
}

func mustChown(t *testing.T, p string, uid int) {
	t.Helper()
	if err := os.Chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// A target that does not exist is created by the agent, mode 0700, under
// a sticky world-writable directory like /tmp too, and an existing one of
// the agent's own, closed to others, is used as it is.
func TestSafeRestoreTargetsAreCreatedPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src, snap := backedUp(t, h)

	base := t.TempDir()
	sticky := mkdirMode(t, filepath.Join(base, "tmp"), 0o777|os.ModeSticky)
	for _, target := range []string{
		filepath.Join(sticky, "new", "deeper"),
		mkdirMode(t, filepath.Join(base, "own"), 0o750),
		filepath.Join(base, "./x/../cleaned"),
	} {
		mustSucceed(t, h.run(restoreInto(snap, src, target)), h)
		clean := filepath.Clean(target)
		if got, err := os.ReadFile(filepath.Join(clean, src, "a.txt")); err != nil || string(got) != "alpha" {
			t.Errorf("restore into %s: %q, %v", target, got, err)
		}
		fi, err := os.Stat(clean)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 && !strings.HasSuffix(clean, "own") {
			t.Errorf("%s was created with mode %04o; want 0700", clean, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(filepath.Join(sticky, "new")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the missing parent %s: %v, %v; want created 0700", filepath.Join(sticky, "new"), fi, err)
	}
}

// The check at Submit is not the last word: a job waits in the queue, and
// a symlink planted at the target after it was accepted is found when the
// job runs. The job fails, restic never runs a restore, and nothing is
// written where the link points.
func TestASymlinkPlantedAfterAcceptanceFailsTheJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src, snap := backedUp(t, h)
	h.stopRunner()

	base := t.TempDir()
	target := filepath.Join(base, "restore-here")
	job := restoreInto(snap, src, target)
	if err := h.runner.Submit(job); err != nil {
		t.Fatalf("a new target under a private directory: %v", err)
	}
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, target); err != nil {
		t.Fatal(err)
	}
	h.start()
	fin := h.waitFinished(job.Run.JobID, 60*time.Second)
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, "is a symbolic link") {
		t.Errorf("job ended %s %q; want failed, naming the symlink", fin.Status, fin.Error)
	}
	if got := entries(t, elsewhere); len(got) != 0 {
		t.Errorf("the link's destination holds %v; want nothing", got)
	}
	if n := h.resticCalls("restore"); n != 0 {
		t.Errorf("restic restore ran %d times", n)
	}
}
