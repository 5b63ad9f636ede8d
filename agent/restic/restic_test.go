package restic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/internal/restictest"
)

// These tests run the real restic binary on repositories under t.TempDir().

const testPassword = "correct horse battery staple 7f3a"

type argvLog struct {
	mu   sync.Mutex
	argv [][]string
}

func (l *argvLog) record(a []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.argv = append(l.argv, a)
}

func (l *argvLog) all() [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.argv)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTestRestic(t *testing.T) (*Restic, *argvLog) {
	t.Helper()
	log := &argvLog{}
	r, err := New(testContext(t), Options{Path: restictest.Binary(t), CacheDir: t.TempDir(), Trace: log.record})
	if err != nil {
		t.Fatal(err)
	}
	return r, log
}

// initRepo creates a repository with one snapshot of a small tree and
// returns it with the tree's root.
func initRepo(t *testing.T, r *Restic) (Repo, string) {
	t.Helper()
	ctx := testContext(t)
	repo := Repo{URL: filepath.Join(t.TempDir(), "repo"), Password: testPassword}
	if _, err := r.Run(ctx, Cmd{Args: InitArgs(), Repo: repo}); err != nil {
		t.Fatalf("init: %v", err)
	}
	src := t.TempDir()
	for _, f := range []string{"a/one.txt", "a/b/two.txt", "c/three.txt"} {
		p := filepath.Join(src, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args, err := BackupArgs(BackupOptions{Host: "testhost", Tag: "docs", Includes: []string{src}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, Cmd{Args: args, Repo: repo}); err != nil {
		t.Fatalf("backup: %v", err)
	}
	return repo, src
}

func TestNewReadsTheVersionOnce(t *testing.T) {
	r, log := newTestRestic(t)
	if !r.Version().AtLeast(0, 14, 0) || !strings.HasPrefix(r.Version().Raw, "restic ") {
		t.Errorf("version %+v", r.Version())
	}
	if n := len(log.all()); n != 1 {
		t.Errorf("New ran restic %d times, want once", n)
	}
	if _, err := New(testContext(t), Options{Path: filepath.Join(t.TempDir(), "no-restic")}); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("missing binary: got %v, want ErrNotInstalled", err)
	}
}

func TestSecretsTravelOnlyInTheEnvironment(t *testing.T) {
	r, log := newTestRestic(t)
	repo, src := initRepo(t, r)
	var lines []string
	var mu sync.Mutex
	collect := func(l []byte) { mu.Lock(); lines = append(lines, string(l)); mu.Unlock() }
	if _, err := r.Run(testContext(t), Cmd{Args: SnapshotsArgs(), Repo: repo, Stdout: collect, Stderr: collect}); err != nil {
		t.Fatal(err)
	}
	for _, argv := range log.all() {
		for _, a := range argv {
			if strings.Contains(a, testPassword) {
				t.Fatalf("argv %q holds the password", argv)
			}
		}
	}
	if len(log.all()) < 3 {
		t.Errorf("trace saw %d runs, want version, init, backup, snapshots", len(log.all()))
	}
	_ = src
}

func TestChildDoesNotInheritAStrayPassword(t *testing.T) {
	// Not parallel: it sets the process environment.
	r, _ := newTestRestic(t)
	repo, _ := initRepo(t, r)
	t.Setenv("RESTIC_PASSWORD_FILE", "/nonexistent/password-file")
	t.Setenv("RESTIC_REPOSITORY", "/nonexistent/other-repo")
	t.Setenv("RESTIC_PASSWORD", "the wrong one")
	if _, err := r.Snapshots(testContext(t), repo); err != nil {
		t.Fatalf("a stray RESTIC_* variable reached restic: %v", err)
	}
	for _, kv := range BaseEnviron() {
		if strings.HasPrefix(kv, "RESTIC_PASSWORD") || strings.HasPrefix(kv, "RESTIC_REPOSITORY") {
			t.Errorf("BaseEnviron keeps %s", kv)
		}
	}
}

func TestTypedErrorsFromRealRestic(t *testing.T) {
	r, _ := newTestRestic(t)
	repo, _ := initRepo(t, r)
	ctx := testContext(t)

	wrong := repo
	wrong.Password = "not the password"
	_, err := r.Snapshots(ctx, wrong)
	if !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong password: got %v", err)
	}
	if strings.Contains(fmt.Sprint(err), wrong.Password) {
		t.Errorf("error text %q holds the password", err)
	}

	missing := Repo{URL: filepath.Join(t.TempDir(), "nothing-here"), Password: testPassword}
	if _, err := r.Snapshots(ctx, missing); !errors.Is(err, ErrNoRepository) {
		t.Errorf("missing repository: got %v", err)
	}

	for n, err := range r.Ls(ctx, repo, "deadbeef") {
		if !errors.Is(err, ErrSnapshotNotFound) {
			t.Errorf("ls of a missing snapshot: got %+v, %v", n, err)
		}
	}
	if _, err := r.Run(ctx, Cmd{Args: DiffArgs("deadbeef", "cafebabe"), Repo: repo}); !errors.Is(err, ErrSnapshotNotFound) {
		t.Errorf("diff of missing snapshots: got %v", err)
	}
	args, _ := BackupArgs(BackupOptions{Host: "testhost", Includes: []string{"/nonexistent/path/1"}})
	if _, err := r.Run(ctx, Cmd{Args: args, Repo: repo}); !errors.Is(err, ErrPathNotFound) {
		t.Errorf("backup of a missing path: got %v", err)
	}
}

// A snapshot named by its full id that is not in the repository is
// ErrSnapshotNotFound at once on every version: restic 0.16 loads a full id
// directly and retries the missing file for over a minute (past this test's
// deadline), and 0.17+ words it as the backend's "no such file" failure.
// The same ids still find the snapshot that is there.
func TestAMissingSnapshotNamedByItsFullIDIsNotFound(t *testing.T) {
	r, _ := newTestRestic(t)
	repo, src := initRepo(t, r)
	ctx := testContext(t)
	snaps, err := r.Snapshots(ctx, repo)
	if err != nil || len(snaps) != 1 || len(snaps[0].ID) != 64 {
		t.Fatalf("snapshots %+v, %v", snaps, err)
	}
	present := snaps[0].ID
	missing := strings.Repeat("0123456789abcdef", 4)

	for n, err := range r.Ls(ctx, repo, missing) {
		if !errors.Is(err, ErrSnapshotNotFound) {
			t.Errorf("ls of a missing full id: got %+v, %v", n, err)
		}
	}
	if _, err := r.Run(ctx, Cmd{Args: DiffArgs(present, missing), Repo: repo}); !errors.Is(err, ErrSnapshotNotFound) {
		t.Errorf("diff with a missing full id: got %v", err)
	}
	args, err := r.RestoreArgs(RestoreOptions{SnapshotID: missing, Target: filepath.Join(t.TempDir(), "out")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, Cmd{Args: args, Repo: repo}); !errors.Is(err, ErrSnapshotNotFound) {
		t.Errorf("restore of a missing full id: got %v", err)
	}
	if _, err := r.Stats(ctx, repo, StatsRestoreSize, missing); !errors.Is(err, ErrSnapshotNotFound) {
		t.Errorf("stats of a missing full id: got %v", err)
	}

	files := 0
	for n, err := range r.Ls(ctx, repo, present) {
		if err != nil {
			t.Fatalf("ls of the present snapshot by its full id: %v", err)
		}
		if n.Type == "file" && strings.HasPrefix(n.Path, src) {
			files++
		}
	}
	if files != 3 {
		t.Errorf("ls by full id saw %d files, want 3", files)
	}
	if s, err := r.Stats(ctx, repo, StatsRestoreSize, present); err != nil || s.SnapshotsCount != 1 {
		t.Errorf("stats of the present snapshot by its full id: %+v, %v", s, err)
	}
}

func TestHeldLockNamesTheHolder(t *testing.T) {
	r, _ := newTestRestic(t)
	repo, _ := initRepo(t, r)
	holder := holdLock(t, r, repo)
	_, err := r.Run(testContext(t), Cmd{Args: UnlockArgs(), Repo: repo}) // unlock leaves a live lock alone
	if err != nil {
		t.Fatalf("unlock with a live lock: %v", err)
	}
	_, err = r.Run(testContext(t), Cmd{Args: PruneArgs(), Repo: repo})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("prune under a held lock: got %v", err)
	}
	l, ok := LockHolderOf(err)
	if !ok || l.PID != holder.Process.Pid {
		t.Fatalf("lock holder %+v, want PID %d", l, holder.Process.Pid)
	}
	host, _ := os.Hostname()
	if l.Host != host {
		t.Errorf("holder host %q, want %q", l.Host, host)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("PID %d on %s", holder.Process.Pid, host)) {
		t.Errorf("message %q does not name the holder", err)
	}
}

// holdLock starts `restic backup --stdin` and keeps its stdin open, so it
// holds a (shared) lock until the test ends. It returns once the lock file
// exists.
func holdLock(t *testing.T, r *Restic, repo Repo) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(r.Path(), "backup", "--stdin", "--stdin-filename", "held")
	cmd.Env = r.environ(repo, nil)
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
	if _, err := io.WriteString(stdin, "some bytes"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the lock file", func() bool {
		n, err := r.LockCount(testContext(t), repo)
		return err == nil && n > 0
	})
	return cmd
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

