package ui

// The snapshot area against a real agent and restic (testfleet).

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/internal/uitest"
)

// countingHub is the real hub, counting the directory listings asked
// of the agent.
type countingHub struct {
	*hub.Hub
	mu    sync.Mutex
	lists map[string]int // "path@offset" → calls
}

func (c *countingHub) TreeList(ctx context.Context, hostID, snapshotID, p string, offset, limit int) (hub.TreePage, error) {
	c.mu.Lock()
	c.lists[fmt.Sprintf("%s@%d", p, offset)]++
	c.mu.Unlock()
	return c.Hub.TreeList(ctx, hostID, snapshotID, p, offset, limit)
}

func (c *countingHub) listCalls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.lists)
}

// waitSnapshots waits until the host reports at least n snapshots and
// returns them, newest first.
func waitSnapshots(t *testing.T, app *uitest.App, h *hub.Hub, hostID string, n int) []hub.Snapshot {
	t.Helper()
	var snaps []hub.Snapshot
	app.WaitFor(t, fmt.Sprintf("%d snapshots reported", n), func() bool {
		snaps, _ = h.Snapshots(hostID)
		return len(snaps) >= n
	})
	return snaps
}

// openPath expands the tree down to dir, checking each level lists the
// next one, and waits until dir's children are cached.
func openPath(t *testing.T, app *uitest.App, tr *snapshotTree, dir string) {
	t.Helper()
	parent := "/"
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		app.WaitFor(t, parent+" listed", func() bool { return tr.loaded(parent) })
		if !slices.Contains(tr.childNames(parent), part) {
			t.Fatalf("%s lists %v; want %s in it (error line: %q)", parent, tr.childNames(parent), part, tr.errorText())
		}
		p := treeJoin(parent, part)
		tr.open(p)
		parent = p
	}
	app.WaitFor(t, dir+" listed", func() bool { return tr.loaded(dir) })
}

// treeRowFor finds the rendered tree line showing name.
func treeRowFor(w *restoreWizard, name string) *treeRow {
	for _, o := range test.LaidOutObjects(w.win.Content()) {
		if r, ok := o.(*treeRow); ok && r.Visible() && r.name.Text == name && r.check.Visible() {
			return r
		}
	}
	return nil
}

