package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// closeWarningMax is how many running jobs the warning names; more are
// counted.
const closeWarningMax = 6

// confirmQuit runs quit (closing the main window, or quitting from the
// tray) at once when no job is running, and otherwise only after the
// admin read which jobs are running and agreed. Quitting stops the
// manager, not the jobs: they carry on on their hosts, whose agents keep
// their ends and send them when the manager runs again; until then
// nobody watches them. A headless manager has no window, so nothing
// here stops it. UI goroutine.
func (u *UI) confirmQuit(quit func()) {
	hosts, err := u.hub.Hosts()
	if err != nil {
		u.log.Warn("read the hosts before quitting", "err", err)
		quit() // nothing to name; never keep the admin from quitting
		return
	}
	jobs, err := runningJobsOf(u.hub, hosts)
	if err != nil {
		u.log.Warn("read the running jobs before quitting", "err", err)
	}
	if len(jobs) == 0 {
		quit()
		return
	}
	var b strings.Builder
	for i, j := range jobs {
		if i == closeWarningMax {
			fmt.Fprintf(&b, "… and %s\n", plural(len(jobs)-i, "more job"))
			break
		}
		b.WriteString("• " + j.Title + "\n")
	}
	b.WriteString("\nThey carry on on their hosts, and the manager records how they ended when it runs again; until then nobody watches them.")
	msg := widget.NewLabel(b.String())
	msg.Wrapping = fyne.TextWrapWord
	title := "Quit while " + plural(len(jobs), "job") + " are running?"
	if len(jobs) == 1 {
		title = "Quit while a job is running?"
	}
	d := dialog.NewCustomWithoutButtons(title, msg, u.win)
	ok := widget.NewButtonWithIcon("Quit", theme.LogoutIcon(), func() {
		d.Hide()
		quit()
	})
	ok.Importance = widget.DangerImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Keep open", d.Hide), ok})
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	d.Show()
}
