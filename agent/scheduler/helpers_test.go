package scheduler

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// trace is the ordered history of what the scheduler asked its store and
// its jobs to do, shared by both so tests can check the order across them.
type trace struct {
	mu    sync.Mutex
	lines []string
}

func (t *trace) add(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, fmt.Sprintf(format, args...))
}

func (t *trace) snapshot() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.lines)
}

// testStore is a small real Store: a bbolt file under t.TempDir(). The
// production Store is agent/journal (adapted in the agent's main), which is
// tested there; this one exists so these tests persist and restart through
// a real file rather than a map.
type testStore struct {
	db    *bolt.DB
	trace *trace

	mu           sync.Mutex
	failRecord   error // RecordFire returns this when set
	saveSchedule int   // SaveSchedule calls
}

var (
	bucketSchedule = []byte("schedule")   // "set" → savedSet JSON
	bucketLastFire = []byte("last_fire")  // schedule id → RFC 3339 time
	bucketEvents   = []byte("events")     // big-endian seq → schedule.fire JSON
	keySet         = []byte("set")
)

type savedSet struct {
	Set       *protocol.ScheduleSet `json:"set"`
	AppliedAt time.Time             `json:"applied_at"`
}

func openTestStore(t *testing.T, path string, tr *trace) *testStore {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSchedule, bucketLastFire, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create buckets: %v", err)
	}
	return &testStore{db: db, trace: tr}
}

func newTestStore(t *testing.T, tr *trace) *testStore {
	return openTestStore(t, filepath.Join(t.TempDir(), "journal.db"), tr)
}

func (s *testStore) LoadSchedule() (Saved, error) {
	out := Saved{LastFires: map[string]time.Time{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSchedule).Get(keySet); v != nil {
			var ss savedSet
			if err := json.Unmarshal(v, &ss); err != nil {
				return err
			}
			out.Set, out.AppliedAt = ss.Set, ss.AppliedAt
		}
		return tx.Bucket(bucketLastFire).ForEach(func(k, v []byte) error {
			t, err := time.Parse(time.RFC3339Nano, string(v))
			out.LastFires[string(k)] = t
			return err
		})
	})
	return out, err
}

func (s *testStore) SaveSchedule(set *protocol.ScheduleSet, appliedAt time.Time) error {
	s.mu.Lock()
	s.saveSchedule++
	s.mu.Unlock()
	b, err := json.Marshal(savedSet{Set: set, AppliedAt: appliedAt})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSchedule).Put(keySet, b) })
}

func (s *testStore) RecordFire(fire *protocol.ScheduleFire) error {
	s.mu.Lock()
	failing := s.failRecord
	s.mu.Unlock()
	if failing != nil {
		return failing
	}
	b, err := json.Marshal(fire)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		ev := tx.Bucket(bucketEvents)
		seq, err := ev.NextSequence()
		if err != nil {
			return err
		}
		if err := ev.Put(binary.BigEndian.AppendUint64(nil, seq), b); err != nil {
			return err
		}
		return tx.Bucket(bucketLastFire).Put([]byte(fire.ScheduleID), []byte(fire.ScheduledAt.Format(time.RFC3339Nano)))
	})
	if err == nil && s.trace != nil {
		s.trace.add("fire %s %s", fire.ScheduleID, strings.Join(fire.JobIDs, ","))
	}
	return err
}

func (s *testStore) setFailRecord(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRecord = err
}

func (s *testStore) saves() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveSchedule
}

// fires returns the journaled schedule.fire events in journal order.
func (s *testStore) fires(t *testing.T) []protocol.ScheduleFire {
	t.Helper()
	var out []protocol.ScheduleFire
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(_, v []byte) error {
			var f protocol.ScheduleFire
			if err := json.Unmarshal(v, &f); err != nil {
				return err
			}
			out = append(out, f)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("read journaled fires: %v", err)
	}
	return out
}

func (s *testStore) firesOf(t *testing.T, id string) []protocol.ScheduleFire {
	t.Helper()
	var out []protocol.ScheduleFire
	for _, f := range s.fires(t) {
		if f.ScheduleID == id {
			out = append(out, f)
		}
	}
	return out
}

// recorder is the Jobs the tests hand the scheduler: the scheduler owns
// that interface, and what it asks of it is what these tests check. Jobs
// stay active until finished, unless autoFinish is set.
type recorder struct {
	trace      *trace
	autoFinish bool
	gate       chan struct{} // when set, Submit waits for it to close
	entered    chan struct{} // when set, Submit signals it first (non-blocking)

	mu        sync.Mutex
	jobs      []Job
	finished  map[string]bool
	submitErr map[string]error // by kind
}

func newRecorder(tr *trace, autoFinish bool) *recorder {
	return &recorder{trace: tr, autoFinish: autoFinish, finished: map[string]bool{}, submitErr: map[string]error{}}
}

func (r *recorder) Submit(job Job) error {
	if r.entered != nil {
		select {
		case r.entered <- struct{}{}:
		default:
		}
	}
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.submitErr[job.Command.Kind]; err != nil {
		return err
	}
	r.jobs = append(r.jobs, job)
	if r.autoFinish {
		r.finished[job.Command.JobID] = true
	}
	if r.trace != nil {
		r.trace.add("submit %s", job.Command.JobID)
	}
	return nil
}

func (r *recorder) Active(scheduleID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		if j.ScheduleID == scheduleID && !r.finished[j.Command.JobID] {
			return true
		}
	}
	return false
}

func (r *recorder) finishAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		r.finished[j.Command.JobID] = true
	}
}

func (r *recorder) submitted() []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.jobs)
}

func (r *recorder) byID() map[string]Job {
	out := map[string]Job{}
	for _, j := range r.submitted() {
		out[j.Command.JobID] = j
	}
	return out
}

// fakeClock is a wall clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newScheduler builds a scheduler on store and jobs and stops it when the
// test ends.
func newScheduler(t *testing.T, store Store, jobs Jobs, opts Options) *Scheduler {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	s, err := New(store, jobs, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func mustLoad(t *testing.T, tz string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatalf("load %s: %v", tz, err)
	}
	return loc
}

// group is a source group with the fields every valid group needs.
func group(name string, retention protocol.RetentionPolicy) protocol.SourceGroup {
	return protocol.SourceGroup{Name: name, Includes: []string{"/srv/" + name}, RetentionPolicy: retention}
}

// schedule is an enabled backup schedule of one group without retention.
func schedule(id, expr string) protocol.Schedule {
	return protocol.Schedule{ID: id, CronExpr: expr, Enabled: true, SourceGroups: []protocol.SourceGroup{group("g-"+id, protocol.RetentionPolicy{})}}
}

func mustApply(t *testing.T, s *Scheduler, set *protocol.ScheduleSet) {
	t.Helper()
	v, err := s.Apply(set)
	if err != nil {
		t.Fatalf("Apply version %d: %v", set.Version, err)
	}
	if v != set.Version {
		t.Fatalf("Apply version %d returned %d, want %d", set.Version, v, set.Version)
	}
}

var errBoom = errors.New("disk on fire")
