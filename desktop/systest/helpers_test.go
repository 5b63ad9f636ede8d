package systest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/storage"
)

// printLines is a hook that prints prefix-1 … prefix-n, one line each.
func printLines(prefix string, n int) string {
	return fmt.Sprintf(`i=1; while [ $i -le %d ]; do echo %s-$i; i=$((i+1)); done`, n, prefix)
}

// hookLines is what the job log holds for printLines(prefix, n) run as
// hook which ("pre-hook", "post-hook").
func hookLines(which, prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("[%s] %s-%d", which, prefix, i+1)
	}
	return out
}

// hookGroup replaces the agent's source group (testfleet.Group over its
// Files) with one whose hooks print pre and post numbered lines, and
// returns the log lines a backup of it journals, in order. restic 0.14's
// backup --json prints nothing that becomes a log line on success, so these
// are the whole log.
func hookGroup(t *testing.T, f *testfleet.Fleet, a *testfleet.Agent, pre, post int, tweak func(*hub.SourceGroup)) []string {
	t.Helper()
	g := hub.SourceGroup{Name: testfleet.Group, Includes: []string{a.Files},
		PreHook: printLines("pre", pre), PostHook: printLines("post", post)}
	if tweak != nil {
		tweak(&g)
	}
	if err := f.Hub.PutSourceGroup(a.HostID, g); err != nil {
		t.Fatal(err)
	}
	return append(hookLines("pre-hook", "pre", pre), hookLines("post-hook", "post", post)...)
}

// capUpload caps the host's upload at kib KiB/s, which restic --limit-upload
// applies to local repositories too. Hub.SetBandwidth takes kilobits per
// second, as the wire does (bandwidth_up_kbps); the agent converts back
// rounding up, so restic gets exactly kib.
func capUpload(t *testing.T, f *testfleet.Fleet, a *testfleet.Agent, kib int) {
	t.Helper()
	if err := f.Hub.SetBandwidth(a.HostID, kib*8192/1000, 0); err != nil {
		t.Fatal(err)
	}
}

// jobLog reads a job's whole log from the hub.
func jobLog(t *testing.T, h *hub.Hub, jobID string) []hub.LogLine {
	t.Helper()
	var all []hub.LogLine
	for {
		page, err := h.JobLog(jobID, uint64(len(all))+1, 1000)
		if err != nil {
			t.Fatalf("JobLog(%s): %v", jobID, err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

// checkCompleteLog asserts the stored log of a job is what the agent
// journaled: lines numbered 1..N with no gap and N > 0, every hook line of
// want exactly once and in order, the first line want's first and the last
// want's last (the agent numbers lines consecutively, so first, last and
// no gap mean nothing is missing).
func checkCompleteLog(t *testing.T, h *hub.Hub, jobID string, want []string) []hub.LogLine {
	t.Helper()
	lines := jobLog(t, h, jobID)
	if len(lines) == 0 {
		t.Fatalf("job %s: no log lines stored; want %d", jobID, len(want))
	}
	for i, l := range lines {
		if l.Seq != uint64(i+1) {
			t.Fatalf("job %s: log line %d has seq %d; want 1..N with no gap or duplicate", jobID, i+1, l.Seq)
		}
	}
	var hooks []string
	for _, l := range lines {
		if strings.HasPrefix(l.Payload, "[pre-hook] ") || strings.HasPrefix(l.Payload, "[post-hook] ") {
			hooks = append(hooks, l.Payload)
		}
	}
	if !slices.Equal(hooks, want) {
		t.Fatalf("job %s: hook lines in the stored log (%d) differ from what the hooks printed (%d), each exactly once:\n%s",
			jobID, len(hooks), len(want), logText(lines, 20))
	}
	if len(want) > 0 && (lines[0].Payload != want[0] || lines[len(lines)-1].Payload != want[len(want)-1]) {
		t.Fatalf("job %s: log runs %q … %q; want %q … %q", jobID, lines[0].Payload, lines[len(lines)-1].Payload, want[0], want[len(want)-1])
	}
	return lines
}

// logText shows the first and last n lines of a log.
func logText(lines []hub.LogLine, n int) string {
	var b strings.Builder
	for i, l := range lines {
		if i == n && len(lines) > 2*n {
			fmt.Fprintf(&b, "  … %d lines …\n", len(lines)-2*n)
		}
		if i >= n && i < len(lines)-n {
			continue
		}
		fmt.Fprintf(&b, "  %d %s %s\n", l.Seq, l.Stream, l.Payload)
	}
	return b.String()
}

// waitOffline waits until the hub has no live connection for the host.
func waitOffline(t *testing.T, f *testfleet.Fleet, hostID string) {
	t.Helper()
	testfleet.WaitFor(t, testfleet.Wait, "host "+hostID+" offline", func() bool {
		d, err := f.Hub.Host(hostID)
		return err == nil && !d.Online
	})
}

// agentLogLines returns the agent's log lines that contain every one of
// parts.
func agentLogLines(a *testfleet.Agent, parts ...string) []string {
	var out []string
	for _, line := range strings.Split(a.Log(), "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok && line != "" {
			out = append(out, line)
		}
	}
	return out
}

// withStore opens the manager's store directly (the manager must not be
// running) for assertions on what it holds.
func withStore(t *testing.T, dir string, fn func(*storage.Store)) {
	t.Helper()
	st, err := storage.OpenDir(dir, nil)
	if err != nil {
		t.Fatalf("open the manager's store: %v", err)
	}
	defer st.Close()
	fn(st)
}

// repoLocks lists the lock files in a local restic repository.
func repoLocks(t *testing.T, repo string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(repo, "locks"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// resticLock is what restic writes in a lock file (decrypted).
type resticLock struct {
	Time      string `json:"time"`
	Exclusive bool   `json:"exclusive"`
	Hostname  string `json:"hostname"`
	PID       int    `json:"pid"`
}

// resticLocksOf reads the agent repository's locks with the real restic
// (without taking a lock itself).
func resticLocksOf(t *testing.T, a *testfleet.Agent) []resticLock {
	t.Helper()
	var out []resticLock
	for _, id := range repoLocks(t, a.Repo) {
		raw, err := resticCmd(t, a, "cat", "lock", id).Output()
		if err != nil {
			if _, gone := os.Stat(filepath.Join(a.Repo, "locks", id)); os.IsNotExist(gone) {
				continue // removed while we looked
			}
			t.Fatalf("restic cat lock %s: %v", id, err)
		}
		var l resticLock
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("lock %s: %v: %s", id, err, raw)
		}
		out = append(out, l)
	}
	return out
}

// resticCmd is restic on the agent's repository, as the test's own
// process: no lock, no cache.
func resticCmd(t *testing.T, a *testfleet.Agent, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(testfleet.ResticBinary(t), append([]string{"--no-lock", "--no-cache"}, args...)...)
	cmd.Env = append(os.Environ(), "RESTIC_REPOSITORY="+a.Repo, "RESTIC_PASSWORD="+a.Password)
	return cmd
}

// processAlive reports whether pid names a live process on this machine.
func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
