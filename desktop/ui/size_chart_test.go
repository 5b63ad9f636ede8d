package ui

import (
	"math"
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

const (
	kib = uint64(1) << 10
	mib = uint64(1) << 20
	gib = uint64(1) << 30
)

func TestSizeChartByteStep(t *testing.T) {
	for _, c := range []struct {
		most      uint64
		want      int
		step, top uint64
		labels    []string
	}{
		{0, 4, 1, 1, []string{"0 B", "1 B"}},
		{700, 4, 200, 800, []string{"0 B", "200 B", "400 B", "600 B", "800 B"}},
		{3*gib + gib/5, 4, gib, 4 * gib, []string{"0 B", "1 GiB", "2 GiB", "3 GiB", "4 GiB"}},
		{gib, 4, 256 * mib, gib, []string{"0 B", "256 MiB", "512 MiB", "768 MiB", "1 GiB"}},
		{gib + gib/2, 4, 512 * mib, gib + gib/2, []string{"0 B", "512 MiB", "1 GiB", "1.5 GiB"}},
		{900 * mib, 4, 256 * mib, gib, nil},
		{120 * mib, 4, 50 * mib, 150 * mib, []string{"0 B", "50 MiB", "100 MiB", "150 MiB"}},
		{10 * gib, 4, 5 * gib, 10 * gib, []string{"0 B", "5 GiB", "10 GiB"}},
		{10 * gib, 2, 5 * gib, 10 * gib, nil},
		{3 * kib, 2, 2 * kib, 4 * kib, []string{"0 B", "2 KiB", "4 KiB"}},
		{5 << 40, 5, 1 << 40, 5 << 40, nil},
		{math.MaxUint64 / 2, 4, 2 << 60, 8 << 60, nil},
	} {
		step, top := sizeChartByteStep(c.most, c.want)
		if step != c.step || top != c.top {
			t.Errorf("sizeChartByteStep(%d, %d) = step %d top %d, want step %d top %d", c.most, c.want, step, top, c.step, c.top)
			continue
		}
		if top < c.most || top/step > uint64(c.want) {
			t.Errorf("sizeChartByteStep(%d, %d): top %d must cover the data in at most %d steps of %d", c.most, c.want, top, c.want, step)
		}
		if c.labels != nil {
			var got []string
			for v := uint64(0); v <= top; v += step {
				got = append(got, sizeChartBytesLabel(v))
			}
			if !reflect.DeepEqual(got, c.labels) {
				t.Errorf("labels for %d: %q, want %q", c.most, got, c.labels)
			}
		}
	}
}

func TestSizeChartTimeTicks(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	labels := func(ticks []sizeChartTimeTick) []string {
		var out []string
		for _, t := range ticks {
			out = append(out, t.Label)
		}
		return out
	}
	for _, c := range []struct {
		name     string
		from, to string
		want     int
		labels   []string
	}{
		{"a working day, 3-hour ticks", "2026-03-02 07:10", "2026-03-02 19:40", 5, []string{"09:00", "12:00", "15:00", "18:00"}},
		{"two days, 12-hour ticks with dates", "2026-03-02 08:00", "2026-03-04 07:00", 5, []string{"2 Mar 12:00", "3 Mar 00:00", "3 Mar 12:00", "4 Mar 00:00"}},
		{"a month, weekly on Mondays", "2026-03-01 10:00", "2026-03-31 10:00", 5, []string{"2 Mar", "9 Mar", "16 Mar", "23 Mar", "30 Mar"}},
		{"a year, quarters", "2025-01-15 00:00", "2026-01-10 00:00", 5, []string{"Apr 2025", "Jul 2025", "Oct 2025", "Jan 2026"}},
		{"six years, yearly", "2020-06-01 00:00", "2026-02-01 00:00", 6, []string{"2021", "2022", "2023", "2024", "2025", "2026"}},
		{"twenty years, every five", "2006-06-01 00:00", "2026-02-01 00:00", 5, []string{"2010", "2015", "2020", "2025"}},
		{"the day clocks go forward stays on 00/06/12/18", "2026-03-29 00:30", "2026-03-29 23:30", 4, []string{"06:00", "12:00", "18:00"}},
	} {
		got := sizeChartTimeTicks(at(c.from), at(c.to), c.want, berlin)
		if !reflect.DeepEqual(labels(got), c.labels) {
			t.Errorf("%s: ticks %q, want %q", c.name, labels(got), c.labels)
		}
		if len(got) > c.want+1 {
			t.Errorf("%s: %d ticks, want at most %d", c.name, len(got), c.want+1)
		}
		for _, tk := range got {
			if tk.Time.Before(at(c.from)) || tk.Time.After(at(c.to)) {
				t.Errorf("%s: tick %s lies outside the range", c.name, tk.Time)
			}
		}
	}
}

func TestSizeChartModel(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	raw := 600 * mib
	s := hub.SizeSeries{
		Snapshots: []hub.SizePoint{
			{Time: t0, SnapshotID: "a", Tags: []string{"mail"}, SizeBytes: 200 * mib},
			{Time: t0.Add(day), SnapshotID: "b", Tags: []string{"docs"}, SizeBytes: 100 * mib},
			{Time: t0.Add(2 * day), SnapshotID: "c", Tags: []string{"mail"}, SizeBytes: 300 * mib},
			{Time: t0.Add(3 * day), SnapshotID: "d", SizeBytes: 10 * mib},
		},
		Repository: []hub.RepoSizePoint{
			{Time: t0.Add(4 * day), TotalSizeBytes: 900 * mib, RawSizeBytes: &raw},
			{Time: t0.Add(2 * day), TotalSizeBytes: 500 * mib},
		},
	}
	d := sizeChartModel(s, 4, 4, time.UTC)
	if d.Empty() {
		t.Fatal("the model is empty")
	}
	var names []string
	for _, sr := range d.Series {
		names = append(names, sr.Name)
	}
	wantNames := []string{sizeChartRestoreName, sizeChartStoredName, "docs", "mail", sizeChartUntagged}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("series %q, want %q (repository first, then groups by name)", names, wantNames)
	}
	if d.Top != gib || !d.Start.Equal(t0) || !d.End.Equal(t0.Add(4*day)) {
		t.Errorf("domain %s..%s top %d, want 1 Mar..5 Mar and 1 GiB", d.Start, d.End, d.Top)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	restore := d.Series[0].Points
	if len(restore) != 2 || !restore[0].Time.Before(restore[1].Time) {
		t.Fatalf("repository points %+v, want two in time order", restore)
	}
	if !near(restore[0].X, 0.5) || !near(restore[0].Y, 500.0/1024) || !near(restore[1].X, 1) || !near(restore[1].Y, 900.0/1024) {
		t.Errorf("repository points at (%.3f,%.3f) (%.3f,%.3f), want (0.5,0.488) (1,0.879)", restore[0].X, restore[0].Y, restore[1].X, restore[1].Y)
	}
	mail := d.Series[3].Points
	if len(mail) != 2 || !near(mail[0].X, 0) || !near(mail[1].X, 0.5) || !near(mail[1].Y, 300.0/1024) {
		t.Errorf("mail points %+v", mail)
	}
	if len(d.YTicks) != 5 || d.YTicks[0].Pos != 0 || d.YTicks[4].Pos != 1 || d.YTicks[4].Label != "1 GiB" {
		t.Errorf("y ticks %+v, want 0 B … 1 GiB from bottom to top", d.YTicks)
	}
	for _, tk := range d.XTicks {
		if tk.Pos < 0 || tk.Pos > 1 {
			t.Errorf("x tick %+v outside the plot", tk)
		}
	}

	// One snapshot: a day around it, the point in the middle.
	one := sizeChartModel(hub.SizeSeries{Snapshots: []hub.SizePoint{{Time: t0, Tags: []string{"docs"}, SizeBytes: 5 * kib}}}, 4, 4, time.UTC)
	if p := one.Series[0].Points[0]; !near(p.X, 0.5) || p.Y <= 0 || p.Y > 1 {
		t.Errorf("a single point sits at (%.2f, %.2f), want the middle of the X axis", p.X, p.Y)
	}
	// Nothing: empty.
	if d := sizeChartModel(hub.SizeSeries{}, 4, 4, time.UTC); !d.Empty() || len(d.XTicks)+len(d.YTicks) != 0 {
		t.Errorf("no data should be an empty model, got %+v", d)
	}
}

// The widget draws an empty state without data and lines and dots with.
func TestSizeChartRenders(t *testing.T) {
	test.NewApp()
	c := newSizeChart()
	w := test.NewWindow(c)
	defer w.Close()
	w.Resize(fyne.NewSize(600, 300))
	if !uitest.Shows(c, "No size data yet") {
		t.Errorf("an empty chart should explain itself, shows %q", uitest.Texts(c))
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c.setSeries(hub.SizeSeries{Snapshots: []hub.SizePoint{
		{Time: t0, Tags: []string{"docs"}, SizeBytes: 100 * mib},
		{Time: t0.Add(48 * time.Hour), Tags: []string{"docs"}, SizeBytes: 300 * mib},
	}})
	r := test.WidgetRenderer(c)
	var lines, dots, texts int
	for _, o := range r.Objects() {
		switch o.(type) {
		case *canvas.Line:
			lines++
		case *canvas.Circle:
			dots++
		case *canvas.Text:
			texts++
		}
	}
	if dots != 2 || lines < 3 || texts < 4 {
		t.Errorf("drawn: %d dots, %d lines, %d texts; want 2 dots, a segment and grid lines, tick labels and a legend", dots, lines, texts)
	}
	if uitest.Shows(c, "No size data yet") {
		t.Error("the empty state is still shown with data")
	}
}
