package ui

import (
	"math"
	"sort"
	"strings"
	"time"

	"restic-manager/desktop/hub"
)

// The size-over-time chart's maths, free of Fyne so it is tested as a
// table: which series to draw, where each point falls, and which ticks
// label the axes. Positions are fractions of the plot area: X from 0
// (left, oldest) to 1 (right, newest), Y from 0 (bottom, 0 bytes) to 1
// (top, the highest tick).

// sizeChartData is one drawing of the chart.
type sizeChartData struct {
	Series []sizeChartSeries
	XTicks []sizeChartTick
	YTicks []sizeChartTick
	// Start and End are the time range the X axis spans; Top is the byte
	// count at Y = 1.
	Start, End time.Time
	Top        uint64
}

// Empty reports whether there is nothing to draw.
func (d sizeChartData) Empty() bool { return len(d.Series) == 0 }

// sizeChartSeries is one line of the chart.
type sizeChartSeries struct {
	Name string
	// Repository series are the repository's own size; the others are one
	// source group's snapshots.
	Repository bool
	Points     []sizeChartPoint
}

type sizeChartPoint struct {
	X, Y  float64
	Time  time.Time
	Bytes uint64
}

// sizeChartTick is one labelled tick; Pos is X or Y as above.
type sizeChartTick struct {
	Pos   float64
	Label string
}

const (
	sizeChartRestoreName = "Repository: restore size"
	sizeChartStoredName  = "Repository: stored"
	sizeChartUntagged    = "untagged snapshots"
)

// sizeChartModel lays the series out for about xTicks time ticks and
// yTicks byte intervals, with dates in loc.
func sizeChartModel(s hub.SizeSeries, xTicks, yTicks int, loc *time.Location) sizeChartData {
	type raw struct {
		name  string
		repo  bool
		times []time.Time
		bytes []uint64
	}
	var series []*raw
	byName := map[string]*raw{}
	get := func(name string, repo bool) *raw {
		if r, ok := byName[name]; ok {
			return r
		}
		r := &raw{name: name, repo: repo}
		byName[name] = r
		series = append(series, r)
		return r
	}
	// Repository lines first, so they keep the first colours.
	for _, p := range s.Repository {
		r := get(sizeChartRestoreName, true)
		r.times, r.bytes = append(r.times, p.Time), append(r.bytes, p.TotalSizeBytes)
	}
	for _, p := range s.Repository {
		if p.RawSizeBytes != nil {
			r := get(sizeChartStoredName, true)
			r.times, r.bytes = append(r.times, p.Time), append(r.bytes, *p.RawSizeBytes)
		}
	}
	// One line per source group (the snapshot's tag), by name.
	var groups []string
	for _, p := range s.Snapshots {
		name := sizeChartUntagged
		if len(p.Tags) > 0 && strings.TrimSpace(p.Tags[0]) != "" {
			name = p.Tags[0]
		}
		if _, ok := byName[name]; !ok {
			groups = append(groups, name)
		}
		r := get(name, false)
		r.times, r.bytes = append(r.times, p.Time), append(r.bytes, p.SizeBytes)
	}
	sort.Strings(groups)
	order := map[string]int{}
	for i, g := range groups {
		order[g] = i
	}
	sort.SliceStable(series, func(i, j int) bool {
		a, b := series[i], series[j]
		if a.repo != b.repo {
			return a.repo
		}
		return !a.repo && order[a.name] < order[b.name]
	})

	var d sizeChartData
	var first, last time.Time
	var most uint64
	for _, r := range series {
		for i, t := range r.times {
			if first.IsZero() || t.Before(first) {
				first = t
			}
			if last.IsZero() || t.After(last) {
				last = t
			}
			most = max(most, r.bytes[i])
		}
	}
	if len(series) == 0 {
		return d
	}
	// A single moment gets a day around it, so its points sit mid-chart.
	if !last.After(first) {
		first, last = first.Add(-12*time.Hour), last.Add(12*time.Hour)
	}
	d.Start, d.End = first, last
	step, top := sizeChartByteStep(most, yTicks)
	d.Top = top
	for v := uint64(0); v <= top; v += step {
		d.YTicks = append(d.YTicks, sizeChartTick{Pos: float64(v) / float64(top), Label: sizeChartBytesLabel(v)})
	}
	span := float64(last.Sub(first))
	for _, t := range sizeChartTimeTicks(first, last, xTicks, loc) {
		d.XTicks = append(d.XTicks, sizeChartTick{Pos: float64(t.Time.Sub(first)) / span, Label: t.Label})
	}
	for _, r := range series {
		out := sizeChartSeries{Name: r.name, Repository: r.repo}
		idx := make([]int, len(r.times))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return r.times[idx[a]].Before(r.times[idx[b]]) })
		for _, i := range idx {
			out.Points = append(out.Points, sizeChartPoint{
				X: float64(r.times[i].Sub(first)) / span, Y: float64(r.bytes[i]) / float64(top),
				Time: r.times[i], Bytes: r.bytes[i]})
		}
		d.Series = append(d.Series, out)
	}
	return d
}

