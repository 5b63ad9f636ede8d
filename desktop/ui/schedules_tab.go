package ui

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// schedulesTab is a host's schedules: whether its agent runs the latest
// set, a pause switch, each schedule with its next fires, an editor, the
// maintenance plan (prune, check) and the latest fires the agent reported.
type schedulesTab struct {
	u      *UI
	hostID string

	syncIcon   *widget.Icon
	syncLabel  *widget.Label
	pause      *widget.Check
	pausedNote *widget.Label

	schedules []hub.ScheduleView
	listAt    time.Time // when the list (and its next fires) was read
	rows      map[string]*schedulesRow
	listBox   *fyne.Container
	listEmpty *widget.Label
	newBtn    *widget.Button

	// The editor. editingID is the stored schedule's id, "" for a new one.
	editingID   string
	loaded      hub.Schedule
	editorTitle *widget.Label
	cron        *widget.Entry
	presets     *widget.Select
	preview     *widget.Label
	groups      *widget.CheckGroup
	groupsMsg   *widget.Label
	groupsTouch bool
	enabled     *widget.Check
	form        formsForm
	saveBtn     *widget.Button
	revertBtn   *widget.Button
	deleteBtn   *widget.Button
	status      *formsStatus

	pruneCron, checkCron, subset *widget.Entry
	prunePreview, checkPreview   *widget.Label
	maint                        formsForm
	maintLoaded                  hub.Maintenance
	maintSave                    *widget.Button
	maintStatus                  *formsStatus

	firesBox   *fyne.Container
	firesEmpty *widget.Label

	obj fyne.CanvasObject
}

// schedulesRow is one schedule in the list.
type schedulesRow struct {
	enabled *widget.Check
	expr    *widget.Label
	groups  *widget.Label
	next    *widget.Label
	edit    *widget.Button
}

// schedulesPresets fill the cron entry with common choices.
var schedulesPresets = []struct{ label, expr string }{
	{"Every day at 02:30", "30 2 * * *"},
	{"Every 6 hours", "0 */6 * * *"},
	{"Every hour", "0 * * * *"},
	{"Weekdays at 19:00", "0 19 * * 1-5"},
	{"Every Sunday at 03:00", "0 3 * * 0"},
	{"1st of the month at 04:00", "0 4 1 * *"},
}

func newSchedulesTab(u *UI, sc *scope, hostID string) fyne.CanvasObject {
	return newSchedulesView(u, sc, hostID).obj
}

func newSchedulesView(u *UI, sc *scope, hostID string) *schedulesTab {
	s := &schedulesTab{u: u, hostID: hostID, rows: map[string]*schedulesRow{}, status: newFormsStatus(), maintStatus: newFormsStatus()}

	s.syncIcon = widget.NewIcon(icons.Pending)
	s.syncLabel = widget.NewLabel("")
	s.syncLabel.Wrapping = fyne.TextWrapWord
	s.pause = widget.NewCheck("Pause this host's schedules", s.setPaused)
	s.pausedNote = formsNote("")
	statusCard := widget.NewCard("", "", container.NewVBox(
		container.NewBorder(nil, nil, s.syncIcon, s.pause, s.syncLabel), s.pausedNote))

	s.listBox = container.NewVBox()
	s.listEmpty = formsNote("No schedules yet. A schedule backs up source groups on a cron; the agent runs it itself, even while this manager is away. Fill in the form to add one.")
	s.newBtn = widget.NewButtonWithIcon("New schedule", theme.ContentAddIcon(), func() {
		s.discardThen(s.openNew)
	})
	s.firesBox = container.NewVBox()
	s.firesEmpty = formsNote("No fires reported yet.")
	firesCard := widget.NewCard("Latest fires", "", container.NewVBox(s.firesEmpty, s.firesBox))
	left := container.NewVScroll(container.NewVBox(s.newBtn, s.listEmpty, s.listBox, firesCard))

	right := container.NewVScroll(container.NewVBox(s.buildEditor(), s.buildMaintenance()))
	split := container.NewHSplit(left, right)
	split.Offset = 0.45
	s.obj = container.NewBorder(statusCard, nil, nil, nil, split)

	s.reloadStatus()
	s.reloadList()
	s.reloadMaintenance()
	s.reloadFires()
	s.openNew()
	sc.on(func(c change) {
		if !about(c, hostID) {
			// "today 02:30" goes stale at midnight: any change in the
			// fleet re-reads the list, at most once a minute.
			if s.u.opts.Now().Sub(s.listAt) > time.Minute {
				s.reloadList()
			}
			return
		}
		switch c.Kind {
		case hub.ChangeSchedules:
			s.reloadStatus()
			s.reloadList()
			s.reloadMaintenance()
		case hub.ChangeHost:
			s.reloadStatus()
		case hub.ChangeHostEvents:
			s.reloadFires()
		case hub.ChangeAll:
			s.reloadStatus()
			s.reloadList()
			s.reloadMaintenance()
			s.reloadFires()
		}
	})
	return s
}

