package runner

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"restic-manager/agent/journal"
	"restic-manager/agent/restic"
	"restic-manager/agent/secrets"
	"restic-manager/internal/restictest"
	"restic-manager/internal/testdisk"
	"restic-manager/protocol"
)

// The runner's tests use the real parts: restic on repositories under
// temporary directories, a real journal file, the secrets file backend.

const testPassword = "runner test password 9c1e-5b7a"

// templateRepo is one repository initialised in TestMain and copied for
// each test: restic's key derivation makes every init cost a second.
var templateRepo string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runner-test-")
	if err != nil {
		panic(err)
	}
	if path, err := restictest.Lookup(); err == nil {
		repo := filepath.Join(dir, "template")
		cmd := exec.Command(path, "init", "--cache-dir", filepath.Join(dir, "cache"))
		cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+testPassword)
		if out, err := cmd.CombinedOutput(); err != nil {
			panic(fmt.Sprintf("init template repository: %v\n%s", err, out))
		}
		templateRepo = repo
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// copyRepo makes a fresh initialised repository for one test.
func copyRepo(t testing.TB) string {
	t.Helper()
	if templateRepo == "" {
		restictest.Binary(t) // fails the test, saying why
		t.Fatal("the template repository was not made")
	}
	dst := filepath.Join(t.TempDir(), "repo")
	err := filepath.WalkDir(templateRepo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(templateRepo, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// spyStore is the journal, watched: every appended event is also kept in
// order so tests can wait for one. refuse, when set, is a fault seam: a
// write it returns an error for fails as a full disk's would, without
// reaching the file (the real full disk is in desktop/systest; here the
// test needs to say exactly which write fails).
type spyStore struct {
	*journal.Journal
	mu      sync.Mutex
	events  []protocol.Payload
	refuse  func(events []protocol.Payload) error
	refused int // writes refused so far
	changed chan struct{}
	// order, when set, sees each job.finished before it is written.
	order *orderLog
}

// orderLog is one sequence of what the runner did, across the store and
// the sink: "progress <job>" when the sink got progress, "finished <job>"
// when a job.finished was about to be journaled.
type orderLog struct {
	mu     sync.Mutex
	events []string
}

func (o *orderLog) add(what, jobID string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	o.events = append(o.events, what+" "+jobID)
	o.mu.Unlock()
}

func (o *orderLog) all() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}

// errDiskFull is what a full disk makes bbolt return.
var errDiskFull = &fs.PathError{Op: "write", Path: "journal.db", Err: syscall.ENOSPC}

// setRefuse installs (nil: removes) the fault seam.
func (s *spyStore) setRefuse(f func(events []protocol.Payload) error) {
	s.mu.Lock()
	s.refuse = f
	s.mu.Unlock()
}

func (s *spyStore) refusedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func (s *spyStore) fault(events []protocol.Payload) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse == nil {
		return nil
	}
	err := s.refuse(events)
	if err != nil {
		s.refused++
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return err
}

func newSpyStore(j *journal.Journal) *spyStore {
	return &spyStore{Journal: j, changed: make(chan struct{})}
}

func (s *spyStore) Append(events ...protocol.Payload) (uint64, error) {
	for _, e := range events {
		if f, ok := e.(*protocol.JobFinished); ok {
			s.order.add("finished", f.JobID)
		}
	}
	if err := s.fault(events); err != nil {
		return 0, err
	}
	seq, err := s.Journal.Append(events...)
	if err == nil {
		s.record(events)
	}
	return seq, err
}

func (s *spyStore) Enqueue(jobs []journal.Job, events ...protocol.Payload) error {
	if err := s.fault(events); err != nil {
		return err
	}
	err := s.Journal.Enqueue(jobs, events...)
	if err == nil {
		s.record(events)
	}
	return err
}

func (s *spyStore) record(events []protocol.Payload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, events...)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *spyStore) snapshot() ([]protocol.Payload, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events), s.changed
}

// recordingSink keeps everything the runner reports as best-effort state.
type recordingSink struct {
	mu        sync.Mutex
	progress  []protocol.JobProgress
	snapshots [][]protocol.Snapshot
	stats     []protocol.RepoStats
	notices   []string
	changed   chan struct{}
	order     *orderLog
}

