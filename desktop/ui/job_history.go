package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// historyPageSize is how many jobs one history page (and "Load older
// jobs") reads.
const historyPageSize = 50

// jobHistory is the Jobs tab's list of the host's jobs, newest first, a
// page at a time; a row selects the job for the detail below it.
type jobHistory struct {
	tab      *jobsTab
	pageSize int

	// The history as loaded: the newest pages, newest first.
	jobs  []hub.Job
	next  string         // cursor of the next older page; "" at the end
	index map[string]int // job id → row

	list     *widget.List
	empty    *widget.Label
	loadMore *widget.Button
	loadErr  *widget.Label

	obj fyne.CanvasObject
}

func newJobHistory(tab *jobsTab) *jobHistory {
	h := &jobHistory{tab: tab, pageSize: historyPageSize, index: map[string]int{}}
	h.list = widget.NewList(func() int { return len(h.jobs) }, newHistoryRow, h.updateRow)
	h.list.OnSelected = func(id widget.ListItemID) {
		// The row's own marker shows the selection, so a reload that moves
		// rows never scrolls the list to follow Fyne's selection.
		h.list.Unselect(id)
		if id >= 0 && id < len(h.jobs) {
			tab.detail.show(h.jobs[id].ID)
		}
	}
	h.empty = widget.NewLabel("No jobs yet. Back up a source group with the buttons above, or wait for a schedule to fire.")
	h.empty.Wrapping = fyne.TextWrapWord
	h.empty.Alignment = fyne.TextAlignCenter
	h.empty.Importance = widget.LowImportance
	h.loadMore = widget.NewButtonWithIcon("Load older jobs", theme.MoreHorizontalIcon(), h.loadOlder)
	h.loadMore.Hide()
	h.loadErr = widget.NewLabel("")
	h.loadErr.Importance = widget.DangerImportance
	h.loadErr.Wrapping = fyne.TextWrapWord
	h.loadErr.Hide()
	h.obj = container.NewBorder(newHistoryHeader(), container.NewVBox(h.loadErr, container.NewCenter(h.loadMore)), nil, nil,
		container.NewStack(h.list, centeredLabel(h.empty)))
	return h
}

func (h *jobHistory) object() fyne.CanvasObject { return h.obj }

// reload re-reads the history from the newest job, as many jobs as were
// loaded (at least a page).
func (h *jobHistory) reload() {
	t := h.tab
	want := max(len(h.jobs), h.pageSize)
	var all []hub.Job
	cursor := ""
	for {
		p, err := t.u.hub.Jobs(t.hostID, cursor, h.pageSize)
		if err != nil {
			h.showLoadErr(err)
			return
		}
		all = append(all, p.Jobs...)
		cursor = p.Next
		if cursor == "" || len(all) >= want {
			break
		}
	}
	h.setJobs(all, cursor)
}

// loadOlder appends the next older page.
func (h *jobHistory) loadOlder() {
	if h.next == "" {
		return
	}
	t := h.tab
	p, err := t.u.hub.Jobs(t.hostID, h.next, h.pageSize)
	if err != nil {
		h.showLoadErr(err)
		return
	}
	h.setJobs(append(h.jobs, p.Jobs...), p.Next)
}

func (h *jobHistory) setJobs(js []hub.Job, next string) {
	h.loadErr.Hide()
	h.jobs, h.next = js, next
	h.index = make(map[string]int, len(js))
	for i, j := range js {
		h.index[j.ID] = i
	}
	showIf(h.empty, len(js) == 0)
	showIf(h.loadMore, next != "")
	h.list.Refresh()
	if h.tab.detail.selected != "" {
		h.tab.detail.update()
	}
}

// jobChanged re-reads one job's row (and the detail when it is the one
// selected); a job not listed yet reloads the history.
func (h *jobHistory) jobChanged(jobID string) {
	t := h.tab
	if i, ok := h.index[jobID]; ok {
		if j, err := t.u.hub.Job(jobID); err == nil {
			h.jobs[i] = j
			h.list.RefreshItem(i)
			if jobID == t.detail.selected {
				t.detail.update()
			}
			return
		}
	}
	h.reload()
}

// refreshJob redraws one job's row (its progress moved).
func (h *jobHistory) refreshJob(jobID string) {
	if i, ok := h.index[jobID]; ok {
		h.list.RefreshItem(i)
	}
}

// scrollTo shows the row of jobID, if listed.
func (h *jobHistory) scrollTo(jobID string) {
	if i, ok := h.index[jobID]; ok {
		h.list.ScrollTo(i)
	}
}

