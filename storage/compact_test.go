package storage

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// storeDigest is every bucket's sequence and a hash of its keys and
// values, in order: two stores with the same digest hold the same data.
type storeDigest map[string]string

func digestOf(t *testing.T, s *Store) (storeDigest, int) {
	t.Helper()
	d, keys := storeDigest{}, 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			h := sha256.New()
			err := b.ForEach(func(k, v []byte) error {
				keys++
				fmt.Fprintf(h, "%d:%x=%d:%x;", len(k), k, len(v), v)
				return nil
			})
			d[string(name)] = fmt.Sprintf("seq %d, %x", b.Sequence(), h.Sum(nil))
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, keys
}

func (d storeDigest) diff(o storeDigest) string {
	for k, v := range d {
		if o[k] != v {
			return fmt.Sprintf("bucket %s: %s, then %s", k, v, o[k])
		}
	}
	for k := range o {
		if _, ok := d[k]; !ok {
			return "bucket " + k + " appeared"
		}
	}
	return ""
}

// The page check is not what these tests are about: they skip it.
const testCompactMin = 2 << 20

// wastefulStore writes a store of a few MiB (log lines, host events with
// their bucket sequence) and deletes most of it, so that it is over
// testCompactMin and more than half free. It returns the path, closed, and
// the id of the host the events belong to.
func wastefulStore(t *testing.T) (string, storeDigest, int, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	host := approvedHost(t, s, "host-1")
	payload := make([]byte, 200)
	err = s.db.Update(func(tx *bolt.Tx) error {
		logs := tx.Bucket(bucketLogs)
		for j := range 24 {
			for n := range 1000 {
				if err := logs.Put(logKey(fmt.Sprintf("job-%03d", j), uint64(n+1)), payload); err != nil {
					return err
				}
			}
		}
		for i := range 300 {
			if err := addHostEvent(tx, host, HostEvent{Time: t0, Kind: EventConnection, Message: strconv.Itoa(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for j := range 21 {
			if err := deletePrefix(tx.Bucket(bucketLogs), jk(fmt.Sprintf("job-%03d", j))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.Space()
	if !sp.Wasteful(testCompactMin) {
		t.Fatalf("the test store is not worth compacting: %+v", sp)
	}
	d, keys := digestOf(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, d, keys, host
}

func TestAWastefulStoreIsCompactedAtOpenWithEveryKey(t *testing.T) {
	path, want, keys, host := wastefulStore(t)
	s, err := Open(path, &Options{SkipCheck: true, compactMinSize: testCompactMin})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, ran := s.Compaction()
	if !ran || rep.Err != nil {
		t.Fatalf("compaction = %+v, ran %v; want it run without error", rep, ran)
	}
	if rep.After.FileBytes*2 > rep.Before.FileBytes {
		t.Errorf("compaction took the file from %d to %d bytes; want under half", rep.Before.FileBytes, rep.After.FileBytes)
	}
	if got, n := digestOf(t, s); got.diff(want) != "" || n != keys {
		t.Errorf("after compaction %d keys (want %d): %s", n, keys, got.diff(want))
	}
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy is still there: %v", err)
	}
	// The store works on: a new event gets the next sequence.
	if err := s.AddHostEvent(host, HostEvent{Time: t0, Kind: EventAdmin, Message: "after"}); err != nil {
		t.Fatal(err)
	}
	page, _ := s.HostEvents(host, "", 1)
	if len(page.Events) != 1 || page.Events[0].Message != "after" {
		t.Errorf("newest event after compaction = %+v; want the one just added (the bucket sequence must carry over)", page.Events)
	}
	// A compact file is not compacted again.
	s.Close()
	s, err = Open(path, &Options{SkipCheck: true, compactMinSize: testCompactMin})
	if err != nil {
		t.Fatal(err)
	}
	if _, ran := s.Compaction(); ran {
		r, _ := s.Compaction()
		t.Errorf("a file just compacted was compacted again: %+v", r)
	}
}

func TestAFailedCompactionKeepsTheOriginal(t *testing.T) {
	path, want, keys, _ := wastefulStore(t)
	boom := errors.New("disk full")
	s, err := Open(path, &Options{SkipCheck: true, compactMinSize: testCompactMin, compactHook: func(n int) error {
		if n == keys/2 {
			return boom
		}
		return nil
	}})
	if err != nil {
		t.Fatalf("a failed compaction failed the open: %v", err)
	}
	defer s.Close()
	if rep, ran := s.Compaction(); !ran || !errors.Is(rep.Err, boom) {
		t.Errorf("compaction = %+v, %v; want it to report the failure", rep, ran)
	}
	if got, n := digestOf(t, s); got.diff(want) != "" || n != keys {
		t.Errorf("after a failed compaction %d keys (want %d): %s", n, keys, got.diff(want))
	}
	if sp, _ := s.Space(); !sp.Wasteful(testCompactMin) {
		t.Errorf("the file in use is not the original: %+v", sp)
	}
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed copy is still there: %v", err)
	}
}

const envCompactChild = "RM_TEST_COMPACT_CHILD"

// TestCompactionChildProcess is the process TestAKilledCompaction kills
// half way through a compaction; run alone it skips.
func TestCompactionChildProcess(t *testing.T) {
	path := os.Getenv(envCompactChild)
	if path == "" {
		t.Skip("helper process for TestAKilledCompactionLeavesTheOriginalWhole")
	}
	half, _ := strconv.Atoi(os.Getenv(envCompactChild + "_AT"))
	_, _ = Open(path, &Options{SkipCheck: true, compactMinSize: testCompactMin, compactHook: func(n int) error {
		if n == half {
			fmt.Println("COMPACTING")
			time.Sleep(time.Hour) // until killed (select{} would end it as a deadlock)
		}
		return nil
	}})
	t.Fatal("the compaction ended; it should have been killed half way")
}

func TestAKilledCompactionLeavesTheOriginalWhole(t *testing.T) {
	path, want, keys, _ := wastefulStore(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCompactionChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCompactChild+"="+path, fmt.Sprintf("%s_AT=%d", envCompactChild, keys/2))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // never left sleeping if the test fails early
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "COMPACTING" {
	}
	if sc.Text() != "COMPACTING" {
		_ = cmd.Wait()
		t.Fatal("the child ended before it was half way through the compaction")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Stat(path + compactSuffix); err != nil {
		t.Fatalf("no half-written copy after the kill (%v): the child was not killed mid-way", err)
	}

	// The original opens with every key; the half-written copy goes.
	s, err := Open(path, &Options{SkipCheck: true, compactMinSize: 1 << 40})
	if err != nil {
		t.Fatalf("the original does not open after a killed compaction: %v", err)
	}
	if got, n := digestOf(t, s); got.diff(want) != "" || n != keys {
		t.Errorf("after a killed compaction %d keys (want %d): %s", n, keys, got.diff(want))
	}
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the half-written copy is still there after the next open: %v", err)
	}
	s.Close()
	// And the next compaction goes through.
	s, err = Open(path, &Options{SkipCheck: true, compactMinSize: testCompactMin})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rep, ran := s.Compaction(); !ran || rep.Err != nil {
		t.Errorf("compaction after the killed one = %+v, %v", rep, ran)
	}
	if got, n := digestOf(t, s); got.diff(want) != "" || n != keys {
		t.Errorf("after compacting %d keys (want %d): %s", n, keys, got.diff(want))
	}
}
