package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

func TestRenameHost(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "pc-0193")
	host, err := s.RenameHost(h, "  Anna's laptop ")
	if err != nil || host.DisplayName() != "Anna's laptop" || host.Hostname != "pc-0193" {
		t.Fatalf("renamed: %+v, %v", host, err)
	}
	for _, bad := range []string{strings.Repeat("n", MaxHostNameLen+1), "two\nlines", "bell\a"} {
		if _, err := s.RenameHost(h, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("name %q: err %v, want ErrInvalid", bad, err)
		}
	}
	if got, _ := s.Host(h); got.Name != "Anna's laptop" {
		t.Errorf("a refused name changed the host: %q", got.Name)
	}
	if host, err = s.RenameHost(h, ""); err != nil || host.DisplayName() != "pc-0193" {
		t.Errorf("clearing the name: %q, %v; want the hostname back", host.DisplayName(), err)
	}
}

// hostWithHistory is an enrolled host with a finished backup (and its log)
// and a queued operator job.
func hostWithHistory(t *testing.T, s *Store, name string) string {
	t.Helper()
	h := approvedHost(t, s, name)
	apply(t, s, ev(t, h, 1, started("done-"+name)), ev(t, h, 2, line("done-"+name, 1)),
		ev(t, h, 3, &protocol.JobFinished{JobID: "done-" + name, Status: protocol.StatusSucceeded, FinishedAt: t0.Add(time.Minute),
			Stats: json.RawMessage(`{"snapshot_id":"4b7d0f71","total_files_processed":1,"total_bytes_processed":1}`)}),
		ev(t, h, 0, &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{listed(fullA, t0)}}))
	cmd, _ := json.Marshal(protocol.CommandRun{JobID: "queued-" + name, Kind: protocol.KindCheck})
	if err := s.CreateJob(Job{ID: "queued-" + name, HostID: h, Kind: protocol.KindCheck, Origin: OriginOperator, CreatedAt: t0, Command: cmd}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutSourceGroup(h, SourceGroup{Name: "docs", Includes: []string{"/srv"}}); err != nil {
		t.Fatal(err)
	}
	return h
}

// Removing a host revokes its token; with its history kept, its jobs and
// snapshots stay readable and it is in no host list.
func TestRemoveHostKeepingItsHistory(t *testing.T) {
	s := newStore(t)
	h := hostWithHistory(t, s, "gone")
	other := hostWithHistory(t, s, "stays")
	if _, err := s.RemoveHost(h, true, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HostByToken("tok-gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the removed host's token still finds a host (%v)", err)
	}
	hosts, _ := s.Hosts()
	if len(hosts) != 1 || hosts[0].ID != other {
		t.Errorf("hosts after removal: %v", hosts)
	}
	removed, _ := s.RemovedHosts()
	if len(removed) != 1 || removed[0].ID != h || removed[0].Status != HostRemoved || removed[0].RemovedAt == nil {
		t.Errorf("removed hosts: %+v", removed)
	}
	if j, err := s.Job("done-gone"); err != nil || j.Status != protocol.StatusSucceeded {
		t.Errorf("the kept history lost its job: %+v, %v", j, err)
	}
	if j, _ := s.Job("queued-gone"); j.Status != protocol.StatusCancelled || j.Error != HostRemovedText {
		t.Errorf("the removed host's queued job is %s (%q); want cancelled", j.Status, j.Error)
	}
	if undelivered, _ := s.UndeliveredCommands(h); len(undelivered) != 0 {
		t.Errorf("%d commands still wait for the removed host", len(undelivered))
	}
	if snaps, _ := s.Snapshots(h); len(snaps) != 1 {
		t.Errorf("kept snapshots: %d", len(snaps))
	}
	if _, err := s.SetHostStatus(h, HostApproved); !errors.Is(err, ErrInvalid) {
		t.Errorf("approving a removed host: %v, want ErrInvalid", err)
	}
	// The agent may enroll again with its token (it is a new host then).
	if _, err := s.CreateEnrollToken("enroll-again-0123456789", 1, t0.Add(24*time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	r, err := s.Enroll(EnrollRequest{EnrollToken: "enroll-again-0123456789", AgentID: "agent-gone", AgentToken: "tok-new", Now: t0})
	if err != nil || r.Host.ID == h {
		t.Errorf("enrolling again: %+v, %v; want a new host", r.Host, err)
	}
}

// Without its history, nothing of the host is left in any bucket, and the
// other hosts keep all of theirs.
func TestRemoveHostWithItsHistory(t *testing.T) {
	s := newStore(t)
	h := hostWithHistory(t, s, "gone")
	other := hostWithHistory(t, s, "stays")
	before := s.keysMentioning(t, other)
	if _, err := s.RemoveHost(h, false, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if left := s.keysMentioning(t, h); len(left) > 0 {
		t.Errorf("records of the removed host left: %q", left)
	}
	for _, id := range []string{"done-gone", "queued-gone"} {
		if _, err := s.Job(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("job %s survived (%v)", id, err)
		}
	}
	if lines, _ := s.JobLog("done-gone", 1, 10); len(lines) != 0 {
		t.Errorf("%d log lines survived", len(lines))
	}
	if after := s.keysMentioning(t, other); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("the other host's records changed:\nbefore %q\nafter  %q", before, after)
	}
	if _, err := s.HostByToken("tok-gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the token still works (%v)", err)
	}
}

// keysMentioning lists every key or value in the store that holds id (a
// host id), as bucket/key, the way a person auditing the file would look.
func (s *Store) keysMentioning(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if bytes.Contains(k, []byte(id)) || bytes.Contains(v, []byte(id)) {
					out = append(out, string(name)+"/"+printable(k))
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
