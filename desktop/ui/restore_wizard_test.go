package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/storage"
)

// offlineWizard opens the wizard on an offline host's snapshot and
// moves to the files step.
func offlineWizard(t *testing.T, hostOS string) (*restoreWizard, *hub.Hub, string, *uitest.App) {
	t.Helper()
	return offlineWizardOn(t, hub.Options{}, testHost("web-1", hostOS))
}

// offlineWizardOn is offlineWizard on a hub with options o, for a host
// that reports info.
func offlineWizardOn(t *testing.T, o hub.Options, info storage.HostInfo) (*restoreWizard, *hub.Hub, string, *uitest.App) {
	t.Helper()
	h, st := storeHub(t, o, nil)
	hostID := enrollHost(t, st, info, time.Now())
	snap := testSnapshot("dddd4444", time.Now().Add(-time.Hour), "docs", "/srv/data")
	if err := st.ReplaceSnapshots(hostID, []hub.Snapshot{snap}); err != nil {
		t.Fatal(err)
	}
	u, app := newTestUI(t, h, Options{})
	w := newRestoreWizard(u, hostID, snap)
	if w.step != restoreStepSnapshot || w.snapshotSelect.Selected != snapshotTitle(snap) || w.nextBtn.Disabled() {
		t.Fatalf("wizard opened on step %d with %q selected (Next disabled: %v); want step 1, the snapshot preselected", w.step, w.snapshotSelect.Selected, w.nextBtn.Disabled())
	}
	test.Tap(w.nextBtn)
	if w.step != restoreStepFiles {
		t.Fatalf("step = %d after Next; want the files step", w.step)
	}
	return w, h, hostID, app
}

// toDestination moves the wizard from its files step past the host step,
// where the snapshot's own host is chosen as the wizard opens, to the
// destination step.
func toDestination(t *testing.T, w *restoreWizard) {
	t.Helper()
	test.Tap(w.nextBtn)
	if w.step != restoreStepHost || w.targetID != w.hostID || w.nextBtn.Disabled() {
		t.Fatalf("after the files: step %d, restoring to %q (Next disabled %v); want the host step on the snapshot's host %q",
			w.step, w.targetID, w.nextBtn.Disabled(), w.hostID)
	}
	test.Tap(w.nextBtn)
	if w.step != restoreStepDestination {
		t.Fatalf("after the host: step %d; want the destination", w.step)
	}
}

// TestRestoreWizardOnAnOfflineHostShowsTheErrorInsteadOfHanging: the tree
// of a host with no connection fails at once with a line under the tree
// (and a Retry), not a spinner forever.
func TestRestoreWizardOnAnOfflineHostShowsTheErrorInsteadOfHanging(t *testing.T) {
	w, _, _, app := offlineWizard(t, "linux")
	app.WaitFor(t, "the tree's error line", func() bool { return w.tree.idle() && w.tree.errorText() != "" })
	if got := w.tree.errorText(); !strings.Contains(got, "offline") {
		t.Errorf("error line = %q; want it to say the host is offline", got)
	}
	if !w.tree.errBox.Visible() || !w.tree.retry.Visible() {
		t.Error("the error line and its Retry must be shown under the tree")
	}
	if uids := w.tree.childUIDs("/"); len(uids) != 1 || !strings.HasPrefix(uids[0], treeErrorPrefix) {
		t.Errorf("root children = %q; want only the error node", uids)
	}
	if !w.nextBtn.Disabled() {
		t.Error("nothing selected: Next must be disabled")
	}
	// Retry asks again and fails again, just as fast.
	test.Tap(w.tree.retry)
	app.WaitFor(t, "the retried error line", func() bool { return w.tree.idle() && w.tree.errorText() != "" })
}

