package ui

// The restore wizard, in its own window: (1) the snapshot, (2) what to
// restore, ticked in a lazy tree of the snapshot, (3) the host to restore
// to — the snapshot's own or another, (4) where — a new folder on that
// host or in place, (5) a review, then (6) the restore's live progress
// and its result.

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// Steps of the wizard.
const (
	restoreStepSnapshot = iota
	restoreStepFiles
	restoreStepHost
	restoreStepDestination
	restoreStepReview
	restoreStepProgress
	restoreStepCount
)

var restoreStepTitles = [restoreStepCount]string{
	"Choose the snapshot",
	"Choose what to restore",
	"Choose the host to restore to",
	"Choose where to restore it",
	"Review",
	"Restoring",
}

// restoreWizard is the restore window: a step at a time, Back and Next,
// then the restore's progress. Steps 1, 2 and the frame are here; step 3 is
// restore_host.go, step 4 restore_destination.go, steps 5 and 6
// restore_run.go.
type restoreWizard struct {
	u      *UI
	sc     *scope
	hostID string // the snapshot's host, whose repository is read
	host   hub.HostDetail
	// targetID is the host the files are restored onto (step 3): hostID
	// unless the admin chose another.
	targetID string
	target   hub.HostDetail
	win      fyne.Window
	step     int
	closed   bool
	starting bool // the restore is being started (off the UI goroutine)

	snaps          []hub.Snapshot
	snap           hub.Snapshot
	snapshotSelect *widget.Select
	snapshotInfo   *widget.Label

	tree     *snapshotTree
	treeBox  *fyne.Container
	filesTop *widget.Label

	hosts *restoreHostStep
	dest  *restoreDestination

	review *widget.Label

	jobID        string
	progressBox  *fyne.Container
	progressPage *fyne.Container
	result       *widget.Label
	cancelJob    *widget.Button

	heading   *widget.Label
	pages     [restoreStepCount]fyne.CanvasObject
	content   *fyne.Container
	backBtn   *widget.Button
	nextBtn   *widget.Button
	cancelBtn *widget.Button
}

// newRestoreWizard opens the restore wizard on one snapshot, in its own
// window.
func newRestoreWizard(u *UI, hostID string, snap hub.Snapshot) *restoreWizard {
	w := &restoreWizard{u: u, sc: u.newScope(), hostID: hostID, targetID: hostID, snap: snap}
	w.host, _ = u.hub.Host(hostID)
	w.target = w.host
	name := w.host.Host.Hostname
	if name == "" {
		name = hostID
	}
	w.win = u.app.NewWindow("Restore from " + name)
	w.win.Resize(fyne.NewSize(900, 640))
	w.win.SetOnClosed(w.close)

	w.heading = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.pages[restoreStepSnapshot] = w.buildSnapshotPage()
	w.pages[restoreStepFiles] = w.buildFilesPage()
	w.hosts = newRestoreHostStep(w)
	w.pages[restoreStepHost] = w.hosts.object()
	w.dest = newRestoreDestination(w)
	w.pages[restoreStepDestination] = w.dest.object()
	w.pages[restoreStepReview] = w.buildReviewPage()
	w.pages[restoreStepProgress] = w.buildProgressPage()
	w.content = container.NewStack()

	w.backBtn = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), w.back)
	w.nextBtn = widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), w.next)
	w.nextBtn.Importance = widget.HighImportance
	w.nextBtn.IconPlacement = widget.ButtonIconTrailingText
	w.cancelBtn = widget.NewButton("Cancel", func() { w.win.Close() })
	buttons := container.NewBorder(nil, nil, w.cancelBtn, container.NewHBox(w.backBtn, w.nextBtn))

	w.win.SetContent(container.NewPadded(container.NewBorder(
		container.NewVBox(w.heading, widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), buttons),
		nil, nil, w.content)))

	w.sc.on(w.changed)
	w.reloadSnapshots()
	w.useSnapshot(snap)
	w.show(restoreStepSnapshot)
	w.win.Show()
	return w
}

