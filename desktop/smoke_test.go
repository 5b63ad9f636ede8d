package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"restic-manager/desktop/internal/testfleet"
	"restic-manager/storage"
)

func TestMain(m *testing.M) { os.Exit(testfleet.Main(m)) }

// The real restic-manager binary opens its window on an X display (make
// test runs under xvfb-run), serves a real agent that enrolls and backs up
// while the window is up, stays up, never logs a widget touched off the UI
// goroutine, and exits cleanly on SIGTERM leaving a store that opens.
func TestTheWindowComesUpServesAnAgentAndStaysUp(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Skip("no X display: make test runs this under xvfb-run")
	}
	testfleet.ResticBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	files := filepath.Join(dir, "files")
	testfleet.WriteFiles(t, files, testfleet.SampleFiles)

	var out testfleet.LogBuffer
	mgr := exec.Command(testfleet.ManagerBinary(t), "--data", filepath.Join(dir, "data"), "--listen", addr,
		"--tailnet=false", "--memory-secrets", "--enroll-token", "smoke-token-1",
		"--demo-repo", filepath.Join(dir, "repo"), "--demo-files", files)
	mgr.Env = append(os.Environ(), "LANG=en_US.UTF-8", "FYNE_THEME=light")
	mgr.Stdout, mgr.Stderr = &out, &out
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- mgr.Wait() }()
	t.Cleanup(func() {
		_ = mgr.Process.Kill()
		if t.Failed() {
			t.Logf("manager output:\n%s", out.String())
		}
	})
	waitLog(t, &out, exited, "restic-manager window open")

	var agentOut testfleet.LogBuffer
	agent := exec.Command(testfleet.AgentBinary(t), "--manager", "ws://"+addr, "--enroll", "smoke-token-1",
		"--state", filepath.Join(dir, "agent"), "--hostname", "smoke-host", "--no-keyring")
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Signal(syscall.SIGTERM)
		_ = agent.Wait()
		if t.Failed() {
			t.Logf("agent output:\n%s", agentOut.String())
		}
	})
	// The demo setup runs init and a backup: the window repaints hosts,
	// jobs, progress and snapshots from the hub's goroutines meanwhile.
	deadline := time.Now().Add(testfleet.Wait)
	for !strings.Contains(agentOut.String(), `kind=backup status=succeeded`) {
		if time.Now().After(deadline) {
			t.Fatal("the agent's first backup did not succeed in time")
		}
		select {
		case err := <-exited:
			t.Fatalf("the manager exited while serving the agent: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// "Stays up": a few seconds more with the live host on screen.
	select {
	case err := <-exited:
		t.Fatalf("the manager exited: %v", err)
	case <-time.After(3 * time.Second):
	}
	if s := out.String(); strings.Contains(s, "Fyne call thread") || strings.Contains(s, "panic:") {
		t.Fatalf("the manager touched widgets off the UI goroutine or panicked:\n%s", s)
	}

	if err := mgr.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the manager exited with %v after SIGTERM; want a clean exit", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the manager did not exit within 30 s of SIGTERM")
	}
	st, err := storage.OpenDir(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatalf("the store does not open after the manager exited: %v", err)
	}
	defer st.Close()
	hosts, err := st.Hosts()
	if err != nil || len(hosts) != 1 {
		t.Fatalf("store hosts = %d, %v; want the one smoke host", len(hosts), err)
	}
}

func waitLog(t *testing.T, out *testfleet.LogBuffer, exited <-chan error, line string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testfleet.Wait)
	defer cancel()
	for !strings.Contains(out.String(), line) {
		select {
		case err := <-exited:
			t.Fatalf("the manager exited before %q: %v", line, err)
		case <-ctx.Done():
			t.Fatalf("no %q from the manager within %s", line, testfleet.Wait)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