func (h *jobHistory) showLoadErr(err error) {
	t := h.tab
	t.u.log.Warn("jobs tab: read job history", "host", t.hostID, "err", err)
	h.loadErr.SetText("The job history cannot be read: " + err.Error())
	h.loadErr.Show()
}

// The history's columns: selection mark, status icon, kind, source
// group, origin, queued/started, duration; the outcome takes the rest.
var historyColumnWidths = []float32{4, 22, 70, 120, 190, 130, 100}

const (
	historyColMark = iota
	historyColIcon
	historyColKind
	historyColGroup
	historyColOrigin
	historyColWhen
	historyColDuration
	historyColOutcome
)

// historyColumns lays cells out at the fixed widths above, the last cell
// taking what is left.
type historyColumns struct{}

func (historyColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	x := float32(0)
	for i, o := range objs {
		w := size.Width - x
		if i < len(historyColumnWidths) {
			w = historyColumnWidths[i]
		}
		h := o.MinSize().Height
		if i == historyColMark {
			h = size.Height
		}
		o.Resize(fyne.NewSize(max(w, 0), min(h, size.Height)))
		o.Move(fyne.NewPos(x, (size.Height-o.Size().Height)/2))
		x += w + pad
	}
}

func (historyColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		if i < len(historyColumnWidths) {
			w += historyColumnWidths[i] + pad
		} else {
			w += min(m.Width, 160)
		}
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

func historyCell(bold bool) *widget.Label {
	l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: bold})
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func newHistoryHeader() fyne.CanvasObject {
	objs := []fyne.CanvasObject{canvas.NewRectangle(color.Transparent), layout.NewSpacer()}
	for _, t := range []string{"Kind", "Source group", "Origin", "When", "Duration", "Outcome"} {
		l := historyCell(true)
		l.SetText(t)
		objs = append(objs, l)
	}
	return container.New(historyColumns{}, objs...)
}

func newHistoryRow() fyne.CanvasObject {
	mark := canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
	mark.Hide()
	objs := []fyne.CanvasObject{mark, widget.NewIcon(nil)}
	for range historyColOutcome - historyColKind + 1 {
		objs = append(objs, historyCell(false))
	}
	return container.New(historyColumns{}, objs...)
}

func (h *jobHistory) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(h.jobs) {
		return
	}
	t := h.tab
	j := h.jobs[id]
	cells := o.(*fyne.Container).Objects
	mark := cells[historyColMark].(*canvas.Rectangle)
	if j.ID == t.detail.selected {
		mark.FillColor = theme.Color(theme.ColorNamePrimary)
		mark.Show()
	} else {
		mark.Hide()
	}
	cells[historyColIcon].(*widget.Icon).SetResource(jobStatusIcon(j.Status))
	now := t.u.opts.Now()
	set := func(col int, text string) {
		if l := cells[col].(*widget.Label); l.Text != text {
			l.SetText(text)
		}
	}
	set(historyColKind, j.Kind)
	set(historyColGroup, j.Tag)
	set(historyColOrigin, t.originText(j))
	set(historyColWhen, jobWhen(j, now))
	set(historyColDuration, jobDuration(j, now))
	out := cells[historyColOutcome].(*widget.Label)
	text, imp := h.outcome(j)
	if out.Importance != imp {
		out.Importance = imp
		out.Refresh()
	}
	set(historyColOutcome, text)
}

// jobWhen is when the job started, else when it was queued.
func jobWhen(j hub.Job, now time.Time) string {
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
func (h *jobHistory) outcome(j hub.Job) (string, widget.Importance) {
	t := h.tab
	switch j.Status {
	case hub.JobQueued:
		if !t.online {
			return "queued until the host connects", widget.WarningImportance
		}
		return "queued", widget.MediumImportance
	case hub.JobRunning:
		if p, ok := t.u.hub.Progress(j.ID); ok {
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
		return fmt.Sprintf("%s, %d changed · %s added", plural(b.FilesNew, "new file"), b.FilesChanged, humanBytes(b.DataAdded)), widget.SuccessImportance
	case f.Restore != nil:
		r := f.Restore
		return fmt.Sprintf("%s, %s restored", plural(r.FilesRestored, "file"), humanBytes(r.BytesRestored)), widget.SuccessImportance
	case f.Forget != nil:
		removed := 0
		for _, g := range f.Forget.Groups {
			removed += g.Removed
		}
		return "removed " + plural(removed, "snapshot"), widget.SuccessImportance
	}
	return "succeeded", widget.SuccessImportance
}
