package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// jobProgress is one job live: status, progress bar, files and bytes,
// throughput, ETA, and the result when it ends (the Jobs tab's detail, the
// restore wizard's last page). It re-reads the job and its progress on
// ChangeJob / ChangeProgress for that job (and ChangeAll); the bus already
// coalesces those to ten a second.
type jobProgress struct {
	u     *UI
	jobID string

	icon    *widget.Icon
	status  *widget.Label
	bar     *widget.ProgressBar         // known progress (a fraction 0–1)
	busy    *widget.ProgressBarInfinite // running, no figures yet
	files   *formRow
	data    *formRow
	speed   *formRow
	eta     *formRow
	elapsed *formRow
	exit    *formRow
	errRow  *formRow
	snap    *formRow
	forget  *formRow
	cause   *causeView     // a failed job's cause and fix (job_cause.go)
	removed *retentionView // a finished forget's snapshots (retention_view.go)
	sc      *scope

	job     hub.Job // as last read
	loadErr error
	obj     fyne.CanvasObject
}

func newJobProgress(u *UI, sc *scope, jobID string) *jobProgress {
	p := &jobProgress{u: u, jobID: jobID, sc: sc, cause: newCauseView(u), removed: newRetentionView(u),
		icon:   widget.NewIcon(icons.Pending),
		status: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		bar:    widget.NewProgressBar(),
		busy:   widget.NewProgressBarInfinite(),
	}
	p.status.Wrapping = fyne.TextWrapWord
	p.busy.Hide()
	form := container.New(layout.NewFormLayout())
	row := func(key string) *formRow { return newFormRow(form, key) }
	p.files, p.data, p.speed, p.eta = row("Files"), row("Data"), row("Speed"), row("Time left")
	p.elapsed, p.exit, p.errRow = row("Duration"), row("Exit code"), row("Error")
	p.snap, p.forget = row("Snapshot"), row("Snapshots")
	p.errRow.val.Importance = widget.DangerImportance
	p.errRow.val.Wrapping = fyne.TextWrapWord
	p.forget.val.Wrapping = fyne.TextWrapWord

	head := container.NewBorder(nil, nil, p.icon, nil, p.status)
	p.obj = container.NewVBox(head, container.NewStack(p.bar, p.busy), p.cause.object(), form, p.removed.object())
	p.refresh()
	sc.on(func(batch []change) {
		for _, c := range batch {
			if p.concerns(c) {
				p.refresh()
				return
			}
		}
	})
	return p
}

func (p *jobProgress) object() fyne.CanvasObject { return p.obj }

// runningValue is the bar's value while the job runs and the bar shows
// figures (the screenshot tour waits on it).
func (p *jobProgress) runningValue() (float64, bool) {
	if p.job.Status != hub.JobRunning || !p.bar.Visible() {
		return 0, false
	}
	return p.bar.Value, true
}

// concerns reports whether c may change what the view shows.
func (p *jobProgress) concerns(c change) bool {
	switch {
	case c.Kind == hub.ChangeAll,
		(c.Kind == hub.ChangeJob || c.Kind == hub.ChangeProgress) && c.JobID == p.jobID,
		// A fire creates its jobs without naming them.
		c.Kind == hub.ChangeJob && c.JobID == "" && c.HostID == p.job.HostID,
		// Online or offline changes what a queued job waits for.
		c.Kind == hub.ChangeHost && c.HostID == p.job.HostID && !p.job.Terminal():
		return true
	}
	return false
}

// refresh re-reads the job and its progress. UI goroutine.
func (p *jobProgress) refresh() {
	j, err := p.u.hub.Job(p.jobID)
	if err != nil {
		p.loadErr = err
		p.icon.SetResource(icons.Failed)
		p.status.SetText("This job cannot be shown: " + err.Error())
		return
	}
	p.job, p.loadErr = j, nil
	prog, hasProg := p.u.hub.Progress(p.jobID)
	now := p.u.opts.Now()

	p.icon.SetResource(jobStatusIcon(j.Status))
	p.status.SetText(p.statusText(j, prog, hasProg))

	if !j.Terminal() {
		p.showRunning(j, prog, hasProg, now)
		return
	}
	p.showResult(j, prog, hasProg)
}

