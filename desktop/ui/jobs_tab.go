package ui

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// jobsPageSize is how many jobs one history page (and "Load older jobs")
// reads.
const jobsPageSize = 50

// newJobsTab is a host's Jobs tab: "run now" actions, the job history
// (newest first, paged) and the selected job's live progress, log and
// Cancel. The object is a *jobsTab.
func newJobsTab(u *UI, sc *scope, hostID string) fyne.CanvasObject {
	return newJobsTabView(u, sc, hostID)
}

// jobsTab is the Jobs tab of one host.
type jobsTab struct {
	widget.BaseWidget

	u        *UI
	sc       *scope
	hostID   string
	pageSize int

	// The history as loaded: the newest pages, newest first.
	jobs      []hub.Job
	next      string         // cursor of the next older page; "" at the end
	index     map[string]int // job id → row
	schedules map[string]string
	online    bool
	hostName  string
	groups    []hub.SourceGroup

	// Toolbar.
	groupsBox *fyne.Container
	runNow    map[string]*widget.Button // "back up now" per source group
	checkBtn  *widget.Button
	pruneBtn  *widget.Button
	forgetBtn *widget.Button
	unlockBtn *widget.Button
	initBtn   *widget.Button
	notice    *widget.Label

	// History.
	list     *widget.List
	empty    *widget.Label
	loadMore *widget.Button
	loadErr  *widget.Label

	// The selected job.
	selected    string
	detailScope *scope
	detailBox   *fyne.Container
	detailEmpty *widget.Label
	detailInfo  *widget.Label
	cancelBtn   *widget.Button
	cancelAsked map[string]bool
	progress    *jobProgress
	log         *jobLog

	// Open dialogs (tests reach their controls here).
	checkEntry *widget.Entry
	checkRun   *widget.Button
	confirmOK  *widget.Button
	dlg        dialog.Dialog

	content fyne.CanvasObject
}

func newJobsTabView(u *UI, sc *scope, hostID string) *jobsTab {
	v := &jobsTab{u: u, sc: sc, hostID: hostID, pageSize: jobsPageSize,
		index: map[string]int{}, runNow: map[string]*widget.Button{}, cancelAsked: map[string]bool{}}

	// Toolbar: back up a group now, and the repository's maintenance.
	v.groupsBox = container.NewHBox()
	v.checkBtn = widget.NewButtonWithIcon("Check…", theme.SearchIcon(), v.showCheck)
	v.pruneBtn = widget.NewButtonWithIcon("Prune…", theme.DeleteIcon(), func() {
		v.confirmRun("Prune the repository?",
			"Prune removes data no snapshot uses any more and frees space. It can take a long time and locks the repository while it runs; backups wait for it.",
			"Prune", hub.RunRequest{Kind: hub.JobKindPrune})
	})
	v.forgetBtn = widget.NewButtonWithIcon("Forget…", theme.HistoryIcon(), v.showForget)
	v.unlockBtn = widget.NewButtonWithIcon("Unlock", theme.LoginIcon(), func() {
		v.run("Unlock", hub.RunRequest{Kind: hub.JobKindUnlock})
	})
	v.initBtn = widget.NewButtonWithIcon("Init", theme.FolderNewIcon(), func() {
		v.run("Init", hub.RunRequest{Kind: hub.JobKindInit})
	})
	maint := container.NewHBox(v.checkBtn, v.pruneBtn, v.forgetBtn, v.unlockBtn, v.initBtn)
	toolbar := container.NewBorder(nil, nil, nil, maint, container.NewHScroll(v.groupsBox))
	v.notice = widget.NewLabel("")
	v.notice.Wrapping = fyne.TextWrapWord
	v.notice.Hide()

	// History.
	v.list = widget.NewList(func() int { return len(v.jobs) }, newJobsRow, v.updateRow)
	v.list.OnSelected = func(id widget.ListItemID) {
		// The row's own marker shows the selection, so a reload that moves
		// rows never scrolls the list to follow Fyne's selection.
		v.list.Unselect(id)
		if id >= 0 && id < len(v.jobs) {
			v.selectJob(v.jobs[id].ID)
		}
	}
	v.empty = widget.NewLabel("No jobs yet. Back up a source group with the buttons above, or wait for a schedule to fire.")
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.loadMore = widget.NewButtonWithIcon("Load older jobs", theme.MoreHorizontalIcon(), v.loadOlder)
	v.loadMore.Hide()
	v.loadErr = widget.NewLabel("")
	v.loadErr.Importance = widget.DangerImportance
	v.loadErr.Wrapping = fyne.TextWrapWord
	v.loadErr.Hide()
	history := container.NewBorder(newJobsHeader(), container.NewVBox(v.loadErr, container.NewCenter(v.loadMore)), nil, nil,
		container.NewStack(v.list, jobsCentered(v.empty)))

	// Detail of the selected job.
	v.detailInfo = widget.NewLabel("")
	v.detailInfo.Importance = widget.LowImportance
	v.detailInfo.Truncation = fyne.TextTruncateEllipsis
	v.cancelBtn = widget.NewButtonWithIcon("Cancel job", theme.CancelIcon(), v.cancelSelected)
	v.cancelBtn.Importance = widget.DangerImportance
	v.cancelBtn.Disable()
	v.detailEmpty = widget.NewLabel("Select a job to see its progress and log.")
	v.detailEmpty.Alignment = fyne.TextAlignCenter
	v.detailEmpty.Importance = widget.LowImportance
	v.detailBox = container.NewStack(container.NewCenter(v.detailEmpty))

	split := container.NewVSplit(history, v.detailBox)
	split.Offset = 0.42
	v.content = container.NewBorder(container.NewVBox(toolbar, v.notice), nil, nil, nil, split)
	v.ExtendBaseWidget(v)

	v.refreshHost()
	v.refreshGroups()
	v.refreshSchedules()
	v.reload()
	sc.on(v.onChange)
	return v
}

