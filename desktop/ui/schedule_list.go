package ui

import (
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// scheduleList is the left of the Schedules tab: "New schedule", then each
// schedule with an enable switch, its groups, its next fires (or why it
// does not fire) and Edit.
type scheduleList struct {
	tab *schedulesTab

	schedules []hub.ScheduleView
	readAt    time.Time // when the list (and its next fires) was read
	rows      map[string]*scheduleRow
	box       *fyne.Container
	empty     *widget.Label
	newBtn    *widget.Button

	obj fyne.CanvasObject
}

// scheduleRow is one schedule in the list.
type scheduleRow struct {
	enabled *widget.Check
	expr    *widget.Label
	groups  *widget.Label
	next    *widget.Label
	edit    *widget.Button
}

func newScheduleList(tab *schedulesTab) *scheduleList {
	l := &scheduleList{tab: tab, rows: map[string]*scheduleRow{}, box: container.NewVBox()}
	l.empty = noteLabel("No schedules yet. A schedule backs up source groups on a cron; the agent runs it itself, even while this manager is away. Fill in the form to add one.")
	l.newBtn = widget.NewButtonWithIcon("New schedule", theme.ContentAddIcon(), func() {
		tab.editor.discardThen(tab.editor.openNew)
	})
	l.obj = container.NewVBox(l.newBtn, l.empty, l.box)
	return l
}

func (l *scheduleList) object() fyne.CanvasObject { return l.obj }

// reload re-reads the schedules. An edited schedule that changed
// elsewhere, untouched here, follows in the editor.
func (l *scheduleList) reload() {
	t := l.tab
	list, err := t.u.hub.Schedules(t.hostID)
	if err != nil {
		l.empty.SetText("Could not read the schedules: " + err.Error())
		l.empty.Show()
		return
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	st, _ := t.u.hub.ScheduleStatus(t.hostID)
	l.schedules, l.readAt = list, t.u.opts.Now()
	l.rows = map[string]*scheduleRow{}
	l.box.Objects = nil
	for _, v := range list {
		l.box.Add(l.row(v, st.Paused || st.PausedGlobally))
	}
	l.box.Refresh()
	l.empty.Hidden = len(list) > 0
	l.empty.Refresh()
	e := t.editor
	e.refreshGroupOptions()
	if e.editingID != "" && !e.dirty() {
		if v, ok := l.find(e.editingID); ok {
			if !sameSchedule(v.Schedule, e.loaded) {
				e.open(v.Schedule)
			}
		} else {
			e.openNew()
		}
	}
}

func (l *scheduleList) find(id string) (hub.ScheduleView, bool) {
	for _, v := range l.schedules {
		if v.ID == id {
			return v, true
		}
	}
	return hub.ScheduleView{}, false
}

func (l *scheduleList) row(v hub.ScheduleView, paused bool) fyne.CanvasObject {
	t := l.tab
	r := &scheduleRow{}
	sched := v.Schedule
	r.enabled = widget.NewCheck(describeCron(v.CronExpr), nil)
	r.enabled.SetChecked(v.Enabled)
	r.enabled.OnChanged = func(on bool) { l.setEnabled(sched, on, r) }
	r.expr = widget.NewLabelWithStyle(v.CronExpr, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	r.groups = widget.NewLabel("Backs up " + strings.Join(v.Groups, ", "))
	r.groups.Wrapping = fyne.TextWrapWord
	r.next = widget.NewLabel("")
	r.next.Wrapping = fyne.TextWrapWord
	switch {
	case v.Error != "":
		r.next.Importance = widget.DangerImportance
		r.next.SetText("This expression no longer parses: " + v.Error)
	case !v.Enabled:
		r.next.Importance = widget.LowImportance
		r.next.SetText("Disabled.")
	case len(v.NextFires) == 0:
		r.next.SetText("Never fires.")
	case paused:
		r.next.Importance = widget.WarningImportance
		r.next.SetText("Paused. It would fire next " + t.whenList(v.NextFires, 1) + " (" + v.Location + ").")
	default:
		r.next.SetText("Next: " + t.whenList(v.NextFires, 3) + " (" + v.Location + ")")
	}
	r.edit = widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() {
		if sched.ID == t.editor.editingID {
			return
		}
		t.editor.discardThen(func() { t.editor.open(sched) })
	})
	l.rows[v.ID] = r
	head := container.NewBorder(nil, nil, nil, container.NewHBox(r.expr, r.edit), r.enabled)
	return widget.NewCard("", "", container.NewVBox(head, r.groups, r.next))
}

func (l *scheduleList) setEnabled(sched hub.Schedule, on bool, r *scheduleRow) {
	t := l.tab
	sched.Enabled = on
	if _, err := t.u.hub.PutSchedule(t.hostID, sched); err != nil {
		r.enabled.OnChanged = nil
		r.enabled.SetChecked(!on)
		r.enabled.OnChanged = func(on bool) { l.setEnabled(sched, on, r) }
		t.u.showError("Change schedule", err)
		return
	}
	l.reload() // an untouched editor of this schedule follows
	t.status.reload()
}