func TestLsStreamsNodesAndStopsEarly(t *testing.T) {
	r, _ := newTestRestic(t)
	repo, src := initRepo(t, r)
	ctx := testContext(t)
	snaps, err := r.Snapshots(ctx, repo)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots %v, %v", snaps, err)
	}
	var files []string
	for n, err := range r.Ls(ctx, repo, snaps[0].ShortID) {
		if err != nil {
			t.Fatal(err)
		}
		if n.Type == "file" {
			files = append(files, strings.TrimPrefix(n.Path, src))
		}
	}
	if strings.Join(files, ",") != "/a/b/two.txt,/a/one.txt,/c/three.txt" {
		t.Errorf("files %v", files)
	}
	var sized []Node
	for n, err := range r.Ls(ctx, repo, snaps[0].ID, filepath.Join(src, "c")) {
		if err != nil {
			t.Fatal(err)
		}
		sized = append(sized, n)
	}
	if len(sized) != 2 || sized[1].Size != uint64(len("content of c/three.txt")) {
		t.Errorf("ls restricted to c/: %+v", sized)
	}
	seen := 0
	for range r.Ls(ctx, repo, snaps[0].ID) {
		seen++
		break
	}
	if seen != 1 {
		t.Errorf("early break saw %d nodes", seen)
	}
}

