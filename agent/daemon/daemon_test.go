package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/agent/journal"
	"restic-manager/protocol"
)

func TestLocalZoneIsALoadableIANAName(t *testing.T) {
	for _, tz := range []string{"", "Europe/Berlin", ":America/New_York", "Not/AZone"} {
		t.Setenv("TZ", tz)
		z := localZone()
		if _, err := time.LoadLocation(z); err != nil || z == "Local" || z == "" {
			t.Errorf("TZ=%q: localZone() = %q (%v); want a zone name hello.timezone accepts", tz, z, err)
		}
		if tz == "Europe/Berlin" && z != tz {
			t.Errorf("TZ=%q: localZone() = %q; want TZ itself", tz, z)
		}
		if tz == ":America/New_York" && z != "America/New_York" {
			t.Errorf("TZ=%q: localZone() = %q; want the name without the colon", tz, z)
		}
	}
}

// The scheduler's Store is the journal: what it saves comes back whole,
// with the fire times the journal recorded.
func TestTheJournalKeepsTheSchedulersSet(t *testing.T) {
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	store := scheduleStore{j}
	if saved, err := store.LoadSchedule(); err != nil || saved.Set != nil {
		t.Fatalf("a new journal: LoadSchedule = %+v, %v; want no set", saved, err)
	}
	set := &protocol.ScheduleSet{Version: 7, Schedules: []protocol.Schedule{{ID: "nightly", CronExpr: "30 2 * * *", Enabled: true,
		SourceGroups: []protocol.SourceGroup{{Name: "home", Includes: []string{"/home"}, RetentionPolicy: protocol.RetentionPolicy{KeepLast: 3}}}}}}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := store.SaveSchedule(set, at); err != nil {
		t.Fatal(err)
	}
	fired := time.Date(2026, 12, 2, 2, 30, 0, 0, time.UTC)
	if err := j.SetLastFire("nightly", fired); err != nil {
		t.Fatal(err)
	}
	saved, err := store.LoadSchedule()
	if err != nil {
		t.Fatal(err)
	}
	if saved.Set == nil || saved.Set.Version != 7 || len(saved.Set.Schedules) != 1 || saved.Set.Schedules[0].SourceGroups[0].RetentionPolicy.KeepLast != 3 {
		t.Fatalf("LoadSchedule().Set = %+v; want version 7 with its one schedule", saved.Set)
	}
	if !saved.AppliedAt.Equal(at) || !saved.LastFires["nightly"].Equal(fired) {
		t.Fatalf("applied at %v, last fire %v; want %v and %v", saved.AppliedAt, saved.LastFires["nightly"], at, fired)
	}
}

func TestRunRefusesWhatItCannotStartWith(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"no state", Config{Manager: "ws://127.0.0.1:1"}, "--state is required"},
		{"no manager", Config{StateDir: t.TempDir()}, "--manager is required"},
		{"bad manager", Config{StateDir: t.TempDir(), Manager: "http://x"}, "--manager"},
		{"no restic", Config{StateDir: t.TempDir(), Manager: "ws://127.0.0.1:1", ResticPath: "/nonexistent/restic"}, "restic"},
	} {
		err := Run(context.Background(), tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Run = %v; want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// restic's cache lives outside the state directory: a --cache-dir inside
// it is refused, and the cache an older agent kept there is removed.
func TestTheCacheDirIsOutsideTheState(t *testing.T) {
	state := t.TempDir()
	for _, inside := range []string{state, filepath.Join(state, "cache"), filepath.Join(state, "a", "..", "b")} {
		if _, _, err := cacheDir(inside, state); err == nil || !strings.Contains(err.Error(), "inside --state") {
			t.Errorf("cacheDir(%q) = %v; want it refused as inside --state", inside, err)
		}
	}
	old := filepath.Join(state, "restic-cache", "repo-id")
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(t.TempDir(), "cache")
	dir, removed, err := cacheDir(want, state)
	if err != nil || dir != want || !removed {
		t.Fatalf("cacheDir = %q, %v, %v; want %q, the old cache removed", dir, removed, err, want)
	}
	if _, err := os.Stat(filepath.Join(state, "restic-cache")); !os.IsNotExist(err) {
		t.Errorf("the old cache in the state directory is still there: %v", err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	if dir, _, err := cacheDir("", state); err != nil || dir != filepath.Join(os.Getenv("XDG_CACHE_HOME"), "restic-agent") {
		t.Errorf("default cache dir %q (%v); want restic-agent in the OS cache dir", dir, err)
	}
}
