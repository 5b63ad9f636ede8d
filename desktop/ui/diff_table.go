package ui

import (
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

// diffTable is the diff dialog's result: restic's totals, what was added,
// removed and modified, filterable by text and kind, and the sizes of the
// files as they are looked up (on a goroutine, through Hub.DiffSizes:
// restic's change lines carry none).
type diffTable struct {
	d *diffDialog

	mu         sync.Mutex // the fields below: sizes arrive from a goroutine
	result     hub.DiffResult
	haveResult bool
	rows       []int // indexes into result.Entries that pass the filter
	sizes      map[int]hub.DiffSize
	sizing     bool
	sizeRep    *hub.DiffSizesReport

	totals      *widget.Label
	notKept     *widget.Label
	filter      *widget.Entry
	showKind    map[hub.DiffKind]*widget.Check
	grid        *widget.Table
	shown       *widget.Label
	sizeStatus  *widget.Label
	emptyResult *widget.Label
	obj         *fyne.Container
}

func newDiffTable(d *diffDialog) *diffTable {
	t := &diffTable{d: d, sizes: map[int]hub.DiffSize{}}
	t.totals = widget.NewLabel("")
	t.totals.Wrapping = fyne.TextWrapWord
	t.notKept = widget.NewLabel("")
	t.notKept.Wrapping = fyne.TextWrapWord
	t.notKept.Importance = widget.WarningImportance
	t.notKept.Hide()
	t.filter = widget.NewEntry()
	t.filter.SetPlaceHolder("Filter by path")
	t.filter.OnChanged = func(string) { t.applyFilter() }
	t.showKind = map[hub.DiffKind]*widget.Check{}
	kinds := container.NewHBox()
	for _, k := range []hub.DiffKind{hub.DiffAdded, hub.DiffRemoved, hub.DiffModified} {
		c := widget.NewCheck(diffKindTitle(k), func(bool) { t.applyFilter() })
		c.Checked = true
		t.showKind[k] = c
		kinds.Add(c)
	}
	t.grid = widget.NewTableWithHeaders(
		func() (int, int) {
			t.mu.Lock()
			defer t.mu.Unlock()
			return len(t.rows), diffColCount
		},
		func() fyne.CanvasObject { return widget.NewLabel("") },
		t.updateCell)
	t.grid.ShowHeaderColumn = false
	t.grid.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.grid.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		l.Alignment = fyne.TextAlignLeading
		if id.Col == diffColSize {
			l.Alignment = fyne.TextAlignTrailing // over the figures, which align right
		}
		l.SetText([]string{"Change", "Path", "Size"}[id.Col])
	}
	t.grid.SetColumnWidth(diffColKind, diffKindWidth)
	t.grid.SetColumnWidth(diffColPath, diffPathMinWidth)
	t.grid.SetColumnWidth(diffColSize, diffSizeWidth)
	t.shown = widget.NewLabel("")
	t.sizeStatus = widget.NewLabel("")
	t.sizeStatus.Wrapping = fyne.TextWrapWord
	t.emptyResult = widget.NewLabel("The two snapshots hold the same files: nothing was added, removed or modified.")
	t.emptyResult.Wrapping = fyne.TextWrapWord
	t.emptyResult.Hide()
	top := container.NewVBox(t.totals, t.notKept,
		container.NewBorder(nil, nil, nil, kinds, t.filter), t.shown)
	table := container.New(&diffTableLayout{t: t.grid}, t.grid)
	t.obj = container.NewBorder(top, nil, nil, nil, container.NewStack(table, t.emptyResult))
	t.obj.Hide() // until the result is in
	return t
}

func (t *diffTable) object() fyne.CanvasObject { return t.obj }

// has reports whether the result is in.
func (t *diffTable) has() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.haveResult
}

