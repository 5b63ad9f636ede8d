package scheduler

import (
	"slices"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A set whose version is not above the applied one is acked with the
// applied version and changes nothing: not the store, not the entries, so
// an @every entry keeps its phase.
func TestStaleVersionChangesNothing(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	store := newTestStore(t)
	s := newScheduler(t, store, newRecorder(store, true), Options{Location: time.UTC, Now: clock.Now})

	mustApply(t, s, &protocol.ScheduleSet{Version: 5, Schedules: []protocol.Schedule{schedule("hourly", "@every 1h")}})
	before := s.NextFires(1)["hourly"]
	if len(before) != 1 || !before[0].Equal(t0.Add(time.Hour)) {
		t.Fatalf("next fire of @every 1h applied at %v: %v, want %v", t0, before, t0.Add(time.Hour))
	}

	clock.Set(t0.Add(10 * time.Minute)) // a rebuild now would move the phase
	for _, v := range []uint64{5, 3} {
		stale := &protocol.ScheduleSet{Version: v, Schedules: []protocol.Schedule{schedule("hourly", "@every 2m"), schedule("other", "@daily")}}
		got, err := s.Apply(stale)
		if err != nil || got != 5 {
			t.Fatalf("Apply stale version %d: (%d, %v), want (5, nil): the link acks the applied version", v, got, err)
		}
		after := s.NextFires(1)
		if !slices.Equal(after["hourly"], before) || len(after) != 1 {
			t.Fatalf("after stale version %d next fires are %v, want only hourly at %v", v, after, before)
		}
	}
	if n := store.saves(); n != 1 {
		t.Errorf("SaveSchedule called %d times, want 1: a stale set is not persisted", n)
	}
	saved, err := store.LoadSchedule()
	if err != nil || saved.Set.Version != 5 || saved.Set.Schedules[0].CronExpr != "@every 1h" {
		t.Fatalf("persisted set after stale applies: %+v, %v; want version 5 with @every 1h", saved.Set, err)
	}
	if !saved.AppliedAt.Equal(t0) {
		t.Errorf("persisted applied_at %v, want %v", saved.AppliedAt, t0)
	}
}

// A newer set that keeps an entry's id and expression keeps its next tick,
// so a manager that edits other schedules never postpones an @every entry;
// a changed expression is re-armed from now.
func TestNewerSetKeepsPhaseOfUnchangedEntries(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	s := newSchedulerOnTempStore(t, Options{Location: time.UTC, Now: clock.Now})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("a", "@every 1h"), schedule("b", "@every 1h")}})

	t1 := t0.Add(10 * time.Minute)
	clock.Set(t1)
	mustApply(t, s, &protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{schedule("a", "@every 1h"), schedule("b", "@every 2h")}})
	next := s.NextFires(1)
	if got := next["a"]; len(got) != 1 || !got[0].Equal(t0.Add(time.Hour)) {
		t.Errorf("unchanged a: next %v, want %v (phase kept)", got, t0.Add(time.Hour))
	}
	if got := next["b"]; len(got) != 1 || !got[0].Equal(t1.Add(2*time.Hour)) {
		t.Errorf("changed b: next %v, want %v (re-armed at apply)", got, t1.Add(2*time.Hour))
	}
}

// An invalid set returns an error and the previous set stays, in memory and
// on disk; its version is not used up.
func TestInvalidSetKeepsPreviousSet(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	store := newTestStore(t)
	s := newScheduler(t, store, newRecorder(store, true), Options{Location: time.UTC, Now: clock.Now})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * * *")}})
	before := s.NextFires(2)

	for _, bad := range []*protocol.ScheduleSet{
		{Version: 2, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * *")}},
		{Version: 2, Schedules: []protocol.Schedule{{ID: "empty", CronExpr: "@daily", Enabled: true}}},
		{Version: 0, Schedules: []protocol.Schedule{schedule("zero", "@daily")}},
	} {
		v, err := s.Apply(bad)
		if err == nil || v != 1 {
			t.Fatalf("Apply invalid set %+v: (%d, %v), want (1, error)", bad, v, err)
		}
		if after := s.NextFires(2); len(after) != 1 || !slices.Equal(after["nightly"], before["nightly"]) {
			t.Fatalf("after refused set: next fires %v, want %v", after, before)
		}
	}
	if saved, err := store.LoadSchedule(); err != nil || saved.Set.Version != 1 {
		t.Fatalf("persisted set: %+v, %v; want version 1", saved.Set, err)
	}
	mustApply(t, s, &protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{schedule("nightly", "0 4 * * *")}})
}

// An empty schedules list removes every entry; nothing it removed fires
// after Apply returns.
func TestEmptySetRemovesEveryEntry(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	s := newScheduler(t, store, newRecorder(store, true), Options{})
	s.Start()
	mustApply(t, s, &protocol.ScheduleSet{Version: 1,
		Schedules:   []protocol.Schedule{schedule("a", "@every 1s")},
		Maintenance: &protocol.Maintenance{PruneCron: "@every 1s"}})
	waitFor(t, 5*time.Second, "a and prune to fire", func() bool {
		return len(store.firesOf(t, "a")) > 0 && len(store.firesOf(t, protocol.MaintenancePruneID)) > 0
	})

	mustApply(t, s, &protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{}})
	removedAt := time.Now()
	if next := s.NextFires(3); len(next) != 0 {
		t.Fatalf("after an empty set next fires are %v, want none", next)
	}

	// Prove the negative with a positive condition: a new entry fires twice
	// while the removed ones, which ticked as often, stay silent.
	mustApply(t, s, &protocol.ScheduleSet{Version: 3, Schedules: []protocol.Schedule{schedule("c", "@every 1s")}})
	waitFor(t, 5*time.Second, "c to fire twice", func() bool { return len(store.firesOf(t, "c")) >= 2 })
	for _, id := range []string{"a", protocol.MaintenancePruneID} {
		for _, f := range store.firesOf(t, id) {
			if !f.ScheduledAt.Before(removedAt) {
				t.Errorf("%s fired for %v, after the empty set applied at %v", id, f.ScheduledAt, removedAt)
			}
		}
	}
}

// Disabled entries never fire (this is how the manager pauses a host).
func TestDisabledScheduleNeverFires(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	s := newScheduler(t, store, newRecorder(store, true), Options{})
	off := schedule("off", "@every 1s")
	off.Enabled = false
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("on", "@every 1s"), off}})
	s.Start()
	if _, listed := s.NextFires(1)["off"]; listed {
		t.Errorf("a disabled schedule has next fires")
	}
	waitFor(t, 5*time.Second, "the enabled schedule to fire twice", func() bool { return len(store.firesOf(t, "on")) >= 2 })
	if fires := store.firesOf(t, "off"); len(fires) != 0 {
		t.Fatalf("disabled schedule fired: %+v", fires)
	}
}
