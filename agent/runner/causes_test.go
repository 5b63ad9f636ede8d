package runner

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"restic-manager/agent/restic"
	"restic-manager/agent/secrets"
	"restic-manager/protocol"
)

// closedPort is a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// firstLine is what the window shows of a job's error at a glance.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// A failed job names its cause in job.finished.error_kind, and its error
// says the cause first, on the restic under test (RM_TEST_RESTIC; run on
// 0.14 and the newest).
func TestFailedJobsNameTheirCause(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	check := func(what string, fin *protocol.JobFinished, kind, first string) {
		t.Helper()
		if fin.Status != protocol.StatusFailed || fin.ErrorKind != kind || !strings.HasPrefix(firstLine(fin.Error), first) {
			t.Errorf("%s (restic %s): %s, error_kind %q, error %q; want failed, %s, starting %q",
				what, h.restic.Version(), fin.Status, fin.ErrorKind, fin.Error, kind, first)
		}
	}
	// The exit code is restic's own, which names the cause only from the
	// version that has the code (Caps); before, it is a plain failure and
	// the cause comes from stderr.
	exitCode := func(what string, fin *protocol.JobFinished, has bool, code int) {
		t.Helper()
		want := restic.ExitFailed
		if has {
			want = code
		}
		if fin.ExitCode != want {
			t.Errorf("%s (restic %s): exit %d, want %d", what, h.restic.Version(), fin.ExitCode, want)
		}
	}
	caps := h.restic.Caps()

	if err := h.secrets.Set(secrets.SlotRepo, secrets.Credentials{Password: "definitely not it"}); err != nil {
		t.Fatal(err)
	}
	fin := h.run(backupJob("docs", src))
	check("wrong password", fin, protocol.ErrorKindWrongPassword, "wrong password")
	exitCode("wrong password", fin, caps.ExitCodeWrongPassword, restic.ExitWrongPassword)
	if err := h.secrets.Set(secrets.SlotRepo, secrets.Credentials{Password: testPassword}); err != nil {
		t.Fatal(err)
	}

	missing := filepath.Join(t.TempDir(), "no-repo-here")
	h.setRepoURL(missing)
	fin = h.run(backupJob("docs", src))
	check("missing repository", fin, protocol.ErrorKindNoRepository, "no repository at "+missing)
	exitCode("missing repository", fin, caps.ExitCodeNoRepo, restic.ExitNoRepository)

	// The repository test, against a server that refuses connections: on
	// every version within seconds (restic 0.17+ would retry for 15
	// minutes), and never "no repository".
	h.setRepoURL("rest:http://" + closedPort(t) + "/office")
	check("unreachable rest server", h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindProbe}}),
		protocol.ErrorKindUnreachable, "cannot reach the repository: connection refused")
	if !h.restic.Version().AtLeast(0, 17, 0) {
		// 0.14–0.16 give up at once on a backup too; that restic still
		// asks "Is there a repository…?" must not make it a missing one.
		check("backup to an unreachable rest server", h.run(backupJob("docs", src)),
			protocol.ErrorKindUnreachable, "cannot reach the repository: connection refused")
	}
}

func TestLockedJobNamesItsCause(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	pid := holdLock(t, h)
	fin := h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindForget, ForgetGroups: []protocol.ForgetGroup{
		{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 1}}}}})
	if fin.Status != protocol.StatusFailed || fin.ErrorKind != protocol.ErrorKindLocked {
		t.Fatalf("restic %s: forget beside a held lock: %s, %q, %q", h.restic.Version(), fin.Status, fin.ErrorKind, fin.Error)
	}
	first := firstLine(fin.Error)
	if !strings.HasPrefix(first, "locked by PID ") || !strings.Contains(first, " "+strconv.Itoa(pid)+" ") ||
		!strings.HasSuffix(fin.Error, `(forget of group "docs")`) {
		t.Errorf("error %q: want the holder (PID %d) first and the group after", fin.Error, pid)
	}
}

// Jobs that did not fail carry no error_kind.
func TestSucceededJobHasNoErrorKind(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	fin := h.run(backupJob("docs", src))
	mustSucceed(t, fin, h)
	if fin.ErrorKind != "" {
		t.Errorf("a succeeded backup has error_kind %q", fin.ErrorKind)
	}
}

// setRepoURL points the agent at another repository, as a config.update
// would.
func (h *harness) setRepoURL(url string) {
	h.t.Helper()
	if _, err := h.journal.ApplyConfig(protocol.ConfigUpdate{RepoURL: url}); err != nil {
		h.t.Fatal(err)
	}
	h.runner.ConfigChanged()
}
