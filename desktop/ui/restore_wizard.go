package ui

// The restore wizard, in its own window: (1) the snapshot, (2) what to
// restore, ticked in a lazy tree of the snapshot, (3) where — a new folder
// on the host or in place, (4) a review, then (5) the restore's live
// progress and its result.

import (
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// Steps of the wizard.
const (
	restoreStepSnapshot = iota
	restoreStepFiles
	restoreStepDestination
	restoreStepReview
	restoreStepProgress
	restoreStepCount
)

var restoreStepTitles = [restoreStepCount]string{
	"Choose the snapshot",
	"Choose what to restore",
	"Choose where to restore it",
	"Review",
	"Restoring",
}

// The destination choices.
const (
	restoreModeNew     = "To a new folder"
	restoreModeInPlace = "In place (overwrite the original files)"
)

// restoreInPlaceNameMax is how many selected paths the in-place
// confirmation names in its own text; more are listed above it.
const restoreInPlaceNameMax = 3

type restoreWizard struct {
	u      *UI
	sc     *scope
	hostID string
	host   hub.HostDetail
	win    fyne.Window
	step   int
	closed bool

	snaps      []hub.Snapshot
	snap       hub.Snapshot
	snapSelect *widget.Select
	snapInfo   *widget.Label

	tree     *snapshotTree
	treeBox  *fyne.Container
	filesTop *widget.Label

	modeRadio    *widget.RadioGroup
	targetEntry  *widget.Entry
	pickBtn      *widget.Button
	targetForm   *widget.Form
	newBox       *fyne.Container
	inPlaceList  *widget.Label
	inPlaceCheck *widget.Check
	inPlaceNote  *widget.Label
	inPlaceBox   *fyne.Container
	targetErr    *widget.Label
	destBox      *fyne.Container

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

// showRestoreWizard opens the restore wizard on one snapshot.
func (u *UI) showRestoreWizard(hostID string, snap hub.Snapshot) { u.openRestoreWizard(hostID, snap) }

func (u *UI) openRestoreWizard(hostID string, snap hub.Snapshot) *restoreWizard {
	w := &restoreWizard{u: u, sc: u.newScope(), hostID: hostID, snap: snap}
	w.host, _ = u.hub.Host(hostID)
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
	w.pages[restoreStepDestination] = w.buildDestinationPage()
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

func (w *restoreWizard) changed(c change) {
	switch {
	case c.Kind == hub.ChangeAll:
		w.reloadSnapshots()
		w.refreshResult()
	case c.Kind == hub.ChangeSnapshots && c.HostID == w.hostID:
		w.reloadSnapshots()
	case c.Kind == hub.ChangeJob && w.jobID != "" && c.JobID == w.jobID:
		w.refreshResult()
	case c.Kind == hub.ChangeHost && c.HostID == w.hostID:
		if d, err := w.u.hub.Host(w.hostID); err == nil {
			w.host = d
		}
	}
}

// --- navigation ---

func (w *restoreWizard) show(step int) {
	w.step = step
	w.heading.SetText(fmt.Sprintf("Step %d of %d — %s", step+1, restoreStepCount, restoreStepTitles[step]))
	switch step {
	case restoreStepDestination:
		w.updateInPlace()
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
	case restoreStepDestination:
		return w.destinationError() == nil
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
	w.snapSelect = widget.NewSelect(nil, func(title string) {
		for _, s := range w.snaps {
			if snapTitle(s) == title && s.ID != w.snap.ID {
				w.useSnapshot(s)
				w.updateButtons()
				return
			}
		}
	})
	w.snapInfo = widget.NewLabel("")
	w.snapInfo.Wrapping = fyne.TextWrapWord
	return container.NewVBox(
		widget.NewLabel("Restore files from this snapshot:"),
		w.snapSelect,
		widget.NewCard("", "", w.snapInfo),
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
		opts = append(opts, snapTitle(s))
		found = found || s.ID == w.snap.ID
	}
	if !found && w.snap.ID != "" {
		// Forgotten since the wizard opened: still shown, restic will say
		// whether it still exists.
		opts = append(opts, snapTitle(w.snap))
	}
	w.snapSelect.Options = opts
	w.snapSelect.Refresh()
}

// useSnapshot makes s the snapshot to restore from: a fresh tree, an empty
// selection.
func (w *restoreWizard) useSnapshot(s hub.Snapshot) {
	w.snap = s
	w.snapSelect.SetSelected(snapTitle(s))
	info := []string{
		"Time: " + snapTime(s.Time),
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
		info = append(info, fmt.Sprintf("Files: %d", *s.FileCount))
	}
	w.snapInfo.SetText(strings.Join(info, "\n"))
	if w.tree != nil {
		w.tree.close()
	}
	w.tree = newSnapshotTree(w.u, w.hostID, s.ID, w.updateButtons)
	w.treeBox.Objects = []fyne.CanvasObject{w.tree.obj}
	w.treeBox.Refresh()
	w.filesTop.SetText(fmt.Sprintf("Snapshot %s of %s. Tick the files and folders to restore; a ticked folder is restored whole.", snapShortID(s), snapTime(s.Time)))
}

// --- (2) files ---

func (w *restoreWizard) buildFilesPage() fyne.CanvasObject {
	w.filesTop = widget.NewLabel("")
	w.filesTop.Wrapping = fyne.TextWrapWord
	w.treeBox = container.NewStack()
	return container.NewBorder(w.filesTop, nil, nil, nil, w.treeBox)
}

// --- (3) destination ---

func (w *restoreWizard) hostOS() string { return w.host.Host.OS }

func (w *restoreWizard) hostName() string {
	if w.host.Host.Hostname != "" {
		return w.host.Host.Hostname
	}
	return w.hostID
}

func (w *restoreWizard) buildDestinationPage() fyne.CanvasObject {
	w.targetEntry = widget.NewEntry()
	example := "/srv/restore"
	if w.hostOS() == "windows" {
		example = `D:\Restore`
	}
	w.targetEntry.SetPlaceHolder(example)
	w.targetEntry.Validator = func(s string) error { return hub.ValidateRestoreTarget(w.hostOS(), s) }
	w.targetEntry.OnChanged = func(string) {
		w.showTargetError()
		w.updateButtons()
	}
	w.pickBtn = widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), w.pickFolder)
	if !w.hostIsThisComputer() {
		// The picker browses this computer's disks; the path is on the host.
		w.pickBtn.Disable()
	}
	hint := fmt.Sprintf("An absolute path on %s. restic recreates each path inside it (folder/abs/path).", w.hostName())
	if w.pickBtn.Disabled() {
		hint += " Choose… browses this computer, so it works only when the host is this computer."
	}
	w.targetForm = widget.NewForm(&widget.FormItem{Text: "Folder on host", HintText: hint,
		Widget: container.NewBorder(nil, nil, nil, w.pickBtn, w.targetEntry)})
	w.targetErr = widget.NewLabel("")
	w.targetErr.Wrapping = fyne.TextWrapWord
	w.targetErr.Importance = widget.DangerImportance
	w.targetErr.Hide()
	w.newBox = container.NewVBox(w.targetForm, w.targetErr)

	w.inPlaceList = widget.NewLabel("")
	w.inPlaceList.Wrapping = fyne.TextWrapWord
	w.inPlaceCheck = widget.NewCheck("", func(bool) { w.updateButtons() })
	w.inPlaceNote = widget.NewLabel("")
	w.inPlaceNote.Wrapping = fyne.TextWrapWord
	w.inPlaceNote.Importance = widget.WarningImportance
	w.inPlaceBox = container.NewVBox(w.inPlaceNote, w.inPlaceList, w.inPlaceCheck)
	w.inPlaceBox.Hide()

	w.modeRadio = widget.NewRadioGroup([]string{restoreModeNew, restoreModeInPlace}, func(string) {
		w.updateMode()
		w.updateButtons()
	})
	w.modeRadio.Required = true
	w.modeRadio.Selected = restoreModeNew // not SetSelected: the buttons do not exist yet
	w.destBox = container.NewVBox(w.modeRadio, widget.NewSeparator(), w.newBox, w.inPlaceBox)
	return container.NewVScroll(w.destBox)
}

// showTargetError says, as the admin types, why the folder is refused
// (nothing while the entry is empty: the disabled Next says enough).
func (w *restoreWizard) showTargetError() {
	err := hub.ValidateRestoreTarget(w.hostOS(), w.targetEntry.Text)
	if err == nil || w.targetEntry.Text == "" {
		w.targetErr.Hide()
	} else {
		w.targetErr.SetText(formsMessage(err) + ".")
		w.targetErr.Show()
	}
	w.newBox.Refresh()
}

func (w *restoreWizard) hostIsThisComputer() bool {
	me, err := os.Hostname()
	return err == nil && w.host.Host.Hostname != "" && strings.EqualFold(me, w.host.Host.Hostname)
}

func (w *restoreWizard) pickFolder() {
	d := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
		if err != nil {
			w.u.showError("Choose folder", err)
			return
		}
		if uri != nil {
			w.targetEntry.SetText(uri.Path())
		}
	}, w.win)
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

func (w *restoreWizard) inPlace() bool { return w.modeRadio.Selected == restoreModeInPlace }

func (w *restoreWizard) updateMode() {
	if w.inPlace() {
		w.newBox.Hide()
		w.inPlaceBox.Show()
		w.updateInPlace()
	} else {
		w.inPlaceBox.Hide()
		w.newBox.Show()
	}
	w.destBox.Refresh() // Show and Hide alone do not lay the box out again
}

// updateInPlace names the paths an in-place restore overwrites; a changed
// selection needs a fresh confirmation.
func (w *restoreWizard) updateInPlace() {
	paths := w.hostPaths()
	text := restoreInPlaceConfirmText(w.hostName(), paths)
	if w.inPlaceCheck.Text != text {
		w.inPlaceCheck.SetChecked(false)
		w.inPlaceCheck.SetText(text)
	}
	w.inPlaceList.SetText("These paths on " + w.hostName() + " will be replaced by the snapshot's version:\n" + strings.Join(paths, "\n"))
	if w.hostOS() == "windows" {
		w.inPlaceNote.SetText("In-place restore is not supported on Windows hosts yet: restore into a folder instead.")
		w.inPlaceNote.Show()
		w.inPlaceCheck.Disable()
	} else {
		w.inPlaceNote.SetText("Files restored in place overwrite what is there now; newer changes to them are lost.")
		w.inPlaceNote.Show()
		w.inPlaceCheck.Enable()
	}
	w.inPlaceBox.Refresh()
}

// restoreInPlaceConfirmText is the confirmation's text: it names every
// path, or, for many, points at the list of them shown above it.
func restoreInPlaceConfirmText(host string, paths []string) string {
	if len(paths) <= restoreInPlaceNameMax {
		return "Overwrite " + strings.Join(paths, ", ") + " on " + host
	}
	return fmt.Sprintf("Overwrite the %d paths listed above on %s", len(paths), host)
}

// hostPaths are the selected paths as the host names them.
func (w *restoreWizard) hostPaths() []string {
	var out []string
	if w.tree != nil {
		for _, p := range w.tree.selection() {
			out = append(out, hub.HostPath(w.hostOS(), p))
		}
	}
	return out
}

func (w *restoreWizard) destinationError() error {
	if w.inPlace() {
		if w.hostOS() == "windows" {
			return fmt.Errorf("in-place restore is not supported on Windows hosts")
		}
		if !w.inPlaceCheck.Checked || w.inPlaceCheck.Text != restoreInPlaceConfirmText(w.hostName(), w.hostPaths()) {
			return fmt.Errorf("confirm the overwrite")
		}
		return nil
	}
	return hub.ValidateRestoreTarget(w.hostOS(), w.targetEntry.Text)
}

// --- (4) review ---

func (w *restoreWizard) buildReviewPage() fyne.CanvasObject {
	w.review = widget.NewLabel("")
	w.review.Wrapping = fyne.TextWrapWord
	return container.NewVScroll(w.review)
}

func (w *restoreWizard) reviewText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Host: %s\n", w.hostName())
	fmt.Fprintf(&b, "Snapshot: %s (%s)\n\n", snapTitle(w.snap), w.snap.ID)
	sel := []string{}
	if w.tree != nil {
		sel = w.tree.selection()
	}
	fmt.Fprintf(&b, "%s:\n", snapPlural(len(sel), "path"))
	for _, p := range sel {
		fmt.Fprintf(&b, "    %s\n", p)
	}
	b.WriteString("\n")
	if w.inPlace() {
		fmt.Fprintf(&b, "Destination: in place on %s — the files above are overwritten with the snapshot's version.\n", w.hostName())
	} else {
		t := w.targetEntry.Text
		fmt.Fprintf(&b, "Destination: %s on %s\n", t, w.hostName())
		if len(sel) > 0 {
			fmt.Fprintf(&b, "restic recreates each path inside it: %s is restored as %s\n", sel[0], hub.RestoredPath(w.hostOS(), t, sel[0]))
		}
	}
	if !w.host.Online {
		b.WriteString("\nThe host is offline: the restore is queued and starts when its agent connects.\n")
	}
	return b.String()
}

