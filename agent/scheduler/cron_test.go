package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// Expressions are robfig/cron/v3 standard ones (five fields or a
// descriptor, optional CRON_TZ=), in the agent's zone unless prefixed.
func TestCronExpressionsAccepted(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	berlin := mustLoad(t, "Europe/Berlin")
	tokyo := mustLoad(t, "Asia/Tokyo")
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, ny) // a Sunday
	for _, tc := range []struct {
		expr string
		want time.Time // first fire after now
	}{
		{"*/5 * * * *", time.Date(2026, 11, 22, 10, 5, 0, 0, ny)},
		{"@daily", time.Date(2026, 11, 23, 0, 0, 0, 0, ny)},
		{"@every 90s", now.Add(90 * time.Second)},
		{"@every 1h30m", now.Add(90 * time.Minute)},
		{"0 3 * * 1-5", time.Date(2026, 11, 23, 3, 0, 0, 0, ny)},
		{"CRON_TZ=Europe/Berlin 0 3 * * *", time.Date(2026, 11, 23, 3, 0, 0, 0, berlin)},
		{"CRON_TZ=Asia/Tokyo @weekly", time.Date(2026, 11, 29, 0, 0, 0, 0, tokyo)},
		{"TZ=UTC 30 4 * * *", time.Date(2026, 11, 23, 4, 30, 0, 0, time.UTC)},
		{"  0 12 * * *  ", time.Date(2026, 11, 22, 12, 0, 0, 0, ny)},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			clock := &fakeClock{t: now}
			s := newSchedulerOnTempStore(t, Options{Location: ny, Now: clock.Now})
			mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("s1", tc.expr)}})
			got := s.NextFires(1)["s1"]
			if len(got) != 1 || !got[0].Equal(tc.want) {
				t.Fatalf("%q: next fire %v, want %v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestCronExpressionsRefusedNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expr    string
		wantMsg string
	}{
		{"empty", "", "is required"},
		{"blank", "   ", "is empty"},
		{"three fields", "* * *", "expected exactly 5 fields, found 3"},
		{"six fields", "0 * * * * *", "expected exactly 5 fields, found 6"},
		{"negative every", "@every -1s", "at least 1s"},
		{"sub-second every", "@every 1500ms", "whole number of seconds"},
		{"every without interval", "@every", "unrecognized descriptor"},
		{"unknown zone", "CRON_TZ=Nowhere/City * * * * *", `unknown time zone "Nowhere/City"`},
		{"zone without schedule", "CRON_TZ=Europe/Berlin", "is not followed by a schedule"},
		{"empty zone", "CRON_TZ= 0 3 * * *", "names no time zone"},
		{"never fires", "0 0 30 2 *", "never fires"},
		{"minute out of range", "61 * * * *", "above maximum"},
		{"unknown descriptor", "@reboot", "unrecognized descriptor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSchedulerOnTempStore(t, Options{})
			set := &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("nightly", "@daily"), schedule("bad-one", tc.expr)}}
			v, err := s.Apply(set)
			checkRefused(t, err, "schedules[1].cron_expr", `schedule "bad-one"`, tc.wantMsg)
			if v != 0 {
				t.Errorf("Apply returned version %d for a refused first set, want 0", v)
			}
		})
	}
}

func TestMaintenanceExpressionsRefusedNameTheField(t *testing.T) {
	for _, tc := range []struct {
		field string
		m     protocol.Maintenance
		want  string
	}{
		{"maintenance.prune_cron", protocol.Maintenance{PruneCron: "@every -1s"}, "at least 1s"},
		{"maintenance.check_cron", protocol.Maintenance{CheckCron: "* *"}, "expected exactly 5 fields"},
		{"maintenance.check_read_data_subset", protocol.Maintenance{CheckCron: "@weekly", CheckReadDataSubset: "11/10"}, "1 ≤ n ≤ t"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			s := newSchedulerOnTempStore(t, Options{})
			_, err := s.Apply(&protocol.ScheduleSet{Version: 1, Maintenance: &tc.m})
			checkRefused(t, err, tc.field, "", tc.want)
		})
	}
}

func TestMaintenanceIDsAreReserved(t *testing.T) {
	s := newSchedulerOnTempStore(t, Options{})
	_, err := s.Apply(&protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule(protocol.MaintenancePruneID, "@daily")}})
	checkRefused(t, err, "schedules[0].id", protocol.MaintenancePruneID, "reserved")
}

func checkRefused(t *testing.T, err error, field string, wants ...string) {
	t.Helper()
	var ve *protocol.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Apply: got %v, want a *protocol.ValidationError for %s", err, field)
	}
	if ve.Field != field {
		t.Errorf("error names field %q, want %q (error: %v)", ve.Field, field, err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// The parser is fed network input: whatever comes, it answers with a
// schedule or an error, never a panic, and a schedule's next tick is after
// the time asked about.
func FuzzParseCron(f *testing.F) {
	for _, seed := range []string{
		"*/5 * * * *", "@daily", "@every 90s", "CRON_TZ=Europe/Berlin 0 3 * * *",
		"", "* * *", "@every -1s", "CRON_TZ=Nowhere/City * * * * *", "CRON_TZ=", "TZ=x",
		"1-5/0 * * * *", "5-1 * * * *", "*/ * * * *", "? ? ? ? ?", "0 0 31 2 *", "@every 99999999999h",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		sched, err := parseCron(expr, now)
		if err != nil {
			return
		}
		if n := nextAfter(sched, now, now, time.UTC); !n.IsZero() && !n.After(now) {
			t.Fatalf("%q: next tick %v is not after %v", expr, n, now)
		}
	})
}