// --- host zone and times ---

// zone is the host's IANA zone as the hub evaluates its cron in.
func (s *schedulesTab) zone() (string, *time.Location) {
	d, err := s.u.hub.Host(s.hostID)
	if err != nil || d.Host.Timezone == "" {
		return "UTC", time.UTC
	}
	loc, err := time.LoadLocation(d.Host.Timezone)
	if err != nil {
		return "UTC", time.UTC
	}
	return d.Host.Timezone, loc
}

// schedulesWhen writes a fire time for people, relative to now in the
// same zone: "today 02:30", "tomorrow 02:30", "Thu 5 Mar 02:30",
// "5 Mar 2027 02:30".
func schedulesWhen(now, t time.Time) string {
	now = now.In(t.Location())
	y1, m1, d1 := now.Date()
	y2, m2, d2 := t.Date()
	today := time.Date(y1, m1, d1, 0, 0, 0, 0, t.Location())
	day := time.Date(y2, m2, d2, 0, 0, 0, 0, t.Location())
	switch diff := int(day.Sub(today).Round(time.Hour).Hours() / 24); {
	case diff == 0:
		return "today " + t.Format("15:04")
	case diff == 1:
		return "tomorrow " + t.Format("15:04")
	case diff == -1:
		return "yesterday " + t.Format("15:04")
	case y1 != y2:
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

func (s *schedulesTab) whenList(times []time.Time, n int) string {
	now := s.u.opts.Now()
	var parts []string
	for i, t := range times {
		if i == n {
			break
		}
		parts = append(parts, schedulesWhen(now, t))
	}
	return strings.Join(parts, ", ")
}

// describe is DescribeCron with the expression itself as the fallback.
func schedulesDescribe(expr string) string {
	if d := hub.DescribeCron(expr); d != "" {
		return d
	}
	return expr
}

// --- sync state and pause ---

func (s *schedulesTab) reloadStatus() {
	st, err := s.u.hub.ScheduleStatus(s.hostID)
	if err != nil {
		s.syncLabel.SetText("Could not read the schedule state: " + err.Error())
		return
	}
	d, _ := s.u.hub.Host(s.hostID)
	switch {
	case st.InSync():
		s.syncIcon.SetResource(icons.Online)
		text := fmt.Sprintf("The agent runs version %d of this host's schedules.", st.Version)
		if !st.AckedAt.IsZero() {
			at := st.AckedAt
			text = fmt.Sprintf("The agent runs version %d of this host's schedules (acknowledged %s).", st.Version, humanAge(s.u.opts.Now(), &at))
		}
		s.syncLabel.SetText(text)
	default:
		s.syncIcon.SetResource(icons.Pending)
		text := fmt.Sprintf("Waiting for the agent to acknowledge version %d", st.Version)
		if st.AckedVersion > 0 {
			text += fmt.Sprintf(" (it runs version %d)", st.AckedVersion)
		}
		if !d.Online {
			text += ": the host is offline and gets it when it next connects."
		} else {
			text += "."
		}
		s.syncLabel.SetText(text)
	}
	s.pause.OnChanged = nil
	s.pause.SetChecked(st.Paused)
	s.pause.OnChanged = s.setPaused
	switch {
	case st.PausedGlobally:
		s.pausedNote.SetText("All schedules are paused from the tray menu: nothing runs on a schedule until that is switched off.")
	case st.Paused:
		s.pausedNote.SetText("This host's schedules are paused: the agent keeps them but runs none (maintenance too) until you resume.")
	default:
		s.pausedNote.SetText("")
	}
	s.pausedNote.Hidden = s.pausedNote.Text == ""
	s.pausedNote.Refresh()
}

func (s *schedulesTab) setPaused(on bool) {
	if err := s.u.hub.SetHostSchedulesPaused(s.hostID, on); err != nil {
		s.u.showError("Pause schedules", err)
	}
	s.reloadStatus()
	s.reloadList()
}

// --- the list ---

func (s *schedulesTab) reloadList() {
	list, err := s.u.hub.Schedules(s.hostID)
	if err != nil {
		s.listEmpty.SetText("Could not read the schedules: " + err.Error())
		s.listEmpty.Show()
		return
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	st, _ := s.u.hub.ScheduleStatus(s.hostID)
	s.schedules, s.listAt = list, s.u.opts.Now()
	s.rows = map[string]*schedulesRow{}
	s.listBox.Objects = nil
	for _, v := range list {
		s.listBox.Add(s.row(v, st.Paused || st.PausedGlobally))
	}
	s.listBox.Refresh()
	s.listEmpty.Hidden = len(list) > 0
	s.listEmpty.Refresh()
	s.refreshGroupOptions()
	// An edited schedule that changed elsewhere, untouched here, follows.
	if s.editingID != "" && !s.dirty() {
		if v, ok := s.find(s.editingID); ok {
			if !schedulesSame(v.Schedule, s.loaded) {
				s.open(v.Schedule)
			}
		} else {
			s.openNew()
		}
	}
}

func (s *schedulesTab) find(id string) (hub.ScheduleView, bool) {
	for _, v := range s.schedules {
		if v.ID == id {
			return v, true
		}
	}
	return hub.ScheduleView{}, false
}

func (s *schedulesTab) row(v hub.ScheduleView, paused bool) fyne.CanvasObject {
	r := &schedulesRow{}
	sched := v.Schedule
	r.enabled = widget.NewCheck(schedulesDescribe(v.CronExpr), nil)
	r.enabled.SetChecked(v.Enabled)
	r.enabled.OnChanged = func(on bool) { s.setEnabled(sched, on, r) }
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
		r.next.SetText("Paused. It would fire next " + s.whenList(v.NextFires, 1) + " (" + v.Location + ").")
	default:
		r.next.SetText("Next: " + s.whenList(v.NextFires, 3) + " (" + v.Location + ")")
	}
	r.edit = widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() {
		if sched.ID == s.editingID {
			return
		}
		s.discardThen(func() { s.open(sched) })
	})
	s.rows[v.ID] = r
	head := container.NewBorder(nil, nil, nil, container.NewHBox(r.expr, r.edit), r.enabled)
	return widget.NewCard("", "", container.NewVBox(head, r.groups, r.next))
}

func (s *schedulesTab) setEnabled(sched hub.Schedule, on bool, r *schedulesRow) {
	sched.Enabled = on
	if _, err := s.u.hub.PutSchedule(s.hostID, sched); err != nil {
		r.enabled.OnChanged = nil
		r.enabled.SetChecked(!on)
		r.enabled.OnChanged = func(on bool) { s.setEnabled(sched, on, r) }
		s.u.showError("Change schedule", err)
		return
	}
	s.reloadList() // an untouched editor of this schedule follows

	s.reloadStatus()
}

// --- the editor ---

func (s *schedulesTab) buildEditor() fyne.CanvasObject {
	s.editorTitle = widget.NewLabelWithStyle("New schedule", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.cron = widget.NewEntry()
	s.cron.SetPlaceHolder("30 2 * * *")
	s.cron.TextStyle.Monospace = true
	var labels []string
	for _, p := range schedulesPresets {
		labels = append(labels, p.label)
	}
	s.presets = widget.NewSelect(labels, func(label string) {
		for _, p := range schedulesPresets {
			if p.label == label {
				s.cron.SetText(p.expr)
			}
		}
	})
	s.presets.PlaceHolder = "Presets"
	zone, _ := s.zone()
	cronF := s.form.field("When", s.cron,
		"Five fields: minute hour day-of-month month day-of-week (such as 30 2 * * *), or @daily, @every 6h. Evaluated in the host's zone ("+zone+") unless it starts with CRON_TZ=<zone>.",
		hub.ValidateCron)
	s.preview = widget.NewLabel("")
	s.preview.Wrapping = fyne.TextWrapWord
	s.preview.TextStyle.Italic = true

	s.groups = widget.NewCheckGroup(nil, func([]string) {
		s.groupsTouch = true
		s.form.changed()
	})
	s.groupsMsg = widget.NewLabel("")
	s.groupsMsg.Wrapping = fyne.TextWrapWord
	s.groupsMsg.SizeName = theme.SizeNameCaptionText
	s.form.check(func() error {
		if len(s.groups.Options) == 0 {
			return errors.New("this host has no source groups yet: add one in the Source groups tab first")
		}
		if len(s.groups.Selected) == 0 {
			return errors.New("pick at least one source group to back up")
		}
		return nil
	})
	s.enabled = widget.NewCheck("Enabled", func(bool) { s.form.changed() })

	s.form.onChange = func(bool) { s.status.clear(); s.updateEditor() }
	s.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.save)
	s.saveBtn.Importance = widget.HighImportance
	s.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), s.revert)
	s.deleteBtn = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), s.confirmDelete)
	s.deleteBtn.Importance = widget.DangerImportance

	when := container.NewBorder(nil, nil, nil, s.presets, s.cron)
	label := func(t string) *widget.Label {
		l := widget.NewLabel(t)
		l.TextStyle.Bold = true
		return l
	}
	body := container.NewVBox(
		label("When"), when, cronF.msg, s.preview,
		label("Back up"), s.groups, s.groupsMsg,
		s.enabled,
		container.NewHBox(s.saveBtn, s.revertBtn, widget.NewSeparator(), s.deleteBtn),
		s.status.label)
	return widget.NewCard("", "", container.NewVBox(s.editorTitle, body))
}

