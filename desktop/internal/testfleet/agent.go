package testfleet

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/internal/testdisk"
)

// Group is the source group StartAgent configures: it backs up the
// agent's Files folder.
const Group = "files"

// AgentOptions tune StartAgent.
type AgentOptions struct {
	// Name is the agent's hostname (--hostname); default "agent-1".
	Name string
	// Files are written under the agent's Files folder before it starts
	// (relative path → content); default a small fixed set (SampleFiles).
	Files map[string]string
	// BigFileMiB, when set, adds big.bin of that many MiB of random bytes,
	// for backups that take a while (with UploadKbps for a slow one).
	BigFileMiB int
	// UploadKbps caps the host's upload bandwidth in kilobits per second,
	// as Hub.SetBandwidth and the wire take it: restic gets
	// ⌈UploadKbps × 1000 / 8192⌉ KiB/s (256 → 32 KiB/s).
	UploadKbps int
	// NoRepository skips the repository, source group and init: the host
	// is enrolled and online, nothing more.
	NoRepository bool
	// Env is added to the agent's environment.
	Env []string
	// Args are added to the agent's command line after the fleet's own
	// flags, so a flag given here wins (e.g. --restic).
	Args []string
	// StateTmpfsMiB, when set, puts the agent's --state on a tmpfs of that
	// many MiB (root only; the test is skipped otherwise): a small disk
	// the test can fill.
	StateTmpfsMiB int
}

// SampleFiles is StartAgent's default content.
var SampleFiles = map[string]string{
	"README.txt":          "restic manager test files\n",
	"docs/report.txt":     "quarterly report\n",
	"docs/notes/todo.txt": "- back up everything\n",
	"photos/cat.jpg":      "not really a jpeg\n",
}

// Agent is one running restic-agent process and what it backs up.
type Agent struct {
	f    *Fleet
	opts AgentOptions
	// HostID is the manager's id for the host.
	HostID string
	// Name is its hostname; State its --state; Files the folder the Group
	// backs up; Repo its repository; Password the repository password.
	Name, State, Files, Repo, Password string
	// LogFile collects the agent's stderr, across restarts.
	LogFile string

	// manager is --manager and pin --manager-pin (when set); args and env
	// are added at every start (see StartProcess).
	manager, pin string
	args         []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartAgent enrolls a new agent process with the fleet and waits until it
// is online. Unless NoRepository, it then gives the host a fresh restic
// repository (under the fleet's dir), the source group Group over Files,
// and runs init to success.
func (f *Fleet) StartAgent(t testing.TB, o AgentOptions) *Agent {
	t.Helper()
	ResticBinary(t)
	if o.Name == "" {
		o.Name = "agent-1"
	}
	if o.Files == nil {
		o.Files = SampleFiles
	}
	root := filepath.Join(f.Dir, "agents", o.Name)
	a := &Agent{f: f, opts: o, Name: o.Name, State: filepath.Join(root, "state"), Files: filepath.Join(root, "files"),
		Repo: filepath.Join(root, "repo"), LogFile: filepath.Join(root, "agent.log"), manager: f.URL, pin: f.Pin, args: o.Args}
	WriteFiles(t, a.Files, o.Files)
	if o.StateTmpfsMiB > 0 {
		// Before the agent's cleanup, so it is unmounted after the
		// agent stopped.
		testdisk.Tmpfs(t, a.State, o.StateTmpfsMiB)
	}
	if o.BigFileMiB > 0 {
		b := make([]byte, o.BigFileMiB<<20)
		_, _ = rand.Read(b)
		if err := os.WriteFile(filepath.Join(a.Files, "big.bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The token goes in a 0600 file, as "Add host" installs it: a token
	// on the command line is visible to every local user.
	enrollFile := filepath.Join(root, "enroll")
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(enrollFile, []byte(f.EnrollToken(t, 1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.start(t, "--enroll-file", enrollFile)
	t.Cleanup(func() {
		a.Stop(t)
		if t.Failed() {
			t.Logf("agent %s log (last lines):\n%s", a.Name, a.LogTail(60))
		}
	})
	WaitFor(t, Wait, "agent "+o.Name+" to enroll", func() bool {
		hosts, err := f.Hub.Hosts()
		if err != nil {
			return false
		}
		for _, h := range hosts {
			if h.Host.Hostname == o.Name && h.Online {
				a.HostID = h.Host.ID
				return true
			}
		}
		return false
	})
	if o.NoRepository {
		return a
	}
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	a.Password = "pw-" + hex.EncodeToString(pw)
	if err := f.Hub.SetRepository(a.HostID, hub.RepositoryUpdate{URL: &a.Repo, Password: &a.Password}); err != nil {
		t.Fatal(err)
	}
	if o.UploadKbps > 0 {
		if err := f.Hub.SetBandwidth(a.HostID, o.UploadKbps, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: Group, Includes: []string{a.Files}}); err != nil {
		t.Fatal(err)
	}
	f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "init"}), "succeeded")
	return a
}

// Backup runs a backup of Group to success and returns the job.
func (a *Agent) Backup(t testing.TB) hub.Job {
	t.Helper()
	return a.f.WaitJob(t, a.f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: Group}), "succeeded")
}

func (a *Agent) start(t testing.TB, extra ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(a.LogFile), 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(a.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// A short cancel grace: restic 0.14 waiting on its upload limiter does
	// not act on SIGINT, so a cancelled throttled backup ends at the kill.
	args := []string{"--manager", a.manager, "--state", a.State, "--hostname", a.Name, "--restic", ResticBinary(t),
		"--no-keyring", "--debug", "--cancel-grace", "5s", "--cache-dir", filepath.Join(filepath.Dir(a.State), "restic-cache")}
	if a.pin != "" {
		args = append(args, "--manager-pin", a.pin)
	}
	args = append(args, a.args...)
	args = append(args, extra...)
	cmd := exec.Command(AgentBinary(t), args...)
	cmd.Env = append(os.Environ(), a.opts.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	a.mu.Lock()
	a.cmd, a.done = cmd, done
	a.mu.Unlock()
}

// Stop ends the agent with SIGTERM (SIGKILL if it does not exit within
// 20 s) and waits for it. Stopping a stopped agent does nothing.
func (a *Agent) Stop(t testing.TB) { a.signal(t, syscall.SIGTERM) }

// Kill ends the agent with SIGKILL, as a crash or power cut would, and
// waits for it. restic children it started keep running until they end
// on their own or lose their lock: that is what a crash leaves behind.
func (a *Agent) Kill(t testing.TB) { a.signal(t, syscall.SIGKILL) }

func (a *Agent) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	a.mu.Lock()
	cmd, done := a.cmd, a.done
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts the stopped agent again on the same state directory (it
// reconnects with the token it keeps there).
func (a *Agent) Restart(t testing.TB) {
	t.Helper()
	a.Stop(t)
	a.start(t)
}

// Running reports whether the process is alive.
func (a *Agent) Running() bool {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Log returns the agent's log so far.
func (a *Agent) Log() string {
	b, _ := os.ReadFile(a.LogFile)
	return string(b)
}

// LogTail returns the last n lines of the agent's log.
func (a *Agent) LogTail(n int) string {
	lines := strings.Split(strings.TrimRight(a.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// WriteFiles writes files (relative path → content) under dir.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
