package ui

// The Diff dialog, in its own window: runs `restic diff` of two snapshots
// on the agent (Hub.Diff), shows that it runs, then lists what was added,
// removed and modified, filterable by text and kind, with restic's totals.
// Sizes are not in restic's change lines: they are looked up afterwards
// (Hub.DiffSizes, on a goroutine) and the table fills in as they arrive.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// Columns of the diff table.
const (
	diffColKind = iota
	diffColPath
	diffColSize
	diffColCount
)

type diffDialog struct {
	u      *UI
	sc     *scope
	hostID string
	a, b   hub.Snapshot
	win    fyne.Window
	ctx    context.Context
	cancel context.CancelFunc

	jobID    string
	seenLog  uint64 // last log line counted while running
	received int    // change lines seen while running

	mu         sync.Mutex // the fields below: sizes arrive from a goroutine
	result     hub.DiffResult
	haveResult bool
	rows       []int // indexes into result.Entries that pass the filter
	sizes      map[int]hub.DiffSize
	sizing     bool
	sizeRep    *hub.DiffSizesReport

	heading    *widget.Label
	status     *widget.Label
	bar        *widget.ProgressBarInfinite
	cancelBtn  *widget.Button
	runningBox *fyne.Container

	totals      *widget.Label
	notKept     *widget.Label
	filter      *widget.Entry
	showKind    map[hub.DiffKind]*widget.Check
	table       *widget.Table
	shown       *widget.Label
	sizeStatus  *widget.Label
	resultBox   *fyne.Container
	root        *fyne.Container
	emptyResult *widget.Label
}

// showDiffDialog diffs snapshot a (older) against b (newer).
func (u *UI) showDiffDialog(hostID string, a, b hub.Snapshot) { u.openDiffDialog(hostID, a, b) }

