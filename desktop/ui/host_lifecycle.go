package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// A host's life after enrollment, from its header: Rename gives it the
// name the window shows (empty: its hostname again); Remove revokes its
// token at once and asks whether its history stays.

// Remove's two answers, as the dialog offers them.
const (
	removeKeepHistory = "Keep its history"
	removeDeleteAll   = "Delete everything"
)

// lifecycleButtons are the header's Rename… and Remove… buttons.
type lifecycleButtons struct {
	v              *hostView
	rename, remove *widget.Button
	// The open dialog's controls (tests).
	nameEntry *widget.Entry
	choice    *widget.RadioGroup
	dlg       dialog.Dialog
}

func newLifecycleButtons(v *hostView) *lifecycleButtons {
	b := &lifecycleButtons{v: v}
	b.rename = widget.NewButtonWithIcon("Rename…", theme.DocumentCreateIcon(), b.showRename)
	b.remove = widget.NewButtonWithIcon("Remove…", theme.DeleteIcon(), b.showRemove)
	b.rename.Importance, b.remove.Importance = widget.LowImportance, widget.LowImportance
	return b
}

func (b *lifecycleButtons) object() fyne.CanvasObject { return container.NewHBox(b.rename, b.remove) }

// showRename asks for the display name.
func (b *lifecycleButtons) showRename() {
	u, v := b.v.u, b.v
	d, err := u.hub.Host(v.hostID)
	if err != nil {
		u.showError("Rename", err)
		return
	}
	e := widget.NewEntry()
	e.SetText(d.Host.Name)
	e.SetPlaceHolder(d.Host.Hostname)
	e.Validator = func(s string) error {
		if len(strings.TrimSpace(s)) > 64 {
			return fmt.Errorf("at most 64 characters")
		}
		return nil
	}
	item := widget.NewFormItem("Name", e)
	item.HintText = "Shown in the window; the host keeps its hostname (" + d.Host.Hostname + "). Empty: the hostname."
	dlg := dialog.NewForm("Rename "+d.Host.DisplayName(), "Rename", "Cancel", []*widget.FormItem{item}, func(ok bool) {
		if ok {
			u.showError("Rename "+d.Host.DisplayName(), u.hub.RenameHost(v.hostID, strings.TrimSpace(e.Text)))
		}
	}, u.win)
	dlg.Resize(fyne.NewSize(460, dlg.MinSize().Height))
	b.nameEntry, b.dlg = e, dlg
	dlg.Show()
	u.win.Canvas().Focus(e)
}

// showRemove asks before removing the host, and whether its history
// stays. Nothing is chosen at first: deleting everything cannot be undone.
func (b *lifecycleButtons) showRemove() {
	u, v := b.v.u, b.v
	name := v.name.Text
	msg := widget.NewLabel(name + "'s agent token stops working at once and it is disconnected; its queued and running jobs end cancelled. " +
		"Its snapshots stay in the repository. To bring it back, enroll it again (Add host): it comes back as a new host.")
	msg.Wrapping = fyne.TextWrapWord
	choice := widget.NewRadioGroup([]string{removeKeepHistory, removeDeleteAll}, nil)
	explain := noteLabel("Keep its history: its jobs, logs and snapshot list stay readable, and its repository credentials stay in the keyring. " +
		"Delete everything: every record of it goes, and so do its repository password and credentials in the keyring — keep a copy of the password, or its snapshots can no longer be opened.")
	var remove *widget.Button
	dlg := dialog.NewCustomWithoutButtons("Remove "+name+"?", container.NewVBox(msg, choice, explain), u.win)
	remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
		keep := choice.Selected == removeKeepHistory
		dlg.Hide()
		// Deleting the history deletes the host's credentials from the
		// OS keyring, which may wait: off the UI goroutine.
		id := v.hostID
		u.offUI(func() error { return u.hub.RemoveHost(id, keep) }, func(err error) {
			if err != nil {
				u.showError("Remove "+name, errors.New(keyringHint(err)))
			}
		})
	})
	remove.Importance = widget.DangerImportance
	remove.Disable()
	choice.OnChanged = func(s string) { enableIf(remove, s != "") }
	dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", dlg.Hide), remove})
	dlg.Resize(fyne.NewSize(560, dlg.MinSize().Height))
	b.choice, b.dlg = choice, dlg
	dlg.Show()
}