// sizeChartByteStep picks the tick interval for values up to most: the
// smallest "round" step in binary units (1, 2, 5, 10, 20, 50, 100, 200
// of a unit, or a quarter or half of the next one: 256, 512) that needs at most
// want intervals. top is the first multiple of step at or above most
// (at least one step, so a flat zero line still has an axis).
func sizeChartByteStep(most uint64, want int) (step, top uint64) {
	want = max(want, 1)
	intervals := func(s uint64) uint64 {
		n := most / s
		if most%s != 0 {
			n++
		}
		return max(n, 1)
	}
	for _, s := range sizeChartByteSteps {
		if n := intervals(s); n <= uint64(want) {
			return s, n * s
		}
	}
	s := sizeChartByteSteps[len(sizeChartByteSteps)-1]
	return s, intervals(s) * s
}

var sizeChartByteSteps = func() []uint64 {
	var out []uint64
	for k := 0; k <= 6; k++ {
		unit := uint64(1) << (10 * k)
		// No 500: 512 reads better next to the binary unit it halves.
		for _, m := range []uint64{1, 2, 5, 10, 20, 50, 100, 200, 256, 512} {
			if m > math.MaxUint64/unit/4 {
				break // keep top (up to four steps) within uint64
			}
			out = append(out, m*unit)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}()

// sizeChartBytesLabel is humanBytes without a trailing ".0" ("512 MiB",
// "1.5 GiB").
func sizeChartBytesLabel(v uint64) string {
	return strings.Replace(humanBytes(v), ".0 ", " ", 1)
}

type sizeChartTimeTick struct {
	Time  time.Time
	Label string
}

// sizeChartSteps are the candidate time intervals, shortest first. Steps
// of a day or more are calendar steps in loc (days, weeks from Monday,
// months, years).
var sizeChartSteps = []struct {
	d            time.Duration
	days, months int
}{
	{d: time.Minute}, {d: 5 * time.Minute}, {d: 15 * time.Minute}, {d: 30 * time.Minute},
	{d: time.Hour}, {d: 3 * time.Hour}, {d: 6 * time.Hour}, {d: 12 * time.Hour},
	{days: 1}, {days: 2}, {days: 7}, {days: 14},
	{months: 1}, {months: 3}, {months: 6}, {months: 12}, {months: 24}, {months: 60}, {months: 120}, {months: 1200},
}

// sizeChartTimeTicks picks at most want+1 ticks on round times inside
// [from, to], labelled for the step: "15:04" within a day, "2 Jan 15:04"
// across days, "2 Jan" for days and weeks, "Jan 2006" for months, "2006"
// for years.
func sizeChartTimeTicks(from, to time.Time, want int, loc *time.Location) []sizeChartTimeTick {
	if loc == nil {
		loc = time.Local
	}
	want = max(want, 1)
	from, to = from.In(loc), to.In(loc)
	for _, st := range sizeChartSteps {
		ticks := sizeChartStepTicks(from, to, st.d, st.days, st.months, want+2)
		if len(ticks) > want+1 {
			continue
		}
		layout := "2 Jan"
		switch {
		case st.months >= 12:
			layout = "2006"
		case st.months > 0:
			layout = "Jan 2006"
		case st.d > 0 && from.YearDay() == to.YearDay() && from.Year() == to.Year():
			layout = "15:04"
		case st.d > 0:
			layout = "2 Jan 15:04"
		}
		out := make([]sizeChartTimeTick, 0, len(ticks))
		for _, t := range ticks {
			out = append(out, sizeChartTimeTick{Time: t, Label: t.Format(layout)})
		}
		return out
	}
	return nil
}

// sizeChartStepTicks lists the round times of one step inside [from, to],
// giving up (returning limit+1 ticks) once there are more than limit.
func sizeChartStepTicks(from, to time.Time, d time.Duration, days, months, limit int) []time.Time {
	loc := from.Location()
	var t time.Time
	var next func(time.Time) time.Time
	switch {
	case d > 0:
		// Wall-clock times of each day, so 6-hour ticks fall on 00, 06,
		// 12, 18 in any zone, also on the days clocks change.
		var out []time.Time
		for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc); !day.After(to); day = day.AddDate(0, 0, 1) {
			for off := time.Duration(0); off < 24*time.Hour; off += d {
				t := time.Date(day.Year(), day.Month(), day.Day(), int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, loc)
				if t.Before(from) || t.After(to) || (len(out) > 0 && !t.After(out[len(out)-1])) {
					continue
				}
				if out = append(out, t); len(out) > limit {
					return out
				}
			}
		}
		return out
	case days > 0:
		t = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
		if days == 7 || days == 14 {
			for t.Weekday() != time.Monday {
				t = t.AddDate(0, 0, -1)
			}
		}
		for t.Before(from) {
			t = t.AddDate(0, 0, days)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, days) }
	default:
		idx := from.Year()*12 + int(from.Month()) - 1
		idx -= idx % months
		t = time.Date(idx/12, time.Month(idx%12+1), 1, 0, 0, 0, 0, loc)
		for t.Before(from) {
			t = t.AddDate(0, months, 0)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, months, 0) }
	}
	var out []time.Time
	for ; !t.After(to); t = next(t) {
		out = append(out, t)
		if len(out) > limit {
			break
		}
	}
	return out
}
