package scheduler

import (
	"time"

	"github.com/robfig/cron/v3"
)

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
