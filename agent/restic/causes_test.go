package restic

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"restic-manager/protocol"
)

// Each repository cause, read from what restic really printed (testdata,
// 0.14 unless named 0.19): the typed error, the error_kind, and an error
// text that says the cause first.
func TestRepositoryCausesFromResticOutput(t *testing.T) {
	for _, tc := range []struct {
		sample string
		want   error
		kind   string
		first  string // the error's first line
	}{
		{"unreachable_rest.txt", ErrUnreachable, protocol.ErrorKindUnreachable, "cannot reach the repository: connection refused"},
		{"unreachable_dns.txt", ErrUnreachable, protocol.ErrorKindUnreachable, "cannot reach the repository: host not found (DNS)"},
		{"unreachable_retry_0.19.txt", ErrUnreachable, protocol.ErrorKindUnreachable, "cannot reach the repository: connection refused"},
		{"norepo.txt", ErrNoRepository, protocol.ErrorKindNoRepository, "no repository at this location"},
		{"norepo_rest.txt", ErrNoRepository, protocol.ErrorKindNoRepository, "no repository at this location"},
		{"norepo_0.19.txt", ErrNoRepository, protocol.ErrorKindNoRepository, "no repository at this location"},
		{"wrongpw.txt", ErrWrongPassword, protocol.ErrorKindWrongPassword, "wrong password"},
		{"wrongpw_0.19.txt", ErrWrongPassword, protocol.ErrorKindWrongPassword, "wrong password"},
		{"lockfail.txt", ErrLocked, protocol.ErrorKindLocked, "locked by PID 9970 on vm by root, lock created 3s ago (lock 2dd1c6a0)"},
		{"lockfail_0.19.txt", ErrLocked, protocol.ErrorKindLocked, "locked by PID 9230 on vm by root, lock created 1s ago (lock 126bdab2)"},
		{"forbidden_rest.txt", ErrPermission, protocol.ErrorKindPermission, "permission denied: the server answered 403 Forbidden"},
		{"unauthorized_rest.txt", ErrPermission, protocol.ErrorKindPermission,
			"permission denied: the server answered 401 Unauthorized (check the REST user name and password)"},
		// "Is there a repository" alone proves nothing before 0.17: a
		// server error is neither a missing repository nor unreachable.
		{"servererror_rest.txt", ErrFailed, protocol.ErrorKindOther, "cat: restic exit 1: restic failed: unable to open config file: unexpected HTTP response (500): 500 Internal Server Error"},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			err := classifySample(t, "cat", tc.sample)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if k := ErrorKind(err); k != tc.kind {
				t.Errorf("error_kind %q, want %q", k, tc.kind)
			}
			first, rest, _ := strings.Cut(err.Error(), "\n")
			if first != tc.first {
				t.Errorf("first line %q, want %q", first, tc.first)
			}
			if tc.kind != protocol.ErrorKindOther && !strings.HasPrefix(rest, "restic cat exit ") {
				t.Errorf("second line %q does not carry restic's own line", rest)
			}
		})
	}
}

func TestPermissionDeniedNamesThePath(t *testing.T) {
	var f stderrFacts
	f.observe("Fatal: unable to open config file: stat /srv/repo/config: permission denied")
	f.observe("Is there a repository at the following location?")
	f.observe("/srv/repo")
	err := classify("snapshots", 1, &f)
	if !errors.Is(err, ErrPermission) || !strings.HasPrefix(err.Error(), "permission denied: stat /srv/repo/config\n") {
		t.Fatalf("got %q", err)
	}
}

func TestUnreadableSourceFileIsNotARepositoryCause(t *testing.T) {
	var f stderrFacts
	f.observe(`{"message_type":"error","error":{"message":"open /home/anna/secret: permission denied"},"during":"archival","item":"/home/anna/secret"}`)
	if err := classify("backup", ExitIncomplete, &f); !errors.Is(err, ErrIncomplete) || ErrorKind(err) != protocol.ErrorKindOther {
		t.Fatalf("exit 3 with an unreadable source file: got %v (%s), want incomplete, other", err, ErrorKind(err))
	}
}

func TestErrorKindOfOtherErrors(t *testing.T) {
	if k := ErrorKind(nil); k != "" {
		t.Errorf("nil: %q", k)
	}
	if k := ErrorKind(errors.New("pre-hook failed")); k != protocol.ErrorKindOther {
		t.Errorf("plain error: %q", k)
	}
	wrapped := errors.Join(errors.New("forget group docs"), &Error{Op: "forget", ExitCode: 12, Cause: ErrWrongPassword})
	if k := ErrorKind(wrapped); k != protocol.ErrorKindWrongPassword {
		t.Errorf("wrapped: %q", k)
	}
}

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

// restServer is an HTTP server answering every request with status, as a
// rest-server refusing access (401, 403) or without the repository (404)
// does.
func restServer(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return "rest:" + srv.URL + "/repo"
}