func (w *restoreWizard) close() {
	if w.closed {
		return
	}
	w.closed = true
	w.sc.close()
	if w.tree != nil {
		w.tree.close()
	}
}

func (w *restoreWizard) changed(batch []change) {
	for _, c := range batch {
		w.change(c)
	}
}

func (w *restoreWizard) change(c change) {
	switch {
	case c.Kind == hub.ChangeAll:
		w.reloadSnapshots()
		w.refreshResult()
	case c.Kind == hub.ChangeSnapshots && c.HostID == w.hostID:
		w.reloadSnapshots()
	case c.Kind == hub.ChangeJob && w.jobID != "" && c.JobID == w.jobID:
		w.refreshResult()
	case c.Kind == hub.ChangeHost && (c.HostID == w.hostID || c.HostID == w.targetID):
		if d, err := w.u.hub.Host(c.HostID); err == nil {
			if c.HostID == w.hostID {
				w.host = d
			}
			if c.HostID == w.targetID {
				w.target = d
			}
			w.dest.updatePicker()
		}
		w.hosts.reload()
	case c.Kind == hub.ChangeHosts:
		w.hosts.reload()
	}
}

// --- navigation ---

func (w *restoreWizard) show(step int) {
	w.step = step
	w.heading.SetText(fmt.Sprintf("Step %d of %d — %s", step+1, restoreStepCount, restoreStepTitles[step]))
	switch step {
	case restoreStepHost:
		w.hosts.reload()
	case restoreStepDestination:
		w.dest.updateInPlace()
	case restoreStepReview:
		w.review.SetText(w.reviewText())
	}
	w.content.Objects = []fyne.CanvasObject{w.pages[step]}
	w.content.Refresh()
	w.updateButtons()
}

func (w *restoreWizard) back() {
	if w.step > restoreStepSnapshot && w.step < restoreStepProgress {
		w.show(w.step - 1)
	}
}

func (w *restoreWizard) next() {
	if !w.canNext() {
		return
	}
	switch w.step {
	case restoreStepReview:
		w.startRestore()
	case restoreStepProgress:
		w.win.Close()
	default:
		w.show(w.step + 1)
	}
}

// canNext reports whether the current step is complete.
func (w *restoreWizard) canNext() bool {
	switch w.step {
	case restoreStepSnapshot:
		return w.snap.ID != ""
	case restoreStepFiles:
		return w.tree != nil && len(w.tree.selection()) > 0
	case restoreStepHost:
		return w.targetID != ""
	case restoreStepDestination:
		return w.dest.err() == nil
	case restoreStepReview:
		return !w.starting
	}
	return true
}

func (w *restoreWizard) updateButtons() {
	switch w.step {
	case restoreStepReview:
		w.nextBtn.SetText("Restore")
		w.nextBtn.SetIcon(theme.DownloadIcon())
	case restoreStepProgress:
		w.nextBtn.SetText("Close")
		w.nextBtn.SetIcon(nil)
	default:
		w.nextBtn.SetText("Next")
		w.nextBtn.SetIcon(theme.NavigateNextIcon())
	}
	enableIf(w.nextBtn, w.canNext())
	if w.step == restoreStepSnapshot || w.step == restoreStepProgress {
		w.backBtn.Hide()
	} else {
		w.backBtn.Show()
	}
	if w.step == restoreStepProgress {
		w.cancelBtn.Hide()
	} else {
		w.cancelBtn.Show()
	}
}

// --- (1) snapshot ---