// refreshGroupOptions offers the host's groups, keeping the checks.
func (s *schedulesTab) refreshGroupOptions() {
	list, err := s.u.hub.SourceGroups(s.hostID)
	if err != nil {
		return
	}
	var names []string
	for _, g := range list {
		names = append(names, g.Name)
	}
	sort.Strings(names)
	if strings.Join(names, "\x00") == strings.Join(s.groups.Options, "\x00") {
		return
	}
	exists := map[string]bool{}
	for _, n := range names {
		exists[n] = true
	}
	var sel []string
	for _, n := range s.groups.Selected {
		if exists[n] {
			sel = append(sel, n)
		}
	}
	s.groups.Options = names
	s.setGroupsQuiet(sel)
	s.groups.Refresh()
	s.updateEditor()
}

func (s *schedulesTab) setGroupsQuiet(sel []string) {
	fn := s.groups.OnChanged
	s.groups.OnChanged = nil
	s.groups.SetSelected(sel)
	s.groups.OnChanged = fn
}

// edited is the editor's schedule (valid or not).
func (s *schedulesTab) edited() hub.Schedule {
	var sel []string
	for _, n := range s.groups.Options { // in list order, not click order
		for _, m := range s.groups.Selected {
			if n == m {
				sel = append(sel, n)
			}
		}
	}
	return hub.Schedule{ID: s.editingID, CronExpr: strings.TrimSpace(s.cron.Text), Enabled: s.enabled.Checked, Groups: sel}
}