func TestRestoreWizardRefusesRelativeAndRootFolders(t *testing.T) {
	w, _, _, _ := offlineWizard(t, "linux")
	w.tree.setChecked("/srv/data/a.txt", true) // the tree is offline; tick as the checkbox would
	if w.nextBtn.Disabled() || w.tree.count.Text != "1 item selected" {
		t.Fatalf("one path ticked: Next disabled %v, count %q", w.nextBtn.Disabled(), w.tree.count.Text)
	}
	toDestination(t, w)
	if w.step != restoreStepDestination || w.dest.modeRadio.Selected != restoreModeNew {
		t.Fatalf("step %d, mode %q; want the destination step, a new folder", w.step, w.dest.modeRadio.Selected)
	}
	if !w.nextBtn.Disabled() {
		t.Error("empty folder: Next must be disabled")
	}
	for _, bad := range []string{"restore/here", "/", `C:\Restore`} {
		w.dest.targetEntry.SetText("")
		test.Type(w.dest.targetEntry, bad)
		if err := w.dest.targetEntry.Validate(); err == nil {
			t.Errorf("%q accepted by the form; want it refused", bad)
		}
		if !w.nextBtn.Disabled() {
			t.Errorf("%q: Next must stay disabled", bad)
		}
		if msg := w.dest.target.msg; !msg.Visible() || msg.Importance != widget.DangerImportance || msg.Text == "" {
			t.Errorf("%q: no message under the folder says why it is refused (it says %q)", bad, msg.Text)
		}
		test.Tap(w.nextBtn)
		if w.step != restoreStepDestination {
			t.Fatalf("%q: Next moved on to step %d", bad, w.step)
		}
	}
	w.dest.targetEntry.SetText("")
	test.Type(w.dest.targetEntry, "/tmp/restore")
	if err := w.dest.targetEntry.Validate(); err != nil || w.nextBtn.Disabled() || w.dest.target.msg.Importance == widget.DangerImportance {
		t.Fatalf("/tmp/restore: %v, Next disabled %v, message %q; want accepted", err, w.nextBtn.Disabled(), w.dest.target.msg.Text)
	}
	test.Tap(w.nextBtn)
	if w.step != restoreStepReview || !strings.Contains(w.review.Text, "/srv/data/a.txt is restored as /tmp/restore/srv/data/a.txt") {
		t.Errorf("review (step %d) = %q; want the path and where restic puts it", w.step, w.review.Text)
	}
	test.Tap(w.backBtn)
	if w.step != restoreStepDestination || w.dest.targetEntry.Text != "/tmp/restore" {
		t.Errorf("Back: step %d, folder %q; want the destination kept", w.step, w.dest.targetEntry.Text)
	}
}