func newRecordingSink() *recordingSink { return &recordingSink{changed: make(chan struct{})} }

func (s *recordingSink) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *recordingSink) Progress(p protocol.JobProgress) {
	s.order.add("progress", p.JobID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress = append(s.progress, p)
	s.notify()
}

func (s *recordingSink) Snapshots(l []protocol.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snapshots = append(s.snapshots, l)
	s.notify()
}

func (s *recordingSink) RepoStats(r protocol.RepoStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = append(s.stats, r)
	s.notify()
}

func (s *recordingSink) Notice(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notices = append(s.notices, text)
	s.notify()
}

func (s *recordingSink) progressOf(jobID string) []protocol.JobProgress {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []protocol.JobProgress
	for _, p := range s.progress {
		if p.JobID == jobID {
			out = append(out, p)
		}
	}
	return out
}

// lockedBuffer collects slog output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type harness struct {
	t        testing.TB
	stateDir string
	repoURL  string
	journal  *journal.Journal
	store    *spyStore
	secrets  *secrets.Store
	sink     *recordingSink
	restic   *restic.Restic
	runner   *Runner
	logs     *lockedBuffer
	cacheDir string
	// quickRetries: see harnessOptions.
	quickRetries bool
	noHooks      bool
	// runTimeout bounds run's wait for job.finished (default 120 s).
	runTimeout time.Duration

	argvMu sync.Mutex
	argv   [][]string

	stop    context.CancelFunc
	stopped chan error
}

