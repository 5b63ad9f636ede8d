package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// events is the order things happened in, across the service manager's
// reports and the agent's goroutine.
type events struct {
	mu   sync.Mutex
	list []string
	last Status
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *events) report(s Status) {
	e.mu.Lock()
	e.last = s
	e.mu.Unlock()
	e.add(s.State.String())
}

func (e *events) get() ([]string, Status) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list), e.last
}

// The Windows service's logic, driven as the Service Control Manager
// drives it (svc's channel of change requests and status reports, here
// through Serve's interface): a stop cancels the agent's context,
// announces a wait covering the cancel grace, and reports stopped only
// once the agent has returned — so a running restic is never cut off.
func TestServeStopCancelsTheAgentAndWaitsForIt(t *testing.T) {
	for _, req := range []Request{Stop, Shutdown} {
		var ev events
		requests := make(chan Request)
		running := make(chan struct{})
		release := make(chan struct{})
		var hint time.Duration
		agent := func(ctx context.Context) error {
			close(running)
			<-ctx.Done()
			ev.add("agent saw cancel")
			<-release // restic removing its lock
			ev.add("agent returned")
			return ctx.Err()
		}
		result := make(chan error, 1)
		go func() {
			result <- Serve(requests, func(s Status) {
				if s.State == StopPending {
					hint = s.WaitHint
				}
				ev.report(s)
			}, 45*time.Second, agent)
		}()
		<-running
		requests <- Interrogate
		requests <- req
		// A second stop while stopping is answered, not acted on twice.
		requests <- req
		close(release)
		if err := <-result; err != nil {
			t.Fatalf("request %d: Serve: %v", req, err)
		}
		list, last := ev.get()
		// The second stop's answer may land anywhere after the first;
		// everything else is ordered.
		pending := slices.Index(list, "stop-pending")
		switch {
		case !slices.Equal(list[:min(4, len(list))], []string{"start-pending", "running", "running", "stop-pending"}),
			slices.Index(list, "agent saw cancel") < pending,
			!slices.Contains(list, "agent returned"),
			list[len(list)-1] != "stopped",
			countOf(list, "stop-pending") != 2:
			t.Errorf("request %d: events %q, want start-pending, running, running (interrogated), stop-pending, then the agent sees the cancel and returns, then stopped, and the second stop answered with stop-pending", req, list)
		}
		if last.ExitCode != 0 {
			t.Errorf("request %d: a requested stop exits %d, want 0", req, last.ExitCode)
		}
		if hint < 45*time.Second {
			t.Errorf("stop-pending wait hint %s is shorter than the cancel grace", hint)
		}
	}
}

// An agent that ends by itself is a failure: a non-zero exit code makes
// the recovery actions restart it.
func TestServeAgentEndingByItselfIsAFailure(t *testing.T) {
	boom := errors.New("no restic on PATH")
	for _, ret := range []error{boom, nil} {
		var ev events
		err := Serve(make(chan Request), ev.report, time.Second, func(context.Context) error { return ret })
		_, last := ev.get()
		if last.State != Stopped || last.ExitCode == 0 {
			t.Errorf("agent returned %v: last status %+v, want stopped with a non-zero exit code", ret, last)
		}
		if ret != nil && !errors.Is(err, boom) {
			t.Errorf("Serve returned %v, want the agent's %v", err, boom)
		}
		if ret == nil && err == nil {
			t.Error("an agent returning nil unasked: Serve returned nil")
		}
	}
}

func TestOpenLogKeepsOneOldLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, LogName)
	big := make([]byte, maxLog+1)
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("started\n"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + ".1"); err != nil || fi.Size() != int64(len(big)) {
		t.Errorf("old log: %v, %v", fi, err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "started\n" {
		t.Errorf("new log %q, %v", b, err)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
