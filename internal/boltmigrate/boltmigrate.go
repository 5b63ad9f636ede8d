// Package boltmigrate brings a bbolt file to the layout the code expects:
// every bucket created, then the numbered migrations the file has not had
// yet, all in one transaction, with the schema version (how many
// migrations have run) kept as a big-endian uint64 in a meta bucket. A file
// at a higher version than the code knows is refused with *NewerError: it
// was written by a newer program, and guessing at its layout could lose
// data.
//
// Both programs' files use it: storage (the manager's store) and
// agent/journal (the agent's journal). Imports bbolt only.
package boltmigrate

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Step moves a file from schema version i to i+1, where i is its index in
// Schema.Steps. It runs inside the transaction that records the new
// version. Append only: a step that has shipped is never edited or moved.
type Step struct {
	Name string
	Run  func(tx *bolt.Tx) error
}

// Schema is what Apply brings a file to.
type Schema struct {
	// Buckets are created (when missing) before any step runs.
	Buckets [][]byte
	// Meta and Key name where the version is kept; Meta must be one of
	// Buckets.
	Meta, Key []byte
	// Steps are the migrations, oldest first.
	Steps []Step
}

// Version is the schema version Apply leaves a file at.
func (s Schema) Version() uint64 { return uint64(len(s.Steps)) }

// ErrNewer is wrapped by *NewerError.
var ErrNewer = errors.New("written by a newer version")

// NewerError refuses a file at a schema version above Known.
type NewerError struct {
	Have, Known uint64
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("schema version %d, this build knows versions up to %d: %v", e.Have, e.Known, ErrNewer)
}

func (e *NewerError) Unwrap() error { return ErrNewer }

// Apply creates the buckets and runs the pending steps in one
// transaction: a failure leaves the file as it was. A file already at the
// schema's version with every bucket is only read, never written, so a
// program whose disk is full still opens its file.
func Apply(db *bolt.DB, s Schema) error {
	current := false
	err := db.View(func(tx *bolt.Tx) error {
		have := Read(tx, s.Meta, s.Key)
		if have > s.Version() {
			return &NewerError{Have: have, Known: s.Version()}
		}
		current = have == s.Version()
		for _, name := range s.Buckets {
			current = current && tx.Bucket(name) != nil
		}
		return nil
	})
	if err != nil || current {
		return err
	}
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range s.Buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(s.Meta)
		if meta == nil {
			return fmt.Errorf("meta bucket %s is not among the schema's buckets", s.Meta)
		}
		have := Read(tx, s.Meta, s.Key)
		if have > s.Version() {
			return &NewerError{Have: have, Known: s.Version()}
		}
		for v := have; v < s.Version(); v++ {
			step := s.Steps[v]
			if err := step.Run(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", v+1, step.Name, err)
			}
		}
		if have == s.Version() {
			return nil
		}
		return meta.Put(s.Key, encode(s.Version()))
	})
}

// Read is the schema version recorded in tx (0 for a new file).
func Read(tx *bolt.Tx, meta, key []byte) uint64 {
	b := tx.Bucket(meta)
	if b == nil {
		return 0
	}
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func encode(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}