func TestRestoreWizardRestoresATickedFileToANewFolder(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	files := maps.Clone(testfleet.SampleFiles)
	for i := range 1005 { // more than one page of the tree
		files[fmt.Sprintf("many/f%04d.txt", i)] = "x"
	}
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc", Files: files})
	ch := &countingHub{Hub: f.Hub, lists: map[string]int{}}
	u, app := newTestUI(t, ch, Options{})

	// The tab shows the snapshot when the agent reports it.
	tab := newSnapshotsTab(u, u.newScope(), a.HostID)
	a.Backup(t)
	snaps := waitSnapshots(t, app, f.Hub, a.HostID, 1)
	app.WaitFor(t, "the tab to list the snapshot", func() bool { return !tab.empty.Visible() && tab.table.Visible() })

	w := newRestoreWizard(u, a.HostID, snaps[0])
	test.Tap(w.nextBtn)
	tr := w.tree
	// Until the agent's answer is handled, the root shows "Loading…" with
	// a spinner.
	if uids := tr.childUIDs("/"); len(uids) != 1 || uids[0] != treeLoadingPrefix+"/" || !tr.busy.Visible() {
		t.Errorf("before the first answer: root children %q, spinner shown %v; want the Loading… node and the spinner", uids, tr.busy.Visible())
	}

	// Expand down to the backed-up folder, then docs/.
	openPath(t, app, tr, a.Files)
	if got := strings.Join(tr.childNames(a.Files), " "); got != "README.txt docs many photos" {
		t.Errorf("%s lists %q; want README.txt docs many photos", a.Files, got)
	}
	docs := a.Files + "/docs"
	tr.open(docs)
	app.WaitFor(t, "docs listed", func() bool { return tr.loaded(docs) })
	if got := strings.Join(tr.childNames(docs), " "); got != "notes report.txt" {
		t.Errorf("docs lists %q; want notes report.txt", got)
	}

	// widget.Tree asks for children over and over; the agent is asked once
	// per directory.
	for range 20 {
		tr.childUIDs("/")
		tr.childUIDs(docs)
		tr.tree.Refresh()
	}
	for key, n := range ch.listCalls() {
		if n != 1 {
			t.Errorf("TreeList(%s) called %d times; want once, then the cache", key, n)
		}
	}

	// Tick report.txt with its checkbox.
	report := docs + "/report.txt"
	var row *treeRow
	app.WaitFor(t, "the report.txt line", func() bool { row = treeRowFor(w, "report.txt"); return row != nil })
	if row.size.Text != "17 B" {
		t.Errorf("report.txt shows size %q; want 17 B", row.size.Text)
	}
	test.Tap(row.check)
	if got := tr.selection(); len(got) != 1 || got[0] != report {
		t.Fatalf("selection = %v; want [%s]", got, report)
	}
	if tr.count.Text != "1 item selected" || w.nextBtn.Disabled() {
		t.Errorf("count %q, Next disabled %v; want 1 item selected and Next enabled", tr.count.Text, w.nextBtn.Disabled())
	}

	// A big folder comes a page at a time, with "Load more".
	many := a.Files + "/many"
	tr.open(many)
	app.WaitFor(t, "many/ listed", func() bool { return tr.loaded(many) })
	uids := tr.childUIDs(many)
	if len(uids) != 1001 || uids[1000] != treeMorePrefix+many {
		t.Fatalf("many/ has %d children, last %q; want 1000 and Load more", len(uids), uids[len(uids)-1])
	}
	tr.tree.Select(treeMorePrefix + many)
	app.WaitFor(t, "the second page of many/", func() bool { return tr.idle() && len(tr.childNames(many)) == 1005 })
	if uids := tr.childUIDs(many); len(uids) != 1005 || treePlaceholder(uids[len(uids)-1]) {
		t.Errorf("after Load more: %d children, last %q; want 1005 and no placeholder", len(uids), uids[len(uids)-1])
	}
	if n := ch.listCalls()[many+"@1000"]; n != 1 {
		t.Errorf("the second page was asked %d times; want once", n)
	}

	// Destination: a new folder. The agent runs on this computer (it
	// dialled 127.0.0.1, under another name): Choose… is offered.
	toDestination(t, w)
	if w.dest.pickBtn.Disabled() {
		t.Errorf("Choose… is greyed for an agent on this computer; the line under the folder says %q", w.dest.target.msg.Text)
	}
	target := filepath.Join(t.TempDir(), "restored")
	test.Type(w.dest.targetEntry, target)
	if w.nextBtn.Disabled() {
		t.Fatalf("%s refused: %v", target, w.dest.targetEntry.Validate())
	}
	test.Tap(w.nextBtn)
	for _, want := range []string{snaps[0].ID, report, target, "restored as " + target + report} {
		if !strings.Contains(w.review.Text, want) {
			t.Errorf("review %q lacks %q", w.review.Text, want)
		}
	}
	test.Tap(w.nextBtn) // Restore
	settle(w.u, app)
	if w.jobID == "" {
		t.Fatal("no restore job started")
	}
	f.WaitJob(t, w.jobID, "succeeded")
	app.WaitFor(t, "the result line", func() bool { return strings.Contains(w.result.Text, "Restore succeeded") })
	if !strings.Contains(w.result.Text, target) {
		t.Errorf("result %q; want where the files went", w.result.Text)
	}

	// restic recreates the absolute path under the target.
	got, err := os.ReadFile(filepath.Join(target, filepath.FromSlash(report)))
	if err != nil {
		t.Fatalf("restored file: %v", err)
	}
	want, _ := os.ReadFile(filepath.Join(a.Files, "docs", "report.txt"))
	if !bytes.Equal(got, want) {
		t.Errorf("restored bytes %q; want the original %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(target, filepath.FromSlash(a.Files), "README.txt")); !os.IsNotExist(err) {
		t.Errorf("README.txt was not ticked but exists under the target (%v)", err)
	}
	test.Tap(w.nextBtn) // Close
	if app.Window(w.win.Title()) != nil {
		t.Error("Close left the wizard open")
	}
}

func TestDiffDialogListsAddedRemovedAndModifiedFilesWithTotals(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "differ"})
	u, app := newTestUI(t, f.Hub, Options{})
	a.Backup(t)
	waitSnapshots(t, app, f.Hub, a.HostID, 1)
	testfleet.WriteFiles(t, a.Files, map[string]string{"docs/new-plan.txt": "plan B\n", "docs/report.txt": "quarterly report, revised\n"})
	if err := os.Remove(filepath.Join(a.Files, "photos", "cat.jpg")); err != nil {
		t.Fatal(err)
	}
	// restic compares mtimes at second granularity on some filesystems.
	later := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(filepath.Join(a.Files, "docs", "report.txt"), later, later)
	a.Backup(t)
	snaps := waitSnapshots(t, app, f.Hub, a.HostID, 2)
	older, newer := snaps[1], snaps[0]

	d := newDiffDialog(u, a.HostID, older, newer)
	if d.jobID == "" {
		t.Fatalf("no diff job: %s", d.status.Text)
	}
	if !d.runningBox.Visible() || !d.bar.Visible() || d.table.obj.Visible() {
		t.Error("while the diff runs: want the progress bar, not the result")
	}
	app.WaitFor(t, "the diff result and its sizes", d.done)
	if d.runningBox.Visible() || !d.table.obj.Visible() {
		t.Error("the diff ended: want the result instead of the progress bar")
	}

	rows := d.table.rowTexts()
	for _, want := range []string{
		"+ added\t" + path.Join(a.Files, "docs/new-plan.txt") + "\t7 B",
		"− removed\t" + path.Join(a.Files, "photos/cat.jpg") + "\t18 B",
		"M modified\t" + path.Join(a.Files, "docs/report.txt") + "\t26 B",
	} {
		if !slices.Contains(rows, want) {
			t.Errorf("rows lack %q; rows:\n%s", want, strings.Join(rows, "\n"))
		}
	}
	for _, want := range []string{"Modified: 1 file", "Added: 1 file", "Removed: 1 file"} {
		if !strings.Contains(d.table.totals.Text, want) {
			t.Errorf("totals %q lack %q", d.table.totals.Text, want)
		}
	}
	if d.table.sizeStatus.Text != "" {
		t.Errorf("size status %q; want every size found", d.table.sizeStatus.Text)
	}

	// Filter by text, then by kind.
	test.Type(d.table.filter, "CAT")
	if rows := d.table.rowTexts(); len(rows) != 1 || !strings.HasPrefix(rows[0], "− removed") {
		t.Errorf("filtered by cat: %q; want the removed cat.jpg only", rows)
	}
	d.table.filter.SetText("")
	test.Tap(d.table.showKind[hub.DiffAdded])
	for _, r := range d.table.rowTexts() {
		if strings.HasPrefix(r, "+") {
			t.Errorf("added entries hidden, yet shown: %q", r)
		}
	}
	if !strings.Contains(d.table.shown.Text, "of") {
		t.Errorf("shown count %q; want n of total", d.table.shown.Text)
	}

	// A diff restic refuses ends with its error, not a spinner.
	gone := testSnapshot("deadbeef", older.Time.Add(-time.Hour), "files", a.Files)
	bad := newDiffDialog(u, a.HostID, gone, newer)
	f.WaitJob(t, bad.jobID, "failed")
	app.WaitFor(t, "the failed diff's message", func() bool { return strings.Contains(bad.status.Text, "The diff failed") })
	if bad.bar.Visible() || bad.table.obj.Visible() {
		t.Error("a failed diff still shows the progress bar or a result")
	}
}

