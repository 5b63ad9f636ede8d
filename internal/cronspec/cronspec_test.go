package cronspec

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Every expression both programs accept, with its first tick, and every
// one they refuse, with the words both say. Expressions without a zone run
// in the zone of the time they are asked about (here New York).
func TestExpressions(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	berlin := mustLoad(t, "Europe/Berlin")
	tokyo := mustLoad(t, "Asia/Tokyo")
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, ny) // a Sunday
	for _, tc := range []struct {
		expr string
		next time.Time // accepted: the first tick after now
		want string    // refused: part of the reason
	}{
		{expr: "*/5 * * * *", next: time.Date(2026, 11, 22, 10, 5, 0, 0, ny)},
		{expr: "0 3 * * *", next: time.Date(2026, 11, 23, 3, 0, 0, 0, ny)},
		{expr: "0 3 * * 1-5", next: time.Date(2026, 11, 23, 3, 0, 0, 0, ny)},
		{expr: "0 0 29 2 *", next: time.Date(2028, 2, 29, 0, 0, 0, 0, ny)},
		{expr: "  0 12 * * *  ", next: time.Date(2026, 11, 22, 12, 0, 0, 0, ny)},
		{expr: "@daily", next: time.Date(2026, 11, 23, 0, 0, 0, 0, ny)},
		{expr: "@hourly", next: time.Date(2026, 11, 22, 11, 0, 0, 0, ny)},
		{expr: "@every 90s", next: now.Add(90 * time.Second)},
		{expr: "@every 1s", next: now.Add(time.Second)},
		{expr: "@every 1h30m", next: now.Add(90 * time.Minute)},
		{expr: "CRON_TZ=Europe/Berlin 0 3 * * *", next: time.Date(2026, 11, 23, 3, 0, 0, 0, berlin)},
		{expr: "CRON_TZ=Asia/Tokyo @weekly", next: time.Date(2026, 11, 29, 0, 0, 0, 0, tokyo)},
		{expr: "TZ=UTC 30 4 * * *", next: time.Date(2026, 11, 23, 4, 30, 0, 0, time.UTC)},

		{expr: "", want: "is empty"},
		{expr: "   ", want: "is empty"},
		{expr: "* * *", want: "has 3 fields, want 5"},
		{expr: "0 3 * *", want: "has 4 fields, want 5"},
		{expr: "0 * * * * *", want: "has 6 fields, want 5"},
		{expr: "61 * * * *", want: `minute field "61": end of range (61) above maximum (59)`},
		{expr: "0 24 * * *", want: `hour field "24"`},
		{expr: "0 0 32 * *", want: `day-of-month field "32"`},
		{expr: "0 0 * 13 *", want: `month field "13"`},
		{expr: "0 0 * * funday", want: `day-of-week field "funday"`},
		{expr: "5-1 * * * *", want: `minute field "5-1"`},
		{expr: "0 0 30 2 *", want: "never fires"},
		{expr: "0 0 31 4 *", want: "never fires"},
		{expr: "@every -1s", want: "at least 1s"},
		{expr: "@every 0s", want: "at least 1s"},
		{expr: "@every 500ms", want: "whole number of seconds, at least 1s"},
		{expr: "@every 1500ms", want: "whole number of seconds"},
		{expr: "@every soon", want: "@every needs a duration such as 90s or 6h"},
		{expr: "@every", want: "unrecognized descriptor"},
		{expr: "@reboot", want: "unrecognized descriptor: @reboot"},
		{expr: "@sometimes", want: "unrecognized descriptor"},
		{expr: "CRON_TZ=Nowhere/City * * * * *", want: `unknown time zone "Nowhere/City" in CRON_TZ=`},
		{expr: "CRON_TZ=Europe/Berlin", want: "CRON_TZ=Europe/Berlin is not followed by a schedule"},
		{expr: "CRON_TZ= 0 3 * * *", want: "CRON_TZ= names no time zone"},
		{expr: "TZ=Mars/Olympus @daily", want: `unknown time zone "Mars/Olympus" in TZ=`},
	} {
		sched, err := Parse(tc.expr, now)
		if tc.want != "" {
			var ce *Error
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) || !errors.As(err, &ce) || ce.Expr != tc.expr {
				t.Errorf("Parse(%q) = %v; want an *Error wrapping ErrInvalid, saying %q", tc.expr, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v; want accepted", tc.expr, err)
			continue
		}
		if got := sched.Next(now); !got.Equal(tc.next) {
			t.Errorf("Parse(%q): first tick %v, want %v", tc.expr, got, tc.next)
		}
	}
}

// A CRON_TZ= zone is the schedule's Location, so the manager can show it;
// without one the schedule follows the zone it is asked about.
func TestZoneIsTheSchedulesLocation(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s, err := Parse("CRON_TZ=Europe/Berlin 0 3 * * *", now)
	if err != nil {
		t.Fatal(err)
	}
	if spec, ok := s.(*cron.SpecSchedule); !ok || spec.Location.String() != "Europe/Berlin" {
		t.Errorf("schedule %#v; want a SpecSchedule in Europe/Berlin", s)
	}
	s, err = Parse("0 3 * * *", now)
	if err != nil {
		t.Fatal(err)
	}
	if spec, ok := s.(*cron.SpecSchedule); !ok || spec.Location != time.Local {
		t.Errorf("schedule %#v; want a SpecSchedule in time.Local (the zone of the time asked about)", s)
	}
}

// The parser is fed network input: whatever comes, it answers with a
// schedule or an error, never a panic, and a schedule's next tick is after
// the time asked about.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"*/5 * * * *", "@daily", "@every 90s", "CRON_TZ=Europe/Berlin 0 3 * * *",
		"", "* * *", "@every -1s", "CRON_TZ=Nowhere/City * * * * *", "CRON_TZ=", "TZ=x",
		"1-5/0 * * * *", "5-1 * * * *", "*/ * * * *", "? ? ? ? ?", "0 0 31 2 *", "@every 99999999999h",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		sched, err := Parse(expr, now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error %v does not wrap ErrInvalid", expr, err)
			}
			return
		}
		if n := sched.Next(now); !n.IsZero() && !n.After(now) {
			t.Fatalf("%q: next tick %v is not after %v", expr, n, now)
		}
	})
}