func (p *jobProgress) statusText(j hub.Job, prog hub.Progress, hasProg bool) string {
	what := jobTitle(j)
	switch j.Status {
	case hub.JobQueued:
		return what + " — queued: " + queuedReason(p.u, j)
	case hub.JobRunning:
		if hasProg {
			return fmt.Sprintf("%s — running, %s done", what, humanPercent(prog.PercentDone))
		}
		return what + " — running"
	case hub.JobSucceeded:
		return what + " — succeeded"
	case hub.JobFailed:
		return what + " — failed"
	case hub.JobCancelled:
		return what + " — cancelled"
	}
	return what + " — " + j.Status
}

func (p *jobProgress) showRunning(j hub.Job, prog hub.Progress, hasProg bool, now time.Time) {
	p.exit.set("")
	p.errRow.set("")
	p.snap.set("")
	p.forget.set("")
	if j.StartedAt != nil {
		p.elapsed.set("running for " + humanDuration(now.Sub(*j.StartedAt)))
	} else {
		p.elapsed.set("")
	}
	if !hasProg {
		p.files.set("")
		p.data.set("")
		p.speed.set("")
		p.eta.set("")
		p.bar.SetValue(0)
		if j.Status == hub.JobRunning {
			p.bar.Hide()
			p.busy.Show()
			p.busy.Start()
		} else {
			p.busy.Stop()
			p.busy.Hide()
			p.bar.Show()
		}
		return
	}
	p.busy.Stop()
	p.busy.Hide()
	p.bar.Show()
	p.bar.SetValue(fraction(prog.PercentDone))
	p.files.set(ofTotal(fmt.Sprint(prog.FilesDone), prog.TotalFiles, fmt.Sprint(prog.TotalFiles)))
	p.data.set(ofTotal(humanBytes(prog.BytesDone), prog.TotalBytes, humanBytes(prog.TotalBytes)))
	if prog.ThroughputBps > 0 {
		p.speed.set(humanBytes(prog.ThroughputBps) + "/s")
	} else {
		p.speed.set("")
	}
	if prog.EtaSeconds > 0 {
		p.eta.set(humanDuration(time.Duration(prog.EtaSeconds) * time.Second))
	} else {
		p.eta.set("")
	}
}

func (p *jobProgress) showResult(j hub.Job, prog hub.Progress, hasProg bool) {
	p.busy.Stop()
	p.busy.Hide()
	p.bar.Show()
	switch {
	case j.Status == hub.JobSucceeded:
		p.bar.SetValue(1)
	case hasProg:
		p.bar.SetValue(fraction(prog.PercentDone))
	}
	p.speed.set("")
	p.eta.set("")
	p.elapsed.set(jobDuration(j, p.u.opts.Now()))
	if j.ExitCode != nil {
		code := fmt.Sprint(*j.ExitCode)
		if *j.ExitCode == -1 {
			code = "none (restic did not run)"
		}
		p.exit.set(code)
	} else {
		p.exit.set("")
	}
	// A failure says its cause first, with the fix (causeView); a
	// cancelled job's error says who cancelled it.
	if j.Status == hub.JobFailed {
		p.errRow.set("")
	} else {
		p.errRow.set(strings.TrimSpace(j.Error))
	}
	p.cause.show(j, p.hostName(j.HostID))

	f := hub.FiguresOf(j)
	p.files.set("")
	p.data.set("")
	p.snap.set("")
	p.forget.set("")
	switch {
	case f.Backup != nil:
		b := f.Backup
		p.files.set(fmt.Sprintf("%d new, %d changed, %d unmodified (%d processed)", b.FilesNew, b.FilesChanged, b.FilesUnmodified, b.TotalFilesProcessed))
		p.data.set(fmt.Sprintf("%s added (%s processed)", humanBytes(b.DataAdded), humanBytes(b.TotalBytesProcessed)))
		p.snap.set(b.SnapshotID)
	case f.Restore != nil:
		r := f.Restore
		files := fmt.Sprintf("%d of %d restored", r.FilesRestored, r.TotalFiles)
		if r.FilesSkipped > 0 {
			files += fmt.Sprintf(", %d skipped", r.FilesSkipped)
		}
		p.files.set(files)
		p.data.set(fmt.Sprintf("%s of %s restored", humanBytes(r.BytesRestored), humanBytes(r.TotalBytes)))
	case f.Forget != nil:
		var parts []string
		for _, g := range f.Forget.Groups {
			parts = append(parts, fmt.Sprintf("%s: kept %d, removed %d", g.Tag, g.Kept, g.Removed))
		}
		p.forget.set(strings.Join(parts, "; "))
	}
	// A finished forget lists the snapshots it removed (or, a preview,
	// would remove), by id, time and group.
	if j.Kind == hub.JobKindForget && j.Status == hub.JobSucceeded && p.removed.jobID != j.ID {
		p.removed.follow(p.sc, j.HostID, j.ID)
	}
}

