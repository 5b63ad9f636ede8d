package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"
	// CRON_TZ= must work on Windows agents, which have no zoneinfo
	// database Go can read.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// standardParser is what cron.ParseStandard uses: five fields or a
// descriptor.
var standardParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron parses a schedule expression: five standard fields or a
// descriptor (@daily, @every 90s), optionally prefixed by CRON_TZ=<zone>
// (or TZ=<zone>, which robfig/cron also accepts). Expressions without a
// zone are evaluated in the location of the times handed to the tick
// functions below. now is only used to refuse an expression that never
// fires.
func parseCron(expr string, now time.Time) (sched cron.Schedule, err error) {
	// The parser is fed network input; a panic in it must not take the
	// agent down.
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, errors.New("cannot be parsed")
		}
	}()
	rest := strings.TrimSpace(expr)
	if rest == "" {
		return nil, errors.New("is empty")
	}
	var zone *time.Location
	if prefix, after, ok := cutZonePrefix(rest); ok {
		name, body, _ := strings.Cut(after, " ")
		body = strings.TrimSpace(body)
		if name == "" {
			return nil, fmt.Errorf("%s names no time zone", prefix)
		}
		if body == "" {
			return nil, fmt.Errorf("%s%s is not followed by a schedule", prefix, name)
		}
		if zone, err = time.LoadLocation(name); err != nil {
			return nil, fmt.Errorf("unknown time zone %q in %s", name, prefix)
		}
		rest = body
	}
	if d, ok := strings.CutPrefix(rest, "@every "); ok {
		delay, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return nil, fmt.Errorf("@every needs a duration such as 90s or 6h: %v", err)
		}
		// cron.Every rounds anything below 1s up to 1s and drops fractions;
		// refuse instead of silently running something else.
		if delay < time.Second || delay%time.Second != 0 {
			return nil, fmt.Errorf("@every %s: the interval must be a whole number of seconds, at least 1s", delay)
		}
		return cron.Every(delay), nil
	}
	sched, err = standardParser.Parse(rest)
	if err != nil {
		return nil, err
	}
	if spec, ok := sched.(*cron.SpecSchedule); ok && zone != nil {
		spec.Location = zone
	}
	if sched.Next(now).IsZero() {
		return nil, errors.New("never fires (no matching time in the next five years)")
	}
	return sched, nil
}

func cutZonePrefix(s string) (prefix, after string, ok bool) {
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if after, ok := strings.CutPrefix(s, p); ok {
			return p, after, true
		}
	}
	return "", "", false
}

// nextAfter returns the first tick of sched strictly after t, or zero if
// there is none within five years. Ticks of an @every schedule are
// anchor+k·delay (anchor cut to the second, as cron.Every does), so an
// entry anchored on its last tick keeps its phase; a clock that went back
// behind anchor restarts the phase at t. Cron expressions ignore anchor.
// Times are evaluated in loc unless the expression carries its own zone.
func nextAfter(sched cron.Schedule, anchor, t time.Time, loc *time.Location) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		if anchor.After(t) {
			anchor = t
		}
		first := every.Next(anchor)
		if first.After(t) {
			return first
		}
		return first.Add((t.Sub(first)/every.Delay + 1) * every.Delay)
	}
	return sched.Next(t.In(loc))
}

// catchUpWindows bound the work of lastTick: the latest tick is looked for
// in growing windows before now instead of by walking every tick since a
// week-old last fire of "* * * * *".
var catchUpWindows = []time.Duration{
	time.Minute, time.Hour, 24 * time.Hour, 8 * 24 * time.Hour,
	32 * 24 * time.Hour, 367 * 24 * time.Hour, 5 * 367 * 24 * time.Hour,
}

// lastTick returns the latest tick of sched at or before now, given that
// first is a tick at or before now. Many missed ticks collapse into this
// one.
func lastTick(sched cron.Schedule, first, now time.Time, loc *time.Location) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return first.Add(now.Sub(first) / every.Delay * every.Delay)
	}
	lo := first
	for _, w := range catchUpWindows {
		start := now.Add(-w)
		if !start.After(lo) {
			break
		}
		if t := sched.Next(start.In(loc)); !t.IsZero() && !t.After(now) {
			lo = t
			break
		}
	}
	for {
		n := sched.Next(lo.In(loc))
		if n.IsZero() || n.After(now) {
			return lo
		}
		lo = n
	}
}
