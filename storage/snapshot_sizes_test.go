package storage

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

const (
	fullA  = "4b7d0f71aa11bb22cc33dd44ee55ff660011223344556677889900aabbccddee"
	fullB  = "8f7696c0aa11bb22cc33dd44ee55ff660011223344556677889900aabbccddee"
	fullC  = "c0ffee00aa11bb22cc33dd44ee55ff660011223344556677889900aabbccddee"
	statsA = `{"files_new":3,"total_files_processed":3,"total_bytes_processed":100012,"snapshot_id":"4b7d0f71"}`    // 0.14: short id
	statsB = `{"files_new":1,"total_files_processed":7,"total_bytes_processed":2048,"snapshot_id":"` + fullB + `"}` // 0.15+: full id
)

func backupDone(t *testing.T, h, job string, seq uint64, stats string) []Event {
	t.Helper()
	return []Event{ev(t, h, seq, started(job)), ev(t, h, seq+1, &protocol.JobFinished{JobID: job, Status: protocol.StatusSucceeded,
		FinishedAt: t0.Add(time.Minute), Stats: json.RawMessage(stats)})}
}

// listed is a snapshot as restic before 0.17 lists it: no size, no count.
func listed(id string, at time.Time) protocol.Snapshot {
	return protocol.Snapshot{ID: id, ShortID: id[:8], Time: at, Hostname: "pc", Paths: []string{"/srv"}}
}

func sizesOf(t *testing.T, s *Store, h string) map[string]string {
	t.Helper()
	snaps, err := s.Snapshots(h)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, sn := range snaps {
		v := "—"
		if sn.SizeBytes != nil && sn.FileCount != nil {
			v = strings.TrimSpace(strings.Join([]string{itoa(*sn.SizeBytes), itoa(*sn.FileCount)}, " B, ")) + " files"
		}
		out[sn.ShortID] = v
	}
	return out
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// restic 0.14 lists snapshots without Size and Files, but the backup that
// made each one said both: the list is filled from the backup summaries,
// by short id (0.14) or full id, whichever came first — the list or the
// job's end.
func TestSnapshotSizesComeFromTheBackupThatMadeThem(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "pc")
	// The job's end before the list.
	apply(t, s, backupDone(t, h, "job-a", 1, statsA)...)
	apply(t, s, ev(t, h, 0, &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{listed(fullA, t0)}}))
	// The list before the job's end (the list is state and may overtake
	// the journaled end).
	apply(t, s, ev(t, h, 0, &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{listed(fullA, t0), listed(fullB, t0.Add(time.Hour)),
		listed(fullC, t0.Add(2*time.Hour))}}))
	apply(t, s, backupDone(t, h, "job-b", 3, statsB)...)

	want := map[string]string{"4b7d0f71": "100012 B, 3 files", "8f7696c0": "2048 B, 7 files", "c0ffee00": "—"}
	got := sizesOf(t, s, h)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("snapshot %s: %s, want %s", id, got[id], w)
		}
	}
	// A list that carries sizes (0.17+) keeps its own.
	own := listed(fullA, t0)
	size, files := uint64(5), uint64(1)
	own.SizeBytes, own.FileCount = &size, &files
	apply(t, s, ev(t, h, 0, &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{own}}))
	if got := sizesOf(t, s, h)["4b7d0f71"]; got != "5 B, 1 files" {
		t.Errorf("a listed size was replaced: %s", got)
	}
}

// Backups stored before this index existed are indexed when the store is
// migrated.
func TestMigrationIndexesStoredBackupSizes(t *testing.T) {
	s := migratedFrom(t, 3, func(tx *bolt.Tx) error {
		r := hostRecord{Host: Host{ID: "h1", Status: HostApproved, ScheduleVersion: 1}}
		if err := putJSON(tx.Bucket(bucketHosts), []byte("h1"), r); err != nil {
			return err
		}
		j := Job{ID: "old-backup", HostID: "h1", Kind: protocol.KindBackup, Status: protocol.StatusSucceeded, CreatedAt: t0,
			Stats: json.RawMessage(statsA)}
		return putJSON(tx.Bucket(bucketJobs), []byte(j.ID), j)
	})
	if err := s.ReplaceSnapshots("h1", []protocol.Snapshot{listed(fullA, t0)}); err != nil {
		t.Fatal(err)
	}
	if got := sizesOf(t, s, "h1")["4b7d0f71"]; got != "100012 B, 3 files" {
		t.Errorf("snapshot of a backup stored before the migration: %s", got)
	}
}

// A snapshot a newer list no longer has (a forget removed it) stays
// findable by id, with its time: a finished forget names what it removed
// by id only.
func TestSnapshotsAForgetRemovedStayFindableByID(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "pc")
	other := approvedHost(t, s, "other")
	apply(t, s, ev(t, h, 0, &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{listed(fullA, t0), listed(fullB, t0.Add(time.Hour))}}))
	apply(t, s, ev(t, h, 0, &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{listed(fullB, t0.Add(time.Hour))}}))
	got, err := s.SnapshotsByID(h, []string{fullA, fullB, fullC})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[fullA].Time.Equal(t0) || !got[fullB].Time.Equal(t0.Add(time.Hour)) {
		t.Errorf("found %v; want A (forgotten) and B (listed) with their times", got)
	}
	if theirs, _ := s.SnapshotsByID(other, []string{fullA}); len(theirs) != 0 {
		t.Errorf("another host finds this host's snapshot: %v", theirs)
	}
}
