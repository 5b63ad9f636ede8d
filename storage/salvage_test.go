package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/internal/boltfile/bolttest"
	"restic-manager/protocol"
)

// These tests damage a real store file the way a disk or a careless copy
// does, then open it as the manager would.

// fleetStore is a store with hosts (each enrolled, so with an agent token),
// a group and a schedule each, and enough jobs and log lines that the log
// bucket spans many pages. It returns the file's bytes and what it holds.
type fleetContent struct {
	hosts     map[string]string // host id → hostname
	tokens    map[string]string // agent token → host id
	schedules map[string]string // host id → schedule id
}

func buildFleetStore(t *testing.T, path string, nHosts, linesPerHost int) fleetContent {
	t.Helper()
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := fleetContent{hosts: map[string]string{}, tokens: map[string]string{}, schedules: map[string]string{}}
	for i := range nHosts {
		name := fmt.Sprintf("host-%02d", i)
		id := approvedHost(t, s, name)
		c.hosts[id] = name
		c.tokens["tok-"+name] = id
		if _, err := s.PutSourceGroup(id, SourceGroup{Name: "docs", Includes: []string{"/srv/docs"}}); err != nil {
			t.Fatal(err)
		}
		sc, _, err := s.PutSchedule(id, Schedule{CronExpr: "@daily", Enabled: true, Groups: []string{"docs"}})
		if err != nil {
			t.Fatal(err)
		}
		c.schedules[id] = sc.ID
		job := protocol.NewID()
		evs := []Event{ev(t, id, 1, &protocol.JobStarted{JobID: job, Kind: protocol.KindBackup, StartedAt: t0})}
		for n := uint64(1); n <= uint64(linesPerHost); n++ {
			evs = append(evs, ev(t, id, n+1, line(job, n)))
		}
		apply(t, s, evs...)
	}
	return c
}

// missing reports what of c the store at path no longer has.
func (c fleetContent) missing(t *testing.T, s *Store) (hosts, tokens, schedules []string) {
	t.Helper()
	got, err := s.Hosts()
	if err != nil {
		t.Fatalf("Hosts() = %v; a damaged record must never fail the list", err)
	}
	have := map[string]bool{}
	for _, h := range got {
		have[h.ID] = true
	}
	for id, name := range c.hosts {
		if !have[id] {
			hosts = append(hosts, name)
		}
	}
	for tok, id := range c.tokens {
		// A token whose host was lost is counted with the host.
		if h, err := s.HostByToken(tok); have[id] && (err != nil || h.ID != id) {
			tokens = append(tokens, tok)
		}
	}
	for id, sid := range c.schedules {
		scs, err := s.Schedules(id)
		if err != nil || !slices.ContainsFunc(scs, func(sc Schedule) bool { return sc.ID == sid }) {
			schedules = append(schedules, sid)
		}
	}
	return hosts, tokens, schedules
}

