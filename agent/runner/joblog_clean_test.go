package runner

import (
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// noTerminalControl fails for a journaled line that still holds an escape
// or a carriage return.
func noTerminalControl(t *testing.T, h *harness, jobID string) {
	t.Helper()
	for _, l := range h.logLines(jobID) {
		if strings.ContainsAny(l.Payload, "\x1b\r\x07\x08") {
			t.Errorf("line %d %q holds terminal control", l.Seq, l.Payload)
		}
	}
}

// A hook that draws like a terminal program: its lines arrive as they
// would have looked, and a line that was only control is dropped.
func TestHookOutputIsJournaledClean(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	job := backupJob("docs", src)
	job.Run.PreHook = `printf '\033[1;32mdumping\033[0m database\n'; printf 'step 1/3\rstep 2/3\rstep 3/3\n'; printf '\033[2K\n'; printf '\033]0;title\007done\n'`
	fin := h.run(job)
	mustSucceed(t, fin, h)
	noTerminalControl(t, h, fin.JobID)
	var hook []string
	for _, l := range h.logLines(fin.JobID) {
		if s, ok := strings.CutPrefix(l.Payload, "[pre-hook] "); ok {
			hook = append(hook, s)
		}
	}
	want := []string{"dumping database", "step 3/3", "done"}
	if strings.Join(hook, "|") != strings.Join(want, "|") {
		t.Errorf("hook lines %q, want %q", hook, want)
	}
}

// restic's own lines on cancel ("ESC[2Ksignal interrupt received, cleaning
// up") reach the log as text.
func TestCancelledBackupLogIsClean(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	id := h.submit(slowBackup(t))
	h.waitProgress(id, 60*time.Second)
	if err := h.runner.Cancel(id); err != nil {
		t.Fatal(err)
	}
	fin := h.waitFinished(id, 60*time.Second)
	if fin.Status != protocol.StatusCancelled {
		t.Fatalf("job ended %s: %s", fin.Status, fin.Error)
	}
	noTerminalControl(t, h, id)
	if text := h.logText(id); strings.Contains(text, "signal interrupt received") &&
		!strings.Contains(text, "stderr: signal interrupt received, cleaning up") {
		t.Errorf("restic's interrupt line is not clean:\n%s", text)
	}
}

// A successful backup's log says what restic's text mode would have said
// at the end, on every version (backup --json prints no such text).
func TestSuccessfulBackupLogsItsSummary(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "aaa", "b/c.txt": "ccc"})
	fin := h.run(backupJob("docs", src))
	mustSucceed(t, fin, h)
	snap := h.snapshots()[0]
	var stdout []string
	for _, l := range h.logLines(fin.JobID) {
		if l.Stream == protocol.StreamStdout {
			stdout = append(stdout, l.Payload)
		}
	}
	text := strings.Join(stdout, "\n")
	for _, want := range []string{"Files: 2 new, 0 changed, 0 unmodified", "Added to the repository: ",
		"processed 2 files, 6 B in ", "snapshot " + snap.ShortID + " saved"} {
		if !strings.Contains(text, want) {
			t.Errorf("restic %s: the log's stdout lack %q:\n%s", h.restic.Version(), want, text)
		}
	}
}
