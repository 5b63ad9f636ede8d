package ui

// The Snapshots tab: a host's snapshots, newest first. Tick one to browse
// and restore it, two to compare them.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// Columns of the snapshots table.
const (
	snapshotColPick = iota
	snapshotColTime
	snapshotColID
	snapshotColTags
	snapshotColPaths
	snapshotColSize
	snapshotColFiles
	snapshotColCount
)

var snapshotColumns = [snapshotColCount]struct {
	title string
	width float32
}{
	{"", 36}, {"Time", 190}, {"ID", 90}, {"Source group", 140}, {"Paths", 320}, {"Size", 90}, {"Files", 80},
}

// snapshotsTab is a host's snapshots, newest first: tick one to browse
// and restore it (restore_wizard.go), two to compare them (diff_dialog.go).
type snapshotsTab struct {
	u      *UI
	hostID string

	snaps  []hub.Snapshot
	marked map[string]bool // snapshot ids ticked

	table      *widget.Table
	status     *widget.Label
	restoreBtn *widget.Button
	diffBtn    *widget.Button
	clearBtn   *widget.Button
	empty      *fyne.Container
	body       *fyne.Container // table or empty state
	obj        fyne.CanvasObject
}

func newSnapshotsTab(u *UI, sc *scope, hostID string) *snapshotsTab {
	v := &snapshotsTab{u: u, hostID: hostID, marked: map[string]bool{}}
	v.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(v.snaps), snapshotColCount },
		v.createCell, v.updateCell)
	v.table.ShowHeaderColumn = false
	v.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < snapshotColCount {
			o.(*widget.Label).SetText(snapshotColumns[id.Col].title)
		}
	}
	for i, c := range snapshotColumns {
		v.table.SetColumnWidth(i, c.width)
	}
	v.table.OnSelected = func(id widget.TableCellID) {
		// A click anywhere on a row ticks or unticks it.
		v.table.UnselectAll()
		if id.Row >= 0 && id.Row < len(v.snaps) {
			s := v.snaps[id.Row]
			v.setMarked(s.ID, !v.marked[s.ID])
		}
	}

	v.restoreBtn = widget.NewButtonWithIcon("Browse / Restore…", theme.DownloadIcon(), v.openRestore)
	v.restoreBtn.Importance = widget.HighImportance
	v.diffBtn = widget.NewButtonWithIcon("Diff…", theme.SearchReplaceIcon(), v.openDiff)
	v.clearBtn = widget.NewButton("Clear selection", func() {
		v.marked = map[string]bool{}
		v.table.Refresh()
		v.updateActions()
	})
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis // a wrapped label would make the bar tall

	emptyText := widget.NewLabel("No snapshots yet.\nRun a backup (Jobs → Back up now, or wait for a schedule): its snapshot appears here when the agent reports it.")
	emptyText.Wrapping = fyne.TextWrapWord
	emptyText.Alignment = fyne.TextAlignCenter
	// Full width, centred by spacers: in a Center container the wrapped
	// text would get one word a line and make the window very tall.
	v.empty = container.NewVBox(layout.NewSpacer(), widget.NewIcon(theme.HistoryIcon()), emptyText, layout.NewSpacer())
	v.empty.Hide()

	bar := container.NewBorder(nil, nil, nil, container.NewHBox(v.clearBtn, v.diffBtn, v.restoreBtn), v.status)
	v.body = container.NewStack(v.table, v.empty)
	v.obj = container.NewBorder(nil, bar, nil, nil, v.body)

	sc.on(func(batch []change) {
		for _, c := range batch {
			if (c.Kind == hub.ChangeSnapshots || c.Kind == hub.ChangeAll) && about(c, hostID) {
				v.reload()
				return
			}
		}
	})
	v.reload()
	return v
}

func (v *snapshotsTab) object() fyne.CanvasObject { return v.obj }

// reload re-reads the host's snapshots (local store), keeping the ticks of
// snapshots that are still there.
func (v *snapshotsTab) reload() {
	snaps, err := v.u.hub.Snapshots(v.hostID)
	if err != nil {
		v.status.SetText("Could not read the snapshots: " + err.Error())
		v.status.Importance = widget.DangerImportance
		v.status.Refresh()
		return
	}
	v.status.Importance = widget.MediumImportance
	// Newest first, whatever order the store keeps.
	slices.SortStableFunc(snaps, func(a, b hub.Snapshot) int { return b.Time.Compare(a.Time) })
	v.snaps = snaps
	for id := range v.marked {
		if !slices.ContainsFunc(snaps, func(s hub.Snapshot) bool { return s.ID == id }) {
			delete(v.marked, id)
		}
	}
	if len(snaps) == 0 {
		v.table.Hide()
		v.empty.Show()
	} else {
		v.empty.Hide()
		v.table.Show()
	}
	v.body.Refresh()
	v.table.Refresh()
	v.updateActions()
}