// show puts the diff's result in the table and starts looking up the
// sizes of its files.
func (t *diffTable) show(res hub.DiffResult) {
	t.mu.Lock()
	t.result, t.haveResult = res, true
	t.mu.Unlock()
	t.showResult()
	t.startSizes()
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

func (t *diffTable) showResult() {
	t.mu.Lock()
	res := t.result
	t.mu.Unlock()
	t.totals.SetText(diffTotalsText(res))
	if res.NotKept > 0 {
		t.notKept.SetText(fmt.Sprintf("The agent kept only the first part of restic's output: about %s are not listed. The totals count everything.", plural(res.NotKept, "more change")))
		t.notKept.Show()
	}
	for k, c := range t.showKind {
		c.SetText(fmt.Sprintf("%s (%d)", diffKindTitle(k), res.Count(k)))
	}
	if len(res.Entries) == 0 {
		t.emptyResult.Show()
		t.grid.Hide()
	}
	t.obj.Show()
	t.applyFilter()
}

// diffTotalsText is restic's statistics in words.
func diffTotalsText(r hub.DiffResult) string {
	s := r.Stats
	if s == nil {
		return fmt.Sprintf("%d added, %d removed, %d modified (restic reported no statistics).",
			r.Count(hub.DiffAdded), r.Count(hub.DiffRemoved), r.Count(hub.DiffModified))
	}
	side := func(c hub.DiffCounts) string {
		return fmt.Sprintf("%s, %s, %s — %s in %s (%d data, %d tree)", plural(int(c.Files), "file"), plural(int(c.Dirs), "folder"),
			plural(int(c.Others), "other"), humanBytes(c.Bytes), plural(int(c.DataBlobs+c.TreeBlobs), "blob"), c.DataBlobs, c.TreeBlobs)
	}
	return fmt.Sprintf("Modified: %s.\nAdded: %s.\nRemoved: %s.",
		plural(int(s.ChangedFiles), "file"), side(s.Added), side(s.Removed))
}

// applyFilter recomputes the rows shown from the text and kind filters.
func (t *diffTable) applyFilter() {
	q := strings.ToLower(strings.TrimSpace(t.filter.Text))
	show := map[hub.DiffKind]bool{}
	for k, c := range t.showKind {
		show[k] = c.Checked
	}
	t.mu.Lock()
	t.rows = t.rows[:0]
	for i, e := range t.result.Entries {
		if show[e.Kind] && (q == "" || strings.Contains(strings.ToLower(e.Path), q)) {
			t.rows = append(t.rows, i)
		}
	}
	n, total := len(t.rows), len(t.result.Entries)
	t.mu.Unlock()
	if n == total {
		t.shown.SetText(fmt.Sprintf("%s.", plural(total, "change")))
	} else {
		t.shown.SetText(fmt.Sprintf("%d of %s shown.", n, plural(total, "change")))
	}
	t.grid.Refresh()
}

func (t *diffTable) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	t.mu.Lock()
	if id.Row < 0 || id.Row >= len(t.rows) {
		t.mu.Unlock()
		l.SetText("")
		return
	}
	i := t.rows[id.Row]
	e := t.result.Entries[i]
	text := t.cellTextLocked(i, e, id.Col)
	t.mu.Unlock()
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

// cellTextLocked is a cell's text. Caller holds t.mu.
func (t *diffTable) cellTextLocked(i int, e hub.DiffEntry, col int) string {
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
		if s, ok := t.sizes[i]; ok {
			if s.Type == "file" {
				return humanBytes(s.Size)
			}
			return s.Type
		}
		if t.sizing {
			return "…"
		}
		return "size unknown"
	}
	return ""
}

// --- sizes ---

func (t *diffTable) startSizes() {
	t.mu.Lock()
	entries := t.result.Entries
	need := false
	for _, e := range entries {
		need = need || !e.Dir
	}
	if !need {
		t.mu.Unlock()
		return
	}
	t.sizing = true
	t.mu.Unlock()
	t.sizeStatus.SetText("Looking up sizes in the snapshots…")
	go func() {
		rep := t.d.u.hub.DiffSizes(t.d.ctx, t.d.hostID, t.d.a.ID, t.d.b.ID, entries, hub.DefaultDiffSizeDirs, func(batch []hub.DiffSize) {
			t.mu.Lock()
			for _, s := range batch {
				t.sizes[s.Index] = s
			}
			t.mu.Unlock()
			fyne.Do(func() {
				if t.d.ctx.Err() == nil {
					t.grid.Refresh()
				}
			})
		})
		fyne.Do(func() {
			if t.d.ctx.Err() != nil {
				return
			}
			t.mu.Lock()
			t.sizing, t.sizeRep = false, &rep
			t.mu.Unlock()
			t.sizeStatus.SetText(diffSizesText(rep))
			t.grid.Refresh()
			t.d.root.Refresh()
		})
	}()
}

func diffSizesText(rep hub.DiffSizesReport) string {
	switch {
	case rep.Err != nil && errors.Is(rep.Err, hub.ErrHostOffline):
		return fmt.Sprintf("Sizes of %s are unknown: the host went offline.", plural(rep.Unknown, "entry"))
	case rep.Err != nil:
		return fmt.Sprintf("Sizes of %s are unknown: %v", plural(rep.Unknown, "entry"), rep.Err)
	case rep.Unknown > 0:
		return fmt.Sprintf("Sizes of %s are unknown (looked in %d folders, the most this dialog lists).", plural(rep.Unknown, "entry"), rep.Listed)
	}
	return ""
}

// rowTexts returns the rows shown, each "kind\tpath\tsize".
func (t *diffTable) rowTexts() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.rows))
	for _, i := range t.rows {
		e := t.result.Entries[i]
		out = append(out, t.cellTextLocked(i, e, diffColKind)+"\t"+t.cellTextLocked(i, e, diffColPath)+"\t"+t.cellTextLocked(i, e, diffColSize))
	}
	return out
}

// done reports whether the result is shown and the sizes looked up.
func (t *diffTable) done() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.haveResult && !t.sizing
}
