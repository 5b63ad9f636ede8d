package boltmigrate

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var (
	meta  = []byte("meta")
	items = []byte("items")
	key   = []byte("schema_version")
)

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func version(t *testing.T, db *bolt.DB) uint64 {
	t.Helper()
	var v uint64
	if err := db.View(func(tx *bolt.Tx) error { v = Read(tx, meta, key); return nil }); err != nil {
		t.Fatal(err)
	}
	return v
}

// put is a step that writes k=v into items.
func put(k, v string) Step {
	return Step{Name: "put " + k, Run: func(tx *bolt.Tx) error { return tx.Bucket(items).Put([]byte(k), []byte(v)) }}
}

func TestAppliesEachStepOnceAndRecordsTheVersion(t *testing.T) {
	db := openDB(t)
	runs := 0
	count := Step{Name: "count", Run: func(*bolt.Tx) error { runs++; return nil }}
	s := Schema{Buckets: [][]byte{meta, items}, Meta: meta, Key: key, Steps: []Step{put("a", "1"), count}}
	for range 2 {
		if err := Apply(db, s); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 || version(t, db) != 2 {
		t.Fatalf("steps ran %d times, version %d; want once and version 2", runs, version(t, db))
	}
	// A newer build appends a step: only that one runs.
	s.Steps = append(s.Steps, put("b", "2"))
	if err := Apply(db, s); err != nil {
		t.Fatal(err)
	}
	if runs != 1 || version(t, db) != 3 {
		t.Fatalf("after appending a step: runs %d, version %d; want 1 and 3", runs, version(t, db))
	}
}

// A failing step leaves the file as it was: no bucket, no step before it,
// no version.
func TestFailingStepWritesNothing(t *testing.T) {
	db := openDB(t)
	boom := errors.New("boom")
	s := Schema{Buckets: [][]byte{meta, items}, Meta: meta, Key: key,
		Steps: []Step{put("a", "1"), {Name: "fails", Run: func(*bolt.Tx) error { return boom }}}}
	err := Apply(db, s)
	if !errors.Is(err, boom) || err.Error() != "migration 2 (fails): boom" {
		t.Fatalf("Apply = %v; want migration 2 (fails) wrapping the step's error", err)
	}
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(meta) != nil || tx.Bucket(items) != nil {
			t.Error("the failed transaction left buckets behind")
		}
		return nil
	})
}

// A file from a newer build is refused and left untouched.
func TestRefusesANewerFile(t *testing.T) {
	db := openDB(t)
	s := Schema{Buckets: [][]byte{meta, items}, Meta: meta, Key: key, Steps: []Step{put("a", "1")}}
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(meta)
		if err != nil {
			return err
		}
		return b.Put(key, encode(7))
	}); err != nil {
		t.Fatal(err)
	}
	err := Apply(db, s)
	var newer *NewerError
	if !errors.As(err, &newer) || !errors.Is(err, ErrNewer) || newer.Have != 7 || newer.Known != 1 {
		t.Fatalf("Apply = %v; want *NewerError{7, 1} wrapping ErrNewer", err)
	}
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(items) != nil {
			t.Error("a refused file got the schema's buckets")
		}
		return nil
	})
	if version(t, db) != 7 {
		t.Errorf("version %d after the refusal; want 7 untouched", version(t, db))
	}
}

func TestMetaMustBeASchemaBucket(t *testing.T) {
	db := openDB(t)
	if err := Apply(db, Schema{Buckets: [][]byte{items}, Meta: meta, Key: key}); err == nil {
		t.Fatal("a meta bucket outside the schema's buckets was accepted")
	}
}

// A file already at the schema's version is only read: it opens read-only
// (as a full disk would force), where any write transaction fails.
func TestACurrentFileIsNotWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s := Schema{Buckets: [][]byte{meta, items}, Meta: meta, Key: key, Steps: []Step{put("a", "1")}}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(db, s); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := Apply(ro, s); err != nil {
		t.Errorf("Apply on a current, read-only file: %v; want nothing to do", err)
	}
	s.Steps = append(s.Steps, put("b", "2"))
	if err := Apply(ro, s); err == nil {
		t.Error("Apply with a pending step on a read-only file succeeded; want the write to fail")
	}
}