func TestStatsOfARealRepository(t *testing.T) {
	r, _ := newTestRestic(t)
	repo, _ := initRepo(t, r)
	s, err := r.Stats(testContext(t), repo, StatsRestoreSize)
	if err != nil {
		t.Fatal(err)
	}
	if s.SnapshotsCount != 1 || s.TotalSize == 0 {
		t.Errorf("stats %+v", s)
	}
}

// restic's cache goes where CacheDir says, through --cache-dir right after
// the subcommand (before any "--"), and nowhere near the agent's state.
func TestTheCacheGoesToCacheDir(t *testing.T) {
	log := &argvLog{}
	cache := filepath.Join(t.TempDir(), "cache")
	r, err := New(testContext(t), Options{CacheDir: cache, Trace: log.record})
	if errors.Is(err, ErrNotInstalled) {
		t.Skip("restic is not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("RESTIC_CACHE_DIR", filepath.Join(t.TempDir(), "inherited")) // must not win
	initRepo(t, r)
	for _, argv := range log.all()[1:] { // the first is `restic version`
		if len(argv) < 4 || argv[2] != "--cache-dir" || argv[3] != cache {
			t.Errorf("argv %q; want --cache-dir %s right after the subcommand", argv, cache)
		}
	}
	ents, err := os.ReadDir(cache)
	if err != nil || len(ents) == 0 {
		t.Fatalf("cache dir %s after init and backup: %v entries (%v); want restic's cache there", cache, len(ents), err)
	}
}
