package storage

import bolt "go.etcd.io/bbolt"

// ReleaseMappedPages takes the store file's pages out of the process's
// memory map. bbolt reads through an mmap, so every page read since the
// start counts in the manager's resident memory: a year of history once
// the page check, a sweep or a compaction has read it all, and a fleet's
// whole ingest since start as each commit reads back the pages the last
// one wrote. The pages stay in the kernel's page cache; the next read maps
// them back without touching the disk. Where the OS has no such call it
// does nothing.
func (s *Store) ReleaseMappedPages() error {
	// A read transaction holds bbolt's mmap lock, so the mapping cannot
	// move while the call runs; the high-water mark lies within it.
	return s.db.View(func(tx *bolt.Tx) error {
		return releaseMapped(s.db.Info().Data, tx.Size())
	})
}
