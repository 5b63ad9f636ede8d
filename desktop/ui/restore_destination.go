package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// The destination choices.
const (
	restoreModeNew     = "To a new folder"
	restoreModeInPlace = "In place (overwrite the original files)"
)

// restoreInPlaceNameMax is how many selected paths the in-place
// confirmation names in its own text; more are listed above it.
const restoreInPlaceNameMax = 3

// restoreDestination is the restore wizard's step 4: a new folder on the
// host restored to (checked as it is typed, by that host's path syntax)
// or in place, which overwrites and is confirmed by naming the paths, and
// is offered only on the snapshot's own host.
type restoreDestination struct {
	w *restoreWizard

	modeRadio    *widget.RadioGroup
	targetEntry  *widget.Entry
	pickBtn      *widget.Button
	form         checkedForm
	target       *checkedField // its line shows the hint, or why the folder is refused
	newBox       *fyne.Container
	inPlaceList  *widget.Label
	inPlaceCheck *widget.Check
	inPlaceNote  *widget.Label
	inPlaceBox   *fyne.Container
	destBox      *fyne.Container
	// elsewhereNote says why in place is off for another host.
	elsewhereNote *widget.Label

	obj fyne.CanvasObject
}

func newRestoreDestination(w *restoreWizard) *restoreDestination {
	d := &restoreDestination{w: w}
	d.targetEntry = widget.NewEntry()
	d.pickBtn = widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), d.pickFolder)
	// A checked field, not a widget.Form item: a form's hint is one line
	// that does not wrap, and this one ran off the window's edge.
	d.target = d.form.field("Folder on host", d.targetEntry, "",
		func(s string) error { return hub.ValidateRestoreTarget(d.w.targetOS(), s) })
	d.form.onChange = func(bool) {
		d.newBox.Refresh() // the line under the entry may have changed height
		d.w.updateButtons()
	}
	label := widget.NewLabelWithStyle(d.target.label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.newBox = container.NewVBox(label, container.NewBorder(nil, nil, nil, d.pickBtn, d.targetEntry), d.target.msg)
	d.updatePicker()

	d.inPlaceList = widget.NewLabel("")
	d.inPlaceList.Wrapping = fyne.TextWrapWord
	d.inPlaceCheck = widget.NewCheck("", func(bool) { d.w.updateButtons() })
	d.inPlaceNote = widget.NewLabel("")
	d.inPlaceNote.Wrapping = fyne.TextWrapWord
	d.inPlaceNote.Importance = widget.WarningImportance
	d.inPlaceBox = container.NewVBox(d.inPlaceNote, d.inPlaceList, d.inPlaceCheck)
	d.inPlaceBox.Hide()

	d.modeRadio = widget.NewRadioGroup([]string{restoreModeNew, restoreModeInPlace}, func(string) {
		d.updateMode()
		d.w.updateButtons()
	})
	d.modeRadio.Required = true
	d.modeRadio.Selected = restoreModeNew // not SetSelected: the buttons do not exist yet
	d.elsewhereNote = noteLabel("")
	d.elsewhereNote.Hide()
	d.destBox = container.NewVBox(d.modeRadio, d.elsewhereNote, widget.NewSeparator(), d.newBox, d.inPlaceBox)
	d.obj = container.NewVScroll(d.destBox)
	return d
}

func (d *restoreDestination) object() fyne.CanvasObject { return d.obj }

// folder is the folder typed in.
func (d *restoreDestination) folder() string { return d.targetEntry.Text }

// updatePicker offers Choose… when the host is this computer (the hub
// says: hub.HostView.ThisComputer), and says why not otherwise: the
// picker browses this computer's folders, and the path is one on the
// host. The wizard calls it again when the host changes (it connects).
func (d *restoreDestination) updatePicker() {
	local := d.w.target.ThisComputer
	enableIf(d.pickBtn, local)
	example := "/srv/restore"
	if d.w.targetOS() == "windows" {
		example = `D:\Restore`
	}
	d.targetEntry.SetPlaceHolder(example)
	hint := fmt.Sprintf("An absolute path on %s. restic recreates each path inside it (folder/abs/path).", d.w.targetName())
	if !local {
		hint += " Choose… browses this computer's folders, so it is offered only when the host is this computer."
	}
	if d.target.hint != hint {
		d.target.hint = hint
		d.target.show()
		d.newBox.Refresh()
	}
}

