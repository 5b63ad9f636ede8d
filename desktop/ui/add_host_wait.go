package ui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// What "Add host" says after the token is made: it waits, live, for the
// machines that enroll with it ("Waiting for the host to enroll…" →
// "Enrolled: office-pc2" with Open), and each Copy says it copied.

// copiedFor is how long a Copy button says "Copied".
const copiedFor = 2 * time.Second

// enrollWait is the strip under the commands.
type enrollWait struct {
	a       *addHostDialog
	seen    []string // host ids enrolled with the token, in order
	busy    *widget.ProgressBarInfinite
	label   *widget.Label
	open    *widget.Button // opens the latest enrolled host
	openID  string
	obj     fyne.CanvasObject
	started bool
}

func newEnrollWait(a *addHostDialog) *enrollWait {
	w := &enrollWait{a: a, busy: widget.NewProgressBarInfinite(), label: widget.NewLabel("")}
	w.label.Wrapping = fyne.TextWrapWord
	w.open = widget.NewButtonWithIcon("Open host", theme.NavigateNextIcon(), w.openHost)
	w.open.Importance = widget.HighImportance
	w.open.Hide()
	w.obj = container.NewVBox(container.NewBorder(nil, nil, nil, w.open, w.label), w.busy)
	return w
}

func (w *enrollWait) object() fyne.CanvasObject { return w.obj }

// start begins waiting; the dialog's scope hands it the hub's host and
// token changes (an enrollment is both).
func (w *enrollWait) start() {
	w.started = true
	w.refresh()
}

// concerns reports whether c may be an enrollment.
func (w *enrollWait) concerns(c change) bool {
	return w.started && (c.Kind == hub.ChangeHosts || c.Kind == hub.ChangeEnrollTokens || c.Kind == hub.ChangeAll)
}

// refresh asks the hub which hosts enrolled with the token (a local read).
func (w *enrollWait) refresh() {
	a := w.a
	ids, err := a.u.hub.HostsEnrolledWith(a.issued.Token)
	if err != nil {
		w.label.Importance = widget.DangerImportance
		w.label.SetText("Cannot tell whether a host enrolled: " + err.Error())
		return
	}
	for _, id := range ids {
		if !slices.Contains(w.seen, id) {
			w.seen = append(w.seen, id)
		}
	}
	if len(w.seen) == 0 {
		w.label.Importance = widget.MediumImportance
		w.label.SetText("Waiting for the host to enroll… It appears here as soon as its agent connects with this token.")
		w.busy.Show()
		w.busy.Start()
		return
	}
	var names []string
	for _, id := range w.seen {
		name := id
		if d, err := a.u.hub.Host(id); err == nil {
			name = d.Host.DisplayName()
		}
		names = append(names, name)
	}
	w.openID = w.seen[len(w.seen)-1]
	text := "Enrolled: " + joinNames(names) + "."
	if left := a.issued.Uses - len(w.seen); left > 0 {
		text += " Waiting for " + plural(left, "more host") + "…"
	} else {
		w.busy.Stop()
		w.busy.Hide()
	}
	w.label.Importance = widget.SuccessImportance
	w.label.SetText(text)
	w.open.SetText("Open " + names[len(names)-1])
	w.open.Show()
}

// openHost closes the dialog and shows the host that enrolled last.
func (w *enrollWait) openHost() {
	if w.openID == "" {
		return
	}
	w.a.dlg.Hide()
	w.a.u.main.show(w.openID)
}

// joinNames lists names for a sentence.
func joinNames(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return settingsJoin(names)
}

// copyButton copies what text returns and says so on itself for a moment:
// "Copy" gave no sign that anything happened.
func copyButton(u *UI, text func() string) *widget.Button {
	var b *widget.Button
	b = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(text())
		b.SetText("Copied")
		b.SetIcon(theme.ConfirmIcon())
		time.AfterFunc(copiedFor, func() {
			fyne.Do(func() {
				b.SetText("Copy")
				b.SetIcon(theme.ContentCopyIcon())
			})
		})
	})
	return b
}
