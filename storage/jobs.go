package storage

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Who started a job.
const (
	OriginOperator = "operator" // command.run from the UI
	OriginSchedule = "schedule" // a cron fire on the agent
	OriginAgent    = "agent"    // the agent, for a reason the manager did not see
	// OriginSetup: the manager itself, setting a host up (the first
	// init and backup after enrollment); nobody pressed a button.
	OriginSetup = "setup"
)

// Job is one restic run on a host. Status follows queued → running →
// succeeded | failed | cancelled; a terminal status is final.
type Job struct {
	ID         string     `json:"id"`
	HostID     string     `json:"host_id"`
	Kind       string     `json:"kind"`
	Origin     string     `json:"origin"`
	ScheduleID string     `json:"schedule_id,omitempty"`
	Tag        string     `json:"tag,omitempty"` // source group, for backups
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ExitCode   *int       `json:"exit_code,omitempty"`
	Error      string     `json:"error,omitempty"`
	// ErrorKind is a failed job's cause (protocol.ErrorKinds): the
	// agent's job.finished.error_kind, "other" when it named none.
	ErrorKind string          `json:"error_kind,omitempty"`
	Stats     json.RawMessage `json:"stats,omitempty"`
	// Command is the command.run payload sent for an operator job.
	Command json.RawMessage `json:"command,omitempty"`
	// SourceHostID names the host whose repository a restore from
	// another host (restore.from_source) reads: its credentials go to
	// this job's host, in the source slot, with every send of Command.
	SourceHostID string `json:"source_host_id,omitempty"`
	// ResultReceived: the agent's command.result arrived (Accepted says
	// what it said). Until then the command is re-sent on every connect.
	ResultReceived bool `json:"result_received,omitempty"`
	Accepted       bool `json:"accepted,omitempty"`
	// Placeholder: created from a log line before any job.* event (older
	// builds did; a line for a job that has not started is now refused).
	Placeholder bool `json:"placeholder,omitempty"`
}

// Terminal reports whether the job has ended.
func (j Job) Terminal() bool { return protocol.IsTerminal(j.Status) }

// ErrWrongHost: the job belongs to another host.
var ErrWrongHost = errors.New("job belongs to another host")

func loadJob(tx *bolt.Tx, id string) (Job, error) {
	var j Job
	if err := getJSON(tx.Bucket(bucketJobs), []byte(id), &j); err != nil {
		if errors.Is(err, ErrNotFound) {
			return j, fmt.Errorf("job %q: %w", id, ErrNotFound)
		}
		return j, err
	}
	return j, nil
}

// saveJob writes the job and keeps the history, active and health indexes
// in step. prev is the stored version (nil for a new job).
func saveJob(tx *bolt.Tx, j *Job, prev *Job) error {
	if err := putJSON(tx.Bucket(bucketJobs), []byte(j.ID), j); err != nil {
		return err
	}
	if prev == nil {
		if err := tx.Bucket(bucketHostJobs).Put(historyKey(j.HostID, j.CreatedAt, j.ID), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bucketCreated).Put(createdKey(j), []byte(j.HostID)); err != nil {
			return err
		}
	}
	act := tx.Bucket(bucketActive)
	ak := cat(hk(j.HostID), []byte(j.ID))
	if j.Terminal() {
		if err := act.Delete(ak); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUndelivered).Delete(ak); err != nil {
			return err
		}
		if prev == nil || !prev.Terminal() {
			if err := tx.Bucket(bucketFinished).Put(finishedKey(j), []byte(j.HostID)); err != nil {
				return err
			}
			return noteHealth(tx, j)
		}
		return nil
	}
	return act.Put(ak, []byte(j.Status))
}

func historyKey(hostID string, created time.Time, jobID string) []byte {
	return cat(hk(hostID), timeKey(created), []byte(jobID))
}

// CreateJob stores a new operator job (queued). When j.Command is set the
// job is also queued for (re)delivery until its command.result arrives.
func (s *Store) CreateJob(j Job) error {
	if j.ID == "" || j.HostID == "" || !protocol.IsJobKind(j.Kind) {
		return fmt.Errorf("job: %w: id, host_id and a known kind are required", ErrInvalid)
	}
	if j.Status == "" {
		j.Status = protocol.StatusQueued
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, err := loadHost(tx, j.HostID); err != nil {
			return err
		}
		if tx.Bucket(bucketJobs).Get([]byte(j.ID)) != nil {
			return fmt.Errorf("job %q already exists", j.ID)
		}
		if err := saveJob(tx, &j, nil); err != nil {
			return err
		}
		if len(j.Command) > 0 && !j.ResultReceived {
			return tx.Bucket(bucketUndelivered).Put(cat(hk(j.HostID), []byte(j.ID)), nil)
		}
		return nil
	})
}

// Job returns one job.
func (s *Store) Job(id string) (Job, error) {
	var j Job
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		j, err = loadJob(tx, id)
		return err
	})
	return j, err
}

