package hub

import (
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DescribeCron says in English when a cron expression fires: "every day
// at 02:30", "every 6 hours", "every Monday at 08:00", "on the 1st of
// every month at 03:00", "every 1 min 30 s" (@every 90s). It reads the
// schedule robfig/cron parsed (the agents' parser), so descriptors and
// their spelled-out forms read the same. An expression that does not
// parse gets "" (ValidateCron says why). A CRON_TZ= prefix is named at
// the end: "every day at 02:30 (Europe/Berlin time)".
func DescribeCron(expr string) string {
	s, err := parseCron(expr, time.Now())
	if err != nil {
		return ""
	}
	switch s := s.(type) {
	case cron.ConstantDelaySchedule:
		return "every " + cronDescDelay(s.Delay)
	case *cron.SpecSchedule:
		d := cronDescSpec(s)
		// cronspec leaves time.Local ("the host's zone") unless the
		// expression named its own.
		if s.Location != time.Local {
			d += " (" + s.Location.String() + " time)"
		}
		return d
	}
	return strings.TrimSpace(expr)
}

// cronDescDelay writes an @every duration as days, hours, minutes and
// seconds: "1 min 30 s", "6 h", "1 d 12 h".
func cronDescDelay(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		d = time.Second
	}
	var parts []string
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, u.name))
			d -= n * u.d
		}
	}
	return strings.Join(parts, " ")
}

// robfig/cron marks a field written as "*" or "?" with this bit; it
// matters for day-of-month and day-of-week, which OR when neither is a
// star.
const cronDescStarBit = 1 << 63

// cronDescSet lists the values whose bits are set in a field, in order.
func cronDescSet(field uint64) []int {
	field &^= cronDescStarBit
	var out []int
	for field != 0 {
		i := bits.TrailingZeros64(field)
		out = append(out, i)
		field &^= 1 << i
	}
	return out
}

func cronDescFull(set []int, lo, hi int) bool { return len(set) == hi-lo+1 }

// cronDescStep returns n when set is {0, n, 2n, …} covering a cycle of size
// values evenly (so the interval really is n, also across the wrap), else
// 0. A set of one value, or every value, is no step.
func cronDescStep(set []int, size int) int {
	if len(set) < 2 || set[0] != 0 {
		return 0
	}
	n := set[1]
	if n < 2 || size%n != 0 || len(set) != size/n {
		return 0
	}
	for i, v := range set {
		if v != i*n {
			return 0
		}
	}
	return n
}

// cronDescContiguous reports whether set is lo..hi with no gap.
func cronDescContiguous(set []int) bool {
	return len(set) > 0 && set[len(set)-1]-set[0] == len(set)-1
}

// cronDescJoinAnd joins with commas and a final "and".
func cronDescJoinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// cronDescJoinNumbers writes a set compactly: runs of three or more as
// "a to b".
func cronDescJoinNumbers(set []int, name func(int) string) string {
	var items []string
	for i := 0; i < len(set); {
		j := i
		for j+1 < len(set) && set[j+1] == set[j]+1 {
			j++
		}
		if j-i >= 2 {
			items = append(items, name(set[i])+" to "+name(set[j]))
		} else {
			for k := i; k <= j; k++ {
				items = append(items, name(set[k]))
			}
		}
		i = j + 1
	}
	return cronDescJoinAnd(items)
}

func cronDescClock(h, m int) string { return fmt.Sprintf("%02d:%02d", h, m) }

func cronDescOrdinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}

var cronDescWeekdays = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// cronDescSpec builds "<days> at <times>" for schedules that fire at a
// few clock times, and "<frequency> <on days>" for the others.
func cronDescSpec(s *cron.SpecSchedule) string {
	mins, hours := cronDescSet(s.Minute), cronDescSet(s.Hour)
	times, freq := cronDescTimes(mins, hours)
	days := cronDescDayRule(s)
	if times != nil {
		return days.every() + " at " + cronDescJoinAnd(times)
	}
	if on := days.on(); on != "" {
		return freq + " " + on
	}
	return freq
}

