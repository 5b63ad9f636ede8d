package runner

import (
	"context"
	"testing"

	"restic-manager/protocol"
)

// The lanes' rules, on the runner's real queue: a find never starts while
// the main lane runs a job restic locks exclusively, an exclusive job
// never starts while a find runs, and each lane keeps its queue order.
func TestLanesKeepExclusiveJobsApartFromFinds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	r := h.runner
	ctx := context.Background()
	claim := func(l lane) string {
		t.Helper()
		st, _, ok, err := r.claimNext(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		r.mu.Lock()
		r.running[l] = nil // the test only looks at what would start
		r.mu.Unlock()
		if !ok {
			return ""
		}
		return st.Run.Kind
	}
	running := func(l lane, kind string) {
		r.mu.Lock()
		if kind == "" {
			r.running[l] = nil
		} else {
			r.running[l] = &activeJob{id: "held-" + kind, kind: kind, cancel: func(error) {}}
		}
		r.mu.Unlock()
	}

	h.submit(Job{Run: protocol.CommandRun{Kind: protocol.KindPrune}})
	h.submit(Job{Run: protocol.CommandRun{Kind: protocol.KindUnlock}})
	h.submit(findJob("*.odt", false))

	if got := claim(laneSide); got != protocol.KindFind {
		t.Errorf("idle side lane claims %q, want find", got)
	}
	if got := claim(laneMain); got != protocol.KindPrune {
		t.Errorf("idle main lane claims %q, want prune (oldest)", got)
	}

	for _, exclusive := range []string{protocol.KindPrune, protocol.KindForget, protocol.KindCheck} {
		running(laneMain, exclusive)
		if got := claim(laneSide); got != "" {
			t.Errorf("side lane claims %q while %s runs", got, exclusive)
		}
	}
	for _, shared := range []string{protocol.KindBackup, protocol.KindRestore, protocol.KindCopy, protocol.KindDiff} {
		running(laneMain, shared)
		if got := claim(laneSide); got != protocol.KindFind {
			t.Errorf("side lane claims %q while %s runs, want find", got, shared)
		}
	}
	running(laneMain, "")

	running(laneSide, protocol.KindFind)
	if got := claim(laneMain); got != "" {
		t.Errorf("main lane claims %q while a find runs; prune (exclusive) is next and must wait, and nothing may overtake it", got)
	}
	running(laneSide, "")
	if got := claim(laneMain); got != protocol.KindPrune {
		t.Errorf("main lane claims %q once the find ended, want prune", got)
	}
}
