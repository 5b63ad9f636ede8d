package storage

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltmigrate"
)

// migrations is the ordered list; the schema version is how many have run.
// Append only: never edit or reorder a migration that has shipped.
var migrations = []boltmigrate.Step{
	{Name: "initial schema", Run: func(tx *bolt.Tx) error { return nil }},
	{Name: "schedule versions start at 1 for existing hosts", Run: migrateScheduleVersionFloor},
	{Name: "source group names become safe restic tags", Run: migrateGroupNames},
	{Name: "snapshot sizes from the backup summaries already stored", Run: migrateBackupSizes},
	{Name: "history indexes: jobs by creation, finished jobs by log expiry, each group's last successful backup", Run: migrateHistoryIndexes},
}

// migrateScheduleVersionFloor gives every host a schedule version of at
// least 1, because agents refuse schedule.set version 0.
func migrateScheduleVersionFloor(tx *bolt.Tx) error {
	b := tx.Bucket(bucketHosts)
	var fix []Host
	err := b.ForEach(func(k, v []byte) error {
		var h Host
		if err := getJSON(b, k, &h); err != nil {
			return err
		}
		if h.ScheduleVersion == 0 {
			h.ScheduleVersion = 1
			fix = append(fix, h)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, h := range fix {
		if err := putJSON(b, []byte(h.ID), h); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersionCurrent is the schema version this build writes.
func SchemaVersionCurrent() int { return len(migrations) }

// migrate creates every bucket and applies the pending migrations, all in
// one transaction: a failure leaves the file as it was.
func (s *Store) migrate(list []boltmigrate.Step) error {
	err := boltmigrate.Apply(s.db, boltmigrate.Schema{Buckets: allBuckets, Meta: bucketMeta, Key: keySchemaVersion, Steps: list})
	var newer *boltmigrate.NewerError
	if errors.As(err, &newer) {
		return fmt.Errorf("%w: %s is at schema version %d, this build knows versions up to %d; run a newer restic-manager, or move the file away to start over",
			ErrNewerDatabase, s.path, newer.Have, newer.Known)
	}
	return err
}
