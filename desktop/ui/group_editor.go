package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// groupEditor is the right side of the Source groups tab: the selected
// (or a new) group's paths, retention, retries and hooks, checked as they
// are typed, with Save, Revert and Delete.
type groupEditor struct {
	tab *groupsTab

	// editing is the stored group's name, "" for a new group; loaded is
	// what the editor was filled with.
	editing string
	loaded  hub.SourceGroup

	title    *widget.Label
	name     *widget.Entry
	includes *widget.Entry
	excludes *widget.Entry
	// keep holds keep_last, keep_hourly, keep_daily, keep_weekly,
	// keep_monthly, keep_yearly in that order.
	keep         [6]*widget.Entry
	retryMax     *widget.Entry
	retryBackoff *widget.Entry
	preHook      *widget.Entry
	postHook     *widget.Entry
	form         checkedForm
	saveBtn      *widget.Button
	revertBtn    *widget.Button
	deleteBtn    *widget.Button
	status       *statusLine
	retentionMsg *widget.Label
	previewBtn   *widget.Button
	preview      *retentionView

	obj fyne.CanvasObject
}

var groupKeepLabels = [6]string{"Keep last", "Hourly", "Daily", "Weekly", "Monthly", "Yearly"}

func newGroupEditor(tab *groupsTab) *groupEditor {
	e := &groupEditor{tab: tab, status: newStatusLine()}
	e.title = widget.NewLabelWithStyle("New source group", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	e.title.SizeName = theme.SizeNameSubHeadingText
	e.name = widget.NewEntry()
	e.name.SetPlaceHolder("documents")
	e.includes = widget.NewMultiLineEntry()
	e.includes.SetPlaceHolder("/home\n/etc")
	e.includes.SetMinRowsVisible(4)
	e.excludes = widget.NewMultiLineEntry()
	e.excludes.SetPlaceHolder("*.tmp\n/home/*/.cache")
	e.excludes.SetMinRowsVisible(3)
	for i := range e.keep {
		e.keep[i] = widget.NewEntry()
		e.keep[i].SetPlaceHolder("unset")
	}
	e.retryMax = widget.NewEntry()
	e.retryMax.SetPlaceHolder("0")
	e.retryBackoff = widget.NewEntry()
	e.retryBackoff.SetPlaceHolder("0")
	e.preHook = widget.NewEntry()
	e.preHook.SetPlaceHolder("e.g. pg_dump -f /var/backups/db.sql app")
	e.postHook = widget.NewEntry()
	e.postHook.SetPlaceHolder("e.g. rm /var/backups/db.sql")

	e.preview = newRetentionView(tab.u)
	e.previewBtn = widget.NewButtonWithIcon("Preview", theme.VisibilityIcon(), e.runPreview)
	e.form.onChange = func(bool) { e.status.clear(); e.preview.clear(); e.updateButtons() }
	e.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), e.save)
	e.saveBtn.Importance = widget.HighImportance
	e.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), e.revert)
	e.deleteBtn = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), e.confirmDelete)
	e.deleteBtn.Importance = widget.DangerImportance

	nameF := e.form.field("Name", e.name, "The snapshots' tag. It cannot be changed later: make a new group instead.",
		hub.ValidateGroupName) // what the hub and the agents refuse, in their words
	incF := e.form.field("Includes", e.includes, "One path per line; at least one.", checkIncludes)
	excF := e.form.field("Excludes", e.excludes, "One pattern per line (restic --exclude syntax); optional.", checkPatterns)
	var keepCells []fyne.CanvasObject
	for i, k := range e.keep {
		f := e.form.field(groupKeepLabels[i], k, "", checkCount)
		keepCells = append(keepCells, f.cell())
	}
	e.retentionMsg = noteLabel("")
	retryF := e.form.field("Retries", e.retryMax, "Retries after a failed attempt when the repository is locked.", checkCount)
	backF := e.form.field("Retry wait (s)", e.retryBackoff, "Seconds between retries.", checkCount)
	preF := e.form.field("Before backup", e.preHook, "Runs before each backup of this group, with the host's hook shell (Settings). A failure stops the backup.", checkHook)
	postF := e.form.field("After backup", e.postHook, "Runs after each backup of this group, even a failed one.", checkHook)

	retention := widget.NewCard("Retention", "", container.NewVBox(
		noteLabel("How many snapshots forget keeps after each scheduled backup (restic --keep-*). Empty = unset."),
		container.NewGridWithColumns(3, keepCells...), e.retentionMsg,
		container.NewBorder(nil, nil, container.NewHBox(e.previewBtn), nil,
			noteLabel("What this policy would keep and remove now, before you save it (restic forget --dry-run).")),
		e.preview.object()))
	paths := widget.NewCard("Paths", "", fieldRows(nameF, incF, excF))
	retries := widget.NewCard("Retries and hooks", "", fieldRows(retryF, backF, preF, postF))
	buttons := actionRow(e.status, e.saveBtn, e.revertBtn, widget.NewSeparator(), e.deleteBtn)
	e.obj = container.NewVScroll(container.NewVBox(e.title, paths, retention, retries, buttons))
	return e
}

