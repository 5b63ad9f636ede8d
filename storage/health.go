package storage

import (
	"errors"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// GroupHealth is the outcome of the latest finished backup of one source
// group.
type GroupHealth struct {
	Status     string    `json:"status"`
	JobID      string    `json:"job_id"`
	FinishedAt time.Time `json:"finished_at"`
	Error      string    `json:"error,omitempty"`
	ErrorKind  string    `json:"error_kind,omitempty"`
	// LastSuccessJobID and LastSuccessAt name the group's latest
	// successful backup (empty and nil: none yet). The history sweep
	// keeps that job whatever its age.
	LastSuccessJobID string     `json:"last_success_job_id,omitempty"`
	LastSuccessAt    *time.Time `json:"last_success_at,omitempty"`
}

// health is kept per host as backups and copies end, so the host list
// never scans job history: it is the summary the dashboard reads at start.
type health struct {
	LastSuccessAt *time.Time             `json:"last_success_at,omitempty"`
	Groups        map[string]GroupHealth `json:"groups,omitempty"`
	// LastCopy is the latest finished copy into the second repository.
	LastCopy *GroupHealth `json:"last_copy,omitempty"`
	// LastCopySuccessAt is when the latest successful copy finished.
	LastCopySuccessAt *time.Time `json:"last_copy_success_at,omitempty"`
}

// untaggedGroup names backups whose source group is not known (a job the
// manager only learnt about from job.started).
const untaggedGroup = "(unknown group)"

func noteHealth(tx *bolt.Tx, j *Job) error {
	if j.Kind != protocol.KindBackup && j.Kind != protocol.KindCopy || j.FinishedAt == nil {
		return nil
	}
	b := tx.Bucket(bucketHealth)
	var h health
	if err := getJSON(b, []byte(j.HostID), &h); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	h.note(j)
	return putJSON(b, []byte(j.HostID), h)
}

// note records a finished backup or copy in the summary.
func (h *health) note(j *Job) {
	if j.Kind == protocol.KindCopy {
		noteCopy(h, j)
		return
	}
	if h.Groups == nil {
		h.Groups = map[string]GroupHealth{}
	}
	g := j.Tag
	if g == "" {
		g = untaggedGroup
	}
	// Replayed old events must not overwrite a newer outcome.
	prev, ok := h.Groups[g]
	next := prev
	if !ok || !j.FinishedAt.Before(prev.FinishedAt) {
		next.Status, next.JobID, next.FinishedAt, next.Error, next.ErrorKind = j.Status, j.ID, *j.FinishedAt, j.Error, j.ErrorKind
	}
	if j.Status == protocol.StatusSucceeded && (prev.LastSuccessAt == nil || !j.FinishedAt.Before(*prev.LastSuccessAt)) {
		t := *j.FinishedAt
		next.LastSuccessJobID, next.LastSuccessAt = j.ID, &t
	}
	h.Groups[g] = next
	if j.Status == protocol.StatusSucceeded && (h.LastSuccessAt == nil || j.FinishedAt.After(*h.LastSuccessAt)) {
		t := *j.FinishedAt
		h.LastSuccessAt = &t
	}
}

// noteCopy records a finished copy; a replayed older one never replaces a
// newer outcome.
func noteCopy(h *health, j *Job) {
	if h.LastCopy == nil || !j.FinishedAt.Before(h.LastCopy.FinishedAt) {
		h.LastCopy = &GroupHealth{Status: j.Status, JobID: j.ID, FinishedAt: *j.FinishedAt, Error: j.Error}
	}
	if j.Status == protocol.StatusSucceeded && (h.LastCopySuccessAt == nil || j.FinishedAt.After(*h.LastCopySuccessAt)) {
		t := *j.FinishedAt
		h.LastCopySuccessAt = &t
	}
}

// CopyHealth is the outcome of a host's copies into its second repository.
type CopyHealth struct {
	// Last is the latest finished copy (nil: none finished yet).
	Last *GroupHealth
	// LastSuccessAt is when the latest successful copy finished.
	LastSuccessAt *time.Time
}

// Failing reports whether the latest copy failed.
func (c CopyHealth) Failing() bool { return c.Last != nil && c.Last.Status == protocol.StatusFailed }

// HostSummary is one row of the host list.
type HostSummary struct {
	Host Host
	// LastBackupAt is when the latest successful backup finished (nil:
	// never).
	LastBackupAt *time.Time
	// Failing: the latest backup of at least one group failed.
	Failing       bool
	FailingGroups []string
	Groups        map[string]GroupHealth
	// Copy is how the copies into the second repository went.
	Copy        CopyHealth
	RunningJobs int
	QueuedJobs  int
}

// LastBackupAge is how long ago the latest successful backup finished, or
// -1 when there was none.
func (s HostSummary) LastBackupAge(now time.Time) time.Duration {
	if s.LastBackupAt == nil {
		return -1
	}
	return now.Sub(*s.LastBackupAt)
}

// HostSummaries returns every host with its backup health and job counts,
// sorted by display name.
func (s *Store) HostSummaries() ([]HostSummary, error) {
	hosts, err := s.Hosts()
	if err != nil {
		return nil, err
	}
	out := make([]HostSummary, 0, len(hosts))
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, h := range hosts {
			sum, err := summarize(tx, h)
			if err != nil {
				return err
			}
			out = append(out, sum)
		}
		return nil
	})
	return out, err
}

// HostSummary returns one host's summary.
func (s *Store) HostSummary(id string) (HostSummary, error) {
	var sum HostSummary
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, id)
		if err != nil {
			return err
		}
		sum, err = summarize(tx, r.Host)
		return err
	})
	return sum, err
}

func summarize(tx *bolt.Tx, h Host) (HostSummary, error) {
	sum := HostSummary{Host: h}
	var hl health
	if err := getJSON(tx.Bucket(bucketHealth), []byte(h.ID), &hl); err != nil && !errors.Is(err, ErrNotFound) {
		return sum, err
	}
	sum.LastBackupAt = hl.LastSuccessAt
	sum.Groups = hl.Groups
	sum.Copy = CopyHealth{Last: hl.LastCopy, LastSuccessAt: hl.LastCopySuccessAt}
	for name, g := range hl.Groups {
		if g.Status == protocol.StatusFailed {
			sum.Failing = true
			sum.FailingGroups = append(sum.FailingGroups, name)
		}
	}
	sort.Strings(sum.FailingGroups)
	p := hk(h.ID)
	c := tx.Bucket(bucketActive).Cursor()
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		switch string(v) {
		case protocol.StatusRunning:
			sum.RunningJobs++
		case protocol.StatusQueued:
			sum.QueuedJobs++
		}
	}
	return sum, nil
}
