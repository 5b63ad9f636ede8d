package ui

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// jobDetail is the bottom of the Jobs tab: the selected job's origin, its
// live progress (job_progress.go) and log (job_log.go), and Cancel.
type jobDetail struct {
	tab *jobsTab

	selected    string
	sc          *scope // the selected job's listeners; replaced with it
	box         *fyne.Container
	empty       *widget.Label
	info        *widget.Label
	cancelBtn   *widget.Button
	cancelAsked map[string]bool
	progress    *jobProgress
	log         *jobLog

	obj fyne.CanvasObject
}

func newJobDetail(tab *jobsTab) *jobDetail {
	d := &jobDetail{tab: tab, cancelAsked: map[string]bool{}}
	d.info = widget.NewLabel("")
	d.info.Importance = widget.LowImportance
	d.info.Truncation = fyne.TextTruncateEllipsis
	d.cancelBtn = widget.NewButtonWithIcon("Cancel job", theme.CancelIcon(), d.cancel)
	d.cancelBtn.Importance = widget.DangerImportance
	d.cancelBtn.Disable()
	d.empty = widget.NewLabel("Select a job to see its progress and log.")
	d.empty.Alignment = fyne.TextAlignCenter
	d.empty.Importance = widget.LowImportance
	d.box = container.NewStack(container.NewCenter(d.empty))
	d.obj = d.box
	return d
}

func (d *jobDetail) object() fyne.CanvasObject { return d.obj }

// show selects a job: its progress, log and Cancel below the list.
func (d *jobDetail) show(jobID string) {
	if jobID == d.selected && d.progress != nil {
		return
	}
	t := d.tab
	if d.sc != nil {
		d.sc.close()
	}
	d.selected = jobID
	d.sc = t.sc.child()
	d.progress = newJobProgress(t.u, d.sc, jobID)
	d.log = newJobLog(t.u, d.sc, jobID)
	head := container.NewBorder(nil, nil, nil, container.NewVBox(d.cancelBtn), d.info)
	side := container.NewHSplit(container.NewVScroll(container.NewPadded(d.progress.object())), d.log)
	side.Offset = 0.4
	d.box.Objects = []fyne.CanvasObject{container.NewBorder(head, nil, nil, nil, side)}
	d.box.Refresh()
	d.update()
	t.history.list.Refresh()
	t.history.scrollTo(jobID)
}

// update refreshes the selected job's origin line and Cancel (the
// progress and log views follow the job themselves).
func (d *jobDetail) update() {
	t := d.tab
	j, err := t.u.hub.Job(d.selected)
	if err != nil {
		d.info.SetText(fmt.Sprintf("Job %s: %v", d.selected, err))
		d.cancelBtn.Disable()
		return
	}
	info := fmt.Sprintf("Started by %s · job %s", t.originText(j), j.ID)
	d.info.SetText(info)
	switch {
	case j.Terminal():
		d.cancelBtn.SetText("Cancel job")
		d.cancelBtn.Disable()
	case d.cancelAsked[j.ID]:
		d.cancelBtn.SetText("Cancelling…")
		d.cancelBtn.Disable()
	default:
		d.cancelBtn.SetText("Cancel job")
		d.cancelBtn.Enable()
	}
}

// cancel asks first (confirmCancelJob), then asks the agent to cancel.
func (d *jobDetail) cancel() {
	t := d.tab
	j, err := t.u.hub.Job(d.selected)
	if err != nil || j.Terminal() {
		d.update()
		return
	}
	confirmCancelJob(t.u.win, j, t.hostName, func() { d.sendCancel(j.ID) })
}

func (d *jobDetail) sendCancel(id string) {
	t := d.tab
	if err := t.u.hub.CancelJob(id); err != nil {
		if errors.Is(err, hub.ErrHostOffline) {
			t.u.showError("Cancel job", fmt.Errorf("%s is offline: a job can be cancelled only while its agent is connected (%w)", t.hostName, err))
			return
		}
		t.u.showError("Cancel job", err)
		return
	}
	d.cancelAsked[id] = true
	t.notice.cancelRequested(id)
	if id == d.selected {
		d.update()
	}
}
