package storage

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Snapshot sizes from the backups that made them. restic before 0.17
// lists snapshots without a size or file count, but the summary of the
// backup that made each one has both (total_bytes_processed,
// total_files_processed). The store keeps them by snapshot id as backups
// end, and fills them into the snapshot list when the agent's list lacks
// them. restic 0.14's summary names the short id, later ones the full id;
// a snapshot is looked up by both.

// backupSize is one backup summary's figures.
type backupSize struct {
	Bytes uint64 `json:"bytes"`
	Files uint64 `json:"files"`
}

// backupSummary is the part of a backup job's stats the index reads.
type backupSummary struct {
	SnapshotID          string  `json:"snapshot_id"`
	TotalFilesProcessed *uint64 `json:"total_files_processed"`
	TotalBytesProcessed *uint64 `json:"total_bytes_processed"`
	DryRun              bool    `json:"dry_run"`
}

func sizeKey(hostID, snapshotID string) []byte { return cat(hk(hostID), []byte(snapshotID)) }

// noteBackupSize indexes a backup job's summary by the snapshot it made.
// Stats without a snapshot id or totals are left alone: the figures are a
// courtesy, never a reason to refuse an event.
func noteBackupSize(tx *bolt.Tx, hostID string, stats []byte) error {
	var s backupSummary
	if json.Unmarshal(stats, &s) != nil || s.DryRun || s.SnapshotID == "" || len(s.SnapshotID) > protocol.MaxIDLen ||
		s.TotalBytesProcessed == nil || s.TotalFilesProcessed == nil {
		return nil
	}
	if err := putJSON(tx.Bucket(bucketBackupSizes), sizeKey(hostID, s.SnapshotID),
		backupSize{Bytes: *s.TotalBytesProcessed, Files: *s.TotalFilesProcessed}); err != nil {
		return err
	}
	return fillListed(tx, hostID, s.SnapshotID)
}

// fillListed fills the figures into the listed snapshot a backup made,
// when the agent's list arrived before the backup's end did (the list is
// state and may overtake the journaled job.finished).
func fillListed(tx *bolt.Tx, hostID, snapshotID string) error {
	b := tx.Bucket(bucketSnapshots)
	p := hk(hostID)
	c := b.Cursor()
	// Newest first: the snapshot a backup just made is at the end.
	for k := seekLastWithPrefix(c, p); k != nil && hasPrefix(k, p); k, _ = c.Prev() {
		// The key ends in the snapshot's full id, which a short id starts.
		if len(k) < len(p)+8 || !hasPrefix(k[len(p)+8:], []byte(snapshotID)) {
			continue
		}
		var sn Snapshot
		if getJSON(b, k, &sn) != nil {
			continue
		}
		if sn.SizeBytes != nil && sn.FileCount != nil {
			return nil
		}
		fillSizes(tx, hostID, &sn)
		key := append([]byte(nil), k...)
		return putJSON(b, key, &sn)
	}
	return nil
}

// fillSizes gives each snapshot without a size the figures of the backup
// that made it, when the store has them.
func fillSizes(tx *bolt.Tx, hostID string, sn *Snapshot) {
	if sn.SizeBytes != nil && sn.FileCount != nil {
		return
	}
	b := tx.Bucket(bucketBackupSizes)
	for _, id := range []string{sn.ID, sn.ShortID, shortOf(sn.ID)} {
		if id == "" {
			continue
		}
		var s backupSize
		if getJSON(b, sizeKey(hostID, id), &s) != nil {
			continue
		}
		if sn.SizeBytes == nil {
			sn.SizeBytes = &s.Bytes
		}
		if sn.FileCount == nil {
			sn.FileCount = &s.Files
		}
		return
	}
}

// shortOf is restic's short id: the first 8 hex digits.
func shortOf(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return ""
}

// migrateBackupSizes indexes the summaries of the backups already stored.
func migrateBackupSizes(tx *bolt.Tx) error {
	b := tx.Bucket(bucketJobs)
	return b.ForEach(func(k, v []byte) error {
		var j Job
		if json.Unmarshal(v, &j) != nil || j.Kind != protocol.KindBackup || len(j.Stats) == 0 {
			return nil // a record that does not decode is the quarantine's business
		}
		return noteBackupSize(tx, j.HostID, j.Stats)
	})
}
