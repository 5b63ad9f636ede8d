package testfleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ManagerProcess is a real restic-manager process (ManagerBinary) serving
// a closed fleet's store on the fleet's address, for tests that kill the
// manager as a process. Only one process may hold the store: Close the
// fleet first, and Reopen it only after the process has exited.
type ManagerProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *LogBuffer // stderr: JSON lines (--log-json), debug level
}

// StartManagerProcess runs `restic-manager --headless --tailnet=false
// --data <StoreDir> --listen <Addr> --enroll-token … --log-json --debug`
// (and --tls for a TLS fleet) and waits until it listens for agents. The
// fleet must be closed; the process is killed when the test ends if it
// still runs.
func (f *Fleet) StartManagerProcess(t testing.TB) *ManagerProcess {
	t.Helper()
	if f.Running() {
		t.Fatal("testfleet: StartManagerProcess while the fleet's hub holds the store; Close the fleet first")
	}
	bin := ManagerBinary(t)
	m := &ManagerProcess{done: make(chan struct{}), log: &LogBuffer{}}
	args := []string{"--headless", "--tailnet=false", "--data", f.StoreDir(), "--listen", f.Addr,
		"--enroll-token", "testfleet-manager-process", "--log-json", "--debug"}
	if f.opts.TLS {
		args = append(args, "--tls")
	}
	m.cmd = exec.Command(bin, args...)
	m.cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8")
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	DieWithTest(m.cmd)
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = m.cmd.Wait()
		close(m.done)
	}()
	t.Cleanup(func() {
		m.Kill(t)
		if t.Failed() {
			t.Logf("restic-manager process log (last lines):\n%s", m.log.Tail(60))
		}
	})
	m.WaitLog(t, "restic-manager to listen for agents", func(r LogRecord) bool {
		return r.Msg() == "listening for agents"
	})
	return m
}

// LogRecord is one JSON log line of the manager process.
type LogRecord map[string]any

// Msg is the record's message.
func (r LogRecord) Msg() string { s, _ := r["msg"].(string); return s }

// Str returns a string attribute ("" when absent).
func (r LogRecord) Str(key string) string { s, _ := r[key].(string); return s }

// Uint returns a numeric attribute (0 when absent).
func (r LogRecord) Uint(key string) uint64 { n, _ := r[key].(float64); return uint64(n) }

// Records parses the process's log so far (lines that are not JSON, such
// as Fyne's, are skipped).
func (m *ManagerProcess) Records() []LogRecord {
	var out []LogRecord
	sc := bufio.NewScanner(strings.NewReader(m.log.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var r LogRecord
		if json.Unmarshal(line, &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// Log returns the process's stderr so far.
func (m *ManagerProcess) Log() string { return m.log.String() }

// WaitLog waits until a log record satisfies cond, failing the test when
// the process exits first or Wait passes.
func (m *ManagerProcess) WaitLog(t testing.TB, what string, cond func(LogRecord) bool) {
	t.Helper()
	WaitFor(t, Wait, what, func() bool {
		for _, r := range m.Records() {
			if cond(r) {
				return true
			}
		}
		if m.Exited() {
			t.Fatalf("restic-manager exited while waiting for %s:\n%s", what, m.log.Tail(40))
		}
		return false
	})
}

// Exited reports whether the process has ended.
func (m *ManagerProcess) Exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Kill ends the process with SIGKILL, as a crash or power cut would, and
// waits for it.
func (m *ManagerProcess) Kill(t testing.TB) { m.signal(t, syscall.SIGKILL) }

// Stop ends the process with SIGTERM (a clean shutdown) and waits for it.
func (m *ManagerProcess) Stop(t testing.TB) { m.signal(t, syscall.SIGTERM) }

func (m *ManagerProcess) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if m.Exited() {
		return
	}
	_ = m.cmd.Process.Signal(sig)
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}