type harnessOptions struct {
	repoURL    string // default: a fresh copy of the template repository
	grace      time.Duration
	noRunner   bool // build the runner but do not start it
	hookShell  string
	bandwidthK int // host upload cap in kbps
	// quickRetries makes journal write retries and held-end retries take
	// milliseconds.
	quickRetries bool
	// stateTmpfsMiB puts the state directory (journal, secrets) on a real
	// tmpfs of that size (root only; skipped otherwise).
	stateTmpfsMiB int
	noHooks       bool // the agent's --no-hooks
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t, stateDir: t.TempDir(), logs: &lockedBuffer{}, cacheDir: t.TempDir()}
	if o.stateTmpfsMiB > 0 {
		testdisk.Tmpfs(t, h.stateDir, o.stateTmpfsMiB) // unmounted after h.close: cleanups run last first
	}
	h.repoURL, h.noHooks = o.repoURL, o.noHooks
	if h.repoURL == "" {
		h.repoURL = copyRepo(t)
	}
	var err error
	h.restic, err = restic.New(context.Background(), restic.Options{Path: restictest.Binary(t), CacheDir: h.cacheDir, Trace: func(a []string) {
		h.argvMu.Lock()
		h.argv = append(h.argv, a)
		h.argvMu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.openJournal()
	h.secrets, err = secrets.Open(h.stateDir, secrets.Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	cu := &protocol.ConfigUpdate{RepoURL: h.repoURL, RepoPassword: testPassword, HookShell: o.hookShell}
	if o.bandwidthK > 0 {
		cu.BandwidthUpKbps = &o.bandwidthK
	}
	if err := h.secrets.ApplyConfig(cu); err != nil {
		t.Fatal(err)
	}
	if _, err := h.journal.ApplyConfig(*cu); err != nil {
		t.Fatal(err)
	}
	h.sink = newRecordingSink()
	h.quickRetries = o.quickRetries
	h.newRunner(o.grace)
	if !o.noRunner {
		h.start()
	}
	t.Cleanup(h.close)
	return h
}

func (h *harness) openJournal() {
	j, err := journal.Open(h.stateDir)
	if err != nil {
		h.t.Fatal(err)
	}
	h.journal = j
	h.store = newSpyStore(j)
	// Events the journal wrote itself at Open (a job failed by the restart)
	// count as seen.
	frames, err := j.Pending(0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range frames {
		env, err := protocol.DecodeEnvelope(f.Data)
		if err != nil {
			h.t.Fatal(err)
		}
		p, err := env.DecodePayload()
		if err != nil {
			h.t.Fatal(err)
		}
		h.store.events = append(h.store.events, p)
	}
}

func (h *harness) newRunner(grace time.Duration) {
	o := Options{
		Restic: h.restic, Store: h.store, Secrets: h.secrets, Sink: h.sink,
		Hostname: "agent-under-test", StateDir: h.stateDir, CancelGrace: grace, ProgressInterval: 200 * time.Millisecond, NoHooks: h.noHooks,
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if h.quickRetries {
		o.JournalRetries, o.JournalRetryWait, o.HeldRetry = 2, 5*time.Millisecond, 20*time.Millisecond
	}
	var err error
	h.runner, err = New(o)
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	h.stopped = make(chan error, 1)
	r := h.runner
	go func() { h.stopped <- r.Run(ctx) }()
}

// stopRunner stops the worker (as the agent's shutdown does) and waits.
func (h *harness) stopRunner() {
	if h.stop == nil {
		return
	}
	h.stop()
	select {
	case <-h.stopped:
	case <-time.After(60 * time.Second):
		h.t.Fatal("runner did not stop within 60 s")
	}
	h.stop = nil
}

// restart simulates an agent restart: stop the runner, close and reopen the
// journal, start a new runner.
func (h *harness) restart() {
	h.stopRunner()
	h.journal.Close()
	h.openJournal()
	h.newRunner(0)
	h.start()
}

func (h *harness) close() {
	h.stopRunner()
	h.assertNoSecretLeaked()
	h.journal.Close()
}

// assertNoSecretLeaked: the password is in no argv, no log line of the
// agent and no journaled frame.
func (h *harness) assertNoSecretLeaked() {
	h.t.Helper()
	h.argvMu.Lock()
	for _, a := range h.argv {
		for _, s := range a {
			if strings.Contains(s, testPassword) {
				h.t.Errorf("argv %q holds the repository password", a)
			}
		}
	}
	h.argvMu.Unlock()
	if strings.Contains(h.logs.String(), testPassword) {
		h.t.Error("the agent's log output holds the repository password")
	}
	frames, err := h.journal.Pending(0, 0)
	if err != nil {
		h.t.Error(err)
	}
	for _, f := range frames {
		if bytes.Contains(f.Data, []byte(testPassword)) {
			h.t.Errorf("journaled frame %d holds the repository password", f.Seq)
		}
	}
}

func (h *harness) resticCalls(sub string) int {
	h.argvMu.Lock()
	defer h.argvMu.Unlock()
	n := 0
	for _, a := range h.argv {
		if len(a) > 1 && a[1] == sub {
			n++
		}
	}
	return n
}

func (h *harness) submit(job Job) string {
	h.t.Helper()
	if job.Run.JobID == "" {
		job.Run.JobID = protocol.NewID()
	}
	if err := h.runner.Submit(job); err != nil {
		h.t.Fatalf("submit %s job: %v", job.Run.Kind, err)
	}
	return job.Run.JobID
}

// run submits a job and waits for its job.finished.
func (h *harness) run(job Job) *protocol.JobFinished {
	h.t.Helper()
	timeout := h.runTimeout
	if timeout == 0 {
		timeout = 120 * time.Second
	}
	return h.waitFinished(h.submit(job), timeout)
}

func (h *harness) waitFinished(jobID string, timeout time.Duration) *protocol.JobFinished {
	h.t.Helper()
	var fin *protocol.JobFinished
	h.waitEvent(timeout, "job.finished of "+jobID, func(p protocol.Payload) bool {
		if f, ok := p.(*protocol.JobFinished); ok && f.JobID == jobID {
			fin = f
			return true
		}
		return false
	})
	return fin
}

func (h *harness) waitEvent(timeout time.Duration, what string, match func(protocol.Payload) bool) {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		events, changed := h.store.snapshot()
		for _, e := range events {
			if match(e) {
				return
			}
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// waitProgress waits for the first job.progress of a job.
func (h *harness) waitProgress(jobID string, timeout time.Duration) protocol.JobProgress {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		h.sink.mu.Lock()
		changed := h.sink.changed
		h.sink.mu.Unlock()
		if p := h.sink.progressOf(jobID); len(p) > 0 {
			return p[0]
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("timed out after %v waiting for progress of %s", timeout, jobID)
		}
	}
}

// waitSink waits until cond holds for what the sink received.
func (h *harness) waitSink(timeout time.Duration, what string, cond func(*recordingSink) bool) {
	h.t.Helper()
	deadline := time.After(timeout)
	for {
		h.sink.mu.Lock()
		ok, changed := cond(h.sink), h.sink.changed
		h.sink.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// snapshotReports is how many snapshot lists the sink has received.
func (h *harness) snapshotReports() int {
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	return len(h.sink.snapshots)
}

func (h *harness) allArgv() [][]string {
	h.argvMu.Lock()
	defer h.argvMu.Unlock()
	return slices.Clone(h.argv)
}

// jobEvents returns the journaled events of one job, in order, decoded
// from the journal's stored frames (what the manager will receive).
func (h *harness) jobEvents(jobID string) []protocol.Payload {
	h.t.Helper()
	frames, err := h.journal.Pending(0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []protocol.Payload
	for _, f := range frames {
		env, err := protocol.DecodeEnvelope(f.Data)
		if err != nil {
			h.t.Fatal(err)
		}
		p, err := env.DecodePayload()
		if err != nil {
			h.t.Fatal(err)
		}
		if jobOf(p) == jobID {
			out = append(out, p)
		}
	}
	return out
}

func jobOf(p protocol.Payload) string {
	switch e := p.(type) {
	case *protocol.JobStarted:
		return e.JobID
	case *protocol.JobFinished:
		return e.JobID
	case *protocol.LogStream:
		return e.JobID
	}
	return ""
}

// logLines returns a job's journaled log lines.
func (h *harness) logLines(jobID string) []*protocol.LogStream {
	var out []*protocol.LogStream
	for _, e := range h.jobEvents(jobID) {
		if l, ok := e.(*protocol.LogStream); ok {
			out = append(out, l)
		}
	}
	return out
}

func (h *harness) logText(jobID string) string {
	var b strings.Builder
	for _, l := range h.logLines(jobID) {
		b.WriteString(l.Stream + ": " + l.Payload + "\n")
	}
	return b.String()
}

func countStarted(events []protocol.Payload) int {
	n := 0
	for _, e := range events {
		if _, ok := e.(*protocol.JobStarted); ok {
			n++
		}
	}
	return n
}

// repo is the test repository with its credentials, for direct restic calls.
func (h *harness) repo() restic.Repo {
	return restic.Repo{URL: h.repoURL, Password: testPassword}
}

func (h *harness) snapshots() []protocol.Snapshot {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := h.restic.Snapshots(ctx, h.repo())
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func mustSucceed(t testing.TB, fin *protocol.JobFinished, h *harness) {
	t.Helper()
	if fin.Status != protocol.StatusSucceeded {
		t.Fatalf("job %s ended %s (exit %d): %s\nlog:\n%s", fin.JobID, fin.Status, fin.ExitCode, fin.Error, h.logText(fin.JobID))
	}
}

func backupJob(tag string, includes ...string) Job {
	return Job{Run: protocol.CommandRun{Kind: protocol.KindBackup, Tag: tag, Includes: includes}}
}

// writeFiles creates files (path → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// generateTree writes files of pseudo-random, incompressible bytes
// (deterministic per seed) totalling about size bytes under dir.
func generateTree(t testing.TB, dir string, files int, size int64, seed uint64) {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1, 2, 3})
	per := size / int64(files)
	buf := make([]byte, 1<<20)
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("d%03d", i/200), fmt.Sprintf("f%05d.bin", i))
		if i%200 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		for left := per; left > 0; {
			n := min(left, int64(len(buf)))
			_, _ = rng.Read(buf[:n])
			if _, err := f.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
			left -= n
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func sameTree(t *testing.T, want, got string) {
	t.Helper()
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		a, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			return fmt.Errorf("restored tree lacks %s: %w", rel, err)
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("%s differs after restore", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
