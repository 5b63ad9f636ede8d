package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// The overview shows the repository figures the agent reported, a row per
// source group, and the chart fed from the hub's size series; without
// data it says what will fill it.
func TestOverviewTabShowsRepository(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "delta", "UTC")
	sc := e.newScope()
	defer sc.close()

	empty := newOverviewTab(e.UI, sc, hostID)
	e.show(empty.obj)
	if empty.total.Text != "not reported yet" || empty.check.Text != "never" || !empty.groupsEmpty.Visible() {
		t.Errorf("empty overview: total %q, check %q, groups hint visible %v", empty.total.Text, empty.check.Text, empty.groupsEmpty.Visible())
	}
	if !uitest.Shows(empty.chart, "No size data yet") {
		t.Errorf("the empty chart should say what fills it, shows %q", uitest.Texts(empty.chart))
	}

	now := time.Now().UTC()
	checked, pruned := now.Add(-3*time.Hour), now.Add(-26*time.Hour)
	u64 := func(v uint64) *uint64 { return &v }
	count, status, lock := 2, "ok", true
	if err := e.st.MergeRepoStats(hostID, &protocol.RepoStats{TotalSizeBytes: u64(3 << 30), RawSizeBytes: u64(1 << 30),
		UniqueFiles: u64(1234567), SnapshotCount: &count, LastCheckAt: &checked, LastCheckStatus: &status,
		LockPresent: &lock, LastPruneAt: &pruned, LastPruneFreedBytes: u64(512 << 20)}, now); err != nil {
		t.Fatal(err)
	}
	if err := e.st.ReplaceSnapshots(hostID, []storage.Snapshot{
		{ID: strings.Repeat("a", 64), ShortID: "aaaaaaaa", Time: now.Add(-48 * time.Hour), Hostname: "delta", Paths: []string{"/srv"}, Tags: []string{"docs"}, SizeBytes: u64(100 << 20)},
		{ID: strings.Repeat("b", 64), ShortID: "bbbbbbbb", Time: now.Add(-24 * time.Hour), Hostname: "delta", Paths: []string{"/srv"}, Tags: []string{"docs"}, SizeBytes: u64(120 << 20)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: "docs", Includes: []string{"/srv"}}); err != nil {
		t.Fatal(err)
	}

	o := newOverviewTab(e.UI, sc, hostID)
	e.show(o.obj)
	for _, c := range []struct{ what, got, want string }{
		{"restore size", o.total.Text, "3.0 GiB"},
		{"stored", o.raw.Text, "1.0 GiB"},
		{"unique files", o.files.Text, "1 234 567"},
		{"snapshots", o.snapshots.Text, "2"},
		{"last check", o.check.Text, "3 h ago — ok"},
		{"last prune", o.prune.Text, "1 d 2 h ago — freed 512.0 MiB"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if o.lock.Text != "present" || !strings.Contains(o.statsNote.Text, "A lock is present") || !o.statsNote.Visible() {
		t.Errorf("lock = %q, note %q: want the lock present and explained", o.lock.Text, o.statsNote.Text)
	}
	// Every value starts at the same left edge, the lock's too (its icon
	// used to come first and push it right).
	left := func(o fyne.CanvasObject) float32 { return e.app.Driver().AbsolutePositionForObject(o).X }
	for _, oe := range []*overviewTab{empty, o} {
		e.show(oe.obj)
		for _, v := range []*widget.Label{oe.total, oe.check, oe.updated} {
			if left(oe.lock) != left(v) {
				t.Errorf("lock %q starts at x=%.0f, %q at x=%.0f: the values are not aligned", oe.lock.Text, left(oe.lock), v.Text, left(v))
			}
		}
	}
	if o.groupsEmpty.Visible() || !uitest.Shows(o.groupsBox, "docs") || !uitest.Shows(o.groupsBox, "no backup has finished yet") {
		t.Errorf("groups card shows %q", uitest.Texts(o.groupsBox))
	}
	d := chartModelOf(o)
	if len(d.Series) != 3 || d.Series[0].Name != sizeChartRestoreName || d.Series[1].Name != sizeChartStoredName ||
		d.Series[2].Name != "docs" || len(d.Series[2].Points) != 2 {
		t.Errorf("chart series %+v, want the repository's two lines and docs' two snapshots", d.Series)
	}
	if uitest.Shows(o.chart, "No size data yet") {
		t.Error("the chart still shows its empty state")
	}
}

// chartModelOf is the model the chart last drew.
func chartModelOf(o *overviewTab) sizeChartData {
	return sizeChartModel(o.chart.series, 4, 4, o.chart.loc)
}
