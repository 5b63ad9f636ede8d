package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
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
