package journal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/internal/boltfile"
	"restic-manager/internal/boltfile/bolttest"
	"restic-manager/protocol"
)

// A journal with what a running agent holds: config, a schedule set, fire
// times, queued and finished jobs, unsent events. It returns the file's
// bytes.
func busyJournal(t *testing.T, dir string) []byte {
	t.Helper()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.ApplyConfig(protocol.ConfigUpdate{RepoURL: "/srv/repo", HookShell: "/bin/sh"}); err != nil {
		t.Fatal(err)
	}
	if err := j.SetSchedules(AppliedSchedules{Version: 3, Raw: []byte(`{"version":3,"schedules":[{"id":"nightly","cron_expr":"0 2 * * *","enabled":true,"source_groups":[{"name":"docs","includes":["/srv/docs"]}]}]}`),
		AppliedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for i := range 16 {
		id := protocol.NewID()
		if err := j.Enqueue([]Job{{Run: protocol.CommandRun{JobID: id, Kind: protocol.KindBackup, Tag: "docs"}, ScheduleID: "nightly"}},
			&protocol.ScheduleFire{ScheduleID: "nightly", ScheduledAt: time.Now().Add(time.Duration(i) * time.Minute), JobIDs: []string{id}}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := j.Append(&protocol.JobFinished{JobID: id, Status: protocol.StatusSucceeded, FinishedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		var lines []protocol.Payload
		for n := uint64(1); n <= 40; n++ {
			lines = append(lines, logLine(id, n))
		}
		if _, err := j.Append(lines...); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Every live page of a busy journal, overwritten with random bytes in
// turn: Open never panics, moves the file aside, and hands back a new,
// empty, working journal that remembers to tell the manager.
func TestADamagedPageMovesTheJournalAsideInsteadOfCrashing(t *testing.T) {
	t.Parallel()
	pristine := busyJournal(t, t.TempDir())
	tmp := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(tmp, pristine, 0o600); err != nil {
		t.Fatal(err)
	}
	pageSize, live := bolttest.LivePages(t, tmp)
	pages := make([]int, len(live))
	for i, p := range live {
		pages[i] = p.ID
	}
	r := rand.New(rand.NewPCG(3, 5))
	if len(pages) > 60 {
		r.Shuffle(len(pages), func(a, b int) { pages[a], pages[b] = pages[b], pages[a] })
		pages = pages[:60]
	}
	for _, page := range pages {
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		raw := bytes.Clone(pristine)
		for i := page * pageSize; i < (page+1)*pageSize; i++ {
			raw[i] = byte(r.IntN(256))
		}
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := Open(dir)
		if err != nil {
			t.Fatalf("page %d overwritten: Open = %v; want a new journal", page, err)
		}
		d := j.Damage()
		if d == nil || !errors.Is(d.Cause, boltfile.ErrDamaged) {
			t.Fatalf("page %d overwritten: Damage() = %+v; want the damage reported", page, d)
		}
		if moved, _ := os.ReadFile(d.MovedTo); !bytes.Equal(moved, raw) || !strings.HasPrefix(filepath.Base(d.MovedTo), FileName+".damaged-") {
			t.Fatalf("page %d: the damaged file at %s is not the original bytes", page, d.MovedTo)
		}
		if jobs, err := j.Jobs(); err != nil || len(jobs) != 0 {
			t.Fatalf("page %d: the new journal holds jobs %v (%v); want none", page, jobs, err)
		}
		if s, err := j.Schedules(); err != nil || s.Version != 0 {
			t.Fatalf("page %d: the new journal has schedule set %d (%v); want none", page, s.Version, err)
		}
		if seq, err := j.Append(logLine("after", 1)); err != nil || seq != 1 {
			t.Fatalf("page %d: the new journal appends seq %d, %v; want 1", page, seq, err)
		}
		if rep := j.DamageReport(); !strings.Contains(rep, d.MovedTo) {
			t.Fatalf("page %d: damage report %q does not name %s", page, rep, d.MovedTo)
		}
		j.Close()
	}
	t.Logf("%d live pages overwritten one at a time; each found and moved aside", len(pages))
}

// A stored record whose bytes were overwritten, with every page intact:
// a mangled schedule set, job record or config moves the file aside too
// (before, the schedule set stopped the agent with exit 1 at every start).
func TestARecordThatDoesNotDecodeMovesTheJournalAside(t *testing.T) {
	t.Parallel()
	for _, needle := range []string{`"cron_expr":"0 2 * * *"`, `"kind":"backup","tag":"docs"`, `"repo_url":"/srv/repo"`} {
		dir := t.TempDir()
		busyJournal(t, dir)
		bolttest.Scribble(t, filepath.Join(dir, FileName), needle)
		j, err := Open(dir)
		if err != nil {
			t.Fatalf("%s mangled: Open = %v; want a new journal", needle, err)
		}
		if j.Damage() == nil {
			t.Errorf("%s mangled: no damage reported", needle)
		}
		j.Close()
	}
}

// The notice outlives a restart until the manager has it.
func TestTheDamageReportIsKeptUntilCleared(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), bytes.Repeat([]byte("junk"), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	j := open(t, dir)
	rep := j.DamageReport()
	if j.Damage() == nil || rep == "" {
		t.Fatal("a file of junk was not reported damaged")
	}
	j.Close()
	j = open(t, dir)
	if j.Damage() != nil || j.DamageReport() != rep {
		t.Fatalf("after a restart: Damage %v, report %q; want no new damage and the same report", j.Damage(), j.DamageReport())
	}
	if err := j.ClearDamageReport(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if j = open(t, dir); j.DamageReport() != "" {
		t.Errorf("report after clearing: %q", j.DamageReport())
	}
}

// What is not damage never moves the file: another agent holding it.
func TestAJournalInUseIsNotMovedAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	if _, err := Open(dir); err == nil || !errors.Is(err, errInUse) {
		t.Fatalf("second Open = %v; want in use", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, FileName+".damaged-*")); len(matches) > 0 {
		t.Fatalf("a journal in use was moved aside: %v", matches)
	}
	if _, err := j.Append(logLine("still", 1)); err != nil {
		t.Fatal(err)
	}
}
