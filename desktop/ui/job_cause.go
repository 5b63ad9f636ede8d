package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// Why a job failed, with the fix beside it. The hub reads the cause
// (hub.CauseOf: the agent's error_kind, its words first, restic's line
// after) and names the fix; the window says the cause first, then what to
// do, then restic's own words, and offers the fix as a button right there
// — "Initialise now" under a job that failed on a missing repository,
// "Unlock…" under a locked one — so the admin never hunts for Init at the
// far right of a toolbar.

// causeView is a failed job's cause: words, hint, restic's line, fix.
type causeView struct {
	u      *UI
	words  *widget.Label
	hint   *widget.Label
	detail *widget.Label
	fixBox *fyne.Container
	fix    *widget.Button // the fix shown, nil for none (tests)
	cause  hub.Cause
	obj    fyne.CanvasObject
}

func newCauseView(u *UI) *causeView {
	c := &causeView{u: u, words: widget.NewLabel(""), hint: widget.NewLabel(""), detail: widget.NewLabel(""), fixBox: container.NewHBox()}
	c.words.TextStyle.Bold = true
	c.words.Importance = widget.DangerImportance
	c.words.Wrapping = fyne.TextWrapWord
	c.words.Selectable = true
	c.hint.Wrapping = fyne.TextWrapWord
	c.detail.Wrapping = fyne.TextWrapWord
	c.detail.Importance = widget.LowImportance
	c.detail.Selectable = true
	c.obj = container.NewVBox(c.words, c.hint, c.detail, c.fixBox)
	c.obj.Hide()
	return c
}

func (c *causeView) object() fyne.CanvasObject { return c.obj }

// show says j's cause, or hides the view when j did not fail.
func (c *causeView) show(j hub.Job, hostName string) {
	cause := hub.CauseOf(j)
	if j.Status != hub.JobFailed {
		c.obj.Hide()
		return
	}
	if c.obj.Visible() && cause == c.cause {
		return
	}
	c.cause = cause
	words := cause.Words
	if words == "" {
		words = "The job failed."
	}
	c.words.SetText(capitalize(words))
	c.hint.SetText(cause.Hint)
	showIf(c.hint, cause.Hint != "")
	c.detail.SetText(cause.Detail)
	showIf(c.detail, cause.Detail != "")
	c.fix, c.fixBox.Objects = nil, nil
	if cause.Fix != hub.FixNone {
		c.fix = fixButton(c.u, j.HostID, hostName, cause)
		c.fixBox.Objects = []fyne.CanvasObject{c.fix}
	}
	c.fixBox.Refresh()
	c.obj.Show()
}

// fixButton is the button of a cause's fix: "Initialise now" runs init
// on the host at once; "Unlock…" asks first (a live lock is another
// restic at work); "Repository settings…" opens the host's Settings.
// A job it starts is shown in the host's Jobs tab.
func fixButton(u *UI, hostID, hostName string, c hub.Cause) *widget.Button {
	var b *widget.Button
	switch c.Fix {
	case hub.FixInit:
		b = widget.NewButtonWithIcon(c.FixLabel, theme.FolderNewIcon(), func() {
			u.startFixJob(hostID, "Initialise the repository", hub.RunRequest{Kind: hub.JobKindInit})
		})
		b.Importance = widget.HighImportance
	case hub.FixUnlock:
		b = widget.NewButtonWithIcon(c.FixLabel, theme.LoginIcon(), func() { u.confirmUnlock(hostID, hostName) })
	default:
		b = widget.NewButtonWithIcon(c.FixLabel, theme.SettingsIcon(), func() { u.main.openTab(hostID, "Settings") })
	}
	return b
}

// startFixJob runs a fix's job now and shows it in the host's Jobs tab.
func (u *UI) startFixJob(hostID, what string, r hub.RunRequest) {
	id, err := u.hub.RunNow(hostID, r)
	if err != nil {
		u.showError(what, err)
		return
	}
	u.main.openJob(hostID, id, what)
}

// confirmUnlock asks before removing stale locks.
func (u *UI) confirmUnlock(hostID, hostName string) {
	d := dialog.NewConfirm("Unlock the repository of "+hostName+"?",
		"Unlock removes locks that an interrupted restic left behind. A lock held by a restic that is still running stays: wait for it to finish.",
		func(ok bool) {
			if ok {
				u.startFixJob(hostID, "Unlock", hub.RunRequest{Kind: hub.JobKindUnlock})
			}
		}, u.win)
	d.SetConfirmText("Unlock")
	d.SetDismissText("Cancel")
	d.Show()
}
