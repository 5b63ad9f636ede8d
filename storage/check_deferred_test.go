package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bigStore writes a store of a few MiB of log lines (marked, so a test
// can find their pages in the file) in one transaction, and closes it.
func bigStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("LOG-PAGE-MARK "), 20)
	err = s.db.Update(func(tx *bolt.Tx) error {
		for n := range 6_000 {
			if err := tx.Bucket(bucketLogs).Put(logKey("job", uint64(n+1)), payload); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// damageLogPage scribbles over the header of the last page holding log
// lines: nothing Open reads, everything the page check reads.
func damageLogPage(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(raw, []byte("LOG-PAGE-MARK"))
	if i < 0 {
		t.Fatal("no log page in the file")
	}
	page := i - i%4096
	for k := page; k < page+16; k++ {
		raw[k] = 0xEE
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestABigStoreIsCheckedAfterOpenAndADamagedOneMovedAsideAtTheNextStart(t *testing.T) {
	path := bigStore(t)
	opts := &Options{checkAtOpenMax: 512 << 10, Now: func() time.Time { return t0 }}

	// Sound: Open leaves the check for later, which finds nothing.
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !s.CheckPending() {
		t.Fatal("a store over the limit was checked before Open returned")
	}
	if _, err := s.CheckDeferred(t0); err != nil {
		t.Fatalf("deferred check of a sound store: %v", err)
	}
	if s.CheckPending() {
		t.Error("the check is still pending after it ran")
	}
	s.Close()

	// Damaged: Open still opens it (it reads nothing of that page); the
	// deferred check finds it and marks the file.
	damageLogPage(t, path)
	s, err = Open(path, opts)
	if err != nil {
		t.Fatalf("open with a damaged log page, check deferred: %v", err)
	}
	if _, err := s.CheckDeferred(t0); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("deferred check of a damaged store = %v; want ErrDamaged, telling to restart", err)
	}
	s.Close()
	if _, err := os.Stat(path + checkFailedSuffix); err != nil {
		t.Fatalf("no mark after the failed check: %v", err)
	}

	// The next start checks it before anything else and moves it aside.
	_, err = Open(path, opts)
	var dmg *DamagedError
	if !errors.As(err, &dmg) {
		t.Fatalf("open after a failed deferred check = %v; want *DamagedError", err)
	}
	if _, err := os.Stat(path + checkFailedSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the mark outlived the damaged file: %v", err)
	}
	s, err = Open(path, opts)
	if err != nil {
		t.Fatalf("open after moving aside: %v", err)
	}
	s.Close()
}

func TestASmallStoreIsStillCheckedBeforeOpenReturns(t *testing.T) {
	path := bigStore(t)
	damageLogPage(t, path)
	_, err := Open(path, &Options{Now: func() time.Time { return t0 }})
	var dmg *DamagedError
	if !errors.As(err, &dmg) {
		t.Fatalf("open of a small damaged store = %v; want *DamagedError from Open itself", err)
	}
}
