package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

func TestSnapshotsTabListsNewestFirstAndOpensRestoreAndDiff(t *testing.T) {
	h, st := storeHub(t, hub.Options{}, nil)
	hostID := enrollHost(t, st, testHost("web-1", "linux"), time.Now())
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	old := testSnapshot("aaaa1111", t0, "docs", "/srv/docs")
	mid := testSnapshot("bbbb2222", t0.Add(time.Hour), "docs", "/srv/docs")
	newest := testSnapshot("cccc3333", t0.Add(2*time.Hour), "mail", "/srv/mail", "/srv/maildir")
	if err := st.ReplaceSnapshots(hostID, []hub.Snapshot{mid, old, newest}); err != nil {
		t.Fatal(err)
	}
	u, app := newTestUI(t, h, Options{})
	v := newSnapshotsTab(u, u.newScope(), hostID)

	if len(v.snaps) != 3 || v.snaps[0].ShortID != "cccc3333" || v.snaps[2].ShortID != "aaaa1111" {
		t.Fatalf("rows = %v; want newest first", v.snaps)
	}
	wantRow := map[int]string{snapshotColID: "cccc3333", snapshotColTags: "mail", snapshotColPaths: "/srv/mail, /srv/maildir", snapshotColSize: "2.0 KiB", snapshotColFiles: "3",
		snapshotColTime: newest.Time.Local().Format("2006-01-02 15:04:05")}
	for col, want := range wantRow {
		if got := v.cellText(v.snaps[0], col); got != want {
			t.Errorf("column %s = %q; want %q", snapshotColumns[col].title, got, want)
		}
	}
	if !v.restoreBtn.Disabled() || !v.diffBtn.Disabled() {
		t.Error("with nothing ticked, Browse / Restore… and Diff… must be disabled")
	}

	// A click on a row ticks it: one ticked restores.
	v.table.Select(widget.TableCellID{Row: 0, Col: snapshotColTime})
	if v.restoreBtn.Disabled() || !v.diffBtn.Disabled() {
		t.Error("one ticked: want Browse / Restore… enabled, Diff… disabled")
	}
	test.Tap(v.restoreBtn)
	if app.Window("Restore from web-1") == nil {
		t.Errorf("Browse / Restore… opened no restore window; windows: %s", app.WindowTitles())
	}

	// Two ticked compare, older as a, newer as b, whatever the tick order.
	v.table.Select(widget.TableCellID{Row: 2, Col: snapshotColPaths})
	if !v.restoreBtn.Disabled() || v.diffBtn.Disabled() {
		t.Error("two ticked: want Diff… enabled, Browse / Restore… disabled")
	}
	test.Tap(v.diffBtn)
	if app.Window("Diff aaaa1111 → cccc3333") == nil {
		t.Fatalf("Diff… opened no window comparing the older with the newer; windows: %s", app.WindowTitles())
	}
	page, _ := h.Jobs(hostID, "", 10)
	if len(page.Jobs) != 1 || page.Jobs[0].Kind != "diff" {
		t.Fatalf("jobs = %+v; want one diff job", page.Jobs)
	}
	var cmd struct {
		Diff struct {
			A string `json:"snapshot_a"`
			B string `json:"snapshot_b"`
		} `json:"diff"`
	}
	_ = json.Unmarshal(page.Jobs[0].Command, &cmd)
	if cmd.Diff.A != old.ID || cmd.Diff.B != newest.ID {
		t.Errorf("diff command = %s; want a = the older %s, b = the newer %s", page.Jobs[0].Command, old.ID, newest.ID)
	}

	// A third tick allows neither; Clear selection clears.
	v.setMarked(mid.ID, true)
	if !v.restoreBtn.Disabled() || !v.diffBtn.Disabled() {
		t.Error("three ticked: want both actions disabled")
	}
	test.Tap(v.clearBtn)
	if len(v.picked()) != 0 {
		t.Errorf("after Clear selection, picked = %v", v.picked())
	}

	// A snapshot forgotten since drops out, with its tick.
	v.setMarked(old.ID, true)
	if err := st.ReplaceSnapshots(hostID, []hub.Snapshot{newest}); err != nil {
		t.Fatal(err)
	}
	v.reload()
	if len(v.snaps) != 1 || len(v.picked()) != 0 {
		t.Errorf("after the list shrank: rows %d, picked %v; want 1 row, nothing picked", len(v.snaps), v.picked())
	}
}

func TestSnapshotsTabEmptyStateSaysWhatToDo(t *testing.T) {
	h, st := storeHub(t, hub.Options{}, nil)
	hostID := enrollHost(t, st, testHost("fresh", "linux"), time.Now())
	u, _ := newTestUI(t, h, Options{})
	v := newSnapshotsTab(u, u.newScope(), hostID)
	if !v.empty.Visible() || v.table.Visible() {
		t.Fatal("no snapshots: want the empty state instead of the table")
	}
	var text []string
	for _, o := range test.LaidOutObjects(v.empty) {
		if l, ok := o.(*widget.Label); ok {
			text = append(text, l.Text)
		}
	}
	if got := strings.Join(text, " "); !strings.Contains(got, "Run a backup") {
		t.Errorf("empty state says %q; want it to say how to get a snapshot", got)
	}
}

// testSnapshot makes a snapshot record as an agent reports it.
func testSnapshot(id string, at time.Time, tag string, paths ...string) hub.Snapshot {
	size, files := uint64(2048), uint64(3)
	return hub.Snapshot{ID: id + strings.Repeat("0", 64-len(id)), ShortID: id, Time: at, Hostname: "web-1",
		Paths: paths, Tags: []string{tag}, SizeBytes: &size, FileCount: &files}
}

// Size and Files show what the hub knows of a snapshot (on restic 0.14
// the hub takes them from the backup summary that made it) and "—" when
// it knows nothing; the table draws those texts.
func TestSnapshotsTabShowsSizeAndFilesWhenKnown(t *testing.T) {
	h, st := storeHub(t, hub.Options{}, nil)
	hostID := enrollHost(t, st, testHost("web-1", "linux"), time.Now())
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	known := testSnapshot("aaaa1111", t0.Add(time.Hour), "docs", "/srv/docs")
	size, files := uint64(3<<20+1<<19), uint64(12345)
	known.SizeBytes, known.FileCount = &size, &files
	unknown := testSnapshot("bbbb2222", t0, "docs", "/srv/docs")
	unknown.SizeBytes, unknown.FileCount = nil, nil
	if err := st.ReplaceSnapshots(hostID, []hub.Snapshot{known, unknown}); err != nil {
		t.Fatal(err)
	}
	u, _ := newTestUI(t, h, Options{})
	v := newSnapshotsTab(u, u.newScope(), hostID)
	u.win.SetContent(v.object())
	u.win.Resize(fyne.NewSize(1180, 500))
	for i, want := range [][2]string{{"3.5 MiB", "12 345"}, {"—", "—"}} {
		s := v.snaps[i]
		if got := [2]string{v.cellText(s, snapshotColSize), v.cellText(s, snapshotColFiles)}; got != want {
			t.Errorf("snapshot %s: size and files %q, want %q", s.ShortID, got, want)
		}
	}
	shown := strings.Join(uitest.VisibleTexts(v.table), " | ")
	for _, want := range []string{"3.5 MiB", "12 345"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the table does not draw %q; it shows %s", want, shown)
		}
	}
}
