package ui

// The dashboard of all hosts, the right side of the main window while "All
// hosts" is selected (mainwindow.go).

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// dashRow is one host in a dashboard list.
type dashRow struct {
	HostID, Name, Detail string
	State                hostState
}

// dashJob is one running job.
type dashJob struct {
	JobID, HostID, Title string
}

// dashModel is everything the dashboard shows; it is rebuilt only
// when this changes.
type dashModel struct {
	Hosts, Online, FailingN, StaleN int
	Failing, Stale, Pending         []dashRow
	Running                         []dashJob
	Queued                          int
	StaleAfter                      time.Duration
	Err                             string
}

// dashSource is what the dashboard's model reads beyond the host list.
type dashSource interface {
	Fleet
	JobControl
}

// dashModelOf computes the dashboard from the host list. It reads
// the store for failing hosts' errors and running hosts' jobs (local
// reads, no network).
func dashModelOf(h dashSource, hosts []hub.HostView, now time.Time, staleAfter time.Duration) dashModel {
	m := dashModel{StaleAfter: staleAfter}
	for _, v := range hosts {
		name := v.Host.DisplayName()
		switch v.Host.Status {
		case hub.StatusPending:
			m.Pending = append(m.Pending, dashRow{HostID: v.Host.ID, Name: name, State: statePending, Detail: pendingDetail(v, now)})
			continue
		case hub.StatusRejected:
			continue
		}
		m.Hosts++
		if v.Online {
			m.Online++
		}
		if v.Failing {
			m.FailingN++
			m.Failing = append(m.Failing, dashRow{HostID: v.Host.ID, Name: name, State: stateFailing, Detail: failingDetail(h, v)})
		}
		if isStale(v, now, staleAfter) {
			m.StaleN++
			d := "last successful backup " + ago(now, v.LastBackupAt)
			if v.LastBackupAt == nil {
				d = "never backed up; added " + ago(now, &v.Host.FirstSeen)
			}
			m.Stale = append(m.Stale, dashRow{HostID: v.Host.ID, Name: name, State: hostStateOf(v), Detail: d})
		}
		m.Queued += v.QueuedJobs
	}
	var err error
	if m.Running, err = runningJobsOf(h, hosts); err != nil {
		m.Err = capitalize(err.Error())
	}
	return m
}

// runningJobsOf lists the jobs running on the approved hosts, by host,
// oldest first: "office-pc — backup of docs". It reads only the hosts
// that report a running job (the dashboard, the warning on closing the
// window); a host that cannot be read is said in err, the others listed.
func runningJobsOf(h JobControl, hosts []hub.HostView) ([]dashJob, error) {
	var out []dashJob
	var errs []error
	for _, v := range hosts {
		if v.Host.Status != hub.StatusApproved || v.RunningJobs == 0 {
			continue
		}
		name := v.Host.DisplayName()
		jobs, err := h.ActiveJobs(v.Host.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("could not read the running jobs of %s: %w", name, err))
			continue
		}
		for _, j := range jobs {
			if j.Status == hub.JobRunning {
				out = append(out, dashJob{JobID: j.ID, HostID: v.Host.ID, Title: name + " — " + jobName(j)})
			}
		}
	}
	return out, errors.Join(errs...)
}

func pendingDetail(v hub.HostView, now time.Time) string {
	var parts []string
	if v.Host.NodeName != "" && v.Host.NodeName != v.Host.DisplayName() {
		parts = append(parts, "tailnet node "+v.Host.NodeName)
	}
	if v.Host.OS != "" {
		parts = append(parts, v.Host.OS+"/"+v.Host.Arch)
	}
	if !v.Host.FirstSeen.IsZero() {
		parts = append(parts, "asked "+ago(now, &v.Host.FirstSeen))
	}
	if v.Online {
		parts = append(parts, "connected")
	}
	return strings.Join(parts, " · ")
}

// failingDetail says which groups failed and why (first line of
// the error).
func failingDetail(h Fleet, v hub.HostView) string {
	d, err := h.Host(v.Host.ID)
	if err != nil {
		return "backup failed: " + strings.Join(v.FailingGroups, ", ")
	}
	var parts []string
	for _, g := range v.FailingGroups {
		e := hub.FirstLine(d.Groups[g].Error)
		if e == "" {
			e = "failed"
		}
		parts = append(parts, g+": "+e)
	}
	return strings.Join(parts, "; ")
}

