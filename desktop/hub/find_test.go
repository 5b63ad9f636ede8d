package hub

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/protocol"
)

const (
	snapA1 = "a1a1a1a1b2b2b2b2c3c3c3c3d4d4d4d4e5e5e5e5f6f6f6f6a7a7a7a7b8b8b8b8"
	snapA2 = "a2a2a2a2b2b2b2b2c3c3c3c3d4d4d4d4e5e5e5e5f6f6f6f6a7a7a7a7b8b8b8b8"
	snapB1 = "b1b1b1b1b2b2b2b2c3c3c3c3d4d4d4d4e5e5e5e5f6f6f6f6a7a7a7a7b8b8b8b8"
)

func matchLine(job string, n uint64, m protocol.FindMatch) *protocol.LogStream {
	raw, _ := json.Marshal(m)
	return &protocol.LogStream{JobID: job, Seq: n, TS: time.Now().UTC(), Stream: protocol.StreamEvent, Payload: string(raw)}
}

// takeFind answers the host's find command.run and returns its job id.
func takeFind(t *testing.T, a *testAgent, pattern string) string {
	t.Helper()
	cmd, err := protocol.Decode[protocol.CommandRun](a.expect(protocol.TypeCommandRun))
	if err != nil || cmd.Kind != protocol.KindFind || cmd.Find == nil || cmd.Find.Pattern != pattern || !cmd.Find.IgnoreCase {
		t.Fatalf("command.run = %+v (%v); want a case-insensitive find of %q", cmd, err, pattern)
	}
	a.send(&protocol.CommandResult{JobID: cmd.JobID, Accepted: true}, "")
	return cmd.JobID
}

