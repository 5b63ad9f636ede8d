package ui

import (
	"errors"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// scheduleEditor is the Schedules tab's form for one schedule (or a new
// one): its cron with presets and a preview of the next fires in the
// host's zone, the groups it backs up, and whether it is enabled.
type scheduleEditor struct {
	tab *schedulesTab

	// editingID is the stored schedule's id, "" for a new one; loaded is
	// what the editor was filled with.
	editingID   string
	loaded      hub.Schedule
	title       *widget.Label
	cron        *widget.Entry
	presets     *widget.Select
	preview     *widget.Label
	groups      *widget.CheckGroup
	groupsMsg   *widget.Label
	groupsTouch bool
	enabled     *widget.Check
	form        checkedForm
	saveBtn     *widget.Button
	revertBtn   *widget.Button
	deleteBtn   *widget.Button
	status      *statusLine

	obj fyne.CanvasObject
}

// schedulePresets fill the cron entry with common choices.
var schedulePresets = []struct{ label, expr string }{
	{"Every day at 02:30", "30 2 * * *"},
	{"Every 6 hours", "0 */6 * * *"},
	{"Every hour", "0 * * * *"},
	{"Weekdays at 19:00", "0 19 * * 1-5"},
	{"Every Sunday at 03:00", "0 3 * * 0"},
	{"1st of the month at 04:00", "0 4 1 * *"},
}

func newScheduleEditor(tab *schedulesTab) *scheduleEditor {
	e := &scheduleEditor{tab: tab, status: newStatusLine()}
	e.title = widget.NewLabelWithStyle("New schedule", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	e.cron = widget.NewEntry()
	e.cron.SetPlaceHolder("30 2 * * *")
	e.cron.TextStyle.Monospace = true
	var labels []string
	for _, p := range schedulePresets {
		labels = append(labels, p.label)
	}
	e.presets = widget.NewSelect(labels, func(label string) {
		for _, p := range schedulePresets {
			if p.label == label {
				e.cron.SetText(p.expr)
			}
		}
	})
	e.presets.PlaceHolder = "Presets"
	zone, _ := tab.zone()
	cronF := e.form.field("When", e.cron,
		"Five fields: minute hour day-of-month month day-of-week (such as 30 2 * * *), or @daily, @every 6h. Evaluated in the host's zone ("+zone+") unless it starts with CRON_TZ=<zone>.",
		hub.ValidateCron)
	e.preview = widget.NewLabel("")
	e.preview.Wrapping = fyne.TextWrapWord
	e.preview.TextStyle.Italic = true

	e.groups = widget.NewCheckGroup(nil, func([]string) {
		e.groupsTouch = true
		e.form.changed()
	})
	e.groupsMsg = widget.NewLabel("")
	e.groupsMsg.Wrapping = fyne.TextWrapWord
	e.groupsMsg.SizeName = theme.SizeNameCaptionText
	e.form.check(func() error {
		if len(e.groups.Options) == 0 {
			return errors.New("this host has no source groups yet: add one in the Source groups tab first")
		}
		if len(e.groups.Selected) == 0 {
			return errors.New("pick at least one source group to back up")
		}
		return nil
	})
	e.enabled = widget.NewCheck("Enabled", func(bool) { e.form.changed() })

	e.form.onChange = func(bool) { e.status.clear(); e.update() }
	e.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), e.save)
	e.saveBtn.Importance = widget.HighImportance
	e.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), e.revert)
	e.deleteBtn = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), e.confirmDelete)
	e.deleteBtn.Importance = widget.DangerImportance

	when := container.NewBorder(nil, nil, nil, e.presets, e.cron)
	label := func(t string) *widget.Label {
		l := widget.NewLabel(t)
		l.TextStyle.Bold = true
		return l
	}
	body := container.NewVBox(
		label("When"), when, cronF.msg, e.preview,
		label("Back up"), e.groups, e.groupsMsg,
		e.enabled,
		actionRow(e.status, e.saveBtn, e.revertBtn, widget.NewSeparator(), e.deleteBtn))
	e.obj = widget.NewCard("", "", container.NewVBox(e.title, body))
	return e
}

func (e *scheduleEditor) object() fyne.CanvasObject { return e.obj }

// refreshGroupOptions offers the host's groups, keeping the checks.
func (e *scheduleEditor) refreshGroupOptions() {
	list, err := e.tab.u.hub.SourceGroups(e.tab.hostID)
	if err != nil {
		return
	}
	var names []string
	for _, g := range list {
		names = append(names, g.Name)
	}
	sort.Strings(names)
	if strings.Join(names, "\x00") == strings.Join(e.groups.Options, "\x00") {
		return
	}
	exists := map[string]bool{}
	for _, n := range names {
		exists[n] = true
	}
	var sel []string
	for _, n := range e.groups.Selected {
		if exists[n] {
			sel = append(sel, n)
		}
	}
	e.groups.Options = names
	e.setGroupsQuiet(sel)
	e.groups.Refresh()
	e.update()
}

func (e *scheduleEditor) setGroupsQuiet(sel []string) {
	fn := e.groups.OnChanged
	e.groups.OnChanged = nil
	e.groups.SetSelected(sel)
	e.groups.OnChanged = fn
}

