package daemon

import (
	"context"
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
