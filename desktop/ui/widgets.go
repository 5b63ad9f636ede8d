package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// Small widgets and helpers more than one view uses. Keep a widget only
// one view has in that view's file.

// enableIf enables w when on holds and disables it otherwise.
func enableIf(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// showIf shows o when show holds and hides it otherwise.
func showIf(o fyne.CanvasObject, show bool) {
	if show {
		o.Show()
	} else {
		o.Hide()
	}
}

// showErrorDialog shows "what: err" on w.
func showErrorDialog(w fyne.Window, what string, err error) {
	dialog.ShowError(fmt.Errorf("%s: %w", what, err), w)
}

// confirmDiscard runs next at once when nothing is edited, else after the
// admin agreed to drop the edit of what ("the new group", "this
// schedule"); cancelled, when set, runs when they did not.
func confirmDiscard(w fyne.Window, dirty bool, what string, next, cancelled func()) {
	if !dirty {
		next()
		return
	}
	dialog.ShowConfirm("Discard changes?", "Your changes to "+what+" are not saved.", func(ok bool) {
		if ok {
			next()
		} else if cancelled != nil {
			cancelled()
		}
	}, w)
}

// confirmCancelJob asks before a running or queued job is cancelled (the
// Jobs tab's Cancel job, the restore wizard's Cancel restore): one tap
// must not throw away an hour of backup. cancel runs only on "Cancel
// job"; "Keep running" leaves the job alone.
func confirmCancelJob(w fyne.Window, j hub.Job, host string, cancel func()) {
	msg := "restic stops where it is and the job ends cancelled."
	switch j.Kind {
	case hub.JobKindBackup:
		msg = "restic stops where it is: this backup makes no snapshot, and the job ends cancelled."
	case hub.JobKindRestore:
		msg = "restic stops where it is: the files restored so far stay, the rest are not restored."
	}
	if j.Status == hub.JobQueued {
		msg = "It has not started yet: it will not run."
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons("Cancel the "+jobName(j)+" on "+host+"?", text, w)
	stop := widget.NewButtonWithIcon("Cancel job", theme.CancelIcon(), func() {
		d.Hide()
		cancel()
	})
	stop.Importance = widget.DangerImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Keep running", d.Hide), stop})
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	d.Show()
}

// noteLabel is a wrapped, low-key explanatory line.
func noteLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.LowImportance
	return l
}

// banner is a highlighted strip: an icon, a message and buttons.
func banner(icon fyne.Resource, msg fyne.CanvasObject, buttons ...fyne.CanvasObject) fyne.CanvasObject {
	var right fyne.CanvasObject
	if len(buttons) > 0 {
		right = container.NewHBox(buttons...)
	}
	return widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(icon), right, msg))
}

// centeredLabel centres a word-wrapped label vertically at the full
// width. In a Center container it would get its narrowest size, one word
// a line, and stretch the window to thousands of pixels.
func centeredLabel(l *widget.Label) fyne.CanvasObject {
	return container.NewPadded(container.NewVBox(layout.NewSpacer(), l, layout.NewSpacer()))
}

// tightVBox stacks objects so that neighbours share their inner padding:
// a sidebar row's two lines, or a figure and its caption, read as one
// item.
type tightVBox struct{}

func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	n := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		ms := o.MinSize()
		s.Width = max(s.Width, ms.Width)
		s.Height += ms.Height
		n++
	}
	if n > 1 {
		s.Height -= float32(n-1) * theme.InnerPadding()
	}
	return s
}

func (tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - theme.InnerPadding()
	}
}
