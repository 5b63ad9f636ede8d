package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// diffSampleLines are restic 0.14's `diff --json` output between two real
// snapshots (captured from restic 0.14.0; see agent/restic/testdata).
func diffSampleLines(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/restic-0.14-diff.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 5 {
		t.Fatalf("sample has %d lines, want 4 changes and the statistics", len(lines))
	}
	return lines
}

func TestParseDiffChangeReadsRestic014Lines(t *testing.T) {
	lines := diffSampleLines(t)
	want := []DiffEntry{
		{Path: "/srv/rsrc/data/a.txt", Modifier: "M", Kind: DiffModified},
		{Path: "/srv/rsrc/data/c.txt", Modifier: "+", Kind: DiffAdded},
		{Path: "/srv/rsrc/data/sub/b.txt", Modifier: "-", Kind: DiffRemoved},
		{Path: "/srv/rsrc/data/unreadable", Modifier: "+", Kind: DiffAdded},
	}
	for i, w := range want {
		got, ok := ParseDiffChange(lines[i])
		if !ok || got != w {
			t.Errorf("line %d %s: got %+v, %v; want %+v", i+1, lines[i], got, ok, w)
		}
	}
	if e, ok := ParseDiffChange(lines[4]); ok {
		t.Errorf("statistics line parsed as a change: %+v", e)
	}
	for _, other := range []string{"", "not json", `{"message_type":"status"}`, `{"message_type":"change","path":"/x"}`} {
		if e, ok := ParseDiffChange(other); ok {
			t.Errorf("%q parsed as a change: %+v", other, e)
		}
	}
	// restic marks directories with a trailing "/" and combines modifiers.
	cases := map[string]DiffEntry{
		`{"message_type":"change","path":"/srv/new/","modifier":"+"}`:     {Path: "/srv/new", Dir: true, Modifier: "+", Kind: DiffAdded},
		`{"message_type":"change","path":"/srv/gone/","modifier":"-"}`:    {Path: "/srv/gone", Dir: true, Modifier: "-", Kind: DiffRemoved},
		`{"message_type":"change","path":"/srv/link","modifier":"TM"}`:    {Path: "/srv/link", Modifier: "TM", Kind: DiffModified},
		`{"message_type":"change","path":"/C/Users/x","modifier":"M?"}`:   {Path: "/C/Users/x", Modifier: "M?", Kind: DiffModified},
		`{"message_type":"change","path":"/srv/meta.txt","modifier":"U"}`: {Path: "/srv/meta.txt", Modifier: "U", Kind: DiffModified},
	}
	for line, w := range cases {
		if got, ok := ParseDiffChange(line); !ok || got != w {
			t.Errorf("%s: got %+v, %v; want %+v", line, got, ok, w)
		}
	}
}

