package boltfile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltfile/bolttest"
)

// The tests damage real bbolt files the way a disk or a careless copy
// does: a page overwritten with random bytes, a file cut short.

const records = 3000

func key(i int) []byte { return []byte(fmt.Sprintf("k%05d", i)) }

// makeFile writes bucket "data" with records keys k00000… and a small
// bucket "small", and returns the file's path.
func makeFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("data"))
		if err != nil {
			return err
		}
		for i := range records {
			if err := b.Put(key(i), []byte(strings.Repeat("v", 40)+fmt.Sprint(i))); err != nil {
				return err
			}
		}
		s, err := tx.CreateBucket([]byte("small"))
		if err != nil {
			return err
		}
		return s.Put([]byte("one"), []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// leafPageOf returns a leaf page of bucket "data" in the middle of its
// key range (its keys are 6 bytes long; the root's are bucket names).
func leafPageOf(t *testing.T, path string) (id int, pageSize int) {
	t.Helper()
	pageSize, pages := bolttest.LivePages(t, path)
	var leaves []int
	for _, p := range pages {
		if p.Leaf && p.FirstKeyLen == len(key(0)) {
			leaves = append(leaves, p.ID)
		}
	}
	if len(leaves) < 3 {
		t.Fatalf("only %d leaf pages of data; the test needs a bucket spanning several", len(leaves))
	}
	return leaves[len(leaves)/2], pageSize
}

func overwritePage(t *testing.T, path string, id, pageSize int) {
	t.Helper()
	bolttest.OverwritePage(t, path, id, pageSize, rand.New(rand.NewPCG(uint64(id), 1)))
}

func TestADamagedPageIsFoundByCheckNotByACrash(t *testing.T) {
	path := makeFile(t)
	id, ps := leafPageOf(t, path)
	overwritePage(t, path, id, ps)

	db, err := Open(path, 0o600, nil)
	if err != nil {
		t.Fatalf("Open with one data page damaged: %v; want the file open (the meta pages are fine)", err)
	}
	defer db.Close()
	err = Check(db)
	if !errors.Is(err, ErrDamaged) || !IsDamage(err) {
		t.Fatalf("Check = %v; want an error wrapping ErrDamaged", err)
	}
	// A read that reaches the page is an error under Guard, not a panic.
	err = Guard(func() error {
		return db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("data")).ForEach(func(k, v []byte) error { return nil })
		})
	})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("reading every record under Guard = %v; want ErrDamaged", err)
	}
}

func TestSalvageKeepsEveryRecordOffTheDamagedPage(t *testing.T) {
	path := makeFile(t)
	id, ps := leafPageOf(t, path)
	overwritePage(t, path, id, ps)

	got := map[string]string{}
	rep, err := Salvage(path, [][]byte{[]byte("data"), []byte("small"), []byte("absent")}, func(b, k, v []byte) error {
		got[string(b)+"/"+string(k)] = string(v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["small/one"] != "1" {
		t.Errorf("the undamaged bucket was not salvaged: %v", got["small/one"])
	}
	// The lost records are one run of keys, no more than one page holds.
	first, last, lost := -1, -1, 0
	for i := range records {
		want := strings.Repeat("v", 40) + fmt.Sprint(i)
		v, ok := got["data/"+string(key(i))]
		switch {
		case ok && v != want:
			t.Fatalf("record %d salvaged as %q; want %q", i, v, want)
		case !ok:
			if first < 0 {
				first = i
			}
			last = i
			lost++
		}
	}
	perPage := ps / 60 // ≥ 60 bytes per record with its element header
	if lost == 0 || last-first+1 != lost || lost > perPage+1 {
		t.Fatalf("lost %d records (%d…%d); want one run of at most a page's worth (%d)", lost, first, last, perPage)
	}
	if rep.Read["data"] != records-lost || rep.Complete() || !strings.HasPrefix(rep.Unreadable[0], "data: ") {
		t.Fatalf("report %+v; want %d read from data and data named as partly unreadable", rep, records-lost)
	}
	t.Logf("salvaged %d of %d records; %d lost with page %d", records-lost, records, lost, id)
}

func TestSalvageOfAFileWithoutMetaPagesReadsNothingAndSaysSo(t *testing.T) {
	path := makeFile(t)
	_, ps := leafPageOf(t, path)
	overwritePage(t, path, 0, ps)
	overwritePage(t, path, 1, ps)
	rep, err := Salvage(path, [][]byte{[]byte("data")}, func(b, k, v []byte) error {
		t.Fatalf("keep called for %s/%s", b, k)
		return nil
	})
	if err != nil || len(rep.Unreadable) != 1 || !strings.Contains(rep.Unreadable[0], "whole file") {
		t.Fatalf("Salvage = %+v, %v; want the whole file reported unreadable", rep, err)
	}
}

func TestOpenCallsATruncatedFileDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "short.db")
	if err := os.WriteFile(path, []byte("not a database at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, 0o600, nil); !IsDamage(err) {
		t.Fatalf("Open(short file) = %v; want damage", err)
	}
	junk := make([]byte, 64<<10)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, 0o600, nil); !IsDamage(err) {
		t.Fatalf("Open(64 KiB of zeros) = %v; want damage", err)
	}
}

func TestMoveAsideNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	now := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	var moved []string
	for i := range 3 {
		if err := os.WriteFile(path, []byte{byte(i)}, 0o600); err != nil {
			t.Fatal(err)
		}
		dst, err := MoveAside(path, now)
		if err != nil {
			t.Fatal(err)
		}
		moved = append(moved, dst)
	}
	want := []string{path + ".damaged-20261224T100000Z", path + ".damaged-20261224T100000Z-1", path + ".damaged-20261224T100000Z-2"}
	for i, dst := range moved {
		b, err := os.ReadFile(dst)
		if dst != want[i] || err != nil || len(b) != 1 || b[0] != byte(i) {
			t.Errorf("move %d went to %s (%v, %v); want %s holding its own content", i, dst, b, err, want[i])
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the original name still exists after the move: %v", err)
	}
}