// TestRestoreWizardTreeOfAHostThatDoesNotAnswer: a pending host says so,
// and a connected agent that never answers times out with a clear line,
// never a spinner forever.
func TestRestoreWizardTreeOfAHostThatDoesNotAnswer(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{Hub: func(o *hub.Options) { o.RPCTimeout = 400 * time.Millisecond }})
	p := f.PendingPeer(t, "silent")
	snap := testSnapshot("eeee5555", time.Now(), "docs", "/srv")
	if err := f.Store.ReplaceSnapshots(p.HostID, []hub.Snapshot{snap}); err != nil {
		t.Fatal(err)
	}
	u, app := newTestUI(t, f.Hub, Options{})

	w := newRestoreWizard(u, p.HostID, snap)
	app.WaitFor(t, "the pending host's error line", func() bool { return w.tree.idle() && w.tree.errorText() != "" })
	if got := w.tree.errorText(); !strings.Contains(got, "waiting for approval") {
		t.Errorf("pending host: error line %q; want it to say it awaits approval", got)
	}
	w.win.Close()

	if err := f.Hub.ApproveHost(p.HostID); err != nil {
		t.Fatal(err)
	}
	f.WaitOnline(t, p.HostID)
	w = newRestoreWizard(u, p.HostID, snap)
	start := time.Now()
	app.WaitFor(t, "the timeout's error line", func() bool { return w.tree.idle() && w.tree.errorText() != "" })
	if got := w.tree.errorText(); !strings.Contains(got, "did not answer in time") {
		t.Errorf("silent agent: error line %q; want the timeout explained", got)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the timeout took %s; want about the RPC timeout (400 ms)", took)
	}
}
