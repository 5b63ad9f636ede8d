package journal

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltmigrate"
	"restic-manager/protocol"
)

// migrations[i] brings a journal from schema version i to i+1. Append only;
// never edit a released step.
var migrations = []boltmigrate.Step{
	{Name: "the first layout; the agent id is made here, once", Run: func(tx *bolt.Tx) error {
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
	}},
}

// SchemaVersion is the journal layout this build writes.
func SchemaVersion() uint64 { return uint64(len(migrations)) }

// migrate creates every bucket and applies the missing migrations, all in
// one transaction. A journal written by a newer restic-agent is refused.
func (j *Journal) migrate() error {
	err := boltmigrate.Apply(j.db, boltmigrate.Schema{Buckets: allBuckets, Meta: bucketMeta, Key: keySchema, Steps: migrations})
	var newer *boltmigrate.NewerError
	if errors.As(err, &newer) {
		return fmt.Errorf("journal %s has schema version %d, but this restic-agent understands only up to %d: it was written by a newer restic-agent; run that version, or move the file away to start afresh (queued jobs and unsent events in it would be lost)",
			j.path, newer.Have, newer.Known)
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