func schedulesSame(a, b hub.Schedule) bool {
	return a.ID == b.ID && a.CronExpr == b.CronExpr && a.Enabled == b.Enabled &&
		strings.Join(a.Groups, "\x00") == strings.Join(b.Groups, "\x00")
}

func (s *schedulesTab) dirty() bool { return !schedulesSame(s.edited(), s.loaded) }

// updateEditor refreshes the preview, the groups message and the buttons.
func (s *schedulesTab) updateEditor() {
	expr := strings.TrimSpace(s.cron.Text)
	if err := hub.ValidateCron(expr); err == nil {
		zone, _ := s.zone()
		fires, _ := hub.NextFires(expr, zone, s.u.opts.Now(), 3)
		text := schedulesDescribe(expr)
		switch {
		case len(fires) > 0 && s.enabled.Checked:
			text += " — next: " + s.whenList(fires, 3) + " (" + zone + ")"
		case len(fires) > 0:
			text += " — disabled; would fire next: " + s.whenList(fires, 1) + " (" + zone + ")"
		}
		s.preview.SetText(strings.ToUpper(text[:1]) + text[1:])
		s.preview.Show()
	} else {
		s.preview.SetText("")
		s.preview.Hide()
	}
	groupsErr := error(nil)
	for _, fn := range s.form.extra {
		if err := fn(); err != nil {
			groupsErr = err
		}
	}
	switch {
	case groupsErr != nil && (s.groupsTouch || s.editingID != "" || len(s.groups.Options) == 0):
		s.groupsMsg.Importance = widget.DangerImportance
		s.groupsMsg.SetText(formsMessage(groupsErr))
	default:
		s.groupsMsg.Importance = widget.LowImportance
		s.groupsMsg.SetText("Each fire backs up every checked group (one job each), then forgets old snapshots by their retention.")
	}
	valid, dirty := s.form.valid(), s.dirty()
	enableIf(s.saveBtn, valid && dirty)
	enableIf(s.revertBtn, dirty)
	if s.editingID == "" {
		s.deleteBtn.Disable()
	} else {
		s.deleteBtn.Enable()
	}
}

