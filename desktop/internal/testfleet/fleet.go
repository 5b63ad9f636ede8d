package testfleet

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/hubnet"
	"restic-manager/desktop/secrets"
	"restic-manager/internal/restictest"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// Wait bounds every wait of this package: generous for a loaded two-core
// CI machine, short enough that a stuck test still ends.
const Wait = 90 * time.Second

// Options tune New.
type Options struct {
	// Hub adjusts the hub's options before it starts (nil: defaults, with a
	// debug log kept for failure reports).
	Hub func(*hub.Options)
	// TLS serves the plain-TCP listener with TLS on 127.0.0.1 (the
	// manager's --tls), its certificate in StoreDir()/tls: agents dial
	// URL (wss://) with --manager-pin Pin.
	TLS bool
}

// Fleet is a running hub with its store and listener.
type Fleet struct {
	Hub     *hub.Hub
	Store   *storage.Store
	Secrets *secrets.Memory
	// Addr is the plain-TCP listener's host:port; URL the agents' ws://
	// URL (wss:// with Options.TLS, and Pin the certificate's pin). All
	// stay the same across Close and Reopen.
	Addr string
	URL  string
	Pin  string
	// Dir is the fleet's temp directory (store, agents' state, repos).
	Dir string

	opts Options
	logs *LogBuffer
	// stop ends the running hub and closes its store; nil while the
	// manager is away (Close).
	stop func()

	mu       sync.Mutex
	whoisMap map[string]hub.Peer
	tailAddr string
}

// New starts a hub over a fresh store; it is closed when the test ends.
func New(t testing.TB, o Options) *Fleet {
	t.Helper()
	dir := t.TempDir()
	f := &Fleet{Secrets: secrets.NewMemory(), Dir: dir, opts: o, logs: &LogBuffer{}, whoisMap: map[string]hub.Peer{},
		Addr: "127.0.0.1:0", tailAddr: "127.0.0.1:0"}
	f.open(t)
	f.URL = "ws://" + f.Addr + protocol.AgentPath
	if o.TLS {
		f.URL = "wss://" + f.Addr + protocol.AgentPath
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("hub log (last lines):\n%s", f.logs.Tail(60))
		}
		f.shutdown()
	})
	return f
}

// StoreDir is the manager's data directory (--data of restic-manager):
// its bbolt file lives there.
func (f *Fleet) StoreDir() string { return filepath.Join(f.Dir, "manager") }

// Close stops the hub and closes its store, as a manager that quits or
// sleeps: agents lose their connection and keep running (and retrying).
// Reopen brings it back; closing a closed fleet does nothing.
func (f *Fleet) Close(t testing.TB) {
	t.Helper()
	f.shutdown()
}

// Reopen starts a new hub over the same store directory, with the same
// secrets and options, listening on the same addresses, so the agents
// reconnect by themselves. The fleet must be closed (Close), and no other
// process may hold the store (a ManagerProcess must have exited).
func (f *Fleet) Reopen(t testing.TB) {
	t.Helper()
	if f.stop != nil {
		t.Fatal("testfleet: Reopen of a fleet that is running; Close it first")
	}
	f.open(t)
}

// Running reports whether the fleet's hub is up (not Closed).
func (f *Fleet) Running() bool { return f.stop != nil }

func (f *Fleet) shutdown() {
	if f.stop != nil {
		f.stop()
		f.stop = nil
	}
}

