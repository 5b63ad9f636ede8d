package storage

import (
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltfile"
)

// salvageBatch is how many records one transaction of the salvage writes.
const salvageBatch = 4096

// salvage moves the damaged file at path aside and copies every record
// still readable from it into a new file at path: each bucket read on its
// own, a bad page costing only the records on it, and a record that does
// not decode going to quarantine instead of its bucket. It returns the
// *DamagedError that tells the admin what happened; the next Open of path
// opens the salvaged store.
func salvage(path string, cause error, now time.Time) error {
	moved, err := boltfile.MoveAside(path, now)
	if err != nil {
		return fmt.Errorf("open %s: %w (%v), and %v", path, ErrDamaged, cause, err)
	}
	dmg := &DamagedError{Path: path, MovedTo: moved, Cause: cause, Kept: map[string]int{}}
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		dmg.SalvageErr = err
		return dmg
	}
	var pending []salvaged
	flush := func() error {
		err := db.Update(func(tx *bolt.Tx) error {
			for _, r := range pending {
				if r.bad != "" {
					if err := putQuarantined(tx, r.bucket, r.key, r.value, r.bad, now); err != nil {
						return err
					}
					continue
				}
				b, err := tx.CreateBucketIfNotExists([]byte(r.bucket))
				if err != nil {
					return err
				}
				if err := b.Put(r.key, r.value); err != nil {
					return err
				}
			}
			return nil
		})
		pending = pending[:0]
		return err
	}
	rep, err := boltfile.Salvage(moved, allBuckets, func(bucket, k, v []byte) error {
		r := salvaged{bucket: string(bucket), key: k, value: v}
		if decode := decoders[r.bucket]; decode != nil {
			if derr := decode(v); derr != nil {
				r.bad = derr.Error()
				dmg.Quarantined = append(dmg.Quarantined, BadRecord{Bucket: r.bucket, Key: k, Reason: r.bad, HostID: hostOfKey(r.bucket, k)})
			}
		}
		if r.bad == "" {
			dmg.Kept[r.bucket]++
		}
		pending = append(pending, r)
		if len(pending) >= salvageBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = db.Sync()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	dmg.Unreadable, dmg.SalvageErr = rep.Unreadable, err
	return dmg
}

type salvaged struct {
	bucket     string
	key, value []byte
	bad        string // why it goes to quarantine
}

// salvageSummary says in a sentence what the salvage kept, by what matters
// to the admin first.
func (e *DamagedError) salvageSummary() string {
	var parts []string
	for _, b := range []struct {
		bucket []byte
		what   string
	}{
		{bucketHosts, "hosts"}, {bucketHostTokens, "host tokens"}, {bucketEnrollToks, "enrollment tokens"},
		{bucketGroups, "source groups"}, {bucketSchedules, "schedules"}, {bucketJobs, "jobs"}, {bucketLogs, "log lines"},
	} {
		parts = append(parts, fmt.Sprintf("%d %s", e.Kept[string(b.bucket)], b.what))
	}
	return strings.Join(parts, ", ")
}
