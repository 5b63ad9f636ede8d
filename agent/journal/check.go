package journal

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltfile"
	"restic-manager/protocol"
)

// checkRecords reads every record the agent will decode later and fails,
// wrapping boltfile.ErrDamaged, on the first that does not decode: a
// mangled stored schedule set or job must move the file aside at start,
// not stop the agent (for ever, under a service manager) when the
// scheduler or the runner reads it.
func checkRecords(db *bolt.DB) error {
	return boltfile.Guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if err := checkMeta(tx.Bucket(bucketMeta)); err != nil {
				return err
			}
			if b := tx.Bucket(bucketOutbox); b != nil {
				if err := b.ForEach(func(k, v []byte) error {
					if len(k) != 8 || !json.Valid(v) {
						return damaged("queued event %x is not an envelope", k)
					}
					return nil
				}); err != nil {
					return err
				}
			}
			for _, c := range []struct {
				bucket []byte
				what   string
				decode func([]byte) error
			}{
				{bucketJobs, "job", decodeInto[JobState]},
				{bucketDone, "finished job", decodeInto[Outcome]},
				{bucketFires, "last fire of schedule", decodeTime},
			} {
				b := tx.Bucket(c.bucket)
				if b == nil {
					continue
				}
				if err := b.ForEach(func(k, v []byte) error {
					if err := c.decode(v); err != nil {
						return damaged("%s %q: %v", c.what, k, err)
					}
					return nil
				}); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func checkMeta(meta *bolt.Bucket) error {
	if meta == nil {
		return nil // a new file: migrate makes it
	}
	for _, k := range [][]byte{keySchema, keyNextSeq, keyLastAcked, keyNextQueue, keySchedulesVersion} {
		if v := meta.Get(k); v != nil && len(v) != 8 {
			return damaged("%s is %d bytes, not 8", k, len(v))
		}
	}
	if v := meta.Get(keyConfig); v != nil {
		if err := decodeInto[Config](v); err != nil {
			return damaged("stored configuration: %v", err)
		}
	}
	if v := meta.Get(keySchedules); v != nil {
		// The scheduler decodes it the same way at every start.
		if err := decodeInto[protocol.ScheduleSet](v); err != nil {
			return damaged("stored schedule set: %v", err)
		}
	}
	if v := meta.Get(keySchedulesAppliedAt); v != nil {
		if err := decodeTime(v); err != nil {
			return damaged("schedules applied_at: %v", err)
		}
	}
	return nil
}

func decodeInto[T any](raw []byte) error {
	var v T
	return json.Unmarshal(raw, &v)
}

func decodeTime(raw []byte) error {
	_, err := time.Parse(time.RFC3339Nano, string(raw))
	return err
}

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{boltfile.ErrDamaged}, args...)...)
}