// --- (5) progress ---

func (w *restoreWizard) buildProgressPage() fyne.CanvasObject {
	w.progressBox = container.NewStack()
	w.result = widget.NewLabel("")
	w.result.Wrapping = fyne.TextWrapWord
	w.cancelJob = widget.NewButtonWithIcon("Cancel restore", theme.CancelIcon(), func() {
		if err := w.u.hub.CancelJob(w.jobID); err != nil {
			showErrorDialog(w.win, "Cancel restore", err)
		}
	})
	w.progressPage = container.NewVBox(w.progressBox, w.result, container.NewHBox(w.cancelJob))
	return w.progressPage
}

func (w *restoreWizard) restoreRequest() hub.RestoreRequest {
	r := hub.RestoreRequest{SnapshotID: w.snap.ID, Paths: w.tree.selection(), InPlace: w.inPlace()}
	if !r.InPlace {
		r.TargetDir = w.targetEntry.Text
	}
	return r
}

func (w *restoreWizard) startRestore() {
	id, err := w.u.hub.Restore(w.hostID, w.restoreRequest())
	if err != nil {
		showErrorDialog(w.win, "Restore", err)
		return
	}
	w.jobID = id
	w.progressBox.Objects = []fyne.CanvasObject{newJobProgress(w.u, w.sc, id)}
	w.progressBox.Refresh()
	w.show(restoreStepProgress)
	w.refreshResult()
}

