package ui

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/internal/uitest"
)

// findVersionRowOf is the drawn version row of the Find window whose
// snapshot column shows shortID on host, or nil.
func findVersionRowOf(d *findDialog, host, shortID string) *findVersionRow {
	for _, o := range test.LaidOutObjects(d.win.Content()) {
		if n, ok := o.(*findNode); ok && n.Visible() && n.versionRow != nil &&
			n.versionRow.host.Text == host && strings.HasSuffix(n.versionRow.when.Text, shortID) {
			return n.versionRow
		}
	}
	return nil
}

// Find over two real agents: one job per host, each host's row ends with
// its count, the matches are grouped by path with every version (host,
// snapshot, size), and "Restore this version…" opens the restore wizard
// on that version's snapshot at its path.
func TestFindDialogGroupsEveryHostsVersionsAndRestoresOne(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	files := maps.Clone(testfleet.SampleFiles)
	office := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc", Files: files})
	laptop := f.StartAgent(t, testfleet.AgentOptions{Name: "anna-laptop", Files: files})
	office.Backup(t)
	// A second version of the report on office-pc, a size apart.
	if err := os.WriteFile(filepath.Join(office.Files, "docs", "report.txt"), []byte("quarterly report, revised twice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	office.Backup(t)
	laptop.Backup(t)
	u, app := newTestUI(t, f.Hub, Options{})
	officeSnaps := waitSnapshots(t, app, f.Hub, office.HostID, 2)
	waitSnapshots(t, app, f.Hub, laptop.HostID, 1)

	d := newFindDialog(u, "")
	if got := strings.Join(d.hostChecks.Selected, " "); got != "anna-laptop office-pc" {
		t.Fatalf("hosts ticked: %q; want every host", got)
	}
	if !d.findBtn.Disabled() {
		t.Error("no pattern yet: Find must be disabled")
	}
	test.Type(d.pattern, "REPORT*") // ignore case is on by default
	test.Tap(d.findBtn)
	if d.search == nil || len(d.search.JobIDs()) != 2 {
		t.Fatalf("search %v; want one job per host", d.search)
	}
	app.WaitFor(t, "both hosts' searches to end", func() bool { return d.last.Done })

	rows := strings.Join(uitest.VisibleTexts(d.progress), " | ")
	for _, want := range []string{"anna-laptop", "1 match in 1 snapshot", "office-pc", "2 matches in 2 snapshots"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the hosts' rows lack %q: %s", want, rows)
		}
	}
	officeReport := filepath.ToSlash(filepath.Join(office.Files, "docs", "report.txt"))
	laptopReport := filepath.ToSlash(filepath.Join(laptop.Files, "docs", "report.txt"))
	if got := strings.Join(d.results.paths, " "); got != strings.Join(slices.Sorted(slices.Values([]string{officeReport, laptopReport})), " ") {
		t.Fatalf("paths %s; want each host's report once", got)
	}
	versions := d.results.byPath[officeReport].Versions
	if len(versions) != 2 || versions[0].Size != 32 || versions[1].Size != 17 || versions[0].HostName != "office-pc" ||
		!versions[0].SnapshotTime.After(versions[1].SnapshotTime) {
		t.Fatalf("office-pc's report: %+v; want both versions (32 and 17 bytes), newest first", versions)
	}
	if !strings.Contains(d.summary.Text, "2 paths, 3 versions") {
		t.Errorf("summary %q", d.summary.Text)
	}

	// The older version, as drawn: its host, snapshot and size.
	older := versions[1]
	var row *findVersionRow
	app.WaitFor(t, "the older version's row drawn", func() bool {
		row = findVersionRowOf(d, "office-pc", older.ShortID)
		return row != nil
	})
	if row.size.Text != "17 B" {
		t.Errorf("size column %q; want 17 B", row.size.Text)
	}
	test.Tap(row.restore)
	w := d.wizard
	if w == nil || app.Window(w.win.Title()) == nil {
		t.Fatalf("no restore wizard opened; windows: %s", app.WindowTitles())
	}
	if w.hostID != office.HostID || w.snap.ID != older.SnapshotID || w.step != restoreStepFiles ||
		strings.Join(w.tree.selection(), " ") != officeReport {
		t.Fatalf("wizard on host %s, snapshot %s, step %d, ticked %q; want office-pc's older snapshot %s at %s",
			w.hostID, w.snap.ID, w.step, w.tree.selection(), older.SnapshotID, officeReport)
	}
	if !slices.ContainsFunc(officeSnaps, func(s hub.Snapshot) bool { return s.ID == w.snap.ID && s.Time.Equal(w.snap.Time) }) {
		t.Errorf("the wizard's snapshot %+v is not the host's listed one", w.snap)
	}
	docs := filepath.ToSlash(filepath.Join(office.Files, "docs"))
	app.WaitFor(t, "the tree opened down to docs", func() bool { return w.tree.loaded(docs) && w.tree.tree.IsBranchOpen(docs) })
}

// An offline host's search waits for it, and says so; the pattern is
// checked as it is typed.
func TestFindDialogSaysAnOfflineHostsSearchWaits(t *testing.T) {
	e := newTestEnv(t)
	e.enroll(t, "front-desk", "")
	office := e.enroll(t, "office-pc", "")
	d := newFindDialog(e.UI, office)
	if got := strings.Join(d.hostChecks.Selected, " "); got != "office-pc" {
		t.Fatalf("from office-pc's page: %q ticked; want office-pc alone", got)
	}
	test.Type(d.pattern, "  ")
	if !d.findBtn.Disabled() || !strings.Contains(d.form.fields[0].msg.Text, "Type a file name") {
		t.Errorf("a blank pattern: Find enabled %v, message %q", !d.findBtn.Disabled(), d.form.fields[0].msg.Text)
	}
	uitest.Retype(d.pattern, "*.xlsx")
	test.Tap(d.findBtn)
	e.app.WaitFor(t, "office-pc's row", func() bool { return len(d.last.Hosts) == 1 })
	if rows := strings.Join(uitest.VisibleTexts(d.progress), " "); !strings.Contains(rows, "the host is offline, its search starts when it connects") {
		t.Errorf("row %q; want it to say the search waits for the host", rows)
	}
	if !d.stopBtn.Visible() || d.last.Done {
		t.Error("a search waiting for its host is not done: Stop must show")
	}
	j, err := e.hub.Job(d.search.JobIDs()[0])
	if err != nil || j.HostID != office || j.Kind != hub.JobKindFind {
		t.Errorf("job %+v (%v); want office-pc's find", j, err)
	}
}