func TestParseDiffStatsReadsRestic014Statistics(t *testing.T) {
	line := diffSampleLines(t)[4]
	want := DiffStats{SourceSnapshot: "4b7d0f71", TargetSnapshot: "8f7696c0", ChangedFiles: 1,
		Added:   DiffCounts{Files: 2, DataBlobs: 2, TreeBlobs: 5, Bytes: 2730},
		Removed: DiffCounts{Files: 1, DataBlobs: 2, TreeBlobs: 5, Bytes: 2463}}
	got, err := ParseDiffStats([]byte(line))
	if err != nil || got != want {
		t.Fatalf("whole line: %+v, %v; want %+v", got, err, want)
	}
	// The agent stores the object without message_type (job.finished.stats).
	var obj map[string]json.RawMessage
	_ = json.Unmarshal([]byte(line), &obj)
	delete(obj, "message_type")
	raw, _ := json.Marshal(obj)
	if got, err := ParseDiffStats(raw); err != nil || got != want {
		t.Errorf("stats object: %+v, %v; want %+v", got, err, want)
	}
	if _, err := ParseDiffStats([]byte(`{"message_type":"summary"}`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a backup summary: %v; want ErrInvalid", err)
	}
}

// TestDiffResultReadsTheJobLogAndStats feeds a diff job the way the agent
// reports it (job.started, the change lines as "event" log lines, a
// stdout line, the cap marker, job.finished with the statistics) over a
// real connection, and reads it back.
func TestDiffResultReadsTheJobLogAndStats(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "differ", th.enrollToken(t, 1))
	jobID, err := th.Diff(hostID, "4b7d0f71", "8f7696c0")
	if err != nil {
		t.Fatal(err)
	}
	a.expect(protocol.TypeCommandRun)
	lines := diffSampleLines(t)
	now := time.Now().UTC()
	a.emit(&protocol.JobStarted{JobID: jobID, Kind: protocol.KindDiff, StartedAt: now})

	r, err := th.DiffResult(jobID)
	if err != nil || r.Done || len(r.Entries) != 0 || r.Stats != nil {
		t.Fatalf("running diff: %+v, %v; want not done, nothing yet", r, err)
	}

	seq := uint64(0)
	logl := func(stream, payload string) {
		seq++
		a.emit(&protocol.LogStream{JobID: jobID, Seq: seq, TS: now, Stream: stream, Payload: payload})
	}
	for _, l := range lines[:4] {
		logl(protocol.StreamEvent, l)
	}
	logl(protocol.StreamStdout, "some text restic printed")
	logl(protocol.StreamStderr, "[7 more lines not kept]")
	var stats map[string]json.RawMessage
	_ = json.Unmarshal([]byte(lines[4]), &stats)
	delete(stats, "message_type")
	raw, _ := json.Marshal(stats)
	last := a.emit(&protocol.JobFinished{JobID: jobID, Status: protocol.StatusSucceeded, FinishedAt: now, Stats: raw})
	a.waitAck(last)

	r, err = th.DiffResult(jobID)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Done || r.Job.Status != protocol.StatusSucceeded {
		t.Errorf("job = %+v; want done, succeeded", r.Job)
	}
	if len(r.Entries) != 4 || r.Count(DiffAdded) != 2 || r.Count(DiffRemoved) != 1 || r.Count(DiffModified) != 1 {
		t.Errorf("entries = %+v; want 2 added, 1 removed, 1 modified", r.Entries)
	}
	if r.Entries[2].Path != "/srv/rsrc/data/sub/b.txt" || r.Entries[2].Kind != DiffRemoved {
		t.Errorf("third entry = %+v; want sub/b.txt removed", r.Entries[2])
	}
	if r.Stats == nil || r.Stats.ChangedFiles != 1 || r.Stats.Added.Files != 2 || r.Stats.Removed.Bytes != 2463 {
		t.Errorf("stats = %+v; want restic's statistics", r.Stats)
	}
	if r.NotKept != 7 {
		t.Errorf("NotKept = %d; want 7 from the agent's marker", r.NotKept)
	}

	other, _ := th.RunNow(hostID, RunRequest{Kind: protocol.KindUnlock})
	if _, err := th.DiffResult(other); !errors.Is(err, ErrInvalid) {
		t.Errorf("DiffResult of an unlock job: %v; want ErrInvalid", err)
	}
	if _, err := th.DiffResult("no-such-job"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DiffResult of a missing job: %v; want ErrNotFound", err)
	}
}

// diffServeTrees answers tree.list from per-snapshot directory listings,
// paging like the agent, and counts the requests.
func diffServeTrees(a *testAgent, trees map[string]map[string][]protocol.TreeEntry, requests chan<- string) {
	for {
		req, ok := a.next(protocol.TypeTreeList)
		if !ok {
			return
		}
		tl, _ := protocol.Decode[protocol.TreeList](req)
		if requests != nil {
			requests <- tl.SnapshotID + ":" + tl.Path
		}
		entries, found := trees[tl.SnapshotID][tl.Path]
		if !found {
			_, _ = a.c.SendPayload(context.Background(), &protocol.TreeListResult{SnapshotID: tl.SnapshotID, Path: tl.Path, Error: "path not found in snapshot"}, req.ID)
			continue
		}
		end := min(tl.Offset+tl.EffectiveLimit(), len(entries))
		res := &protocol.TreeListResult{SnapshotID: tl.SnapshotID, Path: tl.Path, Entries: entries[tl.Offset:end]}
		if end < len(entries) {
			res.NextOffset = &end
		}
		_, _ = a.c.SendPayload(context.Background(), res, req.ID)
	}
}