func (e *groupEditor) object() fyne.CanvasObject { return e.obj }

func checkIncludes(s string) error {
	if len(splitLines(s)) == 0 {
		return errors.New("add at least one path to back up")
	}
	return checkPatterns(s)
}

func checkPatterns(s string) error {
	for i, l := range splitLines(s) {
		if len(l) > hub.MaxPathLen {
			return fmt.Errorf("line %d is longer than %d bytes", i+1, hub.MaxPathLen)
		}
	}
	return nil
}

func checkHook(s string) error {
	if len(s) > hub.MaxHookLen {
		return fmt.Errorf("longer than %d bytes", hub.MaxHookLen)
	}
	return nil
}

// open loads a stored group into the editor.
func (e *groupEditor) open(gr hub.SourceGroup) {
	if gr.Name != e.editing {
		e.status.clear()
	}
	e.editing, e.loaded = gr.Name, gr
	e.title.SetText("Source group “" + gr.Name + "”")
	e.name.Disable()
	e.fill(gr)
}

// openNew empties the editor for a new group.
func (e *groupEditor) openNew() {
	e.editing, e.loaded = "", hub.SourceGroup{}
	e.title.SetText("New source group")
	e.name.Enable()
	e.fill(hub.SourceGroup{})
	e.status.clear()
}

func (e *groupEditor) fill(gr hub.SourceGroup) {
	e.preview.clear()
	r := gr.Retention
	e.form.fill(func() {
		e.name.SetText(gr.Name)
		e.includes.SetText(strings.Join(gr.Includes, "\n"))
		e.excludes.SetText(strings.Join(gr.Excludes, "\n"))
		for i, n := range [6]int{r.KeepLast, r.KeepHourly, r.KeepDaily, r.KeepWeekly, r.KeepMonthly, r.KeepYearly} {
			e.keep[i].SetText(countText(n))
		}
		e.retryMax.SetText(countText(gr.RetryMax))
		e.retryBackoff.SetText(countText(gr.RetryBackoffSeconds))
		e.preHook.SetText(gr.PreHook)
		e.postHook.SetText(gr.PostHook)
	})
	e.updateButtons()
}

// group is the editor's content (valid or not).
func (e *groupEditor) group() hub.SourceGroup {
	k := func(i int) int { return parseCount(e.keep[i].Text) }
	return hub.SourceGroup{
		Name:     e.name.Text,
		Includes: splitLines(e.includes.Text),
		Excludes: splitLines(e.excludes.Text),
		Retention: hub.RetentionPolicy{KeepLast: k(0), KeepHourly: k(1), KeepDaily: k(2),
			KeepWeekly: k(3), KeepMonthly: k(4), KeepYearly: k(5)},
		RetryMax:            parseCount(e.retryMax.Text),
		RetryBackoffSeconds: parseCount(e.retryBackoff.Text),
		PreHook:             strings.TrimSpace(e.preHook.Text),
		PostHook:            strings.TrimSpace(e.postHook.Text),
	}
}

// dirty reports whether the editor differs from what was loaded.
func (e *groupEditor) dirty() bool {
	return !sameGroup(e.group(), e.loaded)
}

func sameGroup(a, b hub.SourceGroup) bool {
	norm := func(gr hub.SourceGroup) hub.SourceGroup {
		if len(gr.Includes) == 0 {
			gr.Includes = nil
		}
		if len(gr.Excludes) == 0 {
			gr.Excludes = nil
		}
		return gr
	}
	return fmt.Sprintf("%#v", norm(a)) == fmt.Sprintf("%#v", norm(b))
}