// hostName is the host's display name for a fix's dialog.
func (p *jobProgress) hostName(hostID string) string {
	if d, err := p.u.hub.Host(hostID); err == nil {
		return d.Host.DisplayName()
	}
	return hostID
}

// formRow is one key/value row of a form layout, hidden when empty.
type formRow struct{ key, val *widget.Label }

func newFormRow(form *fyne.Container, key string) *formRow {
	r := &formRow{key: widget.NewLabelWithStyle(key, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}), val: widget.NewLabel("")}
	r.key.Hide()
	r.val.Hide()
	form.Add(r.key)
	form.Add(r.val)
	return r
}

func (r *formRow) set(text string) {
	if r.val.Text != text {
		r.val.SetText(text)
	}
	if text == "" {
		r.key.Hide()
		r.val.Hide()
	} else {
		r.key.Show()
		r.val.Show()
	}
}

// jobStatusIcon is a job status's icon.
func jobStatusIcon(status string) fyne.Resource {
	switch status {
	case hub.JobQueued:
		return icons.Pending
	case hub.JobRunning:
		return icons.Running
	case hub.JobSucceeded:
		return theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case hub.JobFailed:
		return icons.Failed
	case hub.JobCancelled:
		return theme.NewDisabledResource(theme.CancelIcon())
	}
	return theme.QuestionIcon()
}

// jobName names a job in a sentence: "backup of docs", "check".
func jobName(j hub.Job) string {
	kind := j.Kind
	if kind == "" {
		kind = "job"
	}
	if j.Tag != "" {
		return kind + " of " + j.Tag
	}
	return kind
}

// jobTitle names a job as a title: "Backup of docs", "Check".
func jobTitle(j hub.Job) string { return capitalize(jobName(j)) }

// queuedReason says what a queued job waits for.
func queuedReason(u *UI, j hub.Job) string {
	online := false
	if d, err := u.hub.Host(j.HostID); err == nil {
		online = d.Online
	}
	switch {
	case !online && len(j.Command) > 0 && !j.ResultReceived:
		return "the host is offline; the job is sent when it connects"
	case !online:
		return "the host is offline; the agent runs it when it can"
	case len(j.Command) > 0 && !j.ResultReceived:
		return "sending it to the agent"
	default:
		return "waiting on the agent (one job per repository at a time)"
	}
}

// jobDuration is how long a job ran ("12 s"), or has run so far, or "—"
// when it never started.
func jobDuration(j hub.Job, now time.Time) string {
	switch {
	case j.StartedAt == nil:
		return "—"
	case j.FinishedAt == nil:
		return humanDuration(now.Sub(*j.StartedAt))
	}
	d := j.FinishedAt.Sub(*j.StartedAt)
	if d < time.Second {
		return "< 1 s"
	}
	return humanDuration(d)
}

// ofTotal is "done of total", or just "done" when the total is not
// known.
func ofTotal(done string, total uint64, totalText string) string {
	if total == 0 {
		return done
	}
	return done + " of " + totalText
}
