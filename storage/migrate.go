package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration moves the schema from version i to i+1 (its index + 1). It runs
// inside the single transaction that also records the new version.
type migration struct {
	name string
	run  func(tx *bolt.Tx) error
}

// migrations is the ordered list; the schema version is how many have run.
// Append only: never edit or reorder a migration that has shipped.
var migrations = []migration{
	{"initial schema", func(tx *bolt.Tx) error { return nil }},
	{"schedule versions start at 1 for existing hosts", migrateScheduleVersionFloor},
	{"source group names become safe restic tags", migrateGroupNames},
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
func (s *Store) migrate(list []migration) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		have := int(getU64(meta.Get(keySchemaVersion)))
		if have > len(list) {
			return fmt.Errorf("%w: %s is at schema version %d, this build knows versions up to %d; run a newer restic-manager, or move the file away to start over",
				ErrNewerDatabase, s.path, have, len(list))
		}
		for i := have; i < len(list); i++ {
			if err := list[i].run(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", i+1, list[i].name, err)
			}
		}
		if have != len(list) {
			return meta.Put(keySchemaVersion, u64(uint64(len(list))))
		}
		return nil
	})
}