func (e *groupEditor) updateButtons() {
	valid, dirty := e.form.valid(), e.dirty()
	enableIf(e.saveBtn, valid && dirty)
	enableIf(e.revertBtn, dirty)
	enableIf(e.deleteBtn, e.editing != "")
	enableIf(e.previewBtn, valid && !e.group().Retention.IsEmpty())
	if valid && e.group().Retention.IsEmpty() {
		e.retentionMsg.SetText("No retention: scheduled forget leaves this group's snapshots alone, and the repository only grows.")
	} else {
		e.retentionMsg.SetText("")
	}
}

// runPreview asks the host what the policy in the form — saved or not —
// would keep and remove of this group's snapshots.
func (e *groupEditor) runPreview() {
	t := e.tab
	gr := e.group()
	id, err := t.u.hub.PreviewRetention(t.hostID, gr.Name, gr.Retention)
	if err != nil {
		e.preview.fail("No preview: " + err.Error())
		return
	}
	e.preview.follow(t.sc, t.hostID, id)
}

// discardThen runs next at once, or after the admin agreed to drop an
// unsaved edit; cancelled runs when they did not.
func (e *groupEditor) discardThen(next, cancelled func()) {
	what := "the new group"
	if e.editing != "" {
		what = "“" + e.editing + "”"
	}
	confirmDiscard(e.tab.u.win, e.dirty(), what, next, cancelled)
}

func (e *groupEditor) revert() {
	if e.editing == "" {
		e.openNew()
		return
	}
	if stored, ok := e.tab.find(e.editing); ok {
		e.open(stored)
	}
}

func (e *groupEditor) save() {
	if err := e.form.firstError(); err != nil {
		e.status.fail(err.Error())
		return
	}
	t := e.tab
	gr := e.group()
	if e.editing == "" {
		if _, exists := t.find(gr.Name); exists {
			e.status.fail("A group named “" + gr.Name + "” already exists: pick it in the list to change it.")
			return
		}
	}
	r, err := t.u.hub.SaveSourceGroup(t.hostID, gr)
	if err != nil {
		e.status.fail("Not saved: " + err.Error())
		return
	}
	e.editing, e.loaded = gr.Name, gr
	t.reload()
	if stored, ok := t.find(gr.Name); ok {
		e.open(stored)
	}
	t.selectEditing()
	e.status.saved(t.u, t.sc, r, "Saved “"+gr.Name+"”")
}

func (e *groupEditor) confirmDelete() {
	name := e.editing
	if name == "" {
		return
	}
	dialog.ShowConfirm("Delete source group?",
		"Delete “"+name+"”? Its snapshots stay in the repository; only the group goes.", func(ok bool) {
			if ok {
				e.delete(name)
			}
		}, e.tab.u.win)
}

func (e *groupEditor) delete(name string) {
	t := e.tab
	r, err := t.u.hub.SaveDeleteSourceGroup(t.hostID, name)
	if errors.Is(err, hub.ErrInUse) {
		e.status.fail(groupInUse(t.u, t.hostID, name))
		return
	}
	if err != nil {
		e.status.fail("Not deleted: " + err.Error())
		return
	}
	e.editing, e.loaded = "", hub.SourceGroup{}
	t.reload()
	t.openFirst()
	e.status.saved(t.u, t.sc, r, "Deleted “"+name+"”")
}

// groupInUse explains why a group cannot go: the schedules naming it.
func groupInUse(u *UI, hostID, name string) string {
	var users []string
	if list, err := u.hub.Schedules(hostID); err == nil {
		for _, s := range list {
			for _, gn := range s.Groups {
				if gn == name {
					users = append(users, "“"+describeCron(s.CronExpr)+"” ("+s.CronExpr+")")
				}
			}
		}
	}
	if len(users) == 0 {
		return "Not deleted: “" + name + "” is used by a schedule; remove it there first (Schedules tab)."
	}
	word := "schedule"
	if len(users) > 1 {
		word = "schedules"
	}
	return fmt.Sprintf("Not deleted: “%s” is used by %s %s. Remove it from there first (Schedules tab).", name, word, strings.Join(users, ", "))
}