func (d *restoreDestination) pickFolder() {
	dlg := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
		if err != nil {
			d.w.u.showError("Choose folder", err)
			return
		}
		if uri != nil {
			d.targetEntry.SetText(uri.Path())
		}
	}, d.w.win)
	dlg.Resize(fyne.NewSize(760, 520))
	dlg.Show()
}

func (d *restoreDestination) inPlace() bool { return d.modeRadio.Selected == restoreModeInPlace }

// updateHost follows the host chosen in step 3: its path syntax, its
// folder picker, and in place only on the snapshot's own host — another
// host's files never overwrite this one's.
func (d *restoreDestination) updateHost() {
	d.updatePicker()
	d.form.changed() // the folder is checked by the new host's rules
	if d.w.elsewhere() {
		d.modeRadio.SetSelected(restoreModeNew)
		d.modeRadio.Disable()
		d.elsewhereNote.SetText(fmt.Sprintf("In place is offered only on %s itself: files from its snapshot go into a new folder on %s, never over %s's own files.",
			d.w.hostName(), d.w.targetName(), d.w.targetName()))
		d.elsewhereNote.Show()
	} else {
		d.modeRadio.Enable()
		d.elsewhereNote.Hide()
	}
	d.destBox.Refresh()
}

func (d *restoreDestination) updateMode() {
	if d.inPlace() {
		d.newBox.Hide()
		d.inPlaceBox.Show()
		d.updateInPlace()
	} else {
		d.inPlaceBox.Hide()
		d.newBox.Show()
	}
	d.destBox.Refresh() // Show and Hide alone do not lay the box out again
}

// updateInPlace names the paths an in-place restore overwrites; a changed
// selection needs a fresh confirmation.
func (d *restoreDestination) updateInPlace() {
	paths := d.hostPaths()
	text := restoreInPlaceConfirmText(d.w.hostName(), paths)
	if d.inPlaceCheck.Text != text {
		d.inPlaceCheck.SetChecked(false)
		d.inPlaceCheck.SetText(text)
	}
	d.inPlaceList.SetText("These paths on " + d.w.hostName() + " will be replaced by the snapshot's version:\n" + strings.Join(paths, "\n"))
	if d.w.hostOS() == "windows" {
		d.inPlaceNote.SetText("In-place restore is not supported on Windows hosts yet: restore into a folder instead.")
		d.inPlaceNote.Show()
		d.inPlaceCheck.Disable()
	} else {
		d.inPlaceNote.SetText("Files restored in place overwrite what is there now; newer changes to them are lost.")
		d.inPlaceNote.Show()
		d.inPlaceCheck.Enable()
	}
	d.inPlaceBox.Refresh()
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
func (d *restoreDestination) hostPaths() []string {
	var out []string
	if d.w.tree != nil {
		for _, p := range d.w.tree.selection() {
			out = append(out, hub.HostPath(d.w.hostOS(), p))
		}
	}
	return out
}

func (d *restoreDestination) err() error {
	if d.inPlace() && d.w.elsewhere() {
		return fmt.Errorf("in place is only for the snapshot's own host")
	}
	if d.inPlace() {
		if d.w.hostOS() == "windows" {
			return fmt.Errorf("in-place restore is not supported on Windows hosts")
		}
		if !d.inPlaceCheck.Checked || d.inPlaceCheck.Text != restoreInPlaceConfirmText(d.w.hostName(), d.hostPaths()) {
			return fmt.Errorf("confirm the overwrite")
		}
		return nil
	}
	return hub.ValidateRestoreTarget(d.w.targetOS(), d.targetEntry.Text)
}