// progressLine is a running job's figures: "42 % · 3.1 MiB/s · 2 min
// left".
func progressLine(p hub.Progress, ok bool) string {
	if !ok {
		return "starting…"
	}
	parts := []string{humanPercent(p.PercentDone)}
	if p.ThroughputBps > 0 {
		parts = append(parts, humanBytes(p.ThroughputBps)+"/s")
	}
	if p.EtaSeconds > 0 {
		parts = append(parts, humanDuration(time.Duration(p.EtaSeconds)*time.Second)+" left")
	}
	return strings.Join(parts, " · ")
}

// dashboard shows counts, failing and stale hosts, running jobs and
// hosts waiting for approval.
type dashboard struct {
	m   *mainWindow
	obj fyne.CanvasObject

	hostsN, onlineN, failingN, staleN *widget.Label
	find                              *widget.Button // Find files… in every host's snapshots
	body                              *fyne.Container

	// The widgets of the current rendering, by host or job id (tests).
	approve, reject map[string]*widget.Button
	open            map[string]*widget.Button
	bars            map[string]*widget.ProgressBar
	barText         map[string]*widget.Label

	last     dashModel
	rendered bool
}

func newDashboard(m *mainWindow) *dashboard {
	d := &dashboard{m: m}
	count := func(caption string) (*widget.Label, fyne.CanvasObject) {
		n := widget.NewLabel("0")
		n.SizeName = theme.SizeNameHeadingText
		n.TextStyle.Bold = true
		n.Alignment = fyne.TextAlignCenter
		c := widget.NewLabel(caption)
		c.Alignment = fyne.TextAlignCenter
		c.Importance = widget.LowImportance
		return n, widget.NewCard("", "", container.New(tightVBox{}, n, c))
	}
	var a, b, c, e fyne.CanvasObject
	d.hostsN, a = count("hosts")
	d.onlineN, b = count("online")
	d.failingN, c = count("failing")
	d.staleN, e = count("stale")
	title := widget.NewRichTextFromMarkdown("# All hosts")
	d.find = widget.NewButtonWithIcon("Find files…", theme.SearchIcon(), func() { newFindDialog(m.u, "") })
	d.body = container.NewVBox()
	d.obj = container.NewVScroll(container.NewPadded(container.NewVBox(container.NewBorder(nil, nil, nil, container.NewCenter(d.find), title), container.NewGridWithColumns(4, a, b, c, e), d.body)))
	return d
}

func (d *dashboard) object() fyne.CanvasObject { return d.obj }

// render rebuilds the dashboard if what it shows changed. Off screen it
// waits until shown.
func (d *dashboard) render() {
	if d.m.selected != "" {
		d.rendered = false
		return
	}
	u := d.m.u
	md := dashModelOf(u.hub, d.m.hosts, u.opts.Now(), u.opts.StaleAfter)
	if d.rendered && reflect.DeepEqual(md, d.last) {
		return
	}
	d.last, d.rendered = md, true
	d.hostsN.SetText(fmt.Sprint(md.Hosts))
	d.onlineN.SetText(fmt.Sprint(md.Online))
	d.failingN.SetText(fmt.Sprint(md.FailingN))
	d.failingN.Importance = widget.MediumImportance
	if md.FailingN > 0 {
		d.failingN.Importance = widget.DangerImportance
	}
	d.failingN.Refresh()
	d.staleN.SetText(fmt.Sprint(md.StaleN))
	d.staleN.Importance = widget.MediumImportance
	if md.StaleN > 0 {
		d.staleN.Importance = widget.WarningImportance
	}
	d.staleN.Refresh()

	d.approve, d.reject, d.open = map[string]*widget.Button{}, map[string]*widget.Button{}, map[string]*widget.Button{}
	d.bars, d.barText = map[string]*widget.ProgressBar{}, map[string]*widget.Label{}
	var objs []fyne.CanvasObject
	if md.Err != "" {
		l := widget.NewLabel(md.Err)
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, l)
	}
	if md.Hosts == 0 && len(md.Pending) == 0 {
		l := widget.NewLabel("No hosts yet. Add host makes an enrollment token and shows the command that installs the agent on a machine; it appears here once it connects.")
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, widget.NewCard("Get started", "", container.NewVBox(l,
			container.NewHBox(widget.NewButtonWithIcon("Add host…", theme.ContentAddIcon(), func() { newAddHostDialog(u) })))))
	}
	if len(md.Pending) > 0 {
		box := container.NewVBox()
		for _, r := range md.Pending {
			box.Add(d.pendingRow(r))
		}
		objs = append(objs, widget.NewCard(fmt.Sprintf("Waiting for approval (%d)", len(md.Pending)),
			"Unknown tailnet machines that connected without an enrollment token.", box))
	}
	if md.Hosts > 0 {
		objs = append(objs, widget.NewCard("Failing", "", d.hostList(md.Failing, "No host's last backup failed.")))
		objs = append(objs, widget.NewCard("Running", "", d.runningList(md)))
		objs = append(objs, widget.NewCard("No successful backup in the last "+spanText(md.StaleAfter), "",
			d.hostList(md.Stale, "Every host backed up within "+spanText(md.StaleAfter)+".")))
	}
	d.body.Objects = objs
	d.body.Refresh()
}