// jobsCentered centres a word-wrapped label vertically at the full
// width. In a Center container it would get its narrowest size, one word
// a line, and stretch the window to thousands of pixels.
func jobsCentered(l *widget.Label) fyne.CanvasObject {
	return container.NewPadded(container.NewVBox(layout.NewSpacer(), l, layout.NewSpacer()))
}

// CreateRenderer implements fyne.Widget.
func (v *jobsTab) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(v.content) }

func (v *jobsTab) onChange(c change) {
	if c.Kind == hub.ChangeAll {
		v.refreshHost()
		v.refreshGroups()
		v.refreshSchedules()
		v.reload()
		return
	}
	if !about(c, v.hostID) {
		return
	}
	switch c.Kind {
	case hub.ChangeHost:
		wasOnline := v.online
		v.refreshHost()
		if v.online != wasOnline {
			// A cancel sent before a reconnect may be lost: allow another.
			v.cancelAsked = map[string]bool{}
		}
		v.reload()
	case hub.ChangeSchedules:
		v.refreshGroups()
		v.refreshSchedules()
		v.list.Refresh()
	case hub.ChangeJob:
		if i, ok := v.index[c.JobID]; ok {
			if j, err := v.u.hub.Job(c.JobID); err == nil {
				v.jobs[i] = j
				v.list.RefreshItem(i)
				if c.JobID == v.selected {
					v.updateDetail()
				}
				return
			}
		}
		v.reload()
	case hub.ChangeProgress:
		if i, ok := v.index[c.JobID]; ok {
			v.list.RefreshItem(i)
		}
	}
}

// --- Reading ---

func (v *jobsTab) refreshHost() {
	d, err := v.u.hub.Host(v.hostID)
	if err != nil {
		v.u.log.Warn("jobs tab: read host", "host", v.hostID, "err", err)
		return
	}
	v.online, v.hostName = d.Online, d.Host.DisplayName()
}

