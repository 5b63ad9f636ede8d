package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"restic-manager/protocol"
)

// maxWait caps how long the loop sleeps between looks at the wall clock.
// Timers stop while the machine sleeps; this bounds how late a tick missed
// in sleep fires after wake.
const maxWait = time.Minute

// Options configures a Scheduler. Zero values take the defaults.
type Options struct {
	// Location evaluates expressions without CRON_TZ=; nil = time.Local.
	Location *time.Location
	// Now is the wall clock; nil = time.Now. Tests inject a fake one.
	Now func() time.Time
	// Logger; nil = slog.Default().
	Logger *slog.Logger
	// NoHooks refuses every schedule set that carries a hook (--no-hooks).
	NoHooks bool
}

// Scheduler fires the applied schedule set. Its methods are safe for
// concurrent use.
type Scheduler struct {
	store Store
	jobs  Jobs
	loc   *time.Location
	clock func() time.Time
	log   *slog.Logger
	// noHooks: Apply refuses a set with a hook (Options.NoHooks).
	noHooks bool

	applyMu sync.Mutex // serialises Apply: check version, persist, rebuild

	mu       sync.Mutex // guards the fields below
	version  uint64
	entries  []*entry
	lastFire map[string]time.Time

	wake      chan struct{} // entries changed: recompute the wait
	stop      chan struct{}
	done      chan struct{}
	startOnce sync.Once
	stopOnce  sync.Once
	started   bool
}

// New returns a scheduler whose entries are rebuilt from the persisted set.
// Ticks missed while the agent was down are due at once and fire, once per
// schedule, when Start runs the loop.
func New(store Store, jobs Jobs, opts Options) (*Scheduler, error) {
	if store == nil || jobs == nil {
		return nil, errors.New("scheduler: a Store and a Jobs are required")
	}
	s := &Scheduler{
		store: store, jobs: jobs,
		loc: opts.Location, clock: opts.Now, log: opts.Logger, noHooks: opts.NoHooks,
		lastFire: map[string]time.Time{},
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	saved, err := store.LoadSchedule()
	if err != nil {
		return nil, fmt.Errorf("scheduler: load the persisted schedule set: %w", err)
	}
	for id, t := range saved.LastFires {
		s.lastFire[id] = t
	}
	if saved.Set == nil {
		return s, nil
	}
	now := s.now()
	entries, errs := buildEntries(saved.Set, now)
	for _, err := range errs {
		// The set was valid when applied; this machine may have lost a time
		// zone since. Keep every entry that still parses.
		s.log.Error("persisted schedule entry dropped", "version", saved.Set.Version, "err", err)
	}
	for _, e := range entries {
		e.next = s.restartNext(e, saved.AppliedAt, now)
	}
	s.version = saved.Set.Version
	s.entries = entries
	s.log.Info("schedule set restored", "version", s.version, "entries", len(entries))
	if f := saved.Set.HookField(); f != "" && s.noHooks {
		// Applied before this start with --no-hooks: the runner refuses
		// each fire's jobs, and the manager's next set replaces it.
		s.log.Warn("the restored schedule set has hooks, which are disabled on this host: its fires will be refused",
			"version", s.version, "field", f)
	}
	return s, nil
}

// restartNext arms an entry at start. Ticks after the later of its last
// fire and the set's appliedAt were missed while the agent was down (a
// running agent fires or skips every tick, and ticks before appliedAt
// belong to an earlier set, such as one that paused this schedule); if
// there are any, the entry is due at once.
func (s *Scheduler) restartNext(e *entry, appliedAt, now time.Time) time.Time {
	last, fired := s.lastFire[e.id]
	floor := appliedAt
	if fired && last.After(floor) {
		floor = last
	}
	if floor.IsZero() {
		return nextAfter(e.sched, now, now, s.loc)
	}
	anchor := floor
	if fired {
		anchor = last
	}
	if first := nextAfter(e.sched, anchor, floor, s.loc); !first.IsZero() && !first.After(now) {
		// Due now, for the latest missed tick (what NextFires shows).
		return lastTick(e.sched, first, now, s.loc)
	}
	return nextAfter(e.sched, anchor, now, s.loc)
}

// now is the wall clock in the agent's zone. In() also strips the
// monotonic reading, so comparisons use wall time, which keeps running
// while the machine sleeps.
func (s *Scheduler) now() time.Time { return s.clock().In(s.loc) }

// Start runs the loop: due entries (ticks missed while the agent was down
// first) fire, then each entry at its next tick. Calls after the first,
// or after Stop, do nothing.
func (s *Scheduler) Start() {
	s.startOnce.Do(func() {
		s.mu.Lock()
		select {
		case <-s.stop:
			s.mu.Unlock()
			return
		default:
		}
		s.started = true
		s.mu.Unlock()
		go s.loop()
	})
}

// Stop ends the loop and returns once a fire in progress has been recorded
// with its jobs (Jobs.SubmitFire returned). Jobs already queued keep
// running in the runner. Safe to call more than once, and without Start.
func (s *Scheduler) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		close(s.stop)
		started := s.started
		s.mu.Unlock()
		if started {
			<-s.done
		}
	})
}

