package storage

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// rssFileKB is the process's file-backed resident memory (Linux).
func rssFileKB(t *testing.T) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "RssFile:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

func TestReleasedPagesReadBackTheSameAndLeaveTheProcessMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ReleaseMappedPages does nothing here")
	}
	s := fastStore(t)
	payload := strings.Repeat("x", 500)
	err := s.db.Update(func(tx *bolt.Tx) error {
		for n := range 10_000 { // ~6 MiB of pages
			if err := tx.Bucket(bucketLogs).Put(logKey("job", uint64(n+1)), []byte(fmt.Sprint(n, payload))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := digestOf(t, s) // reads every page through the map
	mapped := rssFileKB(t)
	if err := s.ReleaseMappedPages(); err != nil {
		t.Fatal(err)
	}
	released := rssFileKB(t)
	if mapped-released < 4_000 {
		t.Errorf("file-backed memory went from %d to %d KiB; want ~6 MiB of store pages gone", mapped, released)
	}
	if after, _ := digestOf(t, s); after.diff(before) != "" {
		t.Errorf("the store reads differently after its pages were released: %s", after.diff(before))
	}
}
