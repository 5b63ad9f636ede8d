package runner

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/protocol"
)

func probeJob() Job { return Job{Run: protocol.CommandRun{Kind: protocol.KindProbe}} }

func probeLocks(t *testing.T, fin *protocol.JobFinished) int {
	t.Helper()
	var st struct {
		Locks *int `json:"locks"`
	}
	if err := json.Unmarshal(fin.Stats, &st); err != nil || st.Locks == nil {
		t.Fatalf("probe stats %s (%v): want {\"locks\": n}", fin.Stats, err)
	}
	return *st.Locks
}

// The repository test on a good repository succeeds, runs restic cat
// config without a lock and changes nothing.
func TestProbeOfAGoodRepository(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	fin := h.run(probeJob())
	mustSucceed(t, fin, h)
	if n := probeLocks(t, fin); n != 0 {
		t.Errorf("%d locks in an idle repository", n)
	}
	if !strings.Contains(h.logText(fin.JobID), "the repository answers, is initialised, and the password is right") {
		t.Errorf("log does not say what the test found:\n%s", h.logText(fin.JobID))
	}
	for _, a := range h.allArgv() {
		if len(a) > 1 && a[1] == "cat" && !slices.Contains(a, "--no-lock") {
			t.Errorf("probe ran %q without --no-lock", a)
		}
		if len(a) > 1 && a[1] == "unlock" {
			t.Errorf("the probe ran %q: a test takes no lock and clears none", a)
		}
	}
}

// A held lock does not fail the test (it takes none), but it is reported:
// in the stats, the log and repo.stats.
func TestProbeReportsAHeldLock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	holdLock(t, h)
	fin := h.run(probeJob())
	mustSucceed(t, fin, h)
	if n := probeLocks(t, fin); n < 1 {
		t.Errorf("probe beside a held lock counted %d locks", n)
	}
	h.waitSink(30*time.Second, "repo.stats with lock_present", func(s *recordingSink) bool {
		for _, st := range s.stats {
			if st.LockPresent != nil && *st.LockPresent {
				return true
			}
		}
		return false
	})
}

// The test runs beside a job that holds the queue: a backup whose
// pre-hook waits for the test to end.
func TestProbeRunsBesideARunningJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	gate := filepath.Join(t.TempDir(), "probe-done")
	slow := backupJob("docs", src)
	// The hook's poll is the job's own work, not the test's wait.
	slow.Run.PreHook = "while [ ! -e '" + gate + "' ]; do sleep 0.05; done"
	backupID := h.submit(slow)
	h.waitEvent(60*time.Second, "the backup's start", func(p protocol.Payload) bool {
		s, ok := p.(*protocol.JobStarted)
		return ok && s.JobID == backupID
	})
	fin := h.run(probeJob())
	mustSucceed(t, fin, h)
	if st, _, _ := h.journal.Status(backupID); st != protocol.StatusRunning {
		t.Errorf("the backup is %s when the probe ended; want running (the probe did not wait for it)", st)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, h.waitFinished(backupID, 120*time.Second), h)
}

// A server that never answers is unreachable within the probe's timeout.
func TestProbeOfASilentServerTimesOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	h.runner.probeMax = 2 * time.Second
	h.start()
	// Accepts connections and never answers: restic waits on its request.
	l, err := netListen(t)
	if err != nil {
		t.Fatal(err)
	}
	h.setRepoURL("rest:http://" + l + "/office")
	fin := h.run(probeJob())
	if fin.Status != protocol.StatusFailed || fin.ErrorKind != protocol.ErrorKindUnreachable ||
		!strings.HasPrefix(fin.Error, "cannot reach the repository: no answer within 2s") {
		t.Fatalf("restic %s: %s, %q, %q", h.restic.Version(), fin.Status, fin.ErrorKind, fin.Error)
	}
}

// netListen accepts TCP connections on 127.0.0.1 and never answers them
// (a server that hangs), until the test ends.
func netListen(t *testing.T) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String(), nil
}
