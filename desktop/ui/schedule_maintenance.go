package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// maintenanceCard is the Schedules tab's maintenance plan: when prune,
// check and the copy into the second repository run, and how much data a
// check reads back.
type maintenanceCard struct {
	tab *schedulesTab

	pruneCron, checkCron, subset *widget.Entry
	copyCron                     *widget.Entry
	prunePreview, checkPreview   *widget.Label
	copyPreview                  *widget.Label
	// copyNote says the copy schedule waits for a second repository.
	copyNote *widget.Label
	form     checkedForm
	loaded   hub.Maintenance
	saveBtn  *widget.Button
	status   *statusLine

	obj fyne.CanvasObject
}

func newMaintenanceCard(tab *schedulesTab) *maintenanceCard {
	m := &maintenanceCard{tab: tab, status: newStatusLine()}
	m.pruneCron = widget.NewEntry()
	m.pruneCron.SetPlaceHolder("never (e.g. 0 4 * * 0)")
	m.pruneCron.TextStyle.Monospace = true
	m.checkCron = widget.NewEntry()
	m.checkCron.SetPlaceHolder("never (e.g. 0 5 1 * *)")
	m.checkCron.TextStyle.Monospace = true
	m.subset = widget.NewEntry()
	m.subset.SetPlaceHolder("metadata only")
	m.copyCron = widget.NewEntry()
	m.copyCron.SetPlaceHolder("never (e.g. 0 6 * * *)")
	m.copyCron.TextStyle.Monospace = true
	optionalCron := func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		return hub.ValidateCron(v)
	}
	pruneF := m.form.field("Prune", m.pruneCron, "Removes data no snapshot needs any more (uses the admin credentials when set). Empty: never.", optionalCron)
	checkF := m.form.field("Check", m.checkCron, "Verifies the repository's structure. Empty: never.", optionalCron)
	subsetF := m.form.field("Check reads", m.subset, "Also read and verify this share of the data at each check: a percentage such as 5% or a fraction such as 1/10. Empty: metadata only.",
		func(v string) error { return hub.ValidateReadDataSubset(strings.TrimSpace(v)) })
	copyF := m.form.field("Copy", m.copyCron, "Copies the snapshots the second repository lacks into it (Settings). Empty: never.", optionalCron)
	m.prunePreview = noteLabel("")
	m.checkPreview = noteLabel("")
	m.copyPreview = noteLabel("")
	m.copyNote = noteLabel("")
	m.copyNote.Importance = widget.WarningImportance
	m.copyNote.Hide()
	m.form.onChange = func(bool) { m.status.clear(); m.update() }
	m.saveBtn = widget.NewButtonWithIcon("Save maintenance", theme.DocumentSaveIcon(), m.save)
	m.saveBtn.Importance = widget.HighImportance
	m.obj = widget.NewCard("Maintenance", "", container.NewVBox(
		noteLabel("Prune, check and copy run on their own schedules, one job at a time with the backups."),
		fieldRows(pruneF, checkF, subsetF, copyF), m.prunePreview, m.checkPreview, m.copyPreview, m.copyNote,
		actionRow(m.status, m.saveBtn)))
	return m
}

func (m *maintenanceCard) object() fyne.CanvasObject { return m.obj }

func (m *maintenanceCard) edited() hub.Maintenance {
	return hub.Maintenance{PruneCron: strings.TrimSpace(m.pruneCron.Text), CheckCron: strings.TrimSpace(m.checkCron.Text),
		CheckReadDataSubset: strings.TrimSpace(m.subset.Text), CopyCron: strings.TrimSpace(m.copyCron.Text)}
}

func (m *maintenanceCard) update() {
	t := m.tab
	plan := m.edited()
	line := func(l *widget.Label, what, expr string) {
		if expr == "" || hub.ValidateCron(expr) != nil {
			l.SetText("")
			l.Hide()
			return
		}
		zone, _ := t.zone()
		text := what + " " + describeCron(expr)
		if fires, _ := hub.NextFires(expr, zone, t.u.opts.Now(), 1); len(fires) > 0 {
			text += " — next: " + t.whenList(fires, 1)
		}
		l.SetText(text)
		l.Show()
	}
	line(m.prunePreview, "Prune", plan.PruneCron)
	line(m.checkPreview, "Check", plan.CheckCron)
	line(m.copyPreview, "Copy", plan.CopyCron)
	enableIf(m.saveBtn, m.form.valid() && plan != m.loaded)
}

// reload reads the stored plan; an edit in progress is kept.
func (m *maintenanceCard) reload() {
	t := m.tab
	plan, err := t.u.hub.Maintenance(t.hostID)
	if err != nil {
		m.status.fail("Could not read the maintenance plan: " + err.Error())
		return
	}
	editing := m.edited() != m.loaded
	m.loaded = plan
	if !editing {
		m.form.fill(func() {
			m.pruneCron.SetText(plan.PruneCron)
			m.checkCron.SetText(plan.CheckCron)
			m.subset.SetText(plan.CheckReadDataSubset)
			m.copyCron.SetText(plan.CopyCron)
		})
	}
	m.showCopyNote()
	m.update()
}

// showCopyNote says, while the host has no second repository, that a
// copy schedule is kept but not sent (the hub sends it only with one).
func (m *maintenanceCard) showCopyNote() {
	t := m.tab
	cr, err := t.u.hub.CopyRepository(t.hostID)
	switch {
	case err != nil:
		m.copyNote.SetText("Could not read the second repository: " + err.Error())
	case !cr.Configured():
		m.copyNote.SetText("This host has no second repository yet: set one in the Settings tab, or a copy schedule is kept but not sent.")
	default:
		m.copyNote.SetText("")
	}
	showIf(m.copyNote, m.copyNote.Text != "")
}

func (m *maintenanceCard) save() {
	t := m.tab
	if err := m.form.firstError(); err != nil {
		m.status.fail(fieldMessage(err))
		return
	}
	plan := m.edited()
	r, err := t.u.hub.SaveMaintenance(t.hostID, plan)
	if err != nil {
		m.status.fail("Not saved: " + err.Error())
		return
	}
	m.loaded = plan
	m.update()
	t.status.reload()
	m.status.saved(t.u, t.sc, r, "Saved the maintenance plan")
}
