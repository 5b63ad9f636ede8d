package journal

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// migrations[i] brings a journal from schema version i to i+1. Append only;
// never edit a released step.
var migrations = []func(tx *bolt.Tx) error{
	// 1: the first layout. The agent id is made here, once.
	func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keyAgentID) == nil {
			if err := meta.Put(keyAgentID, []byte(protocol.NewID())); err != nil {
				return err
			}
		}
		if err := putU64(meta, keyNextSeq, 1); err != nil {
			return err
		}
		return putU64(meta, keyNextQueue, 1)
	},
}

// SchemaVersion is the journal layout this build writes.
func SchemaVersion() uint64 { return uint64(len(migrations)) }

// migrate creates every bucket and applies the missing migrations, all in
// one transaction. A journal written by a newer restic-agent is refused.
func (j *Journal) migrate() error {
	// Nothing to do writes nothing (a full disk must not stop a start).
	current := false
	_ = j.db.View(func(tx *bolt.Tx) error {
		current = true
		for _, name := range allBuckets {
			current = current && tx.Bucket(name) != nil
		}
		current = current && getU64(tx.Bucket(bucketMeta), keySchema) == SchemaVersion()
		return nil
	})
	if current {
		return nil
	}
	return j.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("journal: create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		have := getU64(meta, keySchema)
		if have > SchemaVersion() {
			return fmt.Errorf("journal %s has schema version %d, but this restic-agent understands only up to %d: it was written by a newer restic-agent; run that version, or move the file away to start afresh (queued jobs and unsent events in it would be lost)",
				j.path, have, SchemaVersion())
		}
		for v := have; v < SchemaVersion(); v++ {
			if err := migrations[v](tx); err != nil {
				return fmt.Errorf("journal: migrate to schema %d: %w", v+1, err)
			}
		}
		return putU64(meta, keySchema, SchemaVersion())
	})
}
