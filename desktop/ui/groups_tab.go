package ui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// groupsTab is a host's source groups: the list on the left, the editor of
// the selected (or a new) group on the right, and the host-wide bandwidth
// caps ("Limits") under the list.
type groupsTab struct {
	u      *UI
	hostID string

	groups []hub.SourceGroup
	list   *widget.List
	empty  *widget.Label
	newBtn *widget.Button

	// The editor. editing is the stored group's name, "" for a new group.
	editing  string
	loaded   hub.SourceGroup
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
	form         formsForm
	saveBtn      *widget.Button
	revertBtn    *widget.Button
	deleteBtn    *widget.Button
	status       *formsStatus
	retentionMsg *widget.Label

	limits *formsLimits
	obj    fyne.CanvasObject
}

var groupsKeepLabels = [6]string{"Keep last", "Hourly", "Daily", "Weekly", "Monthly", "Yearly"}

func newGroupsTab(u *UI, sc *scope, hostID string) fyne.CanvasObject {
	return newGroupsView(u, sc, hostID).obj
}

func newGroupsView(u *UI, sc *scope, hostID string) *groupsTab {
	g := &groupsTab{u: u, hostID: hostID, status: newFormsStatus()}
	g.buildEditor()
	g.list = widget.NewList(
		func() int { return len(g.groups) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("group name")
			name.TextStyle.Bold = true
			name.Truncation = fyne.TextTruncateEllipsis
			paths := widget.NewLabel("paths")
			paths.Truncation = fyne.TextTruncateEllipsis
			paths.Importance = widget.LowImportance
			return container.NewVBox(name, paths)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(g.groups) {
				return
			}
			gr := g.groups[id]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(gr.Name)
			box.Objects[1].(*widget.Label).SetText(groupsSummary(gr))
		})
	g.list.OnSelected = func(id widget.ListItemID) {
		if id >= len(g.groups) || g.groups[id].Name == g.editing {
			return
		}
		target := g.groups[id]
		g.discardThen(func() { g.open(target) }, func() { g.selectEditing() })
	}
	g.empty = formsNote("No source groups yet. A source group is a set of paths backed up together; its name becomes the snapshots' tag. Fill in the form to add the first one.")
	g.newBtn = widget.NewButtonWithIcon("New group", theme.ContentAddIcon(), func() {
		g.discardThen(func() { g.list.UnselectAll(); g.openNew() }, nil)
	})
	g.limits = newFormsLimits(u, hostID)

	left := container.NewBorder(container.NewVBox(g.newBtn, g.empty), g.limits.object(), nil, nil, g.list)
	split := container.NewHSplit(left, g.editorObject())
	split.Offset = 0.32
	g.obj = split

	g.reload()
	if len(g.groups) > 0 {
		g.open(g.groups[0])
		g.list.Select(0)
	} else {
		g.openNew()
	}
	sc.on(func(c change) {
		if !about(c, hostID) {
			return
		}
		switch c.Kind {
		case hub.ChangeSchedules, hub.ChangeAll:
			g.reload()
		}
		if g.limits.about(c) {
			g.limits.reload()
		}
	})
	return g
}

func (g *groupsTab) buildEditor() {
	g.title = widget.NewLabelWithStyle("New source group", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	g.title.SizeName = theme.SizeNameSubHeadingText
	g.name = widget.NewEntry()
	g.name.SetPlaceHolder("documents")
	g.includes = widget.NewMultiLineEntry()
	g.includes.SetPlaceHolder("/home\n/etc")
	g.includes.SetMinRowsVisible(4)
	g.excludes = widget.NewMultiLineEntry()
	g.excludes.SetPlaceHolder("*.tmp\n/home/*/.cache")
	g.excludes.SetMinRowsVisible(3)
	for i := range g.keep {
		g.keep[i] = widget.NewEntry()
		g.keep[i].SetPlaceHolder("unset")
	}
	g.retryMax = widget.NewEntry()
	g.retryMax.SetPlaceHolder("0")
	g.retryBackoff = widget.NewEntry()
	g.retryBackoff.SetPlaceHolder("0")
	g.preHook = widget.NewEntry()
	g.preHook.SetPlaceHolder("e.g. pg_dump -f /var/backups/db.sql app")
	g.postHook = widget.NewEntry()
	g.postHook.SetPlaceHolder("e.g. rm /var/backups/db.sql")

	g.form.onChange = func(bool) { g.status.clear(); g.updateButtons() }
	g.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), g.save)
	g.saveBtn.Importance = widget.HighImportance
	g.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), g.revert)
	g.deleteBtn = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), g.confirmDelete)
	g.deleteBtn.Importance = widget.DangerImportance
}