// edited is the editor's schedule (valid or not).
func (e *scheduleEditor) edited() hub.Schedule {
	var sel []string
	for _, n := range e.groups.Options { // in list order, not click order
		for _, m := range e.groups.Selected {
			if n == m {
				sel = append(sel, n)
			}
		}
	}
	return hub.Schedule{ID: e.editingID, CronExpr: strings.TrimSpace(e.cron.Text), Enabled: e.enabled.Checked, Groups: sel}
}

func sameSchedule(a, b hub.Schedule) bool {
	return a.ID == b.ID && a.CronExpr == b.CronExpr && a.Enabled == b.Enabled &&
		strings.Join(a.Groups, "\x00") == strings.Join(b.Groups, "\x00")
}

func (e *scheduleEditor) dirty() bool { return !sameSchedule(e.edited(), e.loaded) }

// update refreshes the preview, the groups message and the buttons.
func (e *scheduleEditor) update() {
	t := e.tab
	expr := strings.TrimSpace(e.cron.Text)
	if err := hub.ValidateCron(expr); err == nil {
		zone, _ := t.zone()
		fires, _ := hub.NextFires(expr, zone, t.u.opts.Now(), 3)
		text := describeCron(expr)
		switch {
		case len(fires) > 0 && e.enabled.Checked:
			text += " — next: " + t.whenList(fires, 3) + " (" + zone + ")"
		case len(fires) > 0:
			text += " — disabled; would fire next: " + t.whenList(fires, 1) + " (" + zone + ")"
		}
		e.preview.SetText(capitalize(text))
		e.preview.Show()
	} else {
		e.preview.SetText("")
		e.preview.Hide()
	}
	groupsErr := error(nil)
	for _, fn := range e.form.extra {
		if err := fn(); err != nil {
			groupsErr = err
		}
	}
	switch {
	case groupsErr != nil && (e.groupsTouch || e.editingID != "" || len(e.groups.Options) == 0):
		e.groupsMsg.Importance = widget.DangerImportance
		e.groupsMsg.SetText(fieldMessage(groupsErr))
	default:
		e.groupsMsg.Importance = widget.LowImportance
		e.groupsMsg.SetText("Each fire backs up every checked group (one job each), then forgets old snapshots by their retention.")
	}
	valid, dirty := e.form.valid(), e.dirty()
	enableIf(e.saveBtn, valid && dirty)
	enableIf(e.revertBtn, dirty)
	enableIf(e.deleteBtn, e.editingID != "")
}

func (e *scheduleEditor) open(sc hub.Schedule) {
	if sc.ID != e.editingID {
		e.status.clear()
	}
	e.editingID, e.loaded = sc.ID, sc
	e.title.SetText("Schedule “" + describeCron(sc.CronExpr) + "”")
	e.fill(sc)
}

func (e *scheduleEditor) openNew() {
	if e.editingID != "" {
		e.status.clear()
	}
	sc := hub.Schedule{Enabled: true}
	e.editingID, e.loaded = "", sc
	e.title.SetText("New schedule")
	e.fill(sc)
}

func (e *scheduleEditor) fill(sc hub.Schedule) {
	e.groupsTouch = false
	e.form.fill(func() {
		e.cron.SetText(sc.CronExpr)
		e.setGroupsQuiet(append([]string(nil), sc.Groups...))
		e.enabled.OnChanged = nil
		e.enabled.SetChecked(sc.Enabled)
		e.enabled.OnChanged = func(bool) { e.form.changed() }
		e.presets.ClearSelected()
	})
	e.update()
}

func (e *scheduleEditor) discardThen(next func()) {
	confirmDiscard(e.tab.u.win, e.dirty(), "this schedule", next, nil)
}

func (e *scheduleEditor) revert() {
	if v, ok := e.tab.list.find(e.editingID); ok && e.editingID != "" {
		e.open(v.Schedule)
		return
	}
	e.openNew()
}

func (e *scheduleEditor) save() {
	t := e.tab
	if err := e.form.firstError(); err != nil {
		e.status.fail(fieldMessage(err))
		return
	}
	stored, r, err := t.u.hub.SaveSchedule(t.hostID, e.edited())
	if err != nil {
		e.status.fail("Not saved: " + err.Error())
		return
	}
	e.editingID, e.loaded = stored.ID, stored
	t.list.reload()
	t.status.reload()
	e.open(stored)
	next := ""
	switch v, ok := t.list.find(stored.ID); {
	case !stored.Enabled:
		next = "Disabled: it does not fire"
	case ok && len(v.NextFires) > 0:
		next = "Next fire: " + t.whenList(v.NextFires, 1) + " (" + v.Location + ")"
	}
	e.status.saved(t.u, t.sc, r, "Saved", next)
}

func (e *scheduleEditor) confirmDelete() {
	t := e.tab
	id := e.editingID
	if id == "" {
		return
	}
	desc := describeCron(e.loaded.CronExpr)
	dialog.ShowConfirm("Delete schedule?", "Delete the schedule “"+desc+"”? Jobs it already started finish; no new ones start.", func(ok bool) {
		if !ok {
			return
		}
		r, err := t.u.hub.SaveDeleteSchedule(t.hostID, id)
		if err != nil {
			e.status.fail("Not deleted: " + err.Error())
			return
		}
		e.openNew()
		t.list.reload()
		t.status.reload()
		e.status.saved(t.u, t.sc, r, "Deleted the schedule “"+desc+"”")
	}, t.u.win)
}