func (v *jobsTab) refreshGroups() {
	gs, err := v.u.hub.SourceGroups(v.hostID)
	if err != nil {
		v.u.log.Warn("jobs tab: read source groups", "host", v.hostID, "err", err)
		return
	}
	v.groups = gs
	v.runNow = map[string]*widget.Button{}
	objs := []fyne.CanvasObject{widget.NewLabelWithStyle("Back up now:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	if len(gs) == 0 {
		hint := widget.NewLabel("no source groups yet — add one in Source groups")
		hint.Importance = widget.LowImportance
		objs = append(objs, hint)
	}
	for _, g := range gs {
		name := g.Name
		b := widget.NewButtonWithIcon(name, theme.MediaPlayIcon(), func() {
			v.run("Backup of "+name, hub.RunRequest{Kind: hub.JobKindBackup, Group: name})
		})
		b.Importance = widget.HighImportance
		v.runNow[name] = b
		objs = append(objs, b)
	}
	v.groupsBox.Objects = objs
	v.groupsBox.Refresh()
}

func (v *jobsTab) refreshSchedules() {
	ss, err := v.u.hub.Schedules(v.hostID)
	if err != nil {
		return // the origin column then shows the schedule id alone
	}
	v.schedules = map[string]string{}
	for _, s := range ss {
		v.schedules[s.ID] = s.CronExpr
	}
}

// reload re-reads the history from the newest job, as many jobs as were
// loaded (at least a page).
func (v *jobsTab) reload() {
	want := max(len(v.jobs), v.pageSize)
	var all []hub.Job
	cursor := ""
	for {
		p, err := v.u.hub.Jobs(v.hostID, cursor, v.pageSize)
		if err != nil {
			v.showLoadErr(err)
			return
		}
		all = append(all, p.Jobs...)
		cursor = p.Next
		if cursor == "" || len(all) >= want {
			break
		}
	}
	v.setJobs(all, cursor)
}

// loadOlder appends the next older page.
func (v *jobsTab) loadOlder() {
	if v.next == "" {
		return
	}
	p, err := v.u.hub.Jobs(v.hostID, v.next, v.pageSize)
	if err != nil {
		v.showLoadErr(err)
		return
	}
	v.setJobs(append(v.jobs, p.Jobs...), p.Next)
}

func (v *jobsTab) setJobs(js []hub.Job, next string) {
	v.loadErr.Hide()
	v.jobs, v.next = js, next
	v.index = make(map[string]int, len(js))
	for i, j := range js {
		v.index[j.ID] = i
	}
	if len(js) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	if next == "" {
		v.loadMore.Hide()
	} else {
		v.loadMore.Show()
	}
	v.list.Refresh()
	if v.selected != "" {
		v.updateDetail()
	}
}

func (v *jobsTab) showLoadErr(err error) {
	v.u.log.Warn("jobs tab: read job history", "host", v.hostID, "err", err)
	v.loadErr.SetText("The job history cannot be read: " + err.Error())
	v.loadErr.Show()
}

// --- Rows ---

// The history's columns: selection mark, status icon, kind, source
// group, origin, queued/started, duration; the outcome takes the rest.
var jobsColumnWidths = []float32{4, 22, 70, 120, 190, 130, 100}

const (
	jobsColMark = iota
	jobsColIcon
	jobsColKind
	jobsColGroup
	jobsColOrigin
	jobsColWhen
	jobsColDuration
	jobsColOutcome
)

// jobsColumns lays cells out at the fixed widths above, the last cell
// taking what is left.
type jobsColumns struct{}

func (jobsColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	x := float32(0)
	for i, o := range objs {
		w := size.Width - x
		if i < len(jobsColumnWidths) {
			w = jobsColumnWidths[i]
		}
		h := o.MinSize().Height
		if i == jobsColMark {
			h = size.Height
		}
		o.Resize(fyne.NewSize(max(w, 0), min(h, size.Height)))
		o.Move(fyne.NewPos(x, (size.Height-o.Size().Height)/2))
		x += w + pad
	}
}

func (jobsColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		if i < len(jobsColumnWidths) {
			w += jobsColumnWidths[i] + pad
		} else {
			w += min(m.Width, 160)
		}
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

func jobsCell(bold bool) *widget.Label {
	l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: bold})
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func newJobsHeader() fyne.CanvasObject {
	objs := []fyne.CanvasObject{canvas.NewRectangle(color.Transparent), layout.NewSpacer()}
	for _, t := range []string{"Kind", "Source group", "Origin", "When", "Duration", "Outcome"} {
		l := jobsCell(true)
		l.SetText(t)
		objs = append(objs, l)
	}
	return container.New(jobsColumns{}, objs...)
}

func newJobsRow() fyne.CanvasObject {
	mark := canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
	mark.Hide()
	objs := []fyne.CanvasObject{mark, widget.NewIcon(nil)}
	for range jobsColOutcome - jobsColKind + 1 {
		objs = append(objs, jobsCell(false))
	}
	return container.New(jobsColumns{}, objs...)
}

func (v *jobsTab) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(v.jobs) {
		return
	}
	j := v.jobs[id]
	cells := o.(*fyne.Container).Objects
	mark := cells[jobsColMark].(*canvas.Rectangle)
	if j.ID == v.selected {
		mark.FillColor = theme.Color(theme.ColorNamePrimary)
		mark.Show()
	} else {
		mark.Hide()
	}
	cells[jobsColIcon].(*widget.Icon).SetResource(jobsStatusIcon(j.Status))
	now := v.u.opts.Now()
	set := func(col int, text string) {
		if l := cells[col].(*widget.Label); l.Text != text {
			l.SetText(text)
		}
	}
	set(jobsColKind, j.Kind)
	set(jobsColGroup, j.Tag)
	set(jobsColOrigin, v.originText(j))
	set(jobsColWhen, jobsWhen(j, now))
	set(jobsColDuration, jobsDuration(j, now))
	out := cells[jobsColOutcome].(*widget.Label)
	text, imp := v.outcome(j)
	if out.Importance != imp {
		out.Importance = imp
		out.Refresh()
	}
	set(jobsColOutcome, text)
}

