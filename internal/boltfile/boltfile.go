// Package boltfile is what both programs' bbolt files share about damage:
// opening a file without letting a mangled page panic or fault the
// process, reading every page and record once to find damage before it
// bites, moving a damaged file aside (never overwriting it), and reading
// what is still readable out of one (Salvage).
//
// bbolt trusts its file: a page overwritten with garbage makes it panic,
// and an element pointing outside the mapping makes the process fault.
// Every read here runs under Guard, which turns both into an error
// wrapping ErrDamaged, so a damaged file is reported and set aside instead
// of crash-looping the program that owns it.
//
// Imported by storage (the manager's store) and agent/journal (the agent's
// journal). It imports bbolt only.
package boltfile

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// ErrDamaged is wrapped by every error this package reports for a file
// whose content cannot be trusted.
var ErrDamaged = errors.New("damaged bbolt file")

// Guard runs fn with memory faults turned into panics (for this goroutine
// only: bbolt reads the mapping on the caller's goroutine) and any panic
// turned into an error wrapping ErrDamaged.
func Guard(fn func() error) (err error) {
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: bbolt panicked: %v", ErrDamaged, r)
		}
	}()
	return fn()
}

// IsDamage reports whether err says the file's content is bad, as opposed
// to the file being locked, unreadable for permissions, or the disk being
// full: only a damaged file may be moved aside.
func IsDamage(err error) bool {
	return errors.Is(err, ErrDamaged) || errors.Is(err, bolterr.ErrInvalid) || errors.Is(err, bolterr.ErrChecksum) ||
		errors.Is(err, bolterr.ErrVersionMismatch) || errors.Is(err, bolterr.ErrInvalidMapping)
}

// Open opens path with bolt.Open under Guard. bbolt's own corruption
// errors and a file too short to hold its two meta pages are returned
// wrapping ErrDamaged too, so IsDamage answers for every failure.
func Open(path string, mode os.FileMode, o *bolt.Options) (*bolt.DB, error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 && fi.Size() < 2*int64(os.Getpagesize()) {
		// bbolt reports this only as text ("file size too small"); the size
		// says it without parsing a message.
		return nil, fmt.Errorf("%w: %s is %d bytes, too short for a bbolt file", ErrDamaged, path, fi.Size())
	}
	var db *bolt.DB
	err := Guard(func() error {
		var err error
		db, err = bolt.Open(path, mode, o)
		return err
	})
	if err != nil {
		if IsDamage(err) && !errors.Is(err, ErrDamaged) {
			err = fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		return nil, err
	}
	return db, nil
}

// Check reads every key and value of every bucket (nested ones too) under
// Guard, then runs bbolt's own page check (double-freed and unreachable
// pages). Reading first matters: bbolt checks on a goroutine of its own,
// where a fault could not be caught, and by then every page it visits has
// been read here safely. A failure wraps ErrDamaged.
func Check(db *bolt.DB) error {
	err := Guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return readAll(b) })
		})
	})
	if err != nil {
		return err
	}
	var first error
	err = db.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			if first == nil {
				first = cerr
			}
		}
		return nil
	})
	if first != nil {
		return fmt.Errorf("%w: page check: %w", ErrDamaged, first)
	}
	return err
}

func readAll(b *bolt.Bucket) error {
	var touched byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				if err := readAll(nb); err != nil {
					return err
				}
			}
			continue
		}
		// Touch both ends of the key and the value: an element that points
		// outside the file faults here, under Guard.
		touched ^= k[0] ^ k[len(k)-1]
		if len(v) > 0 {
			touched ^= v[0] ^ v[len(v)-1]
		}
	}
	runtime.KeepAlive(touched) // the reads are the point; keep them
	return nil
}

// MoveAside renames the file at path to path.damaged-<UTC time>, adding -N
// when that name is taken, and returns the new name. The damaged file is
// kept for the admin (or a support request); nothing is overwritten.
func MoveAside(path string, now time.Time) (string, error) {
	stamp := now.UTC().Format("20060102T150405Z")
	dst := path + ".damaged-" + stamp
	for i := 1; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s.damaged-%s-%d", path, stamp, i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("move the damaged %s aside: %w", path, err)
	}
	return dst, nil
}
