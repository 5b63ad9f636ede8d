package daemon

import (
	"encoding/json"
	"fmt"
	"time"

	"restic-manager/agent/journal"
	"restic-manager/agent/link"
	"restic-manager/agent/runner"
	"restic-manager/agent/scheduler"
	"restic-manager/agent/secrets"
	"restic-manager/protocol"
)

// credentials is what the link proves itself with: the agent token in the
// secrets store, whether it was ever approved in the journal (a fact, not
// a secret).
type credentials struct {
	*secrets.Store
	j *journal.Journal
}

func (c credentials) Enrolled() (bool, error) { return c.j.Enrolled() }
func (c credentials) SetEnrolled() error      { return c.j.SetEnrolled() }

var _ link.Tokens = credentials{}

// journalOutbox is the journal as the link's outbound queue.
type journalOutbox struct{ j *journal.Journal }

func (o journalOutbox) LastAckedSeq() uint64      { return o.j.LastAckedSeq() }
func (o journalOutbox) Ack(seq uint64) error      { return o.j.Ack(seq) }
func (o journalOutbox) Appended() <-chan struct{} { return o.j.Appended() }
func (o journalOutbox) LastSeq() (uint64, error)  { return o.j.LastSeq() }

func (o journalOutbox) Pending(after uint64, max int) ([]link.Frame, error) {
	fs, err := o.j.Pending(after, max)
	out := make([]link.Frame, len(fs))
	for i, f := range fs {
		out[i] = link.Frame(f)
	}
	return out, err
}

// scheduleStore is the journal as the scheduler's Store.
type scheduleStore struct{ j *journal.Journal }

func (s scheduleStore) LoadSchedule() (scheduler.Saved, error) {
	fires, err := s.j.LastFires()
	if err != nil {
		return scheduler.Saved{}, err
	}
	a, err := s.j.Schedules()
	if err != nil {
		return scheduler.Saved{}, err
	}
	saved := scheduler.Saved{AppliedAt: a.AppliedAt, LastFires: fires}
	if len(a.Raw) == 0 {
		return saved, nil
	}
	var set protocol.ScheduleSet
	if err := json.Unmarshal(a.Raw, &set); err != nil {
		return scheduler.Saved{}, fmt.Errorf("journal: applied schedule set %d: %w", a.Version, err)
	}
	saved.Set = &set
	return saved, nil
}

func (s scheduleStore) SaveSchedule(set *protocol.ScheduleSet, appliedAt time.Time) error {
	raw, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return s.j.SetSchedules(journal.AppliedSchedules{Version: set.Version, Raw: raw, AppliedAt: appliedAt})
}

// scheduleJobs is the runner as the scheduler's Jobs.
type scheduleJobs struct{ r *runner.Runner }

func (s scheduleJobs) SubmitFire(fire *protocol.ScheduleFire, jobs []scheduler.Job) error {
	js := make([]journal.Job, len(jobs))
	for i, j := range jobs {
		js[i] = journal.Job(j)
	}
	return s.r.SubmitFire(fire, js)
}

func (s scheduleJobs) Active(scheduleID string) bool { return s.r.Active(scheduleID) }