// The causes on the real restic under test (RM_TEST_RESTIC, else restic on
// PATH; run the package with each version): the probe's command, fast
// even where restic retries an unreachable server for 15 minutes.
func TestRepositoryCausesOnRealRestic(t *testing.T) {
	r, _ := newTestRestic(t)
	repo, _ := initRepo(t, r)
	wrong := repo
	wrong.Password = "not the password"
	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		name string
		repo Repo
		want error
		kind string
		// first is the start of the error's first line.
		first string
	}{
		{"closed port", Repo{URL: "rest:http://" + closedPort(t) + "/repo", Password: testPassword}, ErrUnreachable,
			protocol.ErrorKindUnreachable, "cannot reach the repository: connection refused"},
		{"missing local repository", Repo{URL: missing, Password: testPassword}, ErrNoRepository,
			protocol.ErrorKindNoRepository, "no repository at " + missing + "\n"},
		{"rest server without the repository", Repo{URL: restServer(t, http.StatusNotFound), Password: testPassword}, ErrNoRepository,
			protocol.ErrorKindNoRepository, "no repository at rest:http://127.0.0.1:"},
		{"wrong password", wrong, ErrWrongPassword, protocol.ErrorKindWrongPassword, "wrong password"},
		{"rest server refusing access", Repo{URL: restServer(t, http.StatusForbidden), Password: testPassword}, ErrPermission,
			protocol.ErrorKindPermission, "permission denied: the server answered 403 Forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Run(testContext(t), Cmd{Args: ProbeArgs(), Repo: tc.repo, FailFast: true})
			if !errors.Is(err, tc.want) || ErrorKind(err) != tc.kind {
				t.Fatalf("restic %s: got %v (kind %q), want %v (%s)", r.Version(), err, ErrorKind(err), tc.want, tc.kind)
			}
			if tc.want == ErrUnreachable && errors.Is(err, ErrNoRepository) {
				t.Fatal("an unreachable server was reported as a missing repository")
			}
			if !strings.HasPrefix(err.Error(), tc.first) {
				t.Errorf("error %q does not start with %q", err, tc.first)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
	if _, err := r.Run(testContext(t), Cmd{Args: ProbeArgs(), Repo: repo, FailFast: true}); err != nil {
		t.Errorf("probe of a good repository: %v", err)
	}
}

// A lock held by another restic: an exclusive command fails locked, naming
// the holder, on every version (exit 11 from 0.17, text before).
func TestLockedOnRealRestic(t *testing.T) {
	r, _ := newTestRestic(t)
	repo, _ := initRepo(t, r)
	holder := holdLock(t, r, repo)
	args, err := ForgetArgs("testhost", "docs", protocol.RetentionPolicy{KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(testContext(t), Cmd{Args: args, Repo: repo})
	if !errors.Is(err, ErrLocked) || ErrorKind(err) != protocol.ErrorKindLocked {
		t.Fatalf("restic %s: forget under a held lock: got %v (kind %q)", r.Version(), err, ErrorKind(err))
	}
	if want := "locked by PID " + strconv.Itoa(holder.Process.Pid); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	// A preview takes no lock: it works beside the holder.
	dry, err := ForgetDryRunArgs("testhost", "docs", protocol.RetentionPolicy{KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(testContext(t), Cmd{Args: dry, Repo: repo}); err != nil {
		t.Errorf("forget --dry-run beside a held lock: %v", err)
	}
}

// Without FailFast, restic 0.14 reports an unreachable server at once, and
// it is still never a missing repository. (0.17+ retries for 15 minutes
// there; jobs let it, the probe does not.)
func TestUnreachableWithoutFailFastOn014(t *testing.T) {
	r, _ := newTestRestic(t)
	if r.Version().AtLeast(0, 17, 0) {
		t.Skipf("restic %s retries an unreachable server for 15 minutes", r.Version())
	}
	_, err := r.Run(testContext(t), Cmd{Args: SnapshotsArgs(), Repo: Repo{URL: "rest:http://" + closedPort(t) + "/repo", Password: testPassword}})
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrNoRepository) {
		t.Fatalf("got %v", err)
	}
}

// A repository path that runs through a file cannot work, and no retry
// mends it: every version fails at once, naming the path's trouble —
// restic 0.17+ would retry it for 15 minutes, so Run stops it at its
// first retry (deadEndRetry), FailFast or not. It is no missing
// repository either: Initialise now could not help.
func TestARepositoryPathThroughAFileFailsAtOnce(t *testing.T) {
	r, _ := newTestRestic(t)
	file := filepath.Join(t.TempDir(), "README.txt")
	if err := os.WriteFile(file, []byte("a file, not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := r.Run(testContext(t), Cmd{Args: SnapshotsArgs(), Repo: Repo{URL: filepath.Join(file, "repo"), Password: testPassword}})
	if err == nil || errors.Is(err, ErrNoRepository) || errors.Is(err, ErrUnreachable) {
		t.Fatalf("restic %s: got %v; want a failure that is neither a missing nor an unreachable repository", r.Version(), err)
	}
	if !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("restic %s: error %q does not say the path runs through a file", r.Version(), err)
	}
}

func TestDeadEndRetry(t *testing.T) {
	for line, want := range map[string]bool{
		"Stat(<config/>) returned error, retrying after 1.09s: stat /srv/f/repo/config: not a directory":  true,
		"Save(<lock/ab>) returned error, retrying after 2s: open /srv/repo/locks/ab: permission denied":   true,
		"Load(<config/>) returned error, retrying after 1s: Head \"http://h/config\": connection refused": false,
		"error: open /home/anna/secret: permission denied":                                                false,
		"Stat(<config/>) returned error, retrying after 1s: mkdir /mnt/ro/repo: read-only file system":    true,
	} {
		if got := deadEndRetry(line); got != want {
			t.Errorf("deadEndRetry(%q) = %v, want %v", line, got, want)
		}
	}
}
