package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltmigrate"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenDir(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesA0600FileAtTheCurrentSchemaVersion(t *testing.T) {
	s := newStore(t)
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode = %v, want 0600", fi.Mode().Perm())
	}
	v, err := s.SchemaVersion()
	if err != nil || v != SchemaVersionCurrent() {
		t.Errorf("schema version = %d, %v; want %d", v, err, SchemaVersionCurrent())
	}
}

// migratedFrom builds a store at an older schema version by hand (fill
// writes what that version held), then opens it again as this build does,
// running the pending migrations.
func migratedFrom(t *testing.T, version int, fill func(tx *bolt.Tx) error) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := fill(tx); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, u64(uint64(version)))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrationsRunOnceInOrderFromAnOlderFile(t *testing.T) {
	// A version-1 file with a host that predates the schedule-version
	// floor.
	s := migratedFrom(t, 1, func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketHosts), []byte("h1"), hostRecord{Host: Host{ID: "h1", Status: HostApproved}})
	})
	h, err := s.Host("h1")
	if err != nil {
		t.Fatal(err)
	}
	if h.ScheduleVersion != 1 {
		t.Errorf("after migration 2 the host's schedule version = %d, want 1", h.ScheduleVersion)
	}
	if v, _ := s.SchemaVersion(); v != SchemaVersionCurrent() {
		t.Errorf("schema version after migrating = %d, want %d", v, SchemaVersionCurrent())
	}
}

func TestAFailingMigrationLeavesTheFileUntouched(t *testing.T) {
	s := newStore(t)
	boom := errors.New("boom")
	list := append(append([]boltmigrate.Step{}, migrations...),
		boltmigrate.Step{Name: "creates a bucket", Run: func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("new")); return err }},
		boltmigrate.Step{Name: "fails", Run: func(tx *bolt.Tx) error { return boom }})
	if err := s.migrate(list); !errors.Is(err, boom) {
		t.Fatalf("migrate with a failing step = %v, want boom", err)
	}
	if v, _ := s.SchemaVersion(); v != SchemaVersionCurrent() {
		t.Errorf("schema version after a failed migration = %d, want unchanged %d", v, SchemaVersionCurrent())
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("new")) != nil {
			t.Error("the failed migration's earlier step was committed; want one transaction for all")
		}
		return nil
	})
}

func TestADatabaseNewerThanTheCodeIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, u64(uint64(SchemaVersionCurrent()+5)))
	})
	s.Close()
	_, err = Open(path, nil)
	if !errors.Is(err, ErrNewerDatabase) {
		t.Fatalf("opening a newer database: err = %v, want ErrNewerDatabase", err)
	}
	for _, want := range []string{fmt.Sprintf("schema version %d", SchemaVersionCurrent()+5), fmt.Sprintf("knows versions up to %d", SchemaVersionCurrent()), "newer restic-manager"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if _, statErr := os.Stat(path); statErr != nil {
		t.Errorf("the newer file must stay where it is: %v", statErr)
	}
}

func TestAFileThatIsNotADatabaseIsMovedAsideAndReported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	garbage := []byte(strings.Repeat("this is not a bbolt file ", 1000))
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return t0 }
	_, err := Open(path, &Options{Now: now})
	var dmg *DamagedError
	if !errors.As(err, &dmg) || !errors.Is(err, ErrDamaged) {
		t.Fatalf("open garbage: err = %v, want *DamagedError", err)
	}
	if want := path + ".damaged-20261122T100000Z"; dmg.MovedTo != want {
		t.Errorf("moved to %q, want %q", dmg.MovedTo, want)
	}
	if got, _ := os.ReadFile(dmg.MovedTo); string(got) != string(garbage) {
		t.Error("the damaged file's bytes were not kept as they were")
	}
	if len(dmg.Unreadable) != 1 || !strings.Contains(dmg.Unreadable[0], "whole file") {
		t.Errorf("report of what could not be read: %q; want the whole file", dmg.Unreadable)
	}
	// Opening again opens the (empty) salvaged store.
	s, err := Open(path, &Options{Now: now})
	if err != nil {
		t.Fatalf("reopen after move-aside: %v", err)
	}
	defer s.Close()
	if hosts, err := s.Hosts(); err != nil || len(hosts) != 0 {
		t.Errorf("hosts of the new store: %v, %v; want none", hosts, err)
	}
}

func TestADatabaseWithCorruptPagesIsMovedAsideNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := s.CreatePendingHost("node-"+strings.Repeat("x", i), "n", "a", HostInfo{Hostname: "h"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Keep both meta pages, scribble over every page after them.
	const page = 4096
	for i := 2 * page; i < len(raw); i++ {
		raw[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, &Options{Now: func() time.Time { return t0 }})
	var dmg *DamagedError
	if !errors.As(err, &dmg) {
		t.Fatalf("open a file with scribbled pages: err = %v, want *DamagedError", err)
	}
	if !strings.Contains(dmg.Error(), "moved aside") {
		t.Errorf("message %q should tell the user the file was moved aside", dmg)
	}
	if got, _ := os.ReadFile(dmg.MovedTo); len(got) != len(raw) {
		t.Errorf("moved-aside file has %d bytes, want the original %d", len(got), len(raw))
	}
}

func TestASecondOpenOfTheSameFileIsRefusedAsLocked(t *testing.T) {
	s := newStore(t)
	_, err := Open(s.Path(), &Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
}
