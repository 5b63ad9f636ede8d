package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"restic-manager/icons"
)

// firesCard is the Schedules tab's "Latest fires": what the agent reported
// each schedule (and the maintenance plan) did when it fired.
type firesCard struct {
	tab *schedulesTab

	box   *fyne.Container
	empty *widget.Label

	obj fyne.CanvasObject
}

func newFiresCard(tab *schedulesTab) *firesCard {
	f := &firesCard{tab: tab, box: container.NewVBox(), empty: noteLabel("No fires reported yet.")}
	f.obj = widget.NewCard("Latest fires", "", container.NewVBox(f.empty, f.box))
	return f
}

func (f *firesCard) object() fyne.CanvasObject { return f.obj }

func (f *firesCard) reload() {
	t := f.tab
	fires, err := t.u.hub.Fires(t.hostID, 10)
	if err != nil {
		f.empty.SetText("Could not read the fires: " + err.Error())
		f.empty.Show()
		return
	}
	_, loc := t.zone()
	now := t.u.opts.Now()
	f.box.Objects = nil
	for _, fi := range fires {
		detail := ""
		icon := icons.Online
		switch {
		case fi.Skipped != "":
			detail = "skipped: " + fi.Skipped
			icon = icons.Pending
		default:
			detail = "started " + plural(len(fi.JobIDs), "job")
		}
		l := widget.NewLabel(fireWhen(now, fi.ScheduledAt.In(loc)) + " — " + f.name(fi.ScheduleID) + " — " + detail)
		l.Wrapping = fyne.TextWrapWord
		f.box.Add(container.NewBorder(nil, nil, widget.NewIcon(icon), nil, l))
	}
	f.box.Refresh()
	f.empty.Hidden = len(fires) > 0
	f.empty.Refresh()
}

// name says which schedule fired.
func (f *firesCard) name(scheduleID string) string {
	switch scheduleID {
	case "maintenance:prune":
		return "prune"
	case "maintenance:check":
		return "check"
	}
	if v, ok := f.tab.list.find(scheduleID); ok {
		return describeCron(v.CronExpr)
	}
	return "a deleted schedule"
}
