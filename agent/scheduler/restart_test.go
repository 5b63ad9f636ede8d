package scheduler

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A restarted agent rebuilds its entries from the persisted set with the
// manager offline, and each schedule whose ticks passed while it was down
// fires once, for the latest missed tick.
func TestRestartRebuildsAndFiresMissedTicksOnce(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, berlin) }
	path := filepath.Join(t.TempDir(), "journal.db")
	store := openTestStore(t, path)

	// First run: the set is applied on Wednesday 18th at noon and some
	// schedules fire before the agent goes down.
	clock := &fakeClock{t: at(18, 12, 0)}
	first := newScheduler(t, store, newRecorder(store, true), Options{Location: berlin, Now: clock.Now})
	off := schedule("off", "0 1 * * *")
	off.Enabled = false
	nightly := protocol.Schedule{ID: "nightly", CronExpr: "0 3 * * *", Enabled: true, SourceGroups: []protocol.SourceGroup{
		group("docs", protocol.RetentionPolicy{KeepDaily: 7}), group("media", protocol.RetentionPolicy{})}}
	mustApply(t, first, &protocol.ScheduleSet{Version: 7,
		Schedules: []protocol.Schedule{
			nightly,
			schedule("noon", "0 12 * * *"),
			schedule("weekly", "0 4 * * 0"), // Sundays; never fired before the restart
			schedule("hourly", "@every 1h"),
			schedule("every2h", "@every 2h"),
			off,
		},
		Maintenance: &protocol.Maintenance{PruneCron: "0 5 * * 6"}, // Saturdays
	})
	first.Stop()
	for id, last := range map[string]time.Time{
		"nightly": at(19, 3, 0), "noon": at(21, 12, 0), "hourly": at(22, 9, 30), "every2h": at(22, 7, 0), "off": at(10, 1, 0),
	} {
		if err := store.recordFire(&protocol.ScheduleFire{ScheduleID: id, ScheduledAt: last.UTC(), JobIDs: []string{}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	earlier := len(store.fires(t))

	// The agent comes back on Sunday 22nd at 10:00, the manager offline.
	clock.Set(at(22, 10, 0))
	jobs := newRecorder(store, true)
	second := newScheduler(t, store, jobs, Options{Location: berlin, Now: clock.Now})
	wantDue := map[string]time.Time{
		protocol.MaintenancePruneID: at(21, 5, 0),
		"nightly":                   at(22, 3, 0), // not the 20th and 21st too
		"weekly":                    at(22, 4, 0),
		"every2h":                   at(22, 9, 0), // 7:00 + k·2h, phase kept
	}
	next := second.NextFires(1)
	for id, want := range wantDue {
		if got := next[id]; len(got) != 1 || !got[0].Equal(want) {
			t.Errorf("%s: due %v after restart, want %v", id, got, want)
		}
	}
	for id, want := range map[string]time.Time{"noon": at(22, 12, 0), "hourly": at(22, 10, 30)} {
		if got := next[id]; len(got) != 1 || !got[0].Equal(want) {
			t.Errorf("%s: next fire %v after restart, want %v (nothing missed)", id, got, want)
		}
	}

	second.Start()
	waitFor(t, 5*time.Second, "the missed fires", func() bool { return len(store.fires(t)) >= earlier+len(wantDue) })
	second.Stop()
	fires := store.fires(t)[earlier:]
	var order []string
	for _, f := range fires {
		order = append(order, f.ScheduleID)
		if want, ok := wantDue[f.ScheduleID]; !ok || !f.ScheduledAt.Equal(want) || f.Skipped != "" || len(f.JobIDs) == 0 {
			t.Errorf("fire after restart %+v, want one of %v with jobs", f, wantDue)
		}
	}
	if want := []string{protocol.MaintenancePruneID, "nightly", "weekly", "every2h"}; !slices.Equal(order, want) {
		t.Errorf("fires after restart %v, want each missed schedule once, in tick order %v", order, want)
	}
	if n, want := len(jobs.submitted()), 1+3+1+1; n != want {
		t.Errorf("%d jobs submitted after restart, want %d (prune, nightly's 2 backups + forget, weekly, every2h)", n, want)
	}

	// A second restart at the same moment has nothing left to catch up.
	third := newScheduler(t, store, newRecorder(store, true), Options{Location: berlin, Now: clock.Now})
	for id, ts := range third.NextFires(1) {
		if !ts[0].After(clock.Now()) {
			t.Errorf("%s is due again after its catch-up fire was recorded: %v", id, ts)
		}
	}
	if got := third.NextFires(1)["nightly"]; len(got) != 1 || !got[0].Equal(at(23, 3, 0)) {
		t.Errorf("nightly next %v, want %v", got, at(23, 3, 0))
	}
}

// Applying a set never fires a tick that passed before it; a tick missed
// later while the agent was down does fire at restart, even for a schedule
// that never fired before.
func TestApplyNeverFiresRetroactively(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	at := func(hour, min int) time.Time { return time.Date(2026, 11, 22, hour, min, 0, 0, berlin) }
	store := newTestStore(t)
	clock := &fakeClock{t: at(10, 7)}
	s := newScheduler(t, store, newRecorder(store, true), Options{Location: berlin, Now: clock.Now})
	s.Start()
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * * *"), schedule("five", "*/5 * * * *")}})

	clock.Set(at(10, 10))
	s.kick() // the loop would notice within maxWait on its own
	waitFor(t, 5*time.Second, "five to fire at 10:10", func() bool { return len(store.fires(t)) > 0 })
	s.Stop()
	fires := store.fires(t)
	if len(fires) != 1 || fires[0].ScheduleID != "five" || !fires[0].ScheduledAt.Equal(at(10, 10)) {
		t.Fatalf("fires %+v, want only five at 10:10 (not 10:05, not nightly's 03:00)", fires)
	}

	clock.Set(at(10, 17)) // down from 10:11 to 10:17: five missed 10:15
	again := newScheduler(t, store, newRecorder(store, true), Options{Location: berlin, Now: clock.Now})
	again.Start()
	waitFor(t, 5*time.Second, "five's catch-up", func() bool { return len(store.fires(t)) > 1 })
	again.Stop()
	fires = store.fires(t)
	if len(fires) != 2 || fires[1].ScheduleID != "five" || !fires[1].ScheduledAt.Equal(at(10, 15)) {
		t.Fatalf("fires %+v, want five's catch-up at 10:15 and nothing for nightly", fires)
	}
}

// A machine that sleeps through ticks fires once on wake, for the latest
// one: the loop compares wall-clock times, which run on in sleep, while
// its timers do not.
func TestTicksMissedInSleepFireOnceOnWake(t *testing.T) {
	store := newTestStore(t)
	clock := &fakeClock{t: time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)}
	s := newScheduler(t, store, newRecorder(store, true), Options{Location: time.UTC, Now: clock.Now})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * * *")}})
	s.Start()
	clock.Set(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	s.kick()
	waitFor(t, 5*time.Second, "the fire on wake", func() bool { return len(store.fires(t)) > 0 })
	s.Stop()
	fires := store.fires(t)
	if want := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC); len(fires) != 1 || !fires[0].ScheduledAt.Equal(want) {
		t.Fatalf("fires on wake %+v, want one for %v", fires, want)
	}
}

// A schedule.set that arrives before the loop has fired a catch-up (the
// link may connect before Start) does not lose it when the entry is
// unchanged.
func TestNewerSetBeforeStartKeepsPendingCatchUp(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
	store := newTestStore(t)
	set := &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * * *")}}
	if err := store.SaveSchedule(set, at(18, 12)); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: at(22, 10)}
	s := newScheduler(t, store, newRecorder(store, true), Options{Location: time.UTC, Now: clock.Now})
	newer := &protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{schedule("nightly", "0 3 * * *"), schedule("noon", "0 12 * * *")}}
	mustApply(t, s, newer)
	s.Start()
	waitFor(t, 5*time.Second, "the catch-up fire", func() bool { return len(store.fires(t)) > 0 })
	s.Stop()
	if fires := store.fires(t); len(fires) != 1 || fires[0].ScheduleID != "nightly" || !fires[0].ScheduledAt.Equal(at(22, 3)) {
		t.Fatalf("fires %+v, want nightly's catch-up for %v only", fires, at(22, 3))
	}
}

// With the real clock: a restarted agent runs its persisted schedules
// without any schedule.set.
func TestRestartRunsPersistedScheduleWithoutTheManager(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "journal.db")
	store := openTestStore(t, path)
	first := newScheduler(t, store, newRecorder(store, true), Options{})
	mustApply(t, first, &protocol.ScheduleSet{Version: 3, Schedules: []protocol.Schedule{schedule("s", "@every 1s")}})
	first.Stop()

	second := newScheduler(t, store, newRecorder(store, true), Options{})
	if v, err := second.Apply(&protocol.ScheduleSet{Version: 3, Schedules: []protocol.Schedule{}}); err != nil || v != 3 {
		t.Fatalf("restarted scheduler acks (%d, %v) for the applied version, want (3, nil)", v, err)
	}
	second.Start()
	waitFor(t, 5*time.Second, "the persisted schedule to fire", func() bool { return len(store.firesOf(t, "s")) > 0 })
}
