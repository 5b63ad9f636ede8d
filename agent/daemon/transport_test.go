package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/agent/secrets"
	"restic-manager/internal/lantls"
)

// dialRecorder stands in for the network: it records every dial and makes
// none, so a test can show that nothing was looked up or dialled.
type dialRecorder struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialRecorder) dial(_ context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, network+" "+addr)
	d.mu.Unlock()
	return nil, errors.New("recorded, not dialled")
}

func (d *dialRecorder) calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

// An unsafe --manager is refused at start, from the URL alone: no name is
// looked up, nothing is dialled, the state directory is not even made,
// and the message names the fix.
func TestRunRefusesAnUnsafeManagerBeforeAnyDial(t *testing.T) {
	for _, tc := range []struct {
		name     string
		manager  string
		pin      string
		want     error
		mentions []string
	}{
		{"ws:// to another host", "ws://backup.invalid:8931", "", lantls.ErrUnencrypted, []string{"wss://backup.invalid:8931", "--manager-pin"}},
		{"wss:// without a pin", "wss://backup.invalid:8931", "", lantls.ErrNoPin, []string{"--manager-pin sha256:", "RM_MANAGER_PIN"}},
		{"a pin on ws://", "ws://127.0.0.1:8931", "sha256:" + strings.Repeat("1f", 32), lantls.ErrPinWithoutTLS, []string{"wss://"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &dialRecorder{}
			state := filepath.Join(t.TempDir(), "state")
			err := Run(context.Background(), Config{Manager: tc.manager, ManagerPin: tc.pin, StateDir: state, NetDial: rec.dial,
				Logger: slog.New(slog.DiscardHandler)})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Run = %v; want %v", err, tc.want)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%q should name the fix (%q)", err, m)
				}
			}
			if calls := rec.calls(); len(calls) != 0 {
				t.Errorf("dialled %v before refusing", calls)
			}
			if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the state directory was made (%v) for an agent refused at start", err)
			}
		})
	}
}

func TestTokenFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "  enroll-token-1234\n")
	for _, tc := range []struct {
		name string
		arg  tokenArg
		want string // "" with an error
		err  string
	}{
		{"value", tokenArg{value: "tok"}, "tok", ""},
		{"file, trimmed", tokenArg{file: good}, "enroll-token-1234", ""},
		{"both", tokenArg{flag: "--enroll", fileFlag: "--enroll-file", value: "x", file: good}, "", "not both"},
		{"empty file", tokenArg{fileFlag: "--enroll-file", file: write("empty", " \n")}, "", "is empty"},
		{"two lines", tokenArg{fileFlag: "--enroll-file", file: write("two", "a\nb\n")}, "", "only the token"},
		{"too big", tokenArg{fileFlag: "--enroll-file", file: write("big", strings.Repeat("x", maxTokenFile+1))}, "", "longer than"},
		{"missing", tokenArg{fileFlag: "--enroll-file", file: filepath.Join(dir, "none")}, "", "does not exist"},
	} {
		got, err := tc.arg.read()
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: read = %q, %v; want %q, error containing %q", tc.name, got, err, tc.want, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "enroll-token-1234") {
			t.Errorf("%s: the error quotes the token: %v", tc.name, err)
		}
	}
	loose := write("loose", "tok")
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	if !(tokenArg{file: loose}).looseMode() || (tokenArg{file: good}).looseMode() {
		t.Error("looseMode should flag a 0644 token file and not a 0600 one")
	}
}

// A missing --enroll-file stops an agent that still needs it, and is only
// noted once the agent holds its own token (the admin removed the file
// after enrollment). The second case dials: the recorder shows it.
func TestMissingEnrollFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "enroll")
	err := Run(context.Background(), Config{Manager: "ws://127.0.0.1:1", StateDir: t.TempDir(), EnrollFile: missing,
		NoKeyring: true, Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, errTokenFileMissing) || !strings.Contains(err.Error(), "not enrolled yet") {
		t.Fatalf("Run without its enrollment file = %v; want it refused: the agent is not enrolled", err)
	}

	state := t.TempDir()
	sec, err := secrets.Open(state, secrets.Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := sec.SetAgentToken("host-token-held"); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "agent.log")
	logs, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	logText := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	rec := &dialRecorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Manager: "ws://127.0.0.1:1", StateDir: state, EnrollFile: missing, NoKeyring: true, NetDial: rec.dial,
			HeartbeatInterval: time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	}()
	deadline := time.Now().Add(60 * time.Second)
	for len(rec.calls()) == 0 {
		select {
		case err := <-done:
			t.Fatalf("Run ended: %v\n%s", err, logText())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the enrolled agent never dialled:\n%s", logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if log := logText(); !strings.Contains(log, "the enrollment file is gone") {
		t.Errorf("log should note the missing enrollment file:\n%s", log)
	}
	if calls := rec.calls(); !strings.Contains(calls[0], "127.0.0.1:1") {
		t.Errorf("dialled %v; want the manager's address", calls)
	}
}
