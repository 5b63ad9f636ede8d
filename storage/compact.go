package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltfile"
)

// Compaction at open (DESIGN, "History and notifications"). bbolt never
// gives space back to the file system: pages freed by the history sweep
// are reused by later writes, but the file keeps its size. When a file
// over CompactMinSize is more than half free, Open copies every bucket,
// key and sequence into a new file beside it, syncs that file, and
// renames it over the original, which is read and never written in the
// meantime. A compaction that fails or is interrupted (a crash, a kill)
// leaves the original as it was; the half-written copy is removed at the
// next open, which tries again.

// CompactMinSize is the least file size worth compacting.
const CompactMinSize = 64 << 20

// compactTxBytes is how much one transaction of the copy writes.
const compactTxBytes = 32 << 20

// compactSuffix names the copy while it is written.
const compactSuffix = ".compacting"

// Space is how the store file is used.
type Space struct {
	FileBytes int64
	// FreeBytes are pages bbolt holds free for reuse, and the file's
	// unused end.
	FreeBytes int64
}

// Wasteful reports whether compaction would run for a file this size
// (over minSize and more than half free).
func (s Space) Wasteful(minSize int64) bool {
	return s.FileBytes > minSize && 2*s.FreeBytes > s.FileBytes
}

// Space reports the file's size and free space.
func (s *Store) Space() (Space, error) { return spaceOf(s.db) }

func spaceOf(db *bolt.DB) (Space, error) {
	var sp Space
	fi, err := os.Stat(db.Path())
	if err != nil {
		return sp, err
	}
	st := db.Stats()
	err = db.View(func(tx *bolt.Tx) error {
		sp.FileBytes = fi.Size()
		sp.FreeBytes = max(fi.Size()-tx.Size(), 0) + int64(st.FreePageN+st.PendingPageN)*int64(db.Info().PageSize)
		return nil
	})
	return sp, err
}

// CompactionReport says what compaction at open did.
type CompactionReport struct {
	Before, After Space
	Took          time.Duration
	// Err is why the compaction did not happen; the store is then the
	// original file, as it was.
	Err error
}

// Compaction returns the report of the compaction Open ran, if it ran.
func (s *Store) Compaction() (CompactionReport, bool) {
	if s.compaction == nil {
		return CompactionReport{}, false
	}
	return *s.compaction, true
}

// compactIfWasteful runs at the end of Open. Only a failure to reopen
// the file after the swap is an error, and the store is closed then; a
// failed copy is reported in Compaction and the original is kept.
func (s *Store) compactIfWasteful(o *Options) error {
	tmp := s.path + compactSuffix
	// An interrupted compaction's copy is of no use: it may be partial.
	_ = os.Remove(tmp)
	before, err := spaceOf(s.db)
	minSize := o.compactMinSize
	if minSize == 0 {
		minSize = CompactMinSize
	}
	if err != nil || !before.Wasteful(minSize) {
		return nil
	}
	rep := &CompactionReport{Before: before}
	s.compaction = rep
	start := time.Now()
	if err := copyStore(s.db, tmp, o); err != nil {
		_ = os.Remove(tmp)
		rep.Err = err
		return nil
	}
	// The copy is complete and on disk; from here the rename is the swap.
	if err := s.db.Close(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("close %s before the swap: %w", s.path, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		_ = os.Remove(tmp)
		rep.Err = err
	} else if err := syncDir(filepath.Dir(s.path)); err != nil {
		rep.Err = err // the rename happened; only its durability is in doubt
	}
	db, err := boltfile.Open(s.path, 0o600, boltOptions(o))
	if err != nil {
		return fmt.Errorf("reopen %s after compaction: %w", s.path, err)
	}
	s.db = db
	rep.Took = time.Since(start)
	rep.After, _ = spaceOf(s.db)
	return nil
}

// copyStore writes every bucket of src, with its keys and sequence, into
// a new file at dst, in transactions of about compactTxBytes, and syncs
// it. A damaged page (a panic or a fault reading it) is an error like any
// other.
func copyStore(src *bolt.DB, dst string, o *Options) error {
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	db, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: o.LockTimeout, NoSync: true, NoGrowSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	c := &copier{dst: db, hook: o.compactHook}
	err = boltfile.Guard(func() error {
		return src.View(func(stx *bolt.Tx) error {
			return stx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return c.bucket(b, [][]byte{name})
			})
		})
	})
	if err == nil {
		err = c.commit()
	}
	if err == nil {
		err = db.Sync()
	}
	if c.tx != nil { // a failed copy: Close waits for the open transaction
		_ = c.tx.Rollback()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

type copier struct {
	dst    *bolt.DB
	tx     *bolt.Tx
	size   int
	copied int
	hook   func(copied int) error
}

func (c *copier) commit() error {
	if c.tx == nil {
		return nil
	}
	err := c.tx.Commit()
	c.tx, c.size = nil, 0
	return err
}

// target returns the bucket at path in the open transaction (opening one).
func (c *copier) target(path [][]byte) (*bolt.Bucket, error) {
	if c.tx == nil {
		var err error
		if c.tx, err = c.dst.Begin(true); err != nil {
			return nil, err
		}
	}
	b := c.tx.Bucket(path[0])
	for _, p := range path[1:] {
		if b == nil {
			break
		}
		b = b.Bucket(p)
	}
	if b == nil {
		return nil, fmt.Errorf("compaction: bucket %q vanished from the copy", path)
	}
	// Keys arrive in order: full pages.
	b.FillPercent = 1.0
	return b, nil
}

func (c *copier) bucket(src *bolt.Bucket, path [][]byte) error {
	if c.tx == nil {
		var err error
		if c.tx, err = c.dst.Begin(true); err != nil {
			return err
		}
	}
	var nb *bolt.Bucket
	var err error
	if len(path) == 1 {
		nb, err = c.tx.CreateBucket(path[0])
	} else {
		parent, perr := c.target(path[:len(path)-1])
		if perr != nil {
			return perr
		}
		nb, err = parent.CreateBucket(path[len(path)-1])
	}
	if err != nil {
		return err
	}
	if err := nb.SetSequence(src.Sequence()); err != nil {
		return err
	}
	dst := nb
	dst.FillPercent = 1.0
	cur := src.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if v == nil {
			if sub := src.Bucket(k); sub != nil {
				if err := c.bucket(sub, append(append([][]byte{}, path...), k)); err != nil {
					return err
				}
				if dst, err = c.target(path); err != nil {
					return err
				}
				continue
			}
		}
		if err := dst.Put(k, v); err != nil {
			return err
		}
		c.copied++
		if c.hook != nil {
			if err := c.hook(c.copied); err != nil {
				return err
			}
		}
		if c.size += len(k) + len(v); c.size >= compactTxBytes {
			if err := c.commit(); err != nil {
				return err
			}
			if dst, err = c.target(path); err != nil {
				return err
			}
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
