package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// With --no-hooks every job that carries a hook is refused at Submit (and
// in a schedule fire) with the field named, and nothing is written: no
// job, no event, no hook run. A job without hooks still runs.
func TestNoHooksRefusesEveryJobWithAHook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noHooks: true})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	marker := filepath.Join(t.TempDir(), "hook-ran")
	touch := fmt.Sprintf("touch %q", marker)

	pre, post := backupJob("docs", src), backupJob("docs", src)
	pre.Run.JobID, pre.Run.PreHook = protocol.NewID(), touch
	post.Run.JobID, post.Run.PostHook = protocol.NewID(), touch
	for _, job := range []Job{pre, post} {
		err := h.runner.Submit(job)
		if !errors.Is(err, ErrRejected) || !errors.Is(err, protocol.ErrHooksDisabled) || !strings.Contains(err.Error(), "_hook") {
			t.Fatalf("Submit of a job with a hook = %v; want ErrRejected wrapping ErrHooksDisabled, naming the field", err)
		}
	}
	fire := &protocol.ScheduleFire{ScheduleID: "nightly", ScheduledAt: time.Now().UTC(), JobIDs: []string{post.Run.JobID}}
	if err := h.runner.SubmitFire(fire, []Job{post}); !errors.Is(err, protocol.ErrHooksDisabled) {
		t.Fatalf("SubmitFire of a job with a hook = %v; want ErrHooksDisabled", err)
	}
	if jobs, err := h.store.Jobs(); err != nil || len(jobs) != 0 {
		t.Fatalf("journal holds jobs %+v (%v); want none written", jobs, err)
	}
	if events, _ := h.store.snapshot(); len(events) != 0 {
		t.Fatalf("journaled %d events; want none (no job, no schedule.fire)", len(events))
	}

	fin := h.run(backupJob("docs", src))
	mustSucceed(t, fin, h)
	if _, err := os.Stat(marker); err == nil {
		t.Error("a hook ran")
	}
}

// A job queued with a hook before the agent restarted with --no-hooks
// runs no hook: it fails saying hooks are disabled.
func TestNoHooksAfterRestartRunsNoQueuedHook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	marker := filepath.Join(t.TempDir(), "hook-ran")
	job := backupJob("docs", src)
	job.Run.PreHook = fmt.Sprintf("touch %q", marker)
	id := h.submit(job)

	h.noHooks = true
	h.restart()
	fin := h.waitFinished(id, 120*time.Second)
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, "hooks are disabled on this host") {
		t.Fatalf("queued hooked job ended %s %q; want failed, hooks are disabled", fin.Status, fin.Error)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the queued job's hook ran")
	}
	if h.resticCalls("backup") != 0 {
		t.Error("restic ran after the refused pre-hook")
	}
}

// A hook that prints its environment shows none of the agent's RM_*
// variables (its flags: token, enrollment token, manager pin), no
// TS_AUTHKEY, no inherited RESTIC_* and no token value — only the
// RM_JOB_* variables the runner sets for it.
func TestHookEnvironmentCarriesNoAgentSecret(t *testing.T) {
	// Not parallel: it sets the process environment, as the agent's
	// service definition would.
	secrets := map[string]string{
		"RM_TOKEN":        "host-token-5f2e9a",
		"RM_ENROLL":       "enroll-token-7c1d0b",
		"RM_MANAGER_PIN":  "sha256:" + strings.Repeat("ab", 32),
		"TS_AUTHKEY":      "tskey-auth-k3y9",
		"RESTIC_PASSWORD": "inherited-restic-pw",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	job := backupJob("docs", src)
	job.Run.PreHook = "env"
	fin := h.run(job)
	mustSucceed(t, fin, h)

	var sawPath bool
	for _, l := range h.logLines(fin.JobID) {
		line, ok := strings.CutPrefix(l.Payload, "[pre-hook] ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(line, "=")
		sawPath = sawPath || name == "PATH"
		switch {
		case name == "RM_JOB_ID" || name == "RM_JOB_KIND":
		case strings.HasPrefix(name, "RM_"), name == "TS_AUTHKEY", strings.HasPrefix(name, "RESTIC_"):
			t.Errorf("the hook's environment has %s", line)
		}
		for k, v := range secrets {
			if strings.Contains(line, v) {
				t.Errorf("the hook sees the value of %s: %q", k, line)
			}
		}
	}
	if !sawPath {
		t.Fatalf("the hook printed no PATH; its output:\n%s", h.logText(fin.JobID))
	}
}