func (u *UI) openDiffDialog(hostID string, a, b hub.Snapshot) *diffDialog {
	d := &diffDialog{u: u, sc: u.newScope(), hostID: hostID, a: a, b: b, sizes: map[int]hub.DiffSize{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.win = u.app.NewWindow(fmt.Sprintf("Diff %s → %s", snapShortID(a), snapShortID(b)))
	d.win.Resize(fyne.NewSize(960, 640))
	d.win.SetOnClosed(func() {
		d.cancel()
		d.sc.close()
	})

	d.heading = widget.NewLabel(fmt.Sprintf("From %s (older)\nto %s (newer)", snapTitle(a), snapTitle(b)))
	d.heading.Wrapping = fyne.TextWrapWord
	d.status = widget.NewLabel("Starting the diff…")
	d.status.Wrapping = fyne.TextWrapWord
	d.bar = widget.NewProgressBarInfinite()
	d.cancelBtn = widget.NewButtonWithIcon("Cancel diff", theme.CancelIcon(), func() {
		if err := u.hub.CancelJob(d.jobID); err != nil {
			showErrorDialog(d.win, "Cancel diff", err)
		}
	})
	d.runningBox = container.NewVBox(d.bar, d.status, container.NewHBox(d.cancelBtn))

	d.buildResult()
	d.resultBox.Hide()
	closeBtn := widget.NewButton("Close", func() { d.win.Close() })
	d.root = container.NewBorder(
		container.NewVBox(d.heading, widget.NewSeparator(), d.runningBox),
		container.NewBorder(nil, nil, nil, closeBtn, d.sizeStatus),
		nil, nil, d.resultBox)
	d.win.SetContent(container.NewPadded(d.root))

	d.sc.on(d.changed)
	id, err := u.hub.Diff(hostID, a.ID, b.ID)
	if err != nil {
		d.bar.Stop()
		d.bar.Hide()
		d.cancelBtn.Hide()
		d.status.Importance = widget.DangerImportance
		d.status.SetText("Could not start the diff: " + err.Error())
	} else {
		d.jobID = id
		d.refresh()
	}
	d.win.Show()
	return d
}

func (d *diffDialog) changed(c change) {
	if d.jobID == "" {
		return
	}
	switch {
	case c.Kind == hub.ChangeAll, c.Kind == hub.ChangeJob && c.JobID == d.jobID:
		d.refresh()
	case c.Kind == hub.ChangeJobLog && c.JobID == d.jobID:
		d.countLog()
	case c.Kind == hub.ChangeHost && c.HostID == d.hostID:
		d.refresh()
	}
}

// countLog counts change lines as they arrive, reading only the new ones.
func (d *diffDialog) countLog() {
	lines, err := d.u.hub.JobLog(d.jobID, d.seenLog+1, 10_000)
	if err != nil || len(lines) == 0 {
		return
	}
	for _, l := range lines {
		if l.Stream == "event" {
			d.received++
		}
	}
	d.seenLog = lines[len(lines)-1].Seq
	d.refresh()
}

// refresh follows the job: queued, running, then the result.
func (d *diffDialog) refresh() {
	d.mu.Lock()
	done := d.haveResult
	d.mu.Unlock()
	if done {
		return
	}
	j, err := d.u.hub.Job(d.jobID)
	if err != nil {
		d.status.SetText("Could not read the diff job: " + err.Error())
		return
	}
	if !j.Terminal() {
		switch {
		case j.Status == "queued" && !d.hostOnline():
			d.status.SetText("Queued: the host is offline. The diff runs when its agent connects.")
		case j.Status == "queued":
			d.status.SetText("Queued on the agent: it runs one restic job per repository at a time.")
		case d.received > 0:
			d.status.SetText(fmt.Sprintf("Comparing the snapshots on the agent… %s so far.", snapPlural(d.received, "change")))
		default:
			d.status.SetText("Comparing the snapshots on the agent…")
		}
		return
	}
	d.bar.Stop()
	d.bar.Hide()
	d.cancelBtn.Hide()
	defer d.root.Refresh() // Show and Hide alone do not lay the window out again
	if j.Status != "succeeded" {
		d.status.Importance = widget.DangerImportance
		if j.Status == "cancelled" {
			d.status.Importance = widget.WarningImportance
		}
		msg := j.Error
		if msg == "" {
			msg = "no reason given; see the job's log in the Jobs tab"
		}
		d.status.SetText(fmt.Sprintf("The diff %s: %s", j.Status, msg))
		d.status.Refresh()
		return
	}
	res, err := d.u.hub.DiffResult(d.jobID)
	if err != nil {
		d.status.Importance = widget.DangerImportance
		d.status.SetText("Could not read the diff's result: " + err.Error())
		d.status.Refresh()
		return
	}
	d.mu.Lock()
	d.result, d.haveResult = res, true
	d.mu.Unlock()
	d.runningBox.Hide()
	d.showResult()
	d.startSizes()
}

func (d *diffDialog) hostOnline() bool {
	h, err := d.u.hub.Host(d.hostID)
	return err == nil && h.Online
}

// --- result ---

func (d *diffDialog) buildResult() {
	d.totals = widget.NewLabel("")
	d.totals.Wrapping = fyne.TextWrapWord
	d.notKept = widget.NewLabel("")
	d.notKept.Wrapping = fyne.TextWrapWord
	d.notKept.Importance = widget.WarningImportance
	d.notKept.Hide()
	d.filter = widget.NewEntry()
	d.filter.SetPlaceHolder("Filter by path")
	d.filter.OnChanged = func(string) { d.applyFilter() }
	d.showKind = map[hub.DiffKind]*widget.Check{}
	kinds := container.NewHBox()
	for _, k := range []hub.DiffKind{hub.DiffAdded, hub.DiffRemoved, hub.DiffModified} {
		c := widget.NewCheck(diffKindTitle(k), func(bool) { d.applyFilter() })
		c.Checked = true
		d.showKind[k] = c
		kinds.Add(c)
	}
	d.table = widget.NewTableWithHeaders(
		func() (int, int) {
			d.mu.Lock()
			defer d.mu.Unlock()
			return len(d.rows), diffColCount
		},
		func() fyne.CanvasObject { return widget.NewLabel("") },
		d.updateCell)
	d.table.ShowHeaderColumn = false
	d.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	d.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		l.Alignment = fyne.TextAlignLeading
		if id.Col == diffColSize {
			l.Alignment = fyne.TextAlignTrailing // over the figures, which align right
		}
		l.SetText([]string{"Change", "Path", "Size"}[id.Col])
	}
	d.table.SetColumnWidth(diffColKind, diffKindWidth)
	d.table.SetColumnWidth(diffColPath, diffPathMinWidth)
	d.table.SetColumnWidth(diffColSize, diffSizeWidth)
	d.shown = widget.NewLabel("")
	d.sizeStatus = widget.NewLabel("")
	d.sizeStatus.Wrapping = fyne.TextWrapWord
	d.emptyResult = widget.NewLabel("The two snapshots hold the same files: nothing was added, removed or modified.")
	d.emptyResult.Wrapping = fyne.TextWrapWord
	d.emptyResult.Hide()
	top := container.NewVBox(d.totals, d.notKept,
		container.NewBorder(nil, nil, nil, kinds, d.filter), d.shown)
	table := container.New(&diffTableLayout{t: d.table}, d.table)
	d.resultBox = container.NewBorder(top, nil, nil, nil, container.NewStack(table, d.emptyResult))
}

// Widths of the diff table's columns; the path takes the rest.
const (
	diffKindWidth    = 120
	diffSizeWidth    = 110
	diffPathMinWidth = 420
)

// diffTableLayout fills its one object, the table, and widens the path
// column to whatever the kind and size columns leave: a table's columns
// have fixed widths, and paths are what the window is widened for.
type diffTableLayout struct {
	t    *widget.Table
	path float32 // the path column's width as last set
}

func (l *diffTableLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	// Room for the column separators and the vertical scroll bar.
	rest := size.Width - diffKindWidth - diffSizeWidth - 3*theme.Padding() - theme.ScrollBarSize()
	if w := max(diffPathMinWidth, rest); w != l.path {
		l.path = w
		l.t.SetColumnWidth(diffColPath, w) // refreshes the table
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *diffTableLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return l.t.MinSize() }

func diffKindTitle(k hub.DiffKind) string {
	switch k {
	case hub.DiffAdded:
		return "+ Added"
	case hub.DiffRemoved:
		return "− Removed"
	}
	return "M Modified"
}

func (d *diffDialog) showResult() {
	d.mu.Lock()
	res := d.result
	d.mu.Unlock()
	d.totals.SetText(diffTotalsText(res))
	if res.NotKept > 0 {
		d.notKept.SetText(fmt.Sprintf("The agent kept only the first part of restic's output: about %d more changes are not listed. The totals count everything.", res.NotKept))
		d.notKept.Show()
	}
	for k, c := range d.showKind {
		c.SetText(fmt.Sprintf("%s (%d)", diffKindTitle(k), res.Count(k)))
	}
	if len(res.Entries) == 0 {
		d.emptyResult.Show()
		d.table.Hide()
	}
	d.resultBox.Show()
	d.applyFilter()
}

// diffTotalsText is restic's statistics in words.
func diffTotalsText(r hub.DiffResult) string {
	s := r.Stats
	if s == nil {
		return fmt.Sprintf("%d added, %d removed, %d modified (restic reported no statistics).",
			r.Count(hub.DiffAdded), r.Count(hub.DiffRemoved), r.Count(hub.DiffModified))
	}
	side := func(c hub.DiffCounts) string {
		return fmt.Sprintf("%s, %s, %s — %s in %s (%d data, %d tree)", snapPlural(int(c.Files), "file"), snapPlural(int(c.Dirs), "folder"),
			snapPlural(int(c.Others), "other"), humanBytes(c.Bytes), snapPlural(int(c.DataBlobs+c.TreeBlobs), "blob"), c.DataBlobs, c.TreeBlobs)
	}
	return fmt.Sprintf("Modified: %s.\nAdded: %s.\nRemoved: %s.",
		snapPlural(int(s.ChangedFiles), "file"), side(s.Added), side(s.Removed))
}

// applyFilter recomputes the rows shown from the text and kind filters.
func (d *diffDialog) applyFilter() {
	q := strings.ToLower(strings.TrimSpace(d.filter.Text))
	show := map[hub.DiffKind]bool{}
	for k, c := range d.showKind {
		show[k] = c.Checked
	}
	d.mu.Lock()
	d.rows = d.rows[:0]
	for i, e := range d.result.Entries {
		if show[e.Kind] && (q == "" || strings.Contains(strings.ToLower(e.Path), q)) {
			d.rows = append(d.rows, i)
		}
	}
	n, total := len(d.rows), len(d.result.Entries)
	d.mu.Unlock()
	if n == total {
		d.shown.SetText(fmt.Sprintf("%s.", snapPlural(total, "change")))
	} else {
		d.shown.SetText(fmt.Sprintf("%d of %s shown.", n, snapPlural(total, "change")))
	}
	d.table.Refresh()
}

func (d *diffDialog) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	d.mu.Lock()
	if id.Row < 0 || id.Row >= len(d.rows) {
		d.mu.Unlock()
		l.SetText("")
		return
	}
	i := d.rows[id.Row]
	e := d.result.Entries[i]
	text := d.cellTextLocked(i, e, id.Col)
	d.mu.Unlock()
	l.Importance = widget.MediumImportance
	if id.Col == diffColKind {
		switch e.Kind {
		case hub.DiffAdded:
			l.Importance = widget.SuccessImportance
		case hub.DiffRemoved:
			l.Importance = widget.DangerImportance
		default:
			l.Importance = widget.WarningImportance
		}
	}
	if id.Col == diffColSize {
		l.Alignment = fyne.TextAlignTrailing
	} else {
		l.Alignment = fyne.TextAlignLeading
	}
	l.Truncation = fyne.TextTruncateEllipsis
	l.SetText(text)
	l.Refresh()
}

// cellTextLocked is a cell's text. Caller holds d.mu.
func (d *diffDialog) cellTextLocked(i int, e hub.DiffEntry, col int) string {
	switch col {
	case diffColKind:
		switch e.Kind {
		case hub.DiffAdded:
			return "+ added"
		case hub.DiffRemoved:
			return "− removed"
		}
		return e.Modifier + " modified"
	case diffColPath:
		if e.Dir {
			return e.Path + "/"
		}
		return e.Path
	case diffColSize:
		if e.Dir {
			return "folder"
		}
		if s, ok := d.sizes[i]; ok {
			if s.Type == "file" {
				return humanBytes(s.Size)
			}
			return s.Type
		}
		if d.sizing {
			return "…"
		}
		return "size unknown"
	}
	return ""
}

// --- sizes ---

func (d *diffDialog) startSizes() {
	d.mu.Lock()
	entries := d.result.Entries
	need := false
	for _, e := range entries {
		need = need || !e.Dir
	}
	if !need {
		d.mu.Unlock()
		return
	}
	d.sizing = true
	d.mu.Unlock()
	d.sizeStatus.SetText("Looking up sizes in the snapshots…")
	go func() {
		rep := d.u.hub.DiffSizes(d.ctx, d.hostID, d.a.ID, d.b.ID, entries, hub.DefaultDiffSizeDirs, func(batch []hub.DiffSize) {
			d.mu.Lock()
			for _, s := range batch {
				d.sizes[s.Index] = s
			}
			d.mu.Unlock()
			fyne.Do(func() {
				if d.ctx.Err() == nil {
					d.table.Refresh()
				}
			})
		})
		fyne.Do(func() {
			if d.ctx.Err() != nil {
				return
			}
			d.mu.Lock()
			d.sizing, d.sizeRep = false, &rep
			d.mu.Unlock()
			d.sizeStatus.SetText(diffSizesText(rep))
			d.table.Refresh()
			d.root.Refresh()
		})
	}()
}

func diffSizesText(rep hub.DiffSizesReport) string {
	switch {
	case rep.Err != nil && errors.Is(rep.Err, hub.ErrHostOffline):
		return fmt.Sprintf("Sizes of %s are unknown: the host went offline.", snapPlural(rep.Unknown, "entry"))
	case rep.Err != nil:
		return fmt.Sprintf("Sizes of %s are unknown: %v", snapPlural(rep.Unknown, "entry"), rep.Err)
	case rep.Unknown > 0:
		return fmt.Sprintf("Sizes of %s are unknown (looked in %d folders, the most this dialog lists).", snapPlural(rep.Unknown, "entry"), rep.Listed)
	}
	return ""
}

// --- state for tests ---

// rowTexts returns the rows shown, each "kind\tpath\tsize".
func (d *diffDialog) rowTexts() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.rows))
	for _, i := range d.rows {
		e := d.result.Entries[i]
		out = append(out, d.cellTextLocked(i, e, diffColKind)+"\t"+d.cellTextLocked(i, e, diffColPath)+"\t"+d.cellTextLocked(i, e, diffColSize))
	}
	return out
}

// done reports whether the result is shown and the sizes looked up.
func (d *diffDialog) done() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.haveResult && !d.sizing
}