// originText says who started a job: the operator, a schedule (its cron
// expression and id), or the agent.
func (v *jobsTab) originText(j hub.Job) string {
	switch j.Origin {
	case hub.OriginOperator:
		return "operator"
	case hub.OriginSchedule:
		if strings.HasPrefix(j.ScheduleID, "maintenance:") {
			return "schedule " + j.ScheduleID
		}
		id := jobsShortID(j.ScheduleID)
		if cron, ok := v.schedules[j.ScheduleID]; ok && cron != "" {
			return fmt.Sprintf("schedule %s (%s)", cron, id)
		}
		return "schedule " + id
	case hub.OriginAgent:
		return "agent"
	}
	return j.Origin
}

// jobsShortID is the random tail of a UUIDv7 (its head is a timestamp,
// shared by ids made in the same minute).
func jobsShortID(id string) string {
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}

// jobsWhen is when the job started, else when it was queued.
func jobsWhen(j hub.Job, now time.Time) string {
	t := j.CreatedAt
	if j.StartedAt != nil {
		t = *j.StartedAt
	}
	if t.IsZero() {
		return "—"
	}
	t = t.Local()
	if y, m, d := t.Date(); y == now.Local().Year() && m == now.Local().Month() && d == now.Local().Day() {
		return t.Format("15:04:05")
	}
	if t.Year() == now.Local().Year() {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// outcome is a job's one-line result for its row.
func (v *jobsTab) outcome(j hub.Job) (string, widget.Importance) {
	switch j.Status {
	case hub.JobQueued:
		if !v.online {
			return "queued until the host connects", widget.WarningImportance
		}
		return "queued", widget.MediumImportance
	case hub.JobRunning:
		if p, ok := v.u.hub.Progress(j.ID); ok {
			return "running, " + humanPercent(p.PercentDone), widget.MediumImportance
		}
		return "running", widget.MediumImportance
	case hub.JobFailed, hub.JobCancelled:
		msg := hub.FirstLine(j.Error)
		if msg == "" {
			msg = j.Status
			if j.ExitCode != nil && *j.ExitCode > 0 {
				msg += fmt.Sprintf(" (exit %d)", *j.ExitCode)
			}
		}
		if j.Status == hub.JobCancelled {
			return msg, widget.LowImportance
		}
		return msg, widget.DangerImportance
	}
	f := hub.FiguresOf(j)
	switch {
	case f.Backup != nil:
		b := f.Backup
		return fmt.Sprintf("%d new, %d changed files · %s added", b.FilesNew, b.FilesChanged, humanBytes(b.DataAdded)), widget.SuccessImportance
	case f.Restore != nil:
		r := f.Restore
		return fmt.Sprintf("%d files, %s restored", r.FilesRestored, humanBytes(r.BytesRestored)), widget.SuccessImportance
	case f.Forget != nil:
		removed := 0
		for _, g := range f.Forget.Groups {
			removed += g.Removed
		}
		return fmt.Sprintf("removed %d snapshot(s)", removed), widget.SuccessImportance
	}
	return "succeeded", widget.SuccessImportance
}

// --- Selection and detail ---

// selectJob shows a job's progress, log and Cancel below the list.
func (v *jobsTab) selectJob(jobID string) {
	if jobID == v.selected && v.progress != nil {
		return
	}
	if v.detailScope != nil {
		v.detailScope.close()
	}
	v.selected = jobID
	v.detailScope = jobsChildScope(v.u, v.sc)
	v.progress = newJobProgressView(v.u, v.detailScope, jobID)
	v.log = newJobLog(v.u, v.detailScope, jobID)
	head := container.NewBorder(nil, nil, nil, container.NewVBox(v.cancelBtn), v.detailInfo)
	side := container.NewHSplit(container.NewVScroll(container.NewPadded(v.progress)), v.log)
	side.Offset = 0.4
	v.detailBox.Objects = []fyne.CanvasObject{container.NewBorder(head, nil, nil, nil, side)}
	v.detailBox.Refresh()
	v.updateDetail()
	v.list.Refresh()
	if i, ok := v.index[jobID]; ok {
		v.list.ScrollTo(i)
	}
}

// updateDetail refreshes the selected job's origin line and Cancel (the
// progress and log views follow the job themselves).
func (v *jobsTab) updateDetail() {
	j, err := v.u.hub.Job(v.selected)
	if err != nil {
		v.detailInfo.SetText(fmt.Sprintf("Job %s: %v", v.selected, err))
		v.cancelBtn.Disable()
		return
	}
	info := fmt.Sprintf("Started by %s · job %s", v.originText(j), j.ID)
	if j.ScheduleID != "" {
		info += " · schedule " + j.ScheduleID
	}
	v.detailInfo.SetText(info)
	switch {
	case j.Terminal():
		v.cancelBtn.SetText("Cancel job")
		v.cancelBtn.Disable()
	case v.cancelAsked[j.ID]:
		v.cancelBtn.SetText("Cancelling…")
		v.cancelBtn.Disable()
	default:
		v.cancelBtn.SetText("Cancel job")
		v.cancelBtn.Enable()
	}
}

func (v *jobsTab) cancelSelected() {
	id := v.selected
	if id == "" {
		return
	}
	if err := v.u.hub.CancelJob(id); err != nil {
		if errors.Is(err, hub.ErrHostOffline) {
			v.u.showError("Cancel job", fmt.Errorf("%s is offline: a job can be cancelled only while its agent is connected (%w)", v.hostName, err))
			return
		}
		v.u.showError("Cancel job", err)
		return
	}
	v.cancelAsked[id] = true
	v.setNotice("Cancel requested. The job ends when the agent reports it cancelled.", widget.MediumImportance)
	v.updateDetail()
}

// jobsChildScope is a scope for one part of a view that is replaced
// while the view lives (the selected job's detail). It ends when closed
// or, at the latest, at the first change after parent has ended.
func jobsChildScope(u *UI, parent *scope) *scope {
	child := u.newScope()
	child.on(func(change) {
		parent.b.mu.Lock()
		_, alive := parent.b.listeners[parent]
		parent.b.mu.Unlock()
		if !alive {
			child.close()
		}
	})
	return child
}

// --- Actions ---

// run starts a job now and selects it. what names it ("Backup of docs").
func (v *jobsTab) run(what string, r hub.RunRequest) {
	id, err := v.u.hub.RunNow(v.hostID, r)
	if err != nil {
		v.u.showError(what, err)
		return
	}
	v.refreshHost()
	if v.online {
		v.setNotice(what+" sent to the agent.", widget.SuccessImportance)
	} else {
		v.setNotice(fmt.Sprintf("%s queued: %s is offline. It is sent when the host connects.", what, v.hostName), widget.WarningImportance)
	}
	v.reload()
	v.selectJob(id)
}

func (v *jobsTab) setNotice(text string, imp widget.Importance) {
	v.notice.Importance = imp
	v.notice.SetText(text)
	v.notice.Show()
}

// showCheck asks for check's optional read-data subset, validated as it
// is typed.
func (v *jobsTab) showCheck() {
	e := widget.NewEntry()
	e.SetPlaceHolder("e.g. 5% or 1/10")
	e.Validator = func(s string) error {
		if hub.ValidateReadDataSubset(strings.TrimSpace(s)) != nil {
			return errors.New("use a percentage (5%) or a fraction (1/10), or leave it empty")
		}
		return nil
	}
	run := widget.NewButtonWithIcon("Run check", theme.ConfirmIcon(), nil)
	run.Importance = widget.HighImportance
	item := widget.NewFormItem("Read data", e)
	item.HintText = "Optional: also read this share of the data. Empty checks the metadata only."
	form := widget.NewForm(item)
	// The form owns the entry's validation callback; it passes it on.
	form.SetOnValidationChanged(func(err error) {
		if err != nil {
			run.Disable()
		} else {
			run.Enable()
		}
	})
	intro := widget.NewLabel("Check verifies the repository's structure and, optionally, reads back part of its data.")
	intro.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons("Check the repository", container.NewVBox(intro, form), v.u.win)
	start := func() {
		if e.Validate() != nil {
			return
		}
		d.Hide()
		v.run("Check", hub.RunRequest{Kind: hub.JobKindCheck, ReadDataSubset: strings.TrimSpace(e.Text)})
	}
	run.OnTapped = start
	e.OnSubmitted = func(string) { start() }
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), run})
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	v.checkEntry, v.checkRun, v.dlg = e, run, d
	d.Show()
	v.u.win.Canvas().Focus(e)
}

// showForget confirms a forget by every group's retention policy.
func (v *jobsTab) showForget() {
	var with []string
	for _, g := range v.groups {
		if !g.Retention.IsEmpty() {
			with = append(with, g.Name)
		}
	}
	msg := "Forget removes the snapshots each source group's retention policy no longer keeps. It does not free space; run Prune for that."
	if len(with) > 0 {
		msg += "\n\nGroups with a retention policy: " + strings.Join(with, ", ") + "."
	}
	v.confirmRun("Forget old snapshots?", msg, "Forget", hub.RunRequest{Kind: hub.JobKindForget})
}

// confirmRun asks before a job that changes the repository.
func (v *jobsTab) confirmRun(title, message, action string, r hub.RunRequest) {
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(title, msg, v.u.win)
	ok := widget.NewButton(action, func() {
		d.Hide()
		v.run(action, r)
	})
	ok.Importance = widget.DangerImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), ok})
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	v.confirmOK, v.dlg = ok, d
	d.Show()
}
