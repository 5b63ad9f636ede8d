package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// A host's life after enrollment: the administrator may give it a display
// name, and remove it. Removal revokes everything the host proves itself
// with (its agent token, its tailnet node binding, its enrollment), so a
// hello with the old token is refused as unknown; what happens to its
// history is the administrator's choice.

// MaxHostNameLen bounds a display name.
const MaxHostNameLen = protocol.MaxIDLen

// RenameHost sets the host's display name; an empty name gives it back
// its hostname. A name is one line of printable text, at most
// MaxHostNameLen bytes.
func (s *Store) RenameHost(id, name string) (Host, error) {
	name = strings.TrimSpace(name)
	if len(name) > MaxHostNameLen {
		return Host{}, fmt.Errorf("host name: %w: longer than %d bytes", ErrInvalid, MaxHostNameLen)
	}
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return Host{}, fmt.Errorf("host name: %w: only printable characters on one line", ErrInvalid)
	}
	return s.updateHost(id, func(r *hostRecord) error {
		r.Name = name
		return nil
	})
}

// HostRemovedText ends a removed host's queued and running jobs: the agent
// will not report them any more.
const HostRemovedText = "the host was removed"

// RemoveHost revokes the host's credentials and ends its unfinished jobs
// (cancelled, HostRemovedText). With keepHistory the host stays in the
// store as HostRemoved — in no host list, its jobs, logs, snapshots and
// events still readable; without, everything of the host is deleted
// (RemoveHostData, in the sweep's small transactions). The returned host is as it was before removal.
func (s *Store) RemoveHost(id string, keepHistory bool, now time.Time) (Host, error) {
	var h Host
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, id)
		if err != nil {
			return err
		}
		h = r.Host
		if err := revokeHost(tx, &r); err != nil {
			return err
		}
		if err := endJobsOfRemovedHost(tx, id, now); err != nil {
			return err
		}
		r.Status, r.RemovedAt = HostRemoved, &now
		if err := saveHost(tx, r); err != nil {
			return err
		}
		return addHostEvent(tx, id, HostEvent{Time: now, Kind: EventAdmin, Message: "removed by the administrator; its token no longer works"})
	})
	if err != nil || keepHistory {
		return h, err
	}
	_, err = s.RemoveHostData(context.Background(), id, SweepOptions{})
	return h, err
}

// revokeHost drops every way the host proves itself: its agent token, its
// tailnet node, its enrollments (so the agent may enroll again as a new
// host).
func revokeHost(tx *bolt.Tx, r *hostRecord) error {
	if r.TokenHash != "" {
		if err := tx.Bucket(bucketHostTokens).Delete(unhex(r.TokenHash)); err != nil {
			return err
		}
		r.TokenHash = ""
	}
	// Look for every entry naming the host, not just the ones its record
	// points at: a stale one must not outlive it.
	for _, b := range [][]byte{bucketHostTokens, bucketHostNodes, bucketEnrollments} {
		if err := deleteWhereValue(tx.Bucket(b), []byte(r.ID)); err != nil {
			return err
		}
	}
	r.NodeID, r.TokenUsed = "", false
	return nil
}

func deleteWhereValue(b *bolt.Bucket, v []byte) error {
	var keys [][]byte
	if err := b.ForEach(func(k, val []byte) error {
		if string(val) == string(v) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// endJobsOfRemovedHost cancels the host's queued and running jobs and
// forgets its undelivered commands.
func endJobsOfRemovedHost(tx *bolt.Tx, hostID string, now time.Time) error {
	p := hk(hostID)
	var ids []string
	c := tx.Bucket(bucketActive).Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		ids = append(ids, string(k[len(p):]))
	}
	for _, id := range ids {
		prev, err := loadJob(tx, id)
		if err != nil {
			return err
		}
		j := prev
		j.Status, j.Error, j.FinishedAt = protocol.StatusCancelled, HostRemovedText, &now
		if err := saveJob(tx, &j, &prev); err != nil {
			return err
		}
	}
	return deletePrefix(tx.Bucket(bucketUndelivered), p)
}
