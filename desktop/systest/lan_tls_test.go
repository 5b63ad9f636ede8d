package systest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"restic-manager/desktop/internal/testfleet"
)

// The LAN path end to end, on 127.0.0.1 with the manager's --tls: the real
// agent dials wss:// with --manager-pin and its enrollment token in a
// --enroll-file, enrolls, and backs up; the pin it holds still fits after
// the manager restarts (in-process, and as the real restic-manager
// binary, which logs the same pin).
func TestLANAgentEnrollsOverTLSAndKeepsThePinAcrossRestarts(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{TLS: true})
	if !strings.HasPrefix(f.URL, "wss://127.0.0.1:") || !strings.HasPrefix(f.Pin, "sha256:") {
		t.Fatalf("TLS fleet: URL %q, pin %q", f.URL, f.Pin)
	}
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "lan-pc"})
	a.Backup(t)
	if log := a.Log(); !strings.Contains(log, "manager_pin="+f.Pin) {
		t.Errorf("the agent's start line should show the pin it checks:\n%s", a.LogTail(20))
	}

	// The real manager binary on the same data folder serves the same
	// certificate, says so in its start line, and the agent reconnects.
	f.Close(t)
	m := f.StartManagerProcess(t)
	m.WaitLog(t, "the manager's start line with the agents' URL and pin", func(r testfleet.LogRecord) bool {
		return r.Msg() == "agents connect with"
	})
	for _, r := range m.Records() {
		if r.Msg() == "agents connect with" && (r.Str("pin") != f.Pin || r.Str("manager") != strings.TrimSuffix(f.URL, "/v1/agent")) {
			t.Fatalf("restic-manager logs manager %q, pin %q; want %q and the fleet's pin %s", r.Str("manager"), r.Str("pin"),
				strings.TrimSuffix(f.URL, "/v1/agent"), f.Pin)
		}
	}
	m.WaitLog(t, "the agent to reconnect to restic-manager", func(r testfleet.LogRecord) bool {
		return r.Msg() == "agent connected" && r.Str("host") == a.HostID
	})
	m.Stop(t)

	f.Reopen(t) // testfleet checks the pin is unchanged
	f.WaitOnline(t, a.HostID)
	a.Backup(t)
}

// An agent holding another pin never enrolls: it refuses the manager in the
// TLS handshake, before its token leaves it, and its log names both pins.
func TestLANAgentRefusesAManagerWithAnotherPin(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{TLS: true})
	dir := t.TempDir()
	enroll := filepath.Join(dir, "enroll")
	if err := os.WriteFile(enroll, []byte(f.EnrollToken(t, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	wrong := "sha256:" + strings.Repeat("0f", 32)
	a := testfleet.StartProcess(t, testfleet.ProcessOptions{Name: "impostor-check", Manager: f.URL,
		Args: []string{"--manager-pin", wrong, "--enroll-file", enroll}})
	testfleet.WaitFor(t, testfleet.Wait, "the agent to refuse the manager's certificate", func() bool {
		log := a.Log()
		return strings.Contains(log, wrong) && strings.Contains(log, f.Pin)
	})
	hosts, err := f.Hub.Hosts()
	if err != nil || len(hosts) != 0 {
		t.Fatalf("hosts = %+v, %v; want none: the agent must not have talked to the manager", hosts, err)
	}
	if strings.Contains(f.Logs(), "impostor-check") {
		t.Error("the manager saw the agent's hello")
	}
}

// The real binary refuses an unencrypted --manager at start, exits, and
// says what to use instead (the daemon's tests show no dial happens).
func TestAgentRefusesAnUnencryptedLANManagerAtStart(t *testing.T) {
	a := testfleet.StartProcess(t, testfleet.ProcessOptions{Manager: "ws://backup.invalid:8931",
		Args: []string{"--enroll", "unused-token"}})
	testfleet.WaitFor(t, testfleet.Wait, "the agent to exit", func() bool { return !a.Running() })
	log := a.Log()
	for _, want := range []string{"ws:// is not encrypted", "wss://backup.invalid:8931", "--manager-pin"} {
		if !strings.Contains(log, want) {
			t.Errorf("the agent's message lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "restic-agent starting") {
		t.Error("the agent started before refusing")
	}
}
