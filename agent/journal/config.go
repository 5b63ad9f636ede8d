package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// Config is the applied config.update without its secrets.
type Config struct {
	// RepoURL never carries credentials (they are stripped on apply).
	RepoURL string `json:"repo_url,omitempty"`
	// CopyURL is the second repository copy jobs copy into (slot copy),
	// without credentials too.
	CopyURL   string `json:"copy_url,omitempty"`
	HookShell string `json:"hook_shell,omitempty"`
	// Bandwidth caps in kilobits per second; 0 = no cap.
	BandwidthUpKbps   int `json:"bandwidth_up_kbps,omitempty"`
	BandwidthDownKbps int `json:"bandwidth_down_kbps,omitempty"`
}

// ApplyConfig applies a config.update's non-secret fields and returns the
// resulting configuration. Strings: absent or empty = unchanged. Bandwidth:
// nil = unchanged, 0 = clear. Credential fields are ignored here (they
// belong to agent/secrets), and user info inside a rest: URL is dropped.
// The repo and admin slots share RepoURL; the copy slot's repo_url is
// CopyURL. The source slot is refused: it is kept in memory only.
func (j *Journal) ApplyConfig(cu protocol.ConfigUpdate) (Config, error) {
	if err := cu.Validate(); err != nil {
		return Config{}, fmt.Errorf("config.update: %w", err)
	}
	if cu.Slot == protocol.SlotSource {
		return Config{}, errors.New("config.update: the source slot is never journaled")
	}
	var c Config
	err := j.db.Update(func(tx *bolt.Tx) error {
		var err error
		if c, err = configTx(tx); err != nil {
			return err
		}
		switch {
		case cu.RepoURL == "":
		case cu.Slot == protocol.SlotCopy:
			c.CopyURL, _, _ = restic.SplitURLCredentials(cu.RepoURL)
		default:
			c.RepoURL, _, _ = restic.SplitURLCredentials(cu.RepoURL)
		}
		if cu.HookShell != "" {
			c.HookShell = cu.HookShell
		}
		if cu.BandwidthUpKbps != nil {
			c.BandwidthUpKbps = *cu.BandwidthUpKbps
		}
		if cu.BandwidthDownKbps != nil {
			c.BandwidthDownKbps = *cu.BandwidthDownKbps
		}
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyConfig, raw)
	})
	return c, err
}

// Config returns the applied configuration (zero before any config.update).
func (j *Journal) Config() (Config, error) {
	var c Config
	err := j.db.View(func(tx *bolt.Tx) error {
		var err error
		c, err = configTx(tx)
		return err
	})
	return c, err
}

func configTx(tx *bolt.Tx) (Config, error) {
	var c Config
	raw := tx.Bucket(bucketMeta).Get(keyConfig)
	if raw == nil {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("journal: stored config: %w", err)
	}
	return c, nil
}

// AppliedSchedules is the schedule set in force.
type AppliedSchedules struct {
	Version uint64
	// Raw is the schedule.set payload as received.
	Raw json.RawMessage
	// AppliedAt is when the set took effect.
	AppliedAt time.Time
}

// SetSchedules stores the applied schedule set.
func (j *Journal) SetSchedules(s AppliedSchedules) error {
	if !json.Valid(s.Raw) {
		return fmt.Errorf("journal: schedule set %d is not valid JSON", s.Version)
	}
	return j.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keySchedules, s.Raw); err != nil {
			return err
		}
		if err := meta.Put(keySchedulesAppliedAt, []byte(s.AppliedAt.UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		return putU64(meta, keySchedulesVersion, s.Version)
	})
}

// Schedules returns the applied schedule set (the zero value when none).
func (j *Journal) Schedules() (AppliedSchedules, error) {
	var s AppliedSchedules
	err := j.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		s.Version = getU64(meta, keySchedulesVersion)
		if v := meta.Get(keySchedules); v != nil {
			s.Raw = append(json.RawMessage(nil), v...)
		}
		if v := meta.Get(keySchedulesAppliedAt); v != nil {
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				return fmt.Errorf("journal: schedules applied_at: %w", err)
			}
			s.AppliedAt = t
		}
		return nil
	})
	return s, err
}

// SetLastFire records a schedule's last fire time. Appending a
// schedule.fire does this too, in the same transaction.
func (j *Journal) SetLastFire(scheduleID string, at time.Time) error {
	return j.db.Update(func(tx *bolt.Tx) error { return setLastFireTx(tx, scheduleID, at) })
}

// setLastFireTx never moves a fire time backwards.
func setLastFireTx(tx *bolt.Tx, scheduleID string, at time.Time) error {
	b := tx.Bucket(bucketFires)
	if prev := b.Get([]byte(scheduleID)); prev != nil {
		if t, err := time.Parse(time.RFC3339Nano, string(prev)); err == nil && !at.After(t) {
			return nil
		}
	}
	return b.Put([]byte(scheduleID), []byte(at.UTC().Format(time.RFC3339Nano)))
}

// LastFires returns every schedule's last fire time.
func (j *Journal) LastFires() (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFires).ForEach(func(k, v []byte) error {
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				return fmt.Errorf("journal: fire time of %s: %w", k, err)
			}
			out[string(k)] = t
			return nil
		})
	})
	return out, err
}
