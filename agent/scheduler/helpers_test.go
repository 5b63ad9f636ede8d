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

// trace is the ordered history of what the scheduler asked of its Jobs,
// and of test events, so tests can check the order across them.
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
// a real file rather than a map. recordFire is the durable half of the
// recorder's SubmitFire: the event, the last fire time and the jobs in one
// transaction, as the journal's Enqueue does.
type testStore struct {
	db *bolt.DB

	mu           sync.Mutex
	saveSchedule int // SaveSchedule calls
}

var (
	bucketSchedule = []byte("schedule")  // "set" → savedSet JSON
	bucketLastFire = []byte("last_fire") // schedule id → RFC 3339 time
	bucketEvents   = []byte("events")    // big-endian seq → schedule.fire JSON
	bucketJobs     = []byte("jobs")      // job id → Job JSON
	keySet         = []byte("set")
)

type savedSet struct {
	Set       *protocol.ScheduleSet `json:"set"`
	AppliedAt time.Time             `json:"applied_at"`
}

func openTestStore(t *testing.T, path string) *testStore {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSchedule, bucketLastFire, bucketEvents, bucketJobs} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create buckets: %v", err)
	}
	return &testStore{db: db}
}

func newTestStore(t *testing.T) *testStore {
	return openTestStore(t, filepath.Join(t.TempDir(), "journal.db"))
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

func (s *testStore) recordFire(fire *protocol.ScheduleFire, jobs []Job) error {
	b, err := json.Marshal(fire)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, j := range jobs {
			raw, err := json.Marshal(j)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketJobs).Put([]byte(j.Run.JobID), raw); err != nil {
				return err
			}
		}
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
}

// storedJobs returns the jobs recorded with the fires, by id.
func (s *testStore) storedJobs(t *testing.T) map[string]Job {
	t.Helper()
	out := map[string]Job{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			out[string(k)] = j
			return nil
		})
	})
	if err != nil {
		t.Fatalf("read stored jobs: %v", err)
	}
	return out
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
// that interface, and what it asks of it is what these tests check. It
// records each fire in its store (a real bbolt file) and keeps the fire's
// jobs active until finished, unless autoFinish is set.
type recorder struct {
	store      *testStore
	trace      *trace
	autoFinish bool
	gate       chan struct{} // when set, SubmitFire waits for it to close
	entered    chan struct{} // when set, SubmitFire signals it first (non-blocking)

	mu       sync.Mutex
	jobs     []Job
	finished map[string]bool
	fail     error // SubmitFire returns this, recording nothing
	refuse   error // SubmitFire returns this for a fire with jobs, as the runner refuses a job
	failed   int   // SubmitFire calls refused with fail
}

func newRecorder(store *testStore, autoFinish bool) *recorder {
	return &recorder{store: store, autoFinish: autoFinish, finished: map[string]bool{}}
}

func (r *recorder) SubmitFire(fire *protocol.ScheduleFire, jobs []Job) error {
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
	if r.fail != nil {
		r.failed++
		return r.fail
	}
	if r.refuse != nil && len(jobs) > 0 {
		return r.refuse
	}
	if err := r.store.recordFire(fire, jobs); err != nil {
		return err
	}
	for _, j := range jobs {
		r.jobs = append(r.jobs, j)
		if r.autoFinish {
			r.finished[j.Run.JobID] = true
		}
	}
	if r.trace != nil {
		r.trace.add("fire %s %s", fire.ScheduleID, strings.Join(fire.JobIDs, ","))
	}
	return nil
}

func (r *recorder) Active(scheduleID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		if j.ScheduleID == scheduleID && !r.finished[j.Run.JobID] {
			return true
		}
	}
	return false
}

func (r *recorder) setFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

func (r *recorder) failures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) finishAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		r.finished[j.Run.JobID] = true
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
		out[j.Run.JobID] = j
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

// newSchedulerOnTempStore is newScheduler on a fresh store and a recorder
// whose jobs finish at once.
func newSchedulerOnTempStore(t *testing.T, opts Options) *Scheduler {
	t.Helper()
	store := newTestStore(t)
	return newScheduler(t, store, newRecorder(store, true), opts)
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
	return protocol.Schedule{ID: id, CronExpr: expr, Enabled: true, SourceGroups: []protocol.SourceGroup{group("g-"+strings.ReplaceAll(id, ":", "-"), protocol.RetentionPolicy{})}}
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