// refreshResult shows the job's outcome once it has ended.
func (w *restoreWizard) refreshResult() {
	if w.jobID == "" {
		return
	}
	j, err := w.u.hub.Job(w.jobID)
	if err != nil {
		w.result.SetText("Could not read the restore job: " + err.Error())
		return
	}
	if !j.Terminal() {
		w.result.Importance = widget.MediumImportance
		w.result.SetText("The restore runs on " + w.hostName() + ". You may close this window; the job stays in the Jobs tab.")
		w.cancelJob.Show()
		return
	}
	w.cancelJob.Hide()
	w.heading.SetText(fmt.Sprintf("Step %d of %d — Restore %s", restoreStepCount, restoreStepCount, j.Status))
	defer w.progressPage.Refresh()
	switch j.Status {
	case "succeeded":
		w.result.Importance = widget.SuccessImportance
		text := "Restore succeeded"
		if s, ok := hub.ParseRestoreStats(j.Stats); ok && (s.FilesRestored > 0 || s.BytesRestored > 0) {
			text += fmt.Sprintf(": %s (%s) restored", snapPlural(int(s.FilesRestored), "file"), humanBytes(s.BytesRestored))
		}
		if w.inPlace() {
			text += " in place on " + w.hostName() + "."
		} else {
			text += " into " + w.targetEntry.Text + " on " + w.hostName() + "."
		}
		w.result.SetText(text)
	case "cancelled":
		w.result.Importance = widget.WarningImportance
		w.result.SetText("Restore cancelled. " + j.Error)
	default:
		w.result.Importance = widget.DangerImportance
		msg := j.Error
		if msg == "" {
			msg = "no reason given; see the job's log in the Jobs tab"
		}
		w.result.SetText("Restore failed: " + msg)
	}
}
