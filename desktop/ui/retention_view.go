package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// Retention you can see before it deletes. A retentionView follows one
// forget job — a preview (hub.PreviewRetention, or RunNow with DryRun) or
// a real forget — and shows what it keeps and removes as a table: the
// snapshot, when it was taken, its group, and the verdict. The group
// editor shows one before Save, the Forget… dialog before Run, and a
// finished forget's detail lists what it removed.
//
// restic's reasons for keeping a snapshot ("daily snapshot") do not
// travel: the agent sends the ids kept and removed per group, so the
// table's last column is the verdict.

// retentionRow is one row of the table.
type retentionRow struct {
	ShortID, Time, Group, Verdict string
	Removed                       bool
}

// retentionRowsOf lays a result out: per group, removed snapshots first
// (the ones that matter before a save), then kept, each newest first.
func retentionRowsOf(r hub.RetentionResult) []retentionRow {
	verdict := [2]string{"kept", "removed"}
	if r.DryRun {
		verdict = [2]string{"keeps", "removes"}
	}
	var out []retentionRow
	add := func(refs []hub.SnapshotRef, removed bool) {
		for _, s := range refs {
			row := retentionRow{ShortID: s.ShortID, Time: "—", Group: s.Group, Removed: removed, Verdict: verdict[0]}
			if !s.Time.IsZero() {
				row.Time = snapshotTime(s.Time)
			}
			if removed {
				row.Verdict = verdict[1]
			}
			out = append(out, row)
		}
	}
	for _, g := range r.Groups {
		add(g.Remove, true)
		add(g.Keep, false)
	}
	return out
}

// retentionSummary says a result in a line.
func retentionSummary(r hub.RetentionResult) (string, widget.Importance) {
	kept := 0
	for _, g := range r.Groups {
		kept += len(g.Keep)
	}
	removed := r.Removed()
	switch {
	case r.Status == hub.JobQueued:
		return "Waiting: " + r.Waiting + ".", widget.WarningImportance
	case !r.Done:
		return "Asking restic what the policy keeps…", widget.MediumImportance
	case r.Status == hub.JobFailed:
		words := r.Cause.Words
		if words == "" {
			words = "the job failed"
		}
		return capitalize(words), widget.DangerImportance
	case r.Status == hub.JobCancelled:
		return "Cancelled.", widget.LowImportance
	case r.DryRun && removed == 0:
		return fmt.Sprintf("The policy keeps all %s and removes none.", plural(kept, "snapshot")), widget.SuccessImportance
	case r.DryRun:
		return fmt.Sprintf("The policy would remove %s and keep %d.", plural(removed, "snapshot"), kept), widget.WarningImportance
	case len(r.Groups) == 0:
		return "Forget finished; the agent did not say which snapshots it removed.", widget.MediumImportance
	}
	return fmt.Sprintf("Removed %s; kept %d.", plural(removed, "snapshot"), kept), widget.MediumImportance
}

// retentionView shows one forget job's verdicts, following the job.
type retentionView struct {
	u     *UI
	sc    *scope // the followed job's listener; replaced with it
	jobID string

	status *widget.Label
	busy   *widget.ProgressBarInfinite
	table  *widget.Table
	rows   []retentionRow
	result hub.RetentionResult

	obj fyne.CanvasObject
}

var retentionColumns = []struct {
	title string
	width float32
}{{"Snapshot", 100}, {"Taken", 170}, {"Group", 140}, {"Policy", 90}}

func newRetentionView(u *UI) *retentionView {
	v := &retentionView{u: u, status: widget.NewLabel(""), busy: widget.NewProgressBarInfinite()}
	v.status.Wrapping = fyne.TextWrapWord
	v.busy.Stop()
	v.busy.Hide()
	v.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(v.rows), len(retentionColumns) },
		func() fyne.CanvasObject { return widget.NewLabel("2026-01-01 00:00:00") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row >= len(v.rows) {
				return
			}
			r := v.rows[id.Row]
			l.Importance = widget.MediumImportance
			if r.Removed {
				l.Importance = widget.DangerImportance
			}
			l.SetText([]string{r.ShortID, r.Time, r.Group, r.Verdict}[id.Col])
		})
	v.table.ShowHeaderColumn = false
	v.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(retentionColumns) {
			o.(*widget.Label).SetText(retentionColumns[id.Col].title)
		}
	}
	for i, c := range retentionColumns {
		v.table.SetColumnWidth(i, c.width)
	}
	v.table.Hide()
	// The table's own minimum is one row: give it room for a few.
	sized := container.NewGridWrap(fyne.NewSize(float32(540), 220), v.table)
	v.obj = container.NewVBox(v.status, v.busy, sized)
	v.obj.Hide()
	return v
}

func (v *retentionView) object() fyne.CanvasObject { return v.obj }

// follow shows job jobID of host hostID and keeps following it within
// sc (the host's state changes what a queued job waits for).
func (v *retentionView) follow(sc *scope, hostID, jobID string) {
	if v.sc != nil {
		v.sc.close()
	}
	v.jobID, v.sc = jobID, sc.child()
	v.obj.Show()
	v.refresh()
	v.sc.on(func(batch []change) {
		for _, c := range batch {
			if c.Kind == hub.ChangeAll || (c.Kind == hub.ChangeJob && c.JobID == jobID) ||
				((c.Kind == hub.ChangeHost || c.Kind == hub.ChangeSnapshots) && c.HostID == hostID) {
				v.refresh()
				return
			}
		}
	})
}

// clear forgets the job: the view hides (the policy was edited since).
func (v *retentionView) clear() {
	if v.sc != nil {
		v.sc.close()
		v.sc = nil
	}
	v.jobID, v.rows, v.result = "", nil, hub.RetentionResult{}
	v.busy.Stop()
	v.obj.Hide()
}

// fail says why no preview could start.
func (v *retentionView) fail(msg string) {
	v.clear()
	v.status.Importance = widget.DangerImportance
	v.status.SetText(msg)
	v.table.Hide()
	v.obj.Show()
}

func (v *retentionView) refresh() {
	if v.jobID == "" {
		return
	}
	r, err := v.u.hub.RetentionPreview(v.jobID)
	if err != nil {
		v.status.Importance = widget.DangerImportance
		v.status.SetText("Cannot read the preview: " + err.Error())
		return
	}
	v.result = r
	text, imp := retentionSummary(r)
	v.status.Importance = imp
	v.status.SetText(text)
	if r.Done {
		v.busy.Stop()
		v.busy.Hide()
	} else {
		v.busy.Show()
		v.busy.Start()
	}
	v.rows = retentionRowsOf(r)
	showIf(v.table, len(v.rows) > 0)
	v.table.Refresh()
}