// Apply applies set and returns the version now in force, which the link
// acks. A set whose version is not above the applied one changes nothing
// (entries are not rebuilt, so @every ticks keep their phase) and returns
// the applied version. An invalid set returns an error naming the schedule
// and the field (a *protocol.ValidationError inside), and the previous set
// stays. Otherwise the set is persisted before Apply returns and replaces
// every entry: an empty schedules list removes them all (jobs already
// submitted finish), disabled schedules get none. No tick before Apply
// fires because of it.
func (s *Scheduler) Apply(set *protocol.ScheduleSet) (uint64, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.mu.Lock()
	applied := s.version
	s.mu.Unlock()

	if set == nil {
		return applied, errors.New("schedule.set: no payload")
	}
	if err := set.Validate(); err != nil {
		return applied, fmt.Errorf("schedule.set version %d refused: %w", set.Version, nameSchedule(set, err))
	}
	if f := set.HookField(); f != "" && s.noHooks {
		return applied, fmt.Errorf("schedule.set version %d refused: %s: %w", set.Version, f, protocol.ErrHooksDisabled)
	}
	if set.Version <= applied {
		s.log.Info("schedule.set not newer than the applied one: nothing changes",
			"version", set.Version, "applied", applied)
		return applied, nil
	}
	set, err := cloneSet(set)
	if err != nil {
		return applied, fmt.Errorf("schedule.set: %w", err)
	}
	now := s.now()
	entries, errs := buildEntries(set, now)
	if len(errs) > 0 {
		return applied, fmt.Errorf("schedule.set version %d refused: %w", set.Version, errs[0])
	}
	if err := s.store.SaveSchedule(set, now); err != nil {
		return applied, fmt.Errorf("schedule.set version %d: persist: %w", set.Version, err)
	}

	s.mu.Lock()
	old := map[string]*entry{}
	for _, e := range s.entries {
		old[e.id] = e
	}
	for _, e := range entries {
		if o := old[e.id]; o != nil && o.expr == e.expr {
			// Same id, same expression: keep its next tick (the phase of an
			// @every entry, or a catch-up still due).
			e.next = o.next
			continue
		}
		anchor := now
		if last, ok := s.lastFire[e.id]; ok {
			anchor = last
		}
		e.next = nextAfter(e.sched, anchor, now, s.loc)
	}
	s.entries = entries
	s.version = set.Version
	s.mu.Unlock()
	s.kick()
	s.log.Info("schedule set applied", "version", set.Version, "entries", len(entries))
	return set.Version, nil
}

// NextFires returns, for every enabled entry (maintenance ids included),
// its next n fire times, for logs and status. An entry already due (a
// missed tick not yet fired) lists that tick first.
func (s *Scheduler) NextFires(n int) map[string][]time.Time {
	out := map[string][]time.Time{}
	if n <= 0 {
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.next.IsZero() {
			continue
		}
		ts := []time.Time{e.next}
		for len(ts) < n {
			last := ts[len(ts)-1]
			t := nextAfter(e.sched, last, last, s.loc)
			if t.IsZero() {
				break
			}
			ts = append(ts, t)
		}
		out[e.id] = ts
	}
	return out
}

func (s *Scheduler) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dueFire is one entry to fire, with its scheduled_at.
type dueFire struct {
	entry *entry
	at    time.Time
}

func (s *Scheduler) loop() {
	defer close(s.done)
	for {
		due, wait := s.collectDue(s.now())
		for _, d := range due {
			select {
			case <-s.stop:
				// Not recorded, so a restart catches these ticks up.
				return
			default:
			}
			s.fire(d.entry, d.at)
		}
		if len(due) > 0 {
			continue // firing took time: look at the clock again
		}
		timer := time.NewTimer(wait)
		select {
		case <-s.stop:
			timer.Stop()
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// collectDue advances every entry whose tick has come and returns them in
// tick order, each with the latest tick at or before now, and how long to
// wait for the next one.
func (s *Scheduler) collectDue(now time.Time) ([]dueFire, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []dueFire
	wait := maxWait
	for _, e := range s.entries {
		if e.next.IsZero() {
			continue
		}
		if !e.next.After(now) {
			at := lastTick(e.sched, e.next, now, s.loc)
			due = append(due, dueFire{entry: e, at: at})
			e.next = nextAfter(e.sched, at, now, s.loc)
			if e.next.IsZero() {
				continue
			}
		}
		if d := e.next.Sub(now); d < wait {
			wait = d
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	return due, max(wait, 0)
}

// nameSchedule adds the schedule's id to a validation error about
// schedules[i], so the manager's log names the schedule, not only its index.
func nameSchedule(set *protocol.ScheduleSet, err error) error {
	var ve *protocol.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var i int
	if _, scanErr := fmt.Sscanf(ve.Field, "schedules[%d]", &i); scanErr != nil || i < 0 || i >= len(set.Schedules) || set.Schedules[i].ID == "" {
		return err
	}
	return &protocol.ValidationError{Field: ve.Field, Msg: fmt.Sprintf("schedule %q: %s", set.Schedules[i].ID, ve.Msg)}
}

// cloneSet deep-copies a set, so the caller's later changes never reach the
// entries or the store.
func cloneSet(set *protocol.ScheduleSet) (*protocol.ScheduleSet, error) {
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("copy the set: %w", err)
	}
	var out protocol.ScheduleSet
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy the set: %w", err)
	}
	return &out, nil
}
