package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"restic-manager/internal/cronspec"
	"restic-manager/protocol"
)

// The scheduler evaluates expressions in the agent's zone unless they
// carry their own (internal/cronspec's table test covers what parses).
func TestCronExpressionsRunInTheAgentsZone(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	berlin := mustLoad(t, "Europe/Berlin")
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, ny) // a Sunday
	for _, tc := range []struct {
		expr string
		want time.Time // first fire after now
	}{
		{"@daily", time.Date(2026, 11, 23, 0, 0, 0, 0, ny)},
		{"@every 90s", now.Add(90 * time.Second)},
		{"0 3 * * 1-5", time.Date(2026, 11, 23, 3, 0, 0, 0, ny)},
		{"CRON_TZ=Europe/Berlin 0 3 * * *", time.Date(2026, 11, 23, 3, 0, 0, 0, berlin)},
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

// A set with an expression cronspec refuses is refused whole, naming the
// schedule and the field, with cronspec's words.
func TestCronExpressionsRefusedNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expr    string
		wantMsg string
	}{
		{"empty", "", "is required"},
		{"three fields", "* * *", "has 3 fields, want 5"},
		{"sub-second every", "@every 1500ms", "whole number of seconds"},
		{"never fires", "0 0 30 2 *", "never fires"},
		{"minute out of range", "61 * * * *", `minute field "61"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSchedulerOnTempStore(t, Options{})
			set := &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("nightly", "@daily"), schedule("bad-one", tc.expr)}}
			v, err := s.Apply(set)
			checkRefused(t, err, "schedules[1].cron_expr", `schedule "bad-one"`, tc.wantMsg)
			if v != 0 {
				t.Errorf("Apply returned version %d for a refused first set, want 0", v)
			}
			if tc.expr == "" {
				return // refused by the wire rules before the parser
			}
			if _, perr := cronspec.Parse(tc.expr, time.Now()); perr == nil || !strings.Contains(err.Error(), perr.Error()) {
				t.Errorf("error %q does not carry cronspec's words %q", err, perr)
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
		{"maintenance.check_cron", protocol.Maintenance{CheckCron: "* *"}, "has 2 fields, want 5"},
		{"maintenance.check_read_data_subset", protocol.Maintenance{CheckCron: "@weekly", CheckReadDataSubset: "11/10"}, "1 ≤ n ≤ t"},
		{"maintenance.copy_cron", protocol.Maintenance{CopyCron: "61 * * * *"}, "end of range (61) above maximum (59)"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			s := newSchedulerOnTempStore(t, Options{})
			_, err := s.Apply(&protocol.ScheduleSet{Version: 1, Maintenance: &tc.m})
			checkRefused(t, err, tc.field, "", tc.want)
		})
	}
}

func TestMaintenanceIDsAreReserved(t *testing.T) {
	for _, id := range []string{protocol.MaintenancePruneID, protocol.MaintenanceCheckID, protocol.MaintenanceCopyID} {
		s := newSchedulerOnTempStore(t, Options{})
		_, err := s.Apply(&protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule(id, "@daily")}})
		checkRefused(t, err, "schedules[0].id", id, "reserved")
	}
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