func (g *groupsTab) editorObject() fyne.CanvasObject {
	nameF := g.form.field("Name", g.name, "The snapshots' tag. It cannot be changed later: make a new group instead.", groupsCheckName)
	incF := g.form.field("Includes", g.includes, "One path per line; at least one.", groupsCheckIncludes)
	excF := g.form.field("Excludes", g.excludes, "One pattern per line (restic --exclude syntax); optional.", groupsCheckPatterns)
	var keepCells []fyne.CanvasObject
	for i, e := range g.keep {
		f := g.form.field(groupsKeepLabels[i], e, "", formsCount)
		keepCells = append(keepCells, f.cell())
	}
	g.retentionMsg = formsNote("")
	retryF := g.form.field("Retries", g.retryMax, "Retries after a failed attempt when the repository is locked.", formsCount)
	backF := g.form.field("Retry wait (s)", g.retryBackoff, "Seconds between retries.", formsCount)
	preF := g.form.field("Before backup", g.preHook, "Runs before each backup of this group, with the host's hook shell (Settings). A failure stops the backup.", groupsCheckHook)
	postF := g.form.field("After backup", g.postHook, "Runs after each backup of this group, even a failed one.", groupsCheckHook)

	retention := widget.NewCard("Retention", "", container.NewVBox(
		formsNote("How many snapshots forget keeps after each scheduled backup (restic --keep-*). Empty = unset."),
		container.NewGridWithColumns(3, keepCells...), g.retentionMsg))
	paths := widget.NewCard("Paths", "", formsRows(nameF, incF, excF))
	retries := widget.NewCard("Retries and hooks", "", formsRows(retryF, backF, preF, postF))
	buttons := container.NewHBox(g.saveBtn, g.revertBtn, widget.NewSeparator(), g.deleteBtn)
	return container.NewVScroll(container.NewVBox(g.title, paths, retention, retries, buttons, g.status.label))
}

// groupsCheckName refuses what the hub and the agents refuse, in their
// words: the name is the snapshots' restic tag.
func groupsCheckName(s string) error { return hub.ValidateGroupName(s) }

func groupsCheckIncludes(s string) error {
	if len(formsLines(s)) == 0 {
		return errors.New("add at least one path to back up")
	}
	return groupsCheckPatterns(s)
}

func groupsCheckPatterns(s string) error {
	for i, l := range formsLines(s) {
		if len(l) > hub.MaxPathLen {
			return fmt.Errorf("line %d is longer than %d bytes", i+1, hub.MaxPathLen)
		}
	}
	return nil
}

func groupsCheckHook(s string) error {
	if len(s) > hub.MaxHookLen {
		return fmt.Errorf("longer than %d bytes", hub.MaxHookLen)
	}
	return nil
}

// groupsSummary is a list row's second line.
func groupsSummary(g hub.SourceGroup) string {
	s := strings.Join(g.Includes, ", ")
	if n := len(g.Excludes); n > 0 {
		s += fmt.Sprintf("  (−%d excluded)", n)
	}
	return s
}