// openDamaged opens a damaged store as the manager does: the first Open
// reports the damage, the second opens the salvaged file.
func openDamaged(t *testing.T, path string) (*Store, *DamagedError) {
	t.Helper()
	_, err := Open(path, &Options{Now: func() time.Time { return t0 }})
	var dmg *DamagedError
	if !errors.As(err, &dmg) {
		t.Fatalf("open the damaged store: %v; want *DamagedError", err)
	}
	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("open the salvaged store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dmg
}

func TestAStoreWithALogPageOverwrittenKeepsEveryHostTokenAndSchedule(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	c := buildFleetStore(t, path, 30, 400)
	ps, pages := bolttest.LivePages(t, path)
	var logLeaves []int
	for _, p := range pages {
		if p.Leaf && p.FirstKeyLen == 1+36+8 { // jk(job) ‖ seq: a log line
			logLeaves = append(logLeaves, p.ID)
		}
	}
	if len(logLeaves) < 10 {
		t.Fatalf("%d log leaf pages; the test needs the log bucket to span many", len(logLeaves))
	}
	victim := logLeaves[len(logLeaves)/2]
	bolttest.OverwritePage(t, path, victim, ps, rand.New(rand.NewPCG(1, 2)))

	s, dmg := openDamaged(t, path)
	hosts, tokens, schedules := c.missing(t, s)
	if len(hosts)+len(tokens)+len(schedules) > 0 {
		t.Fatalf("after salvage: hosts %v, tokens %v, schedules %v are missing; want every one kept", hosts, tokens, schedules)
	}
	if len(dmg.Unreadable) != 1 || !strings.HasPrefix(dmg.Unreadable[0], string(bucketLogs)+":") {
		t.Errorf("unreadable: %q; want only part of %s", dmg.Unreadable, bucketLogs)
	}
	lost := 30*400 - dmg.Kept[string(bucketLogs)]
	if lost <= 0 || lost > ps/(45+9) {
		t.Errorf("%d log lines lost; want the lines of one page (at most %d)", lost, ps/(45+9))
	}
	if dmg.Kept[string(bucketHosts)] != 30 || !strings.Contains(dmg.Error(), "30 hosts, 30 host tokens") {
		t.Errorf("report %q; want it to say the 30 hosts and tokens were kept", dmg)
	}
	if got, _ := os.ReadFile(dmg.MovedTo); len(got) == 0 {
		t.Error("the damaged file was not kept beside the new one")
	}
	// The salvaged store works: a new host enrolls, the old marks hold.
	approvedHost(t, s, "after-salvage")
	for id := range c.hosts {
		if m, err := s.Mark(id); err != nil || m != 401 {
			t.Fatalf("mark of host %s after salvage: %d, %v; want 401", id, m, err)
		}
		break
	}
}

// Any one page overwritten: the store never panics the manager, opens
// salvaged, and whatever host, token or schedule it lost is accounted for
// by a bucket the report names as unreadable.
func TestAStoreWithAnyPageOverwrittenOpensSalvaged(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	c := buildFleetStore(t, orig, 12, 150)
	pristine, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	ps, all := bolttest.LivePages(t, orig)
	r := rand.New(rand.NewPCG(7, 11))
	victims := []int{0, 1} // a meta page: bbolt falls back to the other one
	for range 14 {
		victims = append(victims, all[r.IntN(len(all))].ID)
	}
	damaged := 0
	for n, victim := range victims {
		path := filepath.Join(dir, fmt.Sprintf("run-%d", n), FileName)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pristine, 0o600); err != nil {
			t.Fatal(err)
		}
		bolttest.OverwritePage(t, path, victim, ps, r)
		s, err := Open(path, &Options{Now: func() time.Time { return t0 }})
		var dmg *DamagedError
		switch {
		case errors.As(err, &dmg):
			damaged++
			if s, err = Open(path, nil); err != nil {
				t.Fatalf("page %d: open the salvaged store: %v", victim, err)
			}
		case err != nil:
			t.Fatalf("page %d: Open = %v; want it open or *DamagedError", victim, err)
		}
		hosts, tokens, schedules := c.missing(t, s)
		s.Close()
		unreadable := ""
		if dmg != nil {
			unreadable = strings.Join(dmg.Unreadable, "\n")
		}
		for _, m := range []struct {
			bucket []byte
			lost   []string
		}{{bucketHosts, hosts}, {bucketHostTokens, tokens}, {bucketSchedules, schedules}} {
			if len(m.lost) > 0 && !strings.Contains(unreadable, string(m.bucket)+":") && !strings.Contains(unreadable, "whole file") {
				t.Errorf("page %d: %d of %s lost, but the report names no damage there: %q", victim, len(m.lost), m.bucket, unreadable)
			}
		}
	}
	t.Logf("%d of %d overwritten pages were found damaged and salvaged (a page bbolt never reads again, such as a meta page it falls back from, is not)", damaged, len(victims))
}

func TestAHostRecordThatDoesNotDecodeIsQuarantinedAndTheOthersList(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, name := range []string{"alpha", "bravo", "charlie", "delta", "echo"} {
		ids[name] = approvedHost(t, s, name)
	}
	s.Close()

	// Bytes written over charlie's JSON; the pages stay well formed.
	bolttest.Scribble(t, path, `"hostname":"charlie"`)

	s, err = Open(path, &Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatalf("open with one undecodable record: %v; want it open", err)
	}
	hosts, err := s.Hosts()
	if err != nil {
		t.Fatalf("Hosts() = %v; one bad record must not fail the list", err)
	}
	var names []string
	for _, h := range hosts {
		names = append(names, h.Hostname)
	}
	if !slices.Equal(names, []string{"alpha", "bravo", "delta", "echo"}) {
		t.Errorf("hosts listed: %v; want every host but charlie", names)
	}
	q := s.Quarantined()
	if len(q) != 1 || q[0].HostID != ids["charlie"] || !strings.Contains(q[0].String(), "host "+ids["charlie"]) {
		t.Fatalf("quarantined: %v; want charlie's host record, named by its id", q)
	}
	if _, err := s.HostByToken("tok-bravo"); err != nil {
		t.Errorf("bravo's token no longer works: %v", err)
	}
	// The bytes are kept in quarantine, and the next open finds nothing new.
	var kept QuarantinedRecord
	err = s.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketQuarantine), quarantineKey(string(bucketHosts), []byte(ids["charlie"])), &kept)
	})
	if err != nil || !bytes.Contains(kept.Value, []byte("not json")) {
		t.Errorf("quarantine holds %q (%v); want charlie's bytes as found", kept.Value, err)
	}
	s.Close()
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if q := s.Quarantined(); len(q) != 0 {
		t.Errorf("second open quarantined %v again; want nothing", q)
	}
}
