package storage

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// HistorySettings say how long job history is kept (Settings → History).
// The sweep (retention.go) applies them; whatever they say, the newest
// KeepJobsPerHost jobs of each host and the latest successful backup of
// each source group stay, with their logs.
type HistorySettings struct {
	// JobDays: a finished job's record (and its log) is removed this many
	// days after the job was created.
	JobDays int `json:"job_days"`
	// SucceededLogDays: the log of a succeeded job is removed this many
	// days after the job finished; the job's record stays.
	SucceededLogDays int `json:"succeeded_log_days"`
	// FailedLogDays: the same for failed and cancelled jobs, kept longer
	// because they are the ones read later.
	FailedLogDays int `json:"failed_log_days"`
}

// The fixed parts of retention (DESIGN, "History and notifications").
const (
	// KeepJobsPerHost is how many of each host's newest jobs are never
	// swept, however old.
	KeepJobsPerHost = 20
	// MaxHostEvents is how many entries of a host's event log are kept.
	MaxHostEvents = 10_000
	// MaxHistoryDays bounds every HistorySettings field (a century).
	MaxHistoryDays = 36_500
)

// DefaultHistorySettings is what a new store keeps.
func DefaultHistorySettings() HistorySettings {
	return HistorySettings{JobDays: 365, SucceededLogDays: 30, FailedLogDays: 180}
}

// Problem names the first setting that cannot be stored and says why, in
// words for the line under the input; field is "" when all are fine. The
// hub's form check and SetHistorySettings share it.
func (h HistorySettings) Problem() (field, reason string) {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"job records", h.JobDays},
		{"logs of succeeded jobs", h.SucceededLogDays},
		{"logs of failed or cancelled jobs", h.FailedLogDays},
	} {
		if f.v < 1 || f.v > MaxHistoryDays {
			return f.name, fmt.Sprintf("%d days: between 1 and %d days", f.v, MaxHistoryDays)
		}
	}
	// A log goes with its job record, so a longer log setting would never
	// take effect; refusing it keeps the form honest.
	if h.SucceededLogDays > h.JobDays {
		return "logs of succeeded jobs", fmt.Sprintf("%d days: a log cannot be kept longer than its job record (%d days)", h.SucceededLogDays, h.JobDays)
	}
	if h.FailedLogDays > h.JobDays {
		return "logs of failed or cancelled jobs", fmt.Sprintf("%d days: a log cannot be kept longer than its job record (%d days)", h.FailedLogDays, h.JobDays)
	}
	return "", ""
}

var keyHistorySettings = []byte("history_settings")

// HistorySettings returns the retention settings (the defaults until they
// were set).
func (s *Store) HistorySettings() (HistorySettings, error) {
	var h HistorySettings
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		h, err = loadHistorySettings(tx)
		return err
	})
	return h, err
}

func loadHistorySettings(tx *bolt.Tx) (HistorySettings, error) {
	h := DefaultHistorySettings()
	err := getJSON(tx.Bucket(bucketMeta), keyHistorySettings, &h)
	if errors.Is(err, ErrNotFound) {
		return DefaultHistorySettings(), nil
	}
	return h, err
}

// SetHistorySettings stores new retention settings. Settings with a
// Problem are refused (ErrInvalid) and nothing is written.
func (s *Store) SetHistorySettings(h HistorySettings) error {
	if field, reason := h.Problem(); field != "" {
		return fmt.Errorf("history settings: %s: %w: %s", field, ErrInvalid, reason)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketMeta), keyHistorySettings, h)
	})
}

// migrateHistoryIndexes fills what the sweep and the host summary read
// instead of history, from a store written before they were kept at
// ingest: jobs_by_created for every job, finished_jobs for every finished
// one, and each source group's latest successful backup in the host's
// health. It reads every job once.
func migrateHistoryIndexes(tx *bolt.Tx) error {
	jobs, fin, created := tx.Bucket(bucketJobs), tx.Bucket(bucketFinished), tx.Bucket(bucketCreated)
	healths := map[string]*health{}
	err := jobs.ForEach(func(k, _ []byte) error {
		var j Job
		if getJSON(jobs, k, &j) != nil {
			return nil // unreadable: not this migration's to judge; it stays as it is
		}
		if err := created.Put(createdKey(&j), []byte(j.HostID)); err != nil {
			return err
		}
		if !j.Terminal() {
			return nil
		}
		if err := fin.Put(finishedKey(&j), []byte(j.HostID)); err != nil {
			return err
		}
		if j.Kind != protocol.KindBackup || j.Status != protocol.StatusSucceeded || j.FinishedAt == nil {
			return nil
		}
		h, ok := healths[j.HostID]
		if !ok {
			h = &health{}
			if err := getJSON(tx.Bucket(bucketHealth), []byte(j.HostID), h); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if h.Groups == nil {
				h.Groups = map[string]GroupHealth{}
			}
			healths[j.HostID] = h
		}
		g := j.Tag
		if g == "" {
			g = untaggedGroup
		}
		gh := h.Groups[g]
		if gh.LastSuccessAt == nil || j.FinishedAt.After(*gh.LastSuccessAt) {
			t := *j.FinishedAt
			gh.LastSuccessJobID, gh.LastSuccessAt = j.ID, &t
			if gh.JobID == "" { // health predates this job's group entry
				gh.Status, gh.JobID, gh.FinishedAt = j.Status, j.ID, t
			}
			h.Groups[g] = gh
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id, h := range healths {
		if tx.Bucket(bucketHosts).Get([]byte(id)) == nil {
			continue
		}
		if err := putJSON(tx.Bucket(bucketHealth), []byte(id), h); err != nil {
			return err
		}
	}
	return nil
}
