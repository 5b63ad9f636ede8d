// Package cronspec is the one parser of schedule expressions: the agent's
// scheduler arms what it accepts, and the manager refuses, in the same
// words, what the agent would refuse, so no schedule can be saved that an
// agent rejects.
//
// An expression is five standard fields (minute hour day-of-month month
// day-of-week) or a descriptor (@daily, @weekly, @every 90s …), optionally
// prefixed by CRON_TZ=<IANA zone> (or TZ=<zone>, which robfig/cron also
// takes). It is parsed with robfig/cron/v3's standard parser and stricter
// rules than cron.ParseStandard: @every needs a whole number of seconds,
// at least 1s (ParseStandard silently turns "@every -1s" into every
// second and rounds "@every 1500ms"); an expression that never fires
// ("0 0 30 2 *") is refused; a CRON_TZ= prefix needs a known zone and an
// expression after it. A field that does not parse is named.
//
// Imported by agent/scheduler and desktop/hub; imports
// github.com/robfig/cron/v3 and the embedded zone database.
package cronspec

import (
	"errors"
	"fmt"
	"strings"
	"time"
	// CRON_TZ= must resolve on Windows agents, and on managers without a
	// zoneinfo database Go can read.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// ErrInvalid is wrapped by every refusal (an *Error).
var ErrInvalid = errors.New("invalid cron expression")

// Error is a refused expression. Its message is the reason alone, so each
// program adds its own context (the schedule, the field) around the same
// words.
type Error struct {
	Expr   string
	Reason string
}

func (e *Error) Error() string { return e.Reason }
func (e *Error) Unwrap() error { return ErrInvalid }

func refuse(expr, format string, args ...any) error {
	return &Error{Expr: expr, Reason: fmt.Sprintf(format, args...)}
}

// standardParser is what cron.ParseStandard uses: five fields or a
// descriptor.
var standardParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var fieldNames = [5]string{"minute", "hour", "day-of-month", "month", "day-of-week"}

// Parse parses expr. now is only used to refuse an expression that never
// fires (no tick within five years of it). An @every expression is a
// cron.ConstantDelaySchedule; any other is a *cron.SpecSchedule whose
// Location is the CRON_TZ= zone, or time.Local when there is none, which
// robfig/cron reads as "the zone of the time handed to Next".
func Parse(expr string, now time.Time) (sched cron.Schedule, err error) {
	// The parser is fed network input; a panic in it must not take a
	// program down.
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, refuse(expr, "cannot be parsed")
		}
	}()
	rest := strings.TrimSpace(expr)
	if rest == "" {
		return nil, refuse(expr, "is empty")
	}
	var zone *time.Location
	if prefix, after, ok := cutZonePrefix(rest); ok {
		name, body, _ := strings.Cut(after, " ")
		body = strings.TrimSpace(body)
		if name == "" {
			return nil, refuse(expr, "%s names no time zone", prefix)
		}
		if body == "" {
			return nil, refuse(expr, "%s%s is not followed by a schedule", prefix, name)
		}
		if zone, err = time.LoadLocation(name); err != nil {
			return nil, refuse(expr, "unknown time zone %q in %s (want an IANA zone name such as Europe/Berlin)", name, prefix)
		}
		rest = body
	}
	if d, ok := strings.CutPrefix(rest, "@every "); ok {
		delay, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return nil, refuse(expr, "@every needs a duration such as 90s or 6h: %v", err)
		}
		// cron.Every rounds anything below 1s up to 1s and drops fractions;
		// refuse instead of silently running something else.
		if delay < time.Second || delay%time.Second != 0 {
			return nil, refuse(expr, "@every %s: the interval must be a whole number of seconds, at least 1s", delay)
		}
		return cron.Every(delay), nil
	}
	sched, err = standardParser.Parse(rest)
	if err != nil {
		return nil, refuse(expr, "%s", fieldError(rest, err))
	}
	if spec, ok := sched.(*cron.SpecSchedule); ok && zone != nil {
		spec.Location = zone
	}
	if sched.Next(now).IsZero() {
		return nil, refuse(expr, "never fires (no matching time in the next five years)")
	}
	return sched, nil
}

// fieldError names the field that broke a five-field expression (each is
// parsed alone), keeping robfig/cron's own words, or says how many fields
// a five-field expression needs.
func fieldError(rest string, err error) string {
	fields := strings.Fields(rest)
	if strings.HasPrefix(rest, "@") {
		return err.Error()
	}
	if len(fields) != 5 {
		return fmt.Sprintf("has %d fields, want 5 (minute hour day-of-month month day-of-week) or a descriptor such as @daily", len(fields))
	}
	for i, f := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, perr := standardParser.Parse(strings.Join(probe, " ")); perr != nil {
			return fmt.Sprintf("%s field %q: %v", fieldNames[i], f, perr)
		}
	}
	return err.Error()
}

func cutZonePrefix(s string) (prefix, after string, ok bool) {
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if after, ok := strings.CutPrefix(s, p); ok {
			return p, after, true
		}
	}
	return "", "", false
}