func TestDiffSizesListsParentsInTheSnapshotThatHasTheEntry(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "sizes", th.enrollToken(t, 1))
	const snapA, snapB = "aaaaaaaa", "bbbbbbbb"
	big := make([]protocol.TreeEntry, 2500) // three pages of 1000
	for i := range big {
		big[i] = protocol.TreeEntry{Name: fmt.Sprintf("f%05d", i), Type: protocol.EntryFile, Size: uint64(i)}
	}
	trees := map[string]map[string][]protocol.TreeEntry{
		snapA: {"/srv/data/sub": {{Name: "b.txt", Type: protocol.EntryFile, Size: 11}}},
		snapB: {
			"/srv/data": {{Name: "a.txt", Type: protocol.EntryFile, Size: 22}, {Name: "c.txt", Type: protocol.EntryFile, Size: 33},
				{Name: "link", Type: protocol.EntrySymlink}, {Name: "new", Type: protocol.EntryDir}},
			"/srv/big": big,
		},
	}
	requests := make(chan string, 100)
	go diffServeTrees(a, trees, requests)
	entries := []DiffEntry{
		{Path: "/srv/data/a.txt", Modifier: "M", Kind: DiffModified},
		{Path: "/srv/data/c.txt", Modifier: "+", Kind: DiffAdded},
		{Path: "/srv/data/link", Modifier: "T", Kind: DiffModified},
		{Path: "/srv/data/new", Dir: true, Modifier: "+", Kind: DiffAdded},
		{Path: "/srv/data/sub/b.txt", Modifier: "-", Kind: DiffRemoved},
		{Path: "/srv/big/f02100", Modifier: "+", Kind: DiffAdded},
		{Path: "/srv/gone/x", Modifier: "+", Kind: DiffAdded},
	}
	got := map[int]DiffSize{}
	rep := th.DiffSizes(context.Background(), hostID, snapA, snapB, entries, 0, func(b []DiffSize) {
		for _, s := range b {
			got[s.Index] = s
		}
	})
	want := map[int]DiffSize{
		0: {Index: 0, Type: protocol.EntryFile, Size: 22},
		1: {Index: 1, Type: protocol.EntryFile, Size: 33},
		2: {Index: 2, Type: protocol.EntrySymlink},
		4: {Index: 4, Type: protocol.EntryFile, Size: 11},
		5: {Index: 5, Type: protocol.EntryFile, Size: 2100},
	}
	if len(got) != len(want) {
		t.Errorf("sizes = %+v; want %+v", got, want)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("entry %d (%s): %+v; want %+v", i, entries[i].Path, got[i], w)
		}
	}
	if rep.Err != nil || rep.Unknown != 1 {
		t.Errorf("report = %+v; want no error, one unknown (/srv/gone/x)", rep)
	}
	// One listing per parent (the directory itself is never listed for
	// its own size), three pages for the big one, and the missing one.
	close(requests)
	var asked []string
	for r := range requests {
		asked = append(asked, r)
	}
	sort.Strings(asked)
	wantAsked := []string{"aaaaaaaa:/srv/data/sub", "bbbbbbbb:/srv/big", "bbbbbbbb:/srv/big", "bbbbbbbb:/srv/big", "bbbbbbbb:/srv/data", "bbbbbbbb:/srv/gone"}
	if strings.Join(asked, " ") != strings.Join(wantAsked, " ") {
		t.Errorf("listed %v; want %v", asked, wantAsked)
	}
	if rep.Listed != 5 {
		t.Errorf("Listed = %d; want 5 pages", rep.Listed)
	}
}

func TestDiffSizesStopsAtTheBudgetAndWhenTheHostIsOffline(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "budget", th.enrollToken(t, 1))
	trees := map[string]map[string][]protocol.TreeEntry{"bbbbbbbb": {}}
	var entries []DiffEntry
	for i := range 10 {
		dir := fmt.Sprintf("/d%d", i)
		trees["bbbbbbbb"][dir] = []protocol.TreeEntry{{Name: "f", Type: protocol.EntryFile, Size: 1}}
		entries = append(entries, DiffEntry{Path: path.Join(dir, "f"), Modifier: "+", Kind: DiffAdded})
	}
	go diffServeTrees(a, trees, nil)
	n := 0
	rep := th.DiffSizes(context.Background(), hostID, "aaaaaaaa", "bbbbbbbb", entries, 4, func(b []DiffSize) { n += len(b) })
	if rep.Listed != 4 || n != 4 || rep.Unknown != 6 || rep.Err != nil {
		t.Errorf("budget 4: report %+v, %d sizes; want 4 listed, 4 sizes, 6 unknown, no error", rep, n)
	}

	a.c.CloseNow()
	waitFor(t, testWait, "host offline", func() bool { h, _ := th.Host(hostID); return !h.Online })
	rep = th.DiffSizes(context.Background(), hostID, "aaaaaaaa", "bbbbbbbb", entries, 0, nil)
	if !errors.Is(rep.Err, ErrHostOffline) || rep.Unknown != 10 || rep.Listed != 0 {
		t.Errorf("offline: %+v; want ErrHostOffline, all 10 unknown", rep)
	}
}