func (s *schedulesTab) open(sc hub.Schedule) {
	if sc.ID != s.editingID {
		s.status.clear()
	}
	s.editingID, s.loaded = sc.ID, sc
	s.editorTitle.SetText("Schedule “" + schedulesDescribe(sc.CronExpr) + "”")
	s.fill(sc)
}

func (s *schedulesTab) openNew() {
	if s.editingID != "" {
		s.status.clear()
	}
	sc := hub.Schedule{Enabled: true}
	s.editingID, s.loaded = "", sc
	s.editorTitle.SetText("New schedule")
	s.fill(sc)
}

func (s *schedulesTab) fill(sc hub.Schedule) {
	s.groupsTouch = false
	s.form.fill(func() {
		s.cron.SetText(sc.CronExpr)
		s.setGroupsQuiet(append([]string(nil), sc.Groups...))
		s.enabled.OnChanged = nil
		s.enabled.SetChecked(sc.Enabled)
		s.enabled.OnChanged = func(bool) { s.form.changed() }
		s.presets.ClearSelected()
	})
	s.updateEditor()
}

func (s *schedulesTab) discardThen(next func()) {
	if !s.dirty() {
		next()
		return
	}
	dialog.ShowConfirm("Discard changes?", "Your changes to this schedule are not saved.", func(ok bool) {
		if ok {
			next()
		}
	}, s.u.win)
}

func (s *schedulesTab) revert() {
	if v, ok := s.find(s.editingID); ok && s.editingID != "" {
		s.open(v.Schedule)
		return
	}
	s.openNew()
}

func (s *schedulesTab) save() {
	if err := s.form.firstError(); err != nil {
		s.status.fail(formsMessage(err))
		return
	}
	stored, err := s.u.hub.PutSchedule(s.hostID, s.edited())
	if err != nil {
		s.status.fail("Not saved: " + err.Error())
		return
	}
	s.editingID, s.loaded = stored.ID, stored
	s.reloadList()
	s.reloadStatus()
	s.open(stored)
	text := "Saved."
	if v, ok := s.find(stored.ID); ok && len(v.NextFires) > 0 && stored.Enabled {
		text = "Saved. Next fire: " + s.whenList(v.NextFires, 1) + " (" + v.Location + ")."
	}
	s.status.ok(text + " " + formsOfflineNote(s.u, s.hostID))
}

func (s *schedulesTab) confirmDelete() {
	id := s.editingID
	if id == "" {
		return
	}
	desc := schedulesDescribe(s.loaded.CronExpr)
	dialog.ShowConfirm("Delete schedule?", "Delete the schedule “"+desc+"”? Jobs it already started finish; no new ones start.", func(ok bool) {
		if !ok {
			return
		}
		if err := s.u.hub.DeleteSchedule(s.hostID, id); err != nil {
			s.status.fail("Not deleted: " + err.Error())
			return
		}
		s.openNew()
		s.reloadList()
		s.reloadStatus()
		s.status.ok("Deleted the schedule “" + desc + "”.")
	}, s.u.win)
}

// --- maintenance ---

func (s *schedulesTab) buildMaintenance() fyne.CanvasObject {
	s.pruneCron = widget.NewEntry()
	s.pruneCron.SetPlaceHolder("never (e.g. 0 4 * * 0)")
	s.pruneCron.TextStyle.Monospace = true
	s.checkCron = widget.NewEntry()
	s.checkCron.SetPlaceHolder("never (e.g. 0 5 1 * *)")
	s.checkCron.TextStyle.Monospace = true
	s.subset = widget.NewEntry()
	s.subset.SetPlaceHolder("metadata only")
	optionalCron := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		return hub.ValidateCron(v)
	}
	pruneF := s.maint.field("Prune", s.pruneCron, "Removes data no snapshot needs any more (uses the admin credentials when set). Empty: never.", optionalCron)
	checkF := s.maint.field("Check", s.checkCron, "Verifies the repository's structure. Empty: never.", optionalCron)
	subsetF := s.maint.field("Check reads", s.subset, "Also read and verify this share of the data at each check: a percentage such as 5% or a fraction such as 1/10. Empty: metadata only.",
		func(v string) error { return hub.ValidateReadDataSubset(strings.TrimSpace(v)) })
	s.prunePreview = formsNote("")
	s.checkPreview = formsNote("")
	s.maint.onChange = func(bool) { s.maintStatus.clear(); s.updateMaintenance() }
	s.maintSave = widget.NewButtonWithIcon("Save maintenance", theme.DocumentSaveIcon(), s.saveMaintenance)
	s.maintSave.Importance = widget.HighImportance
	rows := formsRows(pruneF, checkF, subsetF)
	return widget.NewCard("Maintenance", "", container.NewVBox(
		formsNote("Prune and check run on their own schedules, one job at a time with the backups."),
		rows, s.prunePreview, s.checkPreview, container.NewHBox(s.maintSave), s.maintStatus.label))
}