// reload reads the groups; the editor keeps an edit in progress.
func (g *groupsTab) reload() {
	list, err := g.u.hub.SourceGroups(g.hostID)
	if err != nil {
		g.status.fail("Could not read the source groups: " + err.Error())
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	g.groups = list
	if len(list) == 0 {
		g.empty.Show()
	} else {
		g.empty.Hide()
	}
	g.list.Refresh()
	if g.editing != "" && !g.dirty() {
		if stored, ok := g.find(g.editing); ok {
			if !groupsSame(stored, g.loaded) {
				g.open(stored) // changed elsewhere: show what is stored
			}
		} else {
			g.openNew() // deleted elsewhere
		}
	}
	g.selectEditing()
}

func (g *groupsTab) find(name string) (hub.SourceGroup, bool) {
	for _, gr := range g.groups {
		if gr.Name == name {
			return gr, true
		}
	}
	return hub.SourceGroup{}, false
}

// selectEditing selects the edited group in the list (none for a new one).
func (g *groupsTab) selectEditing() {
	for i, gr := range g.groups {
		if gr.Name == g.editing && g.editing != "" {
			g.list.Select(i)
			return
		}
	}
	g.list.UnselectAll()
}

// open loads a stored group into the editor.
func (g *groupsTab) open(gr hub.SourceGroup) {
	if gr.Name != g.editing {
		g.status.clear()
	}
	g.editing, g.loaded = gr.Name, gr
	g.title.SetText("Source group “" + gr.Name + "”")
	g.name.Disable()
	g.fill(gr)
}

// openNew empties the editor for a new group.
func (g *groupsTab) openNew() {
	g.editing, g.loaded = "", hub.SourceGroup{}
	g.title.SetText("New source group")
	g.name.Enable()
	g.fill(hub.SourceGroup{})
	g.status.clear()
}

func (g *groupsTab) fill(gr hub.SourceGroup) {
	r := gr.Retention
	g.form.fill(func() {
		g.name.SetText(gr.Name)
		g.includes.SetText(strings.Join(gr.Includes, "\n"))
		g.excludes.SetText(strings.Join(gr.Excludes, "\n"))
		for i, n := range [6]int{r.KeepLast, r.KeepHourly, r.KeepDaily, r.KeepWeekly, r.KeepMonthly, r.KeepYearly} {
			g.keep[i].SetText(formsCountText(n))
		}
		g.retryMax.SetText(formsCountText(gr.RetryMax))
		g.retryBackoff.SetText(formsCountText(gr.RetryBackoffSeconds))
		g.preHook.SetText(gr.PreHook)
		g.postHook.SetText(gr.PostHook)
	})
	g.updateButtons()
}

// group is the editor's content (valid or not).
func (g *groupsTab) group() hub.SourceGroup {
	k := func(i int) int { return formsParseCount(g.keep[i].Text) }
	return hub.SourceGroup{
		Name:     g.name.Text,
		Includes: formsLines(g.includes.Text),
		Excludes: formsLines(g.excludes.Text),
		Retention: hub.RetentionPolicy{KeepLast: k(0), KeepHourly: k(1), KeepDaily: k(2),
			KeepWeekly: k(3), KeepMonthly: k(4), KeepYearly: k(5)},
		RetryMax:            formsParseCount(g.retryMax.Text),
		RetryBackoffSeconds: formsParseCount(g.retryBackoff.Text),
		PreHook:             strings.TrimSpace(g.preHook.Text),
		PostHook:            strings.TrimSpace(g.postHook.Text),
	}
}

// dirty reports whether the editor differs from what was loaded.
func (g *groupsTab) dirty() bool {
	return !groupsSame(g.group(), g.loaded)
}

func groupsSame(a, b hub.SourceGroup) bool {
	return fmt.Sprintf("%#v", groupsNorm(a)) == fmt.Sprintf("%#v", groupsNorm(b))
}

func groupsNorm(gr hub.SourceGroup) hub.SourceGroup {
	if len(gr.Includes) == 0 {
		gr.Includes = nil
	}
	if len(gr.Excludes) == 0 {
		gr.Excludes = nil
	}
	return gr
}

func (g *groupsTab) updateButtons() {
	valid, dirty := g.form.valid(), g.dirty()
	enableIf(g.saveBtn, valid && dirty)
	enableIf(g.revertBtn, dirty)
	if g.editing == "" {
		g.deleteBtn.Disable()
	} else {
		g.deleteBtn.Enable()
	}
	if valid && g.group().Retention.IsEmpty() {
		g.retentionMsg.SetText("No retention: scheduled forget leaves this group's snapshots alone, and the repository only grows.")
	} else {
		g.retentionMsg.SetText("")
	}
}

// discardThen runs next at once, or after the admin agreed to drop an
// unsaved edit; cancelled runs when they did not.
func (g *groupsTab) discardThen(next, cancelled func()) {
	if !g.dirty() {
		next()
		return
	}
	what := "the new group"
	if g.editing != "" {
		what = "“" + g.editing + "”"
	}
	dialog.ShowConfirm("Discard changes?", "Your changes to "+what+" are not saved.", func(ok bool) {
		if ok {
			next()
		} else if cancelled != nil {
			cancelled()
		}
	}, g.u.win)
}

func (g *groupsTab) revert() {
	if g.editing == "" {
		g.openNew()
		return
	}
	if stored, ok := g.find(g.editing); ok {
		g.open(stored)
	}
}

func (g *groupsTab) save() {
	if err := g.form.firstError(); err != nil {
		g.status.fail(err.Error())
		return
	}
	gr := g.group()
	if g.editing == "" {
		if _, exists := g.find(gr.Name); exists {
			g.status.fail("A group named “" + gr.Name + "” already exists: pick it in the list to change it.")
			return
		}
	}
	if err := g.u.hub.PutSourceGroup(g.hostID, gr); err != nil {
		g.status.fail("Not saved: " + err.Error())
		return
	}
	g.editing, g.loaded = gr.Name, gr
	g.reload()
	if stored, ok := g.find(gr.Name); ok {
		g.open(stored)
	}
	g.selectEditing()
	g.status.ok("Saved “" + gr.Name + "”. " + formsOfflineNote(g.u, g.hostID))
}

func (g *groupsTab) confirmDelete() {
	name := g.editing
	if name == "" {
		return
	}
	dialog.ShowConfirm("Delete source group?",
		"Delete “"+name+"”? Its snapshots stay in the repository; only the group goes.", func(ok bool) {
			if ok {
				g.delete(name)
			}
		}, g.u.win)
}

func (g *groupsTab) delete(name string) {
	err := g.u.hub.DeleteSourceGroup(g.hostID, name)
	if errors.Is(err, hub.ErrInUse) {
		g.status.fail(groupsInUse(g.u, g.hostID, name))
		return
	}
	if err != nil {
		g.status.fail("Not deleted: " + err.Error())
		return
	}
	g.editing, g.loaded = "", hub.SourceGroup{}
	g.reload()
	if len(g.groups) > 0 {
		g.open(g.groups[0])
		g.list.Select(0)
	} else {
		g.openNew()
	}
	g.status.ok("Deleted “" + name + "”.")
}

// groupsInUse explains why a group cannot go: the schedules naming it.
func groupsInUse(u *UI, hostID, name string) string {
	var users []string
	if list, err := u.hub.Schedules(hostID); err == nil {
		for _, s := range list {
			for _, gn := range s.Groups {
				if gn == name {
					d := hub.DescribeCron(s.CronExpr)
					if d == "" {
						d = s.CronExpr
					}
					users = append(users, "“"+d+"” ("+s.CronExpr+")")
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
