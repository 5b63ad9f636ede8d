package storage

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Snapshot is one entry of a host's snapshot projection.
type Snapshot = protocol.Snapshot

// RepoStats is a host's latest repository figures; nil fields were never
// reported.
type RepoStats struct {
	protocol.RepoStats
	UpdatedAt time.Time `json:"updated_at"`
}

// SizePoint is one snapshot's size at its time, for the size chart.
type SizePoint struct {
	Time       time.Time
	SnapshotID string
	Tags       []string
	SizeBytes  uint64
}

// RepoSizePoint is the repository's size as reported at one time.
type RepoSizePoint struct {
	Time           time.Time `json:"time"`
	TotalSizeBytes uint64    `json:"total_size_bytes"`
	RawSizeBytes   *uint64   `json:"raw_size_bytes,omitempty"`
}

func snapshotKey(hostID string, sn *Snapshot) []byte {
	return cat(hk(hostID), timeKey(sn.Time), []byte(sn.ID))
}

// replaceSnapshots swaps a host's whole projection; the snapshots the new
// list no longer has are kept findable by id (forgotten.go).
func replaceSnapshots(tx *bolt.Tx, hostID string, list []Snapshot) error {
	b := tx.Bucket(bucketSnapshots)
	if err := keepForgotten(tx, hostID, list); err != nil {
		return err
	}
	if err := deletePrefix(b, hk(hostID)); err != nil {
		return err
	}
	for i := range list {
		fillSizes(tx, hostID, &list[i])
		if err := putJSON(b, snapshotKey(hostID, &list[i]), &list[i]); err != nil {
			return err
		}
	}
	return nil
}

// ReplaceSnapshots replaces a host's snapshot projection (outside a batch;
// the hub normally sends snapshots.report through ApplyBatch).
func (s *Store) ReplaceSnapshots(hostID string, list []Snapshot) error {
	return s.db.Update(func(tx *bolt.Tx) error { return replaceSnapshots(tx, hostID, list) })
}

// Snapshots returns a host's snapshots, newest first.
func (s *Store) Snapshots(hostID string) ([]Snapshot, error) {
	var out []Snapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSnapshots)
		p := hk(hostID)
		c := b.Cursor()
		for k := seekLastWithPrefix(c, p); k != nil && hasPrefix(k, p); k, _ = c.Prev() {
			var sn Snapshot
			if err := getJSON(b, k, &sn); err != nil {
				return err
			}
			out = append(out, sn)
		}
		return nil
	})
	return out, err
}

// SizeSeries returns, oldest first, each snapshot that reports a size.
func (s *Store) SizeSeries(hostID string) ([]SizePoint, error) {
	snaps, err := s.Snapshots(hostID)
	if err != nil {
		return nil, err
	}
	var out []SizePoint
	for i := len(snaps) - 1; i >= 0; i-- {
		sn := snaps[i]
		if sn.SizeBytes == nil {
			continue
		}
		out = append(out, SizePoint{Time: sn.Time, SnapshotID: sn.ID, Tags: sn.Tags, SizeBytes: *sn.SizeBytes})
	}
	return out, nil
}

// mergeRepoStats applies a partial update: absent fields keep their value.
func mergeRepoStats(tx *bolt.Tx, hostID string, p *protocol.RepoStats, at time.Time) error {
	b := tx.Bucket(bucketRepoStats)
	var cur RepoStats
	if err := getJSON(b, []byte(hostID), &cur); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	m := &cur.RepoStats
	if p.TotalSizeBytes != nil {
		m.TotalSizeBytes = p.TotalSizeBytes
	}
	if p.RawSizeBytes != nil {
		m.RawSizeBytes = p.RawSizeBytes
	}
	if p.UniqueFiles != nil {
		m.UniqueFiles = p.UniqueFiles
	}
	if p.SnapshotCount != nil {
		m.SnapshotCount = p.SnapshotCount
	}
	if p.LastCheckAt != nil {
		m.LastCheckAt = p.LastCheckAt
	}
	if p.LastCheckStatus != nil {
		m.LastCheckStatus = p.LastCheckStatus
	}
	if p.LockPresent != nil {
		m.LockPresent = p.LockPresent
	}
	if p.LastPruneAt != nil {
		m.LastPruneAt = p.LastPruneAt
	}
	if p.LastPruneFreedBytes != nil {
		m.LastPruneFreedBytes = p.LastPruneFreedBytes
	}
	cur.UpdatedAt = at
	if err := putJSON(b, []byte(hostID), cur); err != nil {
		return err
	}
	if p.TotalSizeBytes != nil {
		pt := RepoSizePoint{Time: at, TotalSizeBytes: *p.TotalSizeBytes, RawSizeBytes: p.RawSizeBytes}
		return putJSON(tx.Bucket(bucketRepoSizes), cat(hk(hostID), timeKey(at)), pt)
	}
	return nil
}

// MergeRepoStats applies a repo.stats outside a batch.
func (s *Store) MergeRepoStats(hostID string, p *protocol.RepoStats, at time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error { return mergeRepoStats(tx, hostID, p, at) })
}

// RepoStats returns a host's repository figures (zero when none arrived).
func (s *Store) RepoStats(hostID string) (RepoStats, error) {
	var st RepoStats
	err := s.db.View(func(tx *bolt.Tx) error {
		err := getJSON(tx.Bucket(bucketRepoStats), []byte(hostID), &st)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	return st, err
}

// RepoSizeHistory returns the repository sizes reported over time, oldest
// first.
func (s *Store) RepoSizeHistory(hostID string) ([]RepoSizePoint, error) {
	var out []RepoSizePoint
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepoSizes)
		p := hk(hostID)
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			var pt RepoSizePoint
			if err := getJSON(b, k, &pt); err != nil {
				return err
			}
			out = append(out, pt)
		}
		return nil
	})
	return out, err
}