func (w *restoreWizard) buildSnapshotPage() fyne.CanvasObject {
	w.snapshotSelect = widget.NewSelect(nil, func(title string) {
		for _, s := range w.snaps {
			if snapshotTitle(s) == title && s.ID != w.snap.ID {
				w.useSnapshot(s)
				w.updateButtons()
				return
			}
		}
	})
	w.snapshotInfo = widget.NewLabel("")
	w.snapshotInfo.Wrapping = fyne.TextWrapWord
	return container.NewVBox(
		widget.NewLabel("Restore files from this snapshot:"),
		w.snapshotSelect,
		widget.NewCard("", "", w.snapshotInfo),
	)
}

func (w *restoreWizard) reloadSnapshots() {
	snaps, err := w.u.hub.Snapshots(w.hostID)
	if err != nil {
		return
	}
	w.snaps = snaps
	found := false
	opts := make([]string, 0, len(snaps)+1)
	for _, s := range snaps {
		opts = append(opts, snapshotTitle(s))
		found = found || s.ID == w.snap.ID
	}
	if !found && w.snap.ID != "" {
		// Forgotten since the wizard opened: still shown, restic will say
		// whether it still exists.
		opts = append(opts, snapshotTitle(w.snap))
	}
	w.snapshotSelect.Options = opts
	w.snapshotSelect.Refresh()
}

// useSnapshot makes s the snapshot to restore from: a fresh tree, an empty
// selection.
func (w *restoreWizard) useSnapshot(s hub.Snapshot) {
	w.snap = s
	w.snapshotSelect.SetSelected(snapshotTitle(s))
	info := []string{
		"Time: " + snapshotTime(s.Time),
		"ID: " + s.ID,
		"Host name in the snapshot: " + s.Hostname,
		"Paths: " + strings.Join(s.Paths, ", "),
	}
	if len(s.Tags) > 0 {
		info = append(info, "Source group: "+strings.Join(s.Tags, ", "))
	}
	if s.SizeBytes != nil {
		info = append(info, "Size: "+humanBytes(*s.SizeBytes))
	}
	if s.FileCount != nil {
		info = append(info, "Files: "+humanCount(*s.FileCount))
	}
	w.snapshotInfo.SetText(strings.Join(info, "\n"))
	if w.tree != nil {
		w.tree.close()
	}
	w.tree = newSnapshotTree(w.u.hub, w.hostID, s.ID, w.updateButtons)
	w.treeBox.Objects = []fyne.CanvasObject{w.tree.object()}
	w.treeBox.Refresh()
	w.filesTop.SetText(fmt.Sprintf("Snapshot %s of %s. Tick the files and folders to restore; a ticked folder is restored whole.", shortSnapshotID(s), snapshotTime(s.Time)))
}

// --- (2) files ---

func (w *restoreWizard) buildFilesPage() fyne.CanvasObject {
	w.filesTop = widget.NewLabel("")
	w.filesTop.Wrapping = fyne.TextWrapWord
	w.treeBox = container.NewStack()
	return container.NewBorder(w.filesTop, nil, nil, nil, w.treeBox)
}

func (w *restoreWizard) hostOS() string { return w.host.Host.OS }

func (w *restoreWizard) hostName() string {
	if w.host.Host.Hostname != "" {
		return w.host.Host.Hostname
	}
	return w.hostID
}

// elsewhere reports whether the files go onto another host than the
// snapshot's.
func (w *restoreWizard) elsewhere() bool { return w.targetID != w.hostID }

func (w *restoreWizard) targetOS() string { return w.target.Host.OS }

func (w *restoreWizard) targetName() string {
	if w.target.Host.Hostname != "" {
		return w.target.Host.Hostname
	}
	return w.targetID
}

// openRestoreAt opens the restore wizard on snapshot snap of host hostID
// at its files step, with p ticked and the tree opened down to it (Find's
// "Restore this version…").
func openRestoreAt(u *UI, hostID string, snap hub.Snapshot, p string) *restoreWizard {
	w := newRestoreWizard(u, hostID, snap)
	w.tree.reveal(p)
	w.show(restoreStepFiles)
	return w
}
