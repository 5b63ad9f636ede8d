package ui

// The Diff dialog, in its own window: runs `restic diff` of two snapshots
// on the agent (Hub.Diff), shows that it runs, then lists what was added,
// removed and modified, filterable by text and kind, with restic's totals.
// Sizes are not in restic's change lines: they are looked up afterwards
// (Hub.DiffSizes, on a goroutine) and the table fills in as they arrive.

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// diffDialog is the Diff window: the two snapshots, the diff job while it
// runs (queued, running, how many changes so far, Cancel), then its result
// (diff_table.go).
type diffDialog struct {
	u      *UI
	sc     *scope
	hostID string
	a, b   hub.Snapshot
	win    fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	jobID    string
	seenLog  uint64 // last log line counted while running
	received int    // change lines seen while running

	heading    *widget.Label
	status     *widget.Label
	bar        *widget.ProgressBarInfinite
	cancelBtn  *widget.Button
	runningBox *fyne.Container

	table *diffTable
	root  *fyne.Container
}

// newDiffDialog diffs snapshot a (older) against b (newer), in its own
// window.
func newDiffDialog(u *UI, hostID string, a, b hub.Snapshot) *diffDialog {
	d := &diffDialog{u: u, sc: u.newScope(), hostID: hostID, a: a, b: b}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.win = u.app.NewWindow(fmt.Sprintf("Diff %s → %s", shortSnapshotID(a), shortSnapshotID(b)))
	d.win.Resize(fyne.NewSize(960, 640))
	d.win.SetOnClosed(func() {
		d.cancel()
		d.sc.close()
	})

	d.heading = widget.NewLabel(fmt.Sprintf("From %s (older)\nto %s (newer)", snapshotTitle(a), snapshotTitle(b)))
	d.heading.Wrapping = fyne.TextWrapWord
	d.status = widget.NewLabel("Starting the diff…")
	d.status.Wrapping = fyne.TextWrapWord
	d.bar = widget.NewProgressBarInfinite()
	d.cancelBtn = widget.NewButtonWithIcon("Cancel diff", theme.CancelIcon(), func() {
		if err := u.hub.CancelJob(d.jobID); err != nil {
			showErrorDialog(d.win, "Cancel diff", err)
		}
	})
	d.runningBox = container.NewVBox(d.bar, d.status, container.NewHBox(d.cancelBtn))

	d.table = newDiffTable(d)
	closeBtn := widget.NewButton("Close", func() { d.win.Close() })
	d.root = container.NewBorder(
		container.NewVBox(d.heading, widget.NewSeparator(), d.runningBox),
		container.NewBorder(nil, nil, nil, closeBtn, d.table.sizeStatus),
		nil, nil, d.table.object())
	d.win.SetContent(container.NewPadded(d.root))

	d.sc.on(d.changed)
	id, err := u.hub.Diff(hostID, a.ID, b.ID)
	if err != nil {
		d.bar.Stop()
		d.bar.Hide()
		d.cancelBtn.Hide()
		d.status.Importance = widget.DangerImportance
		d.status.SetText("Could not start the diff: " + err.Error())
	} else {
		d.jobID = id
		d.refresh()
	}
	d.win.Show()
	return d
}

func (d *diffDialog) changed(batch []change) {
	for _, c := range batch {
		d.change(c)
	}
}

func (d *diffDialog) change(c change) {
	if d.jobID == "" {
		return
	}
	switch {
	case c.Kind == hub.ChangeAll, c.Kind == hub.ChangeJob && c.JobID == d.jobID:
		d.refresh()
	case c.Kind == hub.ChangeJobLog && c.JobID == d.jobID:
		d.countLog()
	case c.Kind == hub.ChangeHost && c.HostID == d.hostID:
		d.refresh()
	}
}

// countLog counts change lines as they arrive, reading only the new ones.
func (d *diffDialog) countLog() {
	lines, err := d.u.hub.JobLog(d.jobID, d.seenLog+1, 10_000)
	if err != nil || len(lines) == 0 {
		return
	}
	for _, l := range lines {
		if l.Stream == "event" {
			d.received++
		}
	}
	d.seenLog = lines[len(lines)-1].Seq
	d.refresh()
}

// refresh follows the job: queued, running, then the result.
func (d *diffDialog) refresh() {
	if d.table.has() {
		return
	}
	j, err := d.u.hub.Job(d.jobID)
	if err != nil {
		d.status.SetText("Could not read the diff job: " + err.Error())
		return
	}
	if !j.Terminal() {
		switch {
		case j.Status == "queued" && !d.hostOnline():
			d.status.SetText("Queued: the host is offline. The diff runs when its agent connects.")
		case j.Status == "queued":
			d.status.SetText("Queued on the agent: it runs one restic job per repository at a time.")
		case d.received > 0:
			d.status.SetText(fmt.Sprintf("Comparing the snapshots on the agent… %s so far.", plural(d.received, "change")))
		default:
			d.status.SetText("Comparing the snapshots on the agent…")
		}
		return
	}
	d.bar.Stop()
	d.bar.Hide()
	d.cancelBtn.Hide()
	defer d.root.Refresh() // Show and Hide alone do not lay the window out again
	if j.Status != "succeeded" {
		d.status.Importance = widget.DangerImportance
		if j.Status == "cancelled" {
			d.status.Importance = widget.WarningImportance
		}
		msg := j.Error
		if msg == "" {
			msg = "no reason given; see the job's log in the Jobs tab"
		}
		d.status.SetText(fmt.Sprintf("The diff %s: %s", j.Status, msg))
		d.status.Refresh()
		return
	}
	res, err := d.u.hub.DiffResult(d.jobID)
	if err != nil {
		d.status.Importance = widget.DangerImportance
		d.status.SetText("Could not read the diff's result: " + err.Error())
		d.status.Refresh()
		return
	}
	d.runningBox.Hide()
	d.table.show(res)
}

func (d *diffDialog) hostOnline() bool {
	h, err := d.u.hub.Host(d.hostID)
	return err == nil && h.Online
}

// done reports whether the result is shown and the sizes looked up.
func (d *diffDialog) done() bool { return d.table.done() }
