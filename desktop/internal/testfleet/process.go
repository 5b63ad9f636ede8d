package testfleet

import (
	"path/filepath"
	"testing"
)

// ProcessOptions start a restic-agent process against any manager with
// any flags (StartProcess).
type ProcessOptions struct {
	// Name is --hostname; default "agent-1".
	Name string
	// Dir holds the agent's state, files and log (default a fresh temp
	// directory). Two processes may share a Name but never a Dir.
	Dir string
	// Manager is --manager: a ws:// URL or the manager's tailnet name.
	Manager string
	// Args are added to the command line and Env to the environment, at
	// the first start and every Restart, as a service definition would.
	Args, Env []string
	// Files are written under the agent's Files folder first (default
	// SampleFiles).
	Files map[string]string
}

// StartProcess starts a restic-agent process and returns at once: no
// enrollment, no repository, no wait. The caller knows which manager it
// points at and sets HostID when it learns it; Agent.Backup, which goes
// through a fleet's hub, is not for these agents. It is stopped when the
// test ends (its log is shown when the test failed).
func StartProcess(t testing.TB, o ProcessOptions) *Agent {
	t.Helper()
	ResticBinary(t)
	if o.Name == "" {
		o.Name = "agent-1"
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Files == nil {
		o.Files = SampleFiles
	}
	a := &Agent{opts: AgentOptions{Name: o.Name, Files: o.Files, Env: o.Env}, Name: o.Name,
		State: filepath.Join(o.Dir, "state"), Files: filepath.Join(o.Dir, "files"), Repo: filepath.Join(o.Dir, "repo"),
		LogFile: filepath.Join(o.Dir, "agent.log"), manager: o.Manager, args: o.Args}
	WriteFiles(t, a.Files, o.Files)
	a.start(t)
	t.Cleanup(func() {
		a.Stop(t)
		if t.Failed() {
			t.Logf("agent %s log (last lines):\n%s", a.Name, a.LogTail(60))
		}
	})
	return a
}

// Pid is the running process's id, or 0 when it is not running.
func (a *Agent) Pid() int {
	if !a.Running() {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cmd.Process.Pid
}

// Start starts a stopped agent again with its options (Restart is Stop
// then Start).
func (a *Agent) Start(t testing.TB) {
	t.Helper()
	if a.Running() {
		t.Fatalf("agent %s is already running", a.Name)
	}
	a.start(t)
}