// cronDescTimes returns the clock times of a day when there are few (≤ 6),
// else a frequency ("every 15 minutes", "every 6 hours").
func cronDescTimes(mins, hours []int) (times []string, freq string) {
	allMin, allHour := cronDescFull(mins, 0, 59), cronDescFull(hours, 0, 23)
	minStep, hourStep := cronDescStep(mins, 60), cronDescStep(hours, 24)
	if hourStep > 0 && len(mins) == 1 {
		at := ""
		if mins[0] != 0 {
			at = fmt.Sprintf(" at minute %d", mins[0])
		}
		return nil, fmt.Sprintf("every %d hours%s", hourStep, at)
	}
	if len(mins)*len(hours) <= 6 && !allHour {
		for _, h := range hours {
			for _, m := range mins {
				times = append(times, cronDescClock(h, m))
			}
		}
		return times, ""
	}
	perHour := ""
	switch {
	case allMin:
		perHour = "every minute"
	case minStep > 0:
		perHour = fmt.Sprintf("every %d minutes", minStep)
	}
	if perHour != "" {
		switch {
		case allHour:
			return nil, perHour
		case hourStep > 0:
			return nil, fmt.Sprintf("%s during every %s hour", perHour, cronDescOrdinal(hourStep))
		case cronDescContiguous(hours):
			return nil, fmt.Sprintf("%s between %s and %s", perHour, cronDescClock(hours[0], 0), cronDescClock(hours[len(hours)-1], 59))
		default:
			return nil, perHour + " during hours " + cronDescJoinNumbers(hours, func(h int) string { return fmt.Sprintf("%02d", h) })
		}
	}
	atMinutes := ""
	if len(mins) == 1 {
		if mins[0] != 0 {
			atMinutes = fmt.Sprintf(" at minute %d", mins[0])
		}
	} else {
		atMinutes = " at minutes " + cronDescJoinNumbers(mins, strconv.Itoa)
	}
	switch {
	case allHour:
		if atMinutes == "" {
			return nil, "every hour on the hour"
		}
		return nil, "every hour" + atMinutes
	case hourStep > 0:
		return nil, fmt.Sprintf("every %d hours%s", hourStep, atMinutes)
	case cronDescContiguous(hours) && len(mins) == 1:
		return nil, fmt.Sprintf("every hour from %s to %s", cronDescClock(hours[0], mins[0]), cronDescClock(hours[len(hours)-1], mins[0]))
	}
	return nil, strings.TrimPrefix(atMinutes, " ") + " of hours " + cronDescJoinNumbers(hours, func(h int) string { return fmt.Sprintf("%02d", h) })
}

// cronDescDays is the day part of a schedule: which days of the month, days of
// the week and months it runs on (nil: no restriction). When both dom and
// dow are set, cron fires on either.
type cronDescDays struct {
	dom, dow, months []int
}

func cronDescDayRule(s *cron.SpecSchedule) cronDescDays {
	var d cronDescDays
	domSet, dowSet := cronDescSet(s.Dom), cronDescSet(s.Dow)
	domStar, dowStar := s.Dom&cronDescStarBit != 0, s.Dow&cronDescStarBit != 0
	domAll, dowAll := cronDescFull(domSet, 1, 31), cronDescFull(dowSet, 0, 6)
	// robfig/cron ANDs the two when either was written as a star, and ORs
	// them otherwise: then one full field means every day.
	if domStar || dowStar || (!domAll && !dowAll) {
		if !domAll {
			d.dom = domSet
		}
		if !dowAll {
			d.dow = dowSet
		}
	}
	if m := cronDescSet(s.Month); !cronDescFull(m, 1, 12) {
		d.months = m
	}
	return d
}

func cronDescMonth(m int) string { return time.Month(m).String() }

// cronDescWeekdayNames names a day-of-week set, Monday first.
func cronDescWeekdayNames(set []int) (names string, plural bool) {
	mondayFirst := make([]int, 0, len(set))
	for _, d := range set {
		mondayFirst = append(mondayFirst, (d+6)%7) // Monday 0 … Sunday 6
	}
	sort.Ints(mondayFirst)
	switch {
	case len(mondayFirst) == 5 && mondayFirst[0] == 0 && mondayFirst[4] == 4:
		return "weekday", true
	case len(mondayFirst) == 2 && mondayFirst[0] == 5 && mondayFirst[1] == 6:
		return "Saturday and Sunday", false
	}
	return cronDescJoinNumbers(mondayFirst, func(i int) string { return cronDescWeekdays[(i+1)%7] }), false
}

func (d cronDescDays) monthList() string { return cronDescJoinNumbers(d.months, cronDescMonth) }

// inMonths is " in January and July", " from March to October" or "".
func (d cronDescDays) inMonths() string {
	switch {
	case d.months == nil:
		return ""
	case len(d.months) >= 3 && cronDescContiguous(d.months):
		return " from " + cronDescMonth(d.months[0]) + " to " + cronDescMonth(d.months[len(d.months)-1])
	}
	return " in " + d.monthList()
}

// ofMonths is the tail of a day of the month: " of every month", " of
// January and July", " of every month from March to October".
func (d cronDescDays) ofMonths() string {
	switch {
	case d.months == nil:
		return " of every month"
	case len(d.months) >= 3 && cronDescContiguous(d.months):
		return " of every month" + d.inMonths()
	}
	return " of " + d.monthList()
}

func (d cronDescDays) domPhrase() string {
	return "on the " + cronDescJoinNumbers(d.dom, cronDescOrdinal) + d.ofMonths()
}

// every is the day part before " at <times>".
func (d cronDescDays) every() string {
	switch {
	case d.dom != nil && d.dow != nil:
		names, _ := cronDescWeekdayNames(d.dow)
		return d.domPhrase() + " and every " + names + d.inMonths()
	case d.dom != nil:
		return d.domPhrase()
	case d.dow != nil:
		names, _ := cronDescWeekdayNames(d.dow)
		return "every " + names + d.inMonths()
	}
	return "every day" + d.inMonths()
}

// on is the day part after a frequency, or "" for every day.
func (d cronDescDays) on() string {
	onDow := func() string {
		names, plural := cronDescWeekdayNames(d.dow)
		if plural {
			names += "s"
		}
		return "on " + names
	}
	switch {
	case d.dom != nil && d.dow != nil:
		return d.domPhrase() + " and " + onDow() + d.inMonths()
	case d.dom != nil:
		return d.domPhrase()
	case d.dow != nil:
		return onDow() + d.inMonths()
	}
	return strings.TrimPrefix(d.inMonths(), " ")
}
