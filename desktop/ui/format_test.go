package ui

import (
	"encoding/json"
	"testing"

	"restic-manager/desktop/hub"
)

func TestPluralCountsLikeEnglish(t *testing.T) {
	for _, c := range []struct {
		n          int
		noun, want string
	}{
		{1, "file", "1 file"},
		{0, "file", "0 files"},
		{2, "new file", "2 new files"},
		{1, "new file", "1 new file"},
		{2, "entry", "2 entries"},
		{3, "day", "3 days"},
		{2, "pass", "2 passes"},
		{1, "more change", "1 more change"},
	} {
		if got := plural(c.n, c.noun); got != c.want {
			t.Errorf("plural(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
	if got := plural(uint64(1), "snapshot"); got != "1 snapshot" {
		t.Errorf("plural(uint64(1)) = %q", got)
	}
	if got := humanCount(uint64(1234567)); got != "1 234 567" {
		t.Errorf("humanCount(1234567) = %q", got)
	}
}

// A job's outcome in the history counts its files and snapshots right for
// one and for many ("1 files" was the report).
func TestJobOutcomesSayOneFileAndManyFiles(t *testing.T) {
	e := newTestEnv(t)
	v := newJobsTab(e.UI, e.newScope(), e.enroll(t, "counts", ""))
	done := func(kind string, stats any) hub.Job {
		b, err := json.Marshal(stats)
		if err != nil {
			t.Fatal(err)
		}
		return hub.Job{Kind: kind, Status: hub.JobSucceeded, Stats: b}
	}
	for _, c := range []struct {
		job  hub.Job
		want string
	}{
		{done(hub.JobKindBackup, map[string]any{"files_new": 1, "files_changed": 0, "data_added": 10}), "1 new file, 0 changed · 10 B added"},
		{done(hub.JobKindBackup, map[string]any{"files_new": 0, "files_changed": 1, "data_added": 10}), "0 new files, 1 changed · 10 B added"},
		{done(hub.JobKindRestore, map[string]any{"files_restored": 1, "bytes_restored": 10}), "1 file, 10 B restored"},
		{done(hub.JobKindRestore, map[string]any{"files_restored": 2, "bytes_restored": 10}), "2 files, 10 B restored"},
		{done(hub.JobKindForget, map[string]any{"groups": []map[string]any{{"tag": "docs", "kept": 3, "removed": 1}}}), "removed 1 snapshot"},
	} {
		if got, _ := v.history.outcome(c.job); got != c.want {
			t.Errorf("%s with %s: outcome %q, want %q", c.job.Kind, c.job.Stats, got, c.want)
		}
	}
}