// Find starts one job per host; the results group every host's matches by
// path, each version with its host, snapshot (id and time, from the
// host's snapshot list) and size, newest first, and grow while the jobs
// run. Watch reports each step and stops once every job has ended.
func TestFindGroupsMatchesByPathAcrossHostsLive(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	tok := th.enrollToken(t, 2)
	a, hostA, _ := enrollAgent(t, th, "anna-laptop", tok)
	b, hostB, _ := enrollAgent(t, th, "front-desk", tok)
	t0 := time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)
	a.send(&protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{
		{ID: snapA1, ShortID: snapA1[:8], Time: t0, Hostname: "anna-laptop", Paths: []string{"/home/anna"}},
		{ID: snapA2, ShortID: snapA2[:8], Time: t0.Add(24 * time.Hour), Hostname: "anna-laptop", Paths: []string{"/home/anna"}},
	}}, "")
	b.send(&protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{
		{ID: snapB1, ShortID: snapB1[:8], Time: t0.Add(time.Hour), Hostname: "front-desk", Paths: []string{"/srv"}},
	}}, "")
	waitFor(t, testWait, "both snapshot lists", func() bool {
		sa, _ := th.Snapshots(hostA)
		sb, _ := th.Snapshots(hostB)
		return len(sa) == 2 && len(sb) == 1
	})

	search, err := th.Find(nil, "report*", true)
	if err != nil {
		t.Fatal(err)
	}
	ja, jb := takeFind(t, a, "report*"), takeFind(t, b, "report*")
	if ids := search.JobIDs(); len(ids) != 2 {
		t.Fatalf("jobs %v, want one per host", ids)
	}

	var (
		mu    sync.Mutex
		steps []FindResults
	)
	watched := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		defer close(watched)
		search.Watch(ctx, func(r FindResults, err error) {
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			steps = append(steps, r)
			mu.Unlock()
		})
	}()

	report := "/home/anna/Documents/report.odt"
	a.emit(&protocol.JobStarted{JobID: ja, Kind: protocol.KindFind, StartedAt: t0})
	a.emit(matchLine(ja, 1, protocol.FindMatch{SnapshotID: snapA2, Path: report, Type: "file", Size: 2048, Mtime: t0.Add(23 * time.Hour)}))
	a.waitAck(a.emit(matchLine(ja, 2, protocol.FindMatch{SnapshotID: snapA1, Path: report, Type: "file", Size: 1024, Mtime: t0.Add(-time.Hour)})))

	// Live: the first host's matches are there before any job ended.
	waitFor(t, testWait, "anna's matches in the results", func() bool {
		r, err := search.Results()
		return err == nil && r.Versions() == 2
	})
	r, _ := search.Results()
	if r.Done || len(r.Paths) != 1 || r.Paths[0].Path != report {
		t.Fatalf("live results = %+v", r)
	}
	v := r.Paths[0].Versions
	if v[0].SnapshotID != snapA2 || v[0].Size != 2048 || !v[0].SnapshotTime.Equal(t0.Add(24*time.Hour)) || v[0].HostID != hostA ||
		v[0].HostName != "anna-laptop" || v[0].ShortID != snapA2[:8] || v[1].SnapshotID != snapA1 || v[1].Size != 1024 {
		t.Errorf("versions = %+v; want anna's two, newest snapshot first", v)
	}

	a.waitAck(a.emit(&protocol.JobFinished{JobID: ja, Status: protocol.StatusSucceeded, FinishedAt: t0,
		Stats: json.RawMessage(`{"snapshots_searched":2,"matches":2}`)}))
	b.emit(&protocol.JobStarted{JobID: jb, Kind: protocol.KindFind, StartedAt: t0})
	b.emit(matchLine(jb, 1, protocol.FindMatch{SnapshotID: snapB1, Path: report, Type: "file", Size: 4096, Mtime: t0}))
	b.emit(matchLine(jb, 2, protocol.FindMatch{SnapshotID: snapB1, Path: "/srv/Reports", Type: "dir", Mtime: t0}))
	b.emit(&protocol.LogStream{JobID: jb, Seq: 3, TS: t0, Stream: protocol.StreamStderr, Payload: "[7 more lines not kept]"})
	b.waitAck(b.emit(&protocol.JobFinished{JobID: jb, Status: protocol.StatusSucceeded, FinishedAt: t0,
		Stats: json.RawMessage(`{"snapshots_searched":1,"matches":9}`)}))

	select {
	case <-watched:
	case <-time.After(testWait):
		t.Fatal("Watch did not stop once both jobs ended")
	}
	mu.Lock()
	last := steps[len(steps)-1]
	n := len(steps)
	mu.Unlock()
	if !last.Done || n < 2 {
		t.Fatalf("watch gave %d steps, last %+v; want several, the last done", n, last)
	}
	if len(last.Paths) != 2 || last.Paths[0].Path != report || last.Paths[1].Path != "/srv/Reports" || last.Paths[1].Type != "dir" {
		t.Fatalf("paths = %+v", last.Paths)
	}
	got := last.Paths[0].Versions
	if len(got) != 3 || got[0].SnapshotID != snapA2 || got[1].HostID != hostB || got[1].Size != 4096 || got[2].SnapshotID != snapA1 {
		t.Errorf("versions of %s = %+v; want anna's newer, front-desk's, anna's older", report, got)
	}
	hosts := map[string]FindHost{}
	for _, h := range last.Hosts {
		hosts[h.HostID] = h
	}
	if h := hosts[hostA]; h.Matches != 2 || h.SnapshotsSearched != 2 || h.TotalMatches != 2 || h.Status != protocol.StatusSucceeded {
		t.Errorf("anna's job = %+v", h)
	}
	if h := hosts[hostB]; h.Matches != 2 || h.TotalMatches != 9 || h.NotKept != 7 {
		t.Errorf("front-desk's job = %+v; want 2 read, 9 found, 7 not kept", h)
	}

	// The search reopens from its jobs, with the same results.
	again, err := th.OpenFind(search.JobIDs())
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := again.Results(); !r.Done || r.Versions() != 4 || r.Pattern != "report*" || !r.IgnoreCase {
		t.Errorf("reopened search = %+v", r)
	}
}

// A pattern the agents would refuse is refused here, in their words, and
// no job is created.
func TestFindRefusesABadPatternBeforeAnyJob(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	_, hostID, _ := enrollAgent(t, th, "finder", th.enrollToken(t, 1))
	for _, p := range []string{"", "report\x00.odt", "/" + strings.Repeat("x", protocol.MaxPathLen)} {
		if _, err := th.Find(nil, p, false); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "find.pattern") {
			t.Errorf("Find(%q): %v; want ErrInvalid naming find.pattern", p, err)
		}
	}
	if _, err := th.Find([]string{"no-such-host"}, "*.odt", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find on an unknown host: %v", err)
	}
	if page, _ := th.Jobs(hostID, "", 10); len(page.Jobs) != 0 {
		t.Errorf("refused finds created %d jobs", len(page.Jobs))
	}
}