// open opens the store and a hub over it, and serves the plain-TCP and
// test-tailnet listeners on f.Addr and f.tailAddr (port 0 the first
// time; the same ports after that).
func (f *Fleet) open(t testing.TB) {
	t.Helper()
	st, err := storage.OpenDir(f.StoreDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ho := hub.Options{Store: st, Secrets: f.Secrets,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if f.opts.Hub != nil {
		f.opts.Hub(&ho)
	}
	h, err := hub.New(ho)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serving sync.WaitGroup
	stop := func() {
		cancel()
		h.Close()
		serving.Wait()
		st.Close()
	}
	serve := func(l hub.Listener) {
		serving.Add(1)
		go func() {
			defer serving.Done()
			if err := h.Serve(ctx, l); err != nil {
				t.Errorf("hub.Serve(%s): %v", l.Name, err)
			}
		}()
	}
	tcp, err := hubnet.LAN(f.Addr, hubnet.LANOptions{TLS: f.opts.TLS, CertDir: filepath.Join(f.StoreDir(), "tls")})
	if err != nil {
		stop()
		t.Fatal(err)
	}
	if f.Pin != "" && tcp.Pin != f.Pin {
		tcp.L.Close()
		stop()
		t.Fatalf("testfleet: the reopened manager's pin is %s, was %s", tcp.Pin, f.Pin)
	}
	tail, err := hubnet.TCP(f.tailAddr)
	if err != nil {
		tcp.L.Close()
		stop()
		t.Fatal(err)
	}
	f.Hub, f.Store, f.stop = h, st, stop
	f.Addr = tcp.L.Addr().String()
	if f.opts.TLS {
		f.Pin = tcp.Pin
	}
	f.tailAddr = tail.L.Addr().String()
	serve(tcp.Listener)
	serve(hub.Listener{Name: "tailnet (test WhoIs)", L: tail.L, WhoIs: f.whois})
}

// Logs returns the hub's log so far (debug level).
func (f *Fleet) Logs() string { return f.logs.String() }

// EnrollToken makes a fresh enrollment token for uses hosts.
func (f *Fleet) EnrollToken(t testing.TB, uses int) string {
	t.Helper()
	tok, err := f.Hub.CreateEnrollToken(uses, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// RunNow starts a job and returns its id.
func (f *Fleet) RunNow(t testing.TB, hostID string, r hub.RunRequest) string {
	t.Helper()
	id, err := f.Hub.RunNow(hostID, r)
	if err != nil {
		t.Fatalf("RunNow(%s %s): %v", r.Kind, r.Group, err)
	}
	return id
}

// WaitJob waits until the job reaches a terminal status and fails the test
// unless it is want ("" accepts any). It returns the job.
func (f *Fleet) WaitJob(t testing.TB, jobID, want string) hub.Job {
	t.Helper()
	var j hub.Job
	WaitFor(t, Wait, "job "+jobID+" to end", func() bool {
		var err error
		j, err = f.Hub.Job(jobID)
		return err == nil && protocol.IsTerminal(j.Status)
	})
	if want != "" && j.Status != want {
		t.Fatalf("job %s (%s) ended %s (exit %d, error %q); want %s", jobID, j.Kind, j.Status, j.ExitCode, j.Error, want)
	}
	return j
}

// WaitOnline waits until the host has a live connection.
func (f *Fleet) WaitOnline(t testing.TB, hostID string) {
	t.Helper()
	WaitFor(t, Wait, "host "+hostID+" online", func() bool {
		d, err := f.Hub.Host(hostID)
		return err == nil && d.Online
	})
}

// WaitFor polls cond until it holds, failing the test after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// LogBuffer is a concurrency-safe sink for a process's or a logger's
// output, for tests that wait on what was logged.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Tail returns the last n lines.
func (l *LogBuffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// --- the agent binary ---

var (
	binMu  sync.Mutex
	binDir string
	built  = map[string]string{} // package → binary
)

// Main runs the tests and removes the binaries built for them. Call it
// from TestMain.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	return code
}

// AgentBinary builds restic-agent once per test process (the Go build
// cache makes it quick after the first time) and returns its path.
func AgentBinary(t testing.TB) string { return binary(t, "restic-manager/agent", "restic-agent") }

// ManagerBinary builds restic-manager (cgo: Fyne and GL) once per test
// process and returns its path, for tests that kill the manager as a
// process.
func ManagerBinary(t testing.TB) string { return binary(t, "restic-manager/desktop", "restic-manager") }

func binary(t testing.TB, pkg, name string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	if binDir == "" {
		d, err := os.MkdirTemp("", "testfleet-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
	}
	p := filepath.Join(binDir, name)
	cmd := exec.Command("go", "build", "-o", p, pkg)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	built[pkg] = p
	return p
}

// ResticBinary returns the path of the restic the tests use
// ($RM_TEST_RESTIC, else restic on PATH: see internal/restictest), failing
// the test clearly when there is none. Every agent the fleet starts runs it
// (--restic).
func ResticBinary(t testing.TB) string {
	t.Helper()
	return restictest.Binary(t)
}

var _ io.Writer = (*LogBuffer)(nil)
