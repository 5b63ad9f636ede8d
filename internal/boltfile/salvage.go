package boltfile

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SalvageReport says what Salvage could read.
type SalvageReport struct {
	// Read counts the records handed to keep, per bucket.
	Read map[string]int
	// Unreadable lists what could not be read, one line per bucket or part
	// of a bucket, with the reason ("hosts: part of the bucket: …").
	Unreadable []string
}

// Complete reports whether every bucket was read to the end.
func (r SalvageReport) Complete() bool { return len(r.Unreadable) == 0 }

// Salvage opens the damaged file at path read-only and hands a copy of
// every record it can still read to keep, bucket by bucket (top-level
// buckets named in buckets; values that are nested buckets are skipped).
// Each bucket is read on its own under Guard: from its first key forwards
// until the end or the first page that fails, then from its last key
// backwards down to the last key read forwards, so one bad page costs the
// records on that page (or under that branch), not the bucket. keep runs
// inside the read; the slices are copies the caller may keep.
//
// When the file cannot be opened at all (both meta pages gone) nothing is
// read and the report says so.
func Salvage(path string, buckets [][]byte, keep func(bucket, key, value []byte) error) (SalvageReport, error) {
	rep := SalvageReport{Read: map[string]int{}}
	db, err := Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: openTimeout})
	if err != nil {
		rep.Unreadable = append(rep.Unreadable, "the whole file: "+err.Error())
		return rep, nil
	}
	defer db.Close()
	for _, name := range buckets {
		if err := salvageBucket(db, name, keep, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// openTimeout bounds the shared lock Salvage takes on a file nobody should
// hold any more.
const openTimeout = 2 * time.Second

// errKeep marks an error returned by keep, which ends the salvage (the
// destination failed), unlike a read failure, which ends only one pass.
type errKeep struct{ err error }

func (e errKeep) Error() string { return e.err.Error() }

func salvageBucket(db *bolt.DB, name []byte, keep func(bucket, key, value []byte) error, rep *SalvageReport) error {
	var last []byte // the last key read forwards
	nFwd := 0
	missing := false
	fwd := Guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(name)
			if b == nil {
				missing = true
				return nil
			}
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil {
					continue
				}
				if err := keep(name, bytes.Clone(k), bytes.Clone(v)); err != nil {
					return errKeep{err}
				}
				rep.Read[string(name)]++
				nFwd++
				last = bytes.Clone(k)
			}
			return nil
		})
	})
	if ke, ok := errors.AsType[errKeep](fwd); ok {
		return ke.err
	}
	if fwd == nil || missing {
		return nil
	}
	if last == nil {
		// Not even the first page could be read: the bucket's root (or the
		// file's root) is the damaged page, and a backward pass starts from
		// the same root.
		rep.Unreadable = append(rep.Unreadable, fmt.Sprintf("%s: the whole bucket: %v", name, fwd))
		return nil
	}
	bwd := Guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(name).Cursor()
			for k, v := c.Last(); k != nil && bytes.Compare(k, last) > 0; k, v = c.Prev() {
				if v == nil {
					continue
				}
				if err := keep(name, bytes.Clone(k), bytes.Clone(v)); err != nil {
					return errKeep{err}
				}
				rep.Read[string(name)]++
			}
			return nil
		})
	})
	if ke, ok := errors.AsType[errKeep](bwd); ok {
		return ke.err
	}
	rep.Unreadable = append(rep.Unreadable, fmt.Sprintf("%s: some records after the first %d: %v", name, nFwd, fwd))
	return nil
}