// UndeliveredCommands lists a host's operator jobs whose command.run has
// no command.result yet, oldest first: they are re-sent on connect.
func (s *Store) UndeliveredCommands(hostID string) ([]Job, error) {
	return s.jobsIn(bucketUndelivered, hostID)
}

// ActiveJobs lists a host's jobs that are queued or running.
func (s *Store) ActiveJobs(hostID string) ([]Job, error) {
	return s.jobsIn(bucketActive, hostID)
}

func (s *Store) jobsIn(bucket []byte, hostID string) ([]Job, error) {
	var out []Job
	err := s.db.View(func(tx *bolt.Tx) error {
		p := hk(hostID)
		c := tx.Bucket(bucket).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			j, err := loadJob(tx, string(k[len(p):]))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	// Job ids are UUIDv7 in practice, so key order is creation order; be
	// exact anyway.
	sortJobsOldestFirst(out)
	return out, err
}

func sortJobsOldestFirst(js []Job) {
	for i := 1; i < len(js); i++ {
		for k := i; k > 0 && js[k].CreatedAt.Before(js[k-1].CreatedAt); k-- {
			js[k], js[k-1] = js[k-1], js[k]
		}
	}
}

// RecordCommandResult stores an agent's command.result. A refusal fails
// the job (a terminal state, so a later duplicate changes nothing).
func (s *Store) RecordCommandResult(hostID, jobID string, accepted bool, errMsg string, now time.Time) (Job, error) {
	var j Job
	err := s.db.Update(func(tx *bolt.Tx) error {
		prev, err := loadJob(tx, jobID)
		if err != nil {
			return err
		}
		if prev.HostID != hostID {
			return fmt.Errorf("job %q: %w", jobID, ErrWrongHost)
		}
		j = prev
		if j.ResultReceived {
			return nil
		}
		j.ResultReceived, j.Accepted = true, accepted
		if !accepted && !j.Terminal() {
			j.Status = protocol.StatusFailed
			j.Error = "refused by the agent: " + errMsg
			j.ErrorKind = protocol.ErrorKindOther
			j.FinishedAt = &now
		}
		if err := tx.Bucket(bucketUndelivered).Delete(cat(hk(hostID), []byte(jobID))); err != nil {
			return err
		}
		return saveJob(tx, &j, &prev)
	})
	return j, err
}

// FinishJobLocally ends a job the agent never got (for example an operator
// job cancelled before its command.run was delivered). A terminal job is
// left as it is.
func (s *Store) FinishJobLocally(jobID, status, errMsg string, now time.Time) (Job, error) {
	if !protocol.IsTerminal(status) {
		return Job{}, fmt.Errorf("status %q is not terminal", status)
	}
	var j Job
	err := s.db.Update(func(tx *bolt.Tx) error {
		prev, err := loadJob(tx, jobID)
		if err != nil {
			return err
		}
		j = prev
		if j.Terminal() {
			return nil
		}
		j.Status, j.Error, j.FinishedAt = status, errMsg, &now
		if status == protocol.StatusFailed {
			j.ErrorKind = protocol.ErrorKindOther
		}
		return saveJob(tx, &j, &prev)
	})
	return j, err
}

// JobPage is one page of a host's job history, newest first. Next is the
// cursor for the following (older) page; empty when there is none.
type JobPage struct {
	Jobs []Job
	Next string
}

// JobsPage returns up to limit jobs of a host older than cursor (empty:
// from the newest).
func (s *Store) JobsPage(hostID, cursor string, limit int) (JobPage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var page JobPage
	err := s.db.View(func(tx *bolt.Tx) error {
		p := hk(hostID)
		c := tx.Bucket(bucketHostJobs).Cursor()
		var k []byte
		if cursor == "" {
			k = seekLastWithPrefix(c, p)
		} else {
			ck, err := hex.DecodeString(cursor)
			if err != nil || !hasPrefix(ck, p) {
				return fmt.Errorf("job history cursor %q: %w: not a cursor of this host", cursor, ErrInvalid)
			}
			c.Seek(ck)
			k, _ = c.Prev()
		}
		var lastK []byte
		for ; k != nil && hasPrefix(k, p); k, _ = c.Prev() {
			if len(page.Jobs) == limit {
				page.Next = hex.EncodeToString(lastK)
				break
			}
			id := string(k[len(p)+8:])
			j, err := loadJob(tx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			page.Jobs = append(page.Jobs, j)
			lastK = append(lastK[:0], k...)
		}
		return nil
	})
	return page, err
}

// seekLastWithPrefix positions c on the last key starting with p.
func seekLastWithPrefix(c *bolt.Cursor, p []byte) []byte {
	// The prefix's successor: p with its last byte incremented, carrying.
	succ := append([]byte{}, p...)
	for i := len(succ) - 1; i >= 0; i-- {
		if succ[i] < 0xff {
			succ[i]++
			succ = succ[:i+1]
			break
		}
		if i == 0 {
			succ = nil
		}
	}
	var k []byte
	if succ == nil {
		k, _ = c.Last()
	} else if k, _ = c.Seek(succ); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k != nil && !hasPrefix(k, p) {
		return nil
	}
	return k
}