func (v *snapshotsTab) setMarked(id string, on bool) {
	if on {
		v.marked[id] = true
	} else {
		delete(v.marked, id)
	}
	v.table.Refresh()
	v.updateActions()
}

// picked returns the ticked snapshots, oldest first.
func (v *snapshotsTab) picked() []hub.Snapshot {
	var out []hub.Snapshot
	for _, s := range v.snaps {
		if v.marked[s.ID] {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b hub.Snapshot) int { return a.Time.Compare(b.Time) })
	return out
}

func (v *snapshotsTab) updateActions() {
	n := len(v.picked())
	enableIf(v.restoreBtn, n == 1)
	enableIf(v.diffBtn, n == 2)
	enableIf(v.clearBtn, n > 0)
	if v.status.Importance == widget.DangerImportance {
		return
	}
	switch {
	case len(v.snaps) == 0:
		v.status.SetText("")
	case n == 0:
		v.status.SetText(fmt.Sprintf("%s. Tick one to browse or restore it, two to compare them.", plural(len(v.snaps), "snapshot")))
	case n == 1:
		v.status.SetText("1 snapshot ticked: Browse / Restore…, or tick a second one to compare.")
	case n == 2:
		v.status.SetText("2 snapshots ticked: Diff… compares the older with the newer.")
	default:
		v.status.SetText(fmt.Sprintf("%d snapshots ticked: tick one to restore, two to compare.", n))
	}
}

func (v *snapshotsTab) openRestore() {
	if p := v.picked(); len(p) == 1 {
		newRestoreWizard(v.u, v.hostID, p[0])
	}
}

func (v *snapshotsTab) openDiff() {
	if p := v.picked(); len(p) == 2 {
		newDiffDialog(v.u, v.hostID, p[0], p[1])
	}
}

// snapshotCell is one table cell: a tick box in the first column, text in the
// others.
type snapshotCell struct {
	widget.BaseWidget
	check *widget.Check
	label *widget.Label
	obj   fyne.CanvasObject
}

func newSnapshotCell() *snapshotCell {
	c := &snapshotCell{check: widget.NewCheck("", nil), label: widget.NewLabel("")}
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.obj = container.NewStack(c.check, c.label)
	c.ExtendBaseWidget(c)
	return c
}

func (c *snapshotCell) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.obj) }

func (v *snapshotsTab) createCell() fyne.CanvasObject { return newSnapshotCell() }

func (v *snapshotsTab) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	c := o.(*snapshotCell)
	if id.Row < 0 || id.Row >= len(v.snaps) {
		return
	}
	s := v.snaps[id.Row]
	if id.Col == snapshotColPick {
		c.label.Hide()
		c.check.OnChanged = nil
		c.check.SetChecked(v.marked[s.ID])
		c.check.OnChanged = func(on bool) { v.setMarked(s.ID, on) }
		c.check.Show()
		return
	}
	c.check.Hide()
	c.label.Show()
	c.label.Alignment = fyne.TextAlignLeading
	c.label.SetText(v.cellText(s, id.Col))
}

func (v *snapshotsTab) cellText(s hub.Snapshot, col int) string {
	switch col {
	case snapshotColTime:
		return snapshotTime(s.Time)
	case snapshotColID:
		return shortSnapshotID(s)
	case snapshotColTags:
		if len(s.Tags) == 0 {
			return "—"
		}
		return strings.Join(s.Tags, ", ")
	case snapshotColPaths:
		return strings.Join(s.Paths, ", ")
	case snapshotColSize:
		if s.SizeBytes == nil {
			return "—"
		}
		return humanBytes(*s.SizeBytes)
	case snapshotColFiles:
		if s.FileCount == nil {
			return "—"
		}
		return humanCount(*s.FileCount)
	}
	return ""
}

// snapshotTime shows a snapshot's time in the manager's zone.
func snapshotTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

func shortSnapshotID(s hub.Snapshot) string {
	if s.ShortID != "" {
		return s.ShortID
	}
	if len(s.ID) > 8 {
		return s.ID[:8]
	}
	return s.ID
}

// snapshotTitle names a snapshot in one line: time, id, source group.
func snapshotTitle(s hub.Snapshot) string {
	t := snapshotTime(s.Time) + " · " + shortSnapshotID(s)
	if len(s.Tags) > 0 {
		t += " · " + strings.Join(s.Tags, ", ")
	}
	return t
}