func (s *schedulesTab) editedMaintenance() hub.Maintenance {
	return hub.Maintenance{PruneCron: strings.TrimSpace(s.pruneCron.Text), CheckCron: strings.TrimSpace(s.checkCron.Text),
		CheckReadDataSubset: strings.TrimSpace(s.subset.Text)}
}

func (s *schedulesTab) updateMaintenance() {
	m := s.editedMaintenance()
	line := func(l *widget.Label, what, expr string) {
		if expr == "" || hub.ValidateCron(expr) != nil {
			l.SetText("")
			l.Hide()
			return
		}
		zone, _ := s.zone()
		text := what + " " + schedulesDescribe(expr)
		if fires, _ := hub.NextFires(expr, zone, s.u.opts.Now(), 1); len(fires) > 0 {
			text += " — next: " + s.whenList(fires, 1)
		}
		l.SetText(text)
		l.Show()
	}
	line(s.prunePreview, "Prune", m.PruneCron)
	line(s.checkPreview, "Check", m.CheckCron)
	enableIf(s.maintSave, s.maint.valid() && m != s.maintLoaded)
}

func (s *schedulesTab) reloadMaintenance() {
	m, err := s.u.hub.Maintenance(s.hostID)
	if err != nil {
		s.maintStatus.fail("Could not read the maintenance plan: " + err.Error())
		return
	}
	editing := s.editedMaintenance() != s.maintLoaded
	s.maintLoaded = m
	if !editing {
		s.maint.fill(func() {
			s.pruneCron.SetText(m.PruneCron)
			s.checkCron.SetText(m.CheckCron)
			s.subset.SetText(m.CheckReadDataSubset)
		})
	}
	s.updateMaintenance()
}

func (s *schedulesTab) saveMaintenance() {
	if err := s.maint.firstError(); err != nil {
		s.maintStatus.fail(formsMessage(err))
		return
	}
	m := s.editedMaintenance()
	if err := s.u.hub.SetMaintenance(s.hostID, m); err != nil {
		s.maintStatus.fail("Not saved: " + err.Error())
		return
	}
	s.maintLoaded = m
	s.updateMaintenance()
	s.reloadStatus()
	s.maintStatus.ok("Saved the maintenance plan. " + formsOfflineNote(s.u, s.hostID))
}

// --- fires ---

func (s *schedulesTab) reloadFires() {
	fires, err := s.u.hub.Fires(s.hostID, 10)
	if err != nil {
		s.firesEmpty.SetText("Could not read the fires: " + err.Error())
		s.firesEmpty.Show()
		return
	}
	_, loc := s.zone()
	now := s.u.opts.Now()
	s.firesBox.Objects = nil
	for _, f := range fires {
		name := s.fireName(f.ScheduleID)
		detail := ""
		icon := icons.Online
		switch {
		case f.Skipped != "":
			detail = "skipped: " + f.Skipped
			icon = icons.Pending
		case len(f.JobIDs) == 1:
			detail = "started 1 job"
		default:
			detail = fmt.Sprintf("started %d jobs", len(f.JobIDs))
		}
		l := widget.NewLabel(schedulesWhen(now, f.ScheduledAt.In(loc)) + " — " + name + " — " + detail)
		l.Wrapping = fyne.TextWrapWord
		s.firesBox.Add(container.NewBorder(nil, nil, widget.NewIcon(icon), nil, l))
	}
	s.firesBox.Refresh()
	s.firesEmpty.Hidden = len(fires) > 0
	s.firesEmpty.Refresh()
}

func (s *schedulesTab) fireName(id string) string {
	switch id {
	case "maintenance:prune":
		return "prune"
	case "maintenance:check":
		return "check"
	}
	if v, ok := s.find(id); ok {
		return schedulesDescribe(v.CronExpr)
	}
	return "a deleted schedule"
}
