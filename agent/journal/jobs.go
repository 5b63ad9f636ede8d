package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Job is the runner's job record: the command and what a schedule fire
// adds to it.
type Job struct {
	Run protocol.CommandRun `json:"run"`
	// ScheduleID names the schedule whose fire started the job; job.started
	// carries it.
	ScheduleID string `json:"schedule_id,omitempty"`
	// RetryMax counts retries after the first attempt, for lock failures
	// only, each after RetryBackoff.
	RetryMax     int           `json:"retry_max,omitempty"`
	RetryBackoff time.Duration `json:"retry_backoff,omitempty"`
	// RunIfAnySucceeded, when set, lets the job run only if at least one of
	// these jobs succeeded (a fire's forget after its backups); otherwise it
	// ends cancelled without job.started.
	RunIfAnySucceeded []string `json:"run_if_any_succeeded,omitempty"`
}

// ID is the job's id.
func (j Job) ID() string { return j.Run.JobID }

// JobState is a job in flight as the journal keeps it.
type JobState struct {
	Job
	Status    string    `json:"status"`   // queued or running
	QueueNo   uint64    `json:"queue_no"` // submission order
	QueuedAt  time.Time `json:"queued_at"`
	StartedAt time.Time `json:"started_at,omitzero"`
}

// Outcome is how a finished job ended.
type Outcome struct {
	Status     string    `json:"status"`
	FinishedAt time.Time `json:"finished_at"`
	Error      string    `json:"error,omitempty"`
}

// ErrJobExists is returned by Enqueue for a job id the journal already has,
// in flight or recently finished: a re-sent command.run is accepted again
// and changes nothing.
var ErrJobExists = errors.New("job already known")

// maxDone bounds the finished-job outcomes kept; the oldest go first.
const maxDone = 10_000

// Enqueue stores jobs as queued, in order, and journals events (e.g. the
// schedule.fire that started them) in the same transaction: all or nothing.
// A job id the journal already has fails the whole call with ErrJobExists.
func (j *Journal) Enqueue(jobs []Job, events ...protocol.Payload) error {
	err := j.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		now := time.Now().UTC()
		for _, job := range jobs {
			id := []byte(job.ID())
			if len(id) == 0 {
				return errors.New("journal: job without an id")
			}
			if tx.Bucket(bucketJobs).Get(id) != nil || tx.Bucket(bucketDone).Get(id) != nil {
				return fmt.Errorf("job %s: %w", job.ID(), ErrJobExists)
			}
			q := getU64(meta, keyNextQueue)
			if err := putU64(meta, keyNextQueue, q+1); err != nil {
				return err
			}
			if err := putJobTx(tx, JobState{Job: job, Status: protocol.StatusQueued, QueueNo: q, QueuedAt: now}); err != nil {
				return err
			}
		}
		for _, p := range events {
			if _, err := appendTx(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && len(events) > 0 {
		j.wake()
	}
	return err
}

// Jobs returns every job in flight, in submission order.
func (j *Journal) Jobs() ([]JobState, error) {
	var out []JobState
	err := j.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = jobsTx(tx)
		return err
	})
	return out, err
}

// NextQueued returns the oldest queued job.
func (j *Journal) NextQueued() (JobState, bool, error) {
	jobs, err := j.Jobs()
	if err != nil {
		return JobState{}, false, err
	}
	for _, s := range jobs {
		if s.Status == protocol.StatusQueued {
			return s, true, nil
		}
	}
	return JobState{}, false, nil
}

// Job returns a job in flight.
func (j *Journal) Job(id string) (JobState, bool, error) {
	var (
		s  JobState
		ok bool
	)
	err := j.db.View(func(tx *bolt.Tx) error {
		var err error
		s, ok, err = jobTx(tx, id)
		return err
	})
	return s, ok, err
}

// Status returns a job's status: queued or running while in flight, its
// final status once finished (while the outcome is kept). ok is false for a
// job the journal does not know.
func (j *Journal) Status(id string) (status string, ok bool, err error) {
	err = j.db.View(func(tx *bolt.Tx) error {
		s, inFlight, err := jobTx(tx, id)
		if err != nil {
			return err
		}
		if inFlight {
			status, ok = s.Status, true
			return nil
		}
		raw := tx.Bucket(bucketDone).Get([]byte(id))
		if raw == nil {
			return nil
		}
		var o Outcome
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("journal: outcome of %s: %w", id, err)
		}
		status, ok = o.Status, true
		return nil
	})
	return status, ok, err
}

func jobsTx(tx *bolt.Tx) ([]JobState, error) {
	var out []JobState
	err := tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
		var s JobState
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("journal: job %s: %w", k, err)
		}
		out = append(out, s)
		return nil
	})
	slices.SortFunc(out, func(a, b JobState) int {
		switch {
		case a.QueueNo < b.QueueNo:
			return -1
		case a.QueueNo > b.QueueNo:
			return 1
		}
		return 0
	})
	return out, err
}

func jobTx(tx *bolt.Tx, id string) (JobState, bool, error) {
	raw := tx.Bucket(bucketJobs).Get([]byte(id))
	if raw == nil {
		return JobState{}, false, nil
	}
	var s JobState
	if err := json.Unmarshal(raw, &s); err != nil {
		return JobState{}, false, fmt.Errorf("journal: job %s: %w", id, err)
	}
	return s, true, nil
}

func putJobTx(tx *bolt.Tx, s JobState) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketJobs).Put([]byte(s.Run.JobID), raw)
}

// pruneDone keeps the newest maxDone outcomes.
func pruneDone(tx *bolt.Tx) error {
	b := tx.Bucket(bucketDone)
	n := b.Stats().KeyN
	if n <= maxDone {
		return nil
	}
	type entry struct {
		id []byte
		at time.Time
	}
	var all []entry
	if err := b.ForEach(func(k, v []byte) error {
		var o Outcome
		_ = json.Unmarshal(v, &o)
		all = append(all, entry{id: append([]byte(nil), k...), at: o.FinishedAt})
		return nil
	}); err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b entry) int { return a.at.Compare(b.at) })
	for _, e := range all[:len(all)-maxDone] {
		if err := b.Delete(e.id); err != nil {
			return err
		}
	}
	return nil
}