func (d *dashboard) hostButton(r dashRow) *widget.Button {
	b := widget.NewButtonWithIcon(r.Name, r.State.icon(), func() { d.m.show(r.HostID) })
	b.Importance = widget.LowImportance
	b.Alignment = widget.ButtonAlignLeading
	d.open[r.HostID] = b
	return b
}

func (d *dashboard) hostList(rows []dashRow, empty string) fyne.CanvasObject {
	if len(rows) == 0 {
		l := widget.NewLabel(empty)
		l.Importance = widget.LowImportance
		return l
	}
	box := container.NewVBox()
	for _, r := range rows {
		detail := widget.NewLabel(r.Detail)
		detail.Truncation = fyne.TextTruncateEllipsis
		box.Add(container.NewBorder(nil, nil, d.hostButton(r), nil, detail))
	}
	return box
}

func (d *dashboard) runningList(md dashModel) fyne.CanvasObject {
	box := container.NewVBox()
	if len(md.Running) == 0 {
		l := widget.NewLabel("No job is running.")
		l.Importance = widget.LowImportance
		box.Add(l)
	}
	for _, j := range md.Running {
		bar := widget.NewProgressBar()
		bar.Max = 1
		text := widget.NewLabel("")
		text.SizeName = theme.SizeNameCaptionText
		d.bars[j.JobID], d.barText[j.JobID] = bar, text
		d.progress(j.JobID)
		title := widget.NewButtonWithIcon(j.Title, icons.Running, func() { d.m.show(j.HostID) })
		title.Importance = widget.LowImportance
		title.Alignment = widget.ButtonAlignLeading
		box.Add(container.NewVBox(container.NewBorder(nil, nil, title, text), bar))
	}
	if md.Queued > 0 {
		l := widget.NewLabel(fmt.Sprintf("%d more queued", md.Queued))
		l.Importance = widget.LowImportance
		box.Add(l)
	}
	return box
}

// progress updates one running job's bar.
func (d *dashboard) progress(jobID string) {
	bar, ok := d.bars[jobID]
	if !ok {
		return
	}
	p, have := d.m.u.hub.Progress(jobID)
	if have {
		bar.SetValue(fraction(p.PercentDone))
	}
	d.barText[jobID].SetText(progressLine(p, have))
}

func (d *dashboard) pendingRow(r dashRow) fyne.CanvasObject {
	u := d.m.u
	var approve *widget.Button
	approve = widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), func() { u.approveHost(r.HostID, r.Name, approve) })
	approve.Importance = widget.HighImportance
	reject := widget.NewButtonWithIcon("Reject", theme.CancelIcon(), func() { u.confirmReject(r.HostID, r.Name) })
	d.approve[r.HostID], d.reject[r.HostID] = approve, reject
	detail := widget.NewLabel(r.Detail)
	detail.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil, d.hostButton(r), container.NewHBox(approve, reject), detail)
}

// barValue is how far a running job's bar is, if the dashboard shows it
// (the screenshot tour waits on it).
func (d *dashboard) barValue(jobID string) (float64, bool) {
	bar, ok := d.bars[jobID]
	if !ok {
		return 0, false
	}
	return bar.Value, true
}