func TestRestoreWizardOnWindowsTakesDrivePaths(t *testing.T) {
	w, _, _, _ := offlineWizard(t, "windows")
	w.tree.setChecked("/C/Users/ann/report.docx", true)
	toDestination(t, w)
	for text, ok := range map[string]bool{`D:\Restore`: true, `d:/restore`: true, "/restore": false, `C:\`: false, "Restore": false} {
		w.dest.targetEntry.SetText(text)
		if got := !w.nextBtn.Disabled(); got != ok {
			t.Errorf("%q on a Windows host: Next enabled %v; want %v", text, got, ok)
		}
	}
	w.dest.modeRadio.SetSelected(restoreModeInPlace)
	if !w.dest.inPlaceCheck.Disabled() || !w.nextBtn.Disabled() {
		t.Error("in place on Windows is not supported by the agent: the confirmation and Next must be disabled")
	}
	if !strings.Contains(w.dest.inPlaceCheck.Text, `C:\Users\ann\report.docx`) {
		t.Errorf("confirmation %q; want the path as Windows names it", w.dest.inPlaceCheck.Text)
	}
}

func TestRestoreWizardInPlaceNeedsAnExplicitConfirmation(t *testing.T) {
	w, h, hostID, app := offlineWizard(t, "linux")
	w.tree.setChecked("/srv/data/a.txt", true)
	w.tree.setChecked("/srv/data/sub", true)
	toDestination(t, w)
	w.dest.modeRadio.SetSelected(restoreModeInPlace)
	if !w.nextBtn.Disabled() || w.dest.inPlaceCheck.Checked {
		t.Fatal("in place, unconfirmed: Next must be disabled")
	}
	if want := "Overwrite /srv/data/a.txt, /srv/data/sub on web-1"; w.dest.inPlaceCheck.Text != want {
		t.Errorf("confirmation = %q; want %q", w.dest.inPlaceCheck.Text, want)
	}
	test.Tap(w.dest.inPlaceCheck)
	if w.nextBtn.Disabled() {
		t.Fatal("confirmed: Next must be enabled")
	}

	// A changed selection needs a new confirmation naming it.
	test.Tap(w.backBtn)
	w.tree.setChecked("/srv/data/b.txt", true)
	test.Tap(w.nextBtn)
	if w.dest.inPlaceCheck.Checked || !w.nextBtn.Disabled() {
		t.Error("selection changed after confirming: the confirmation must be cleared")
	}
	if !strings.Contains(w.dest.inPlaceCheck.Text, "/srv/data/b.txt") {
		t.Errorf("confirmation %q does not name the new path", w.dest.inPlaceCheck.Text)
	}
	// Many paths: the text points at the exact list shown above it.
	test.Tap(w.backBtn)
	w.tree.setChecked("/srv/data/c.txt", true)
	test.Tap(w.nextBtn)
	if want := "Overwrite the 4 paths listed above on web-1"; w.dest.inPlaceCheck.Text != want {
		t.Errorf("confirmation = %q; want %q", w.dest.inPlaceCheck.Text, want)
	}
	for _, p := range []string{"/srv/data/a.txt", "/srv/data/b.txt", "/srv/data/c.txt", "/srv/data/sub"} {
		if !strings.Contains(w.dest.inPlaceList.Text, p) {
			t.Errorf("list above the confirmation %q lacks %s", w.dest.inPlaceList.Text, p)
		}
	}
	test.Tap(w.dest.inPlaceCheck)
	test.Tap(w.nextBtn)
	if !strings.Contains(w.review.Text, "in place on web-1") || !strings.Contains(w.review.Text, "queued") {
		t.Errorf("review = %q; want in place, and that the offline host gets it when it connects", w.review.Text)
	}
	test.Tap(w.nextBtn) // Restore
	settle(w.u, app)
	if w.step != restoreStepProgress || w.jobID == "" {
		t.Fatalf("after Restore: step %d, job %q", w.step, w.jobID)
	}
	j, err := h.Job(w.jobID)
	if err != nil || j.HostID != hostID || j.Status != "queued" {
		t.Fatalf("job = %+v, %v; want queued for the offline host", j, err)
	}
	var spec struct {
		Restore struct {
			SnapshotID string   `json:"snapshot_id"`
			Paths      []string `json:"paths"`
			InPlace    bool     `json:"in_place"`
			TargetDir  string   `json:"target_dir"`
		} `json:"restore"`
	}
	_ = json.Unmarshal(j.Command, &spec)
	if !spec.Restore.InPlace || spec.Restore.TargetDir != "" || strings.Join(spec.Restore.Paths, " ") != "/srv/data/a.txt /srv/data/b.txt /srv/data/c.txt /srv/data/sub" {
		t.Errorf("command = %s; want an in-place restore of the four paths", j.Command)
	}
	if !strings.Contains(w.result.Text, "runs on web-1") || !w.cancelJob.Visible() {
		t.Errorf("result line %q; want it running, with Cancel restore", w.result.Text)
	}
}

func TestSnapshotTreeTickingAFolderSelectsItWhole(t *testing.T) {
	w, _, _, _ := offlineWizard(t, "linux")
	tr := w.tree
	tr.setChecked("/srv/data/sub/x.txt", true)
	tr.setChecked("/srv/data/sub/y.txt", true)
	tr.setChecked("/srv/other", true)
	tr.setChecked("/srv/data", true)
	if got := strings.Join(tr.selection(), " "); got != "/srv/data /srv/other" {
		t.Errorf("selection = %s; want the folder to absorb what was ticked inside it", got)
	}
	tr.mu.Lock()
	on, byAncestor := tr.covered("/srv/data/sub/z.txt")
	tr.mu.Unlock()
	if !on || !byAncestor {
		t.Errorf("a file inside a ticked folder: covered %v, by its folder %v; want both", on, byAncestor)
	}
	if tr.count.Text != "2 items selected" {
		t.Errorf("count = %q", tr.count.Text)
	}
	tr.setChecked("/srv/data", false)
	if got := strings.Join(tr.selection(), " "); got != "/srv/other" {
		t.Errorf("after unticking the folder: %s", got)
	}
}

// Choose… browses this computer's folders: the wizard offers it for a
// host that is this computer (here: it reports the manager's hostname;
// snapshots_agent_test.go has one on 127.0.0.1 under another name) and,
// for any other, says why it is greyed.
func TestRestoreWizardOffersChooseWhenTheHostIsThisComputer(t *testing.T) {
	for _, c := range []struct {
		host  string
		local bool
	}{{"Office-PC", true}, {"web-1", false}} {
		w, _, _, _ := offlineWizardOn(t, hub.Options{Hostname: "office-pc"}, testHost(c.host, "linux"))
		w.tree.setChecked("/srv/data/a.txt", true)
		toDestination(t, w)
		if got := !w.dest.pickBtn.Disabled(); got != c.local {
			t.Errorf("host %s on a manager named office-pc: Choose… enabled %v, want %v", c.host, got, c.local)
		}
		explains := strings.Contains(w.dest.target.msg.Text, "offered only when the host is this computer")
		if explains == c.local {
			t.Errorf("host %s: the line under the folder says %q; it should explain a greyed Choose… and only then", c.host, w.dest.target.msg.Text)
		}
	}
}

// No page of the wizard is wider than its window: the help texts wrap.
// (The folder's hint was a form hint, one line that ran off the edge.)
func TestRestoreWizardPagesFitTheWindow(t *testing.T) {
	w, _, _, _ := offlineWizard(t, "linux")
	w.tree.setChecked("/srv/data/a.txt", true)
	width := w.win.Canvas().Size().Width
	for step := restoreStepSnapshot; step <= restoreStepReview; step++ {
		w.show(step)
		for _, mode := range []string{restoreModeNew, restoreModeInPlace} {
			w.dest.modeRadio.SetSelected(mode)
			if got := w.pages[step].MinSize().Width; got > width {
				t.Errorf("step %d (%s) needs %.0f px; the window is %.0f px wide", step+1, mode, got, width)
			}
		}
	}
}
