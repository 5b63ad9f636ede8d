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

// dashReason is one reason a host needs attention, as the hub says it.
type dashReason struct {
	Kind hub.AttentionKind
	Text string
	// Cause is a failing host's first failing group's cause (its fix is
	// offered on the row).
	Cause hub.Cause
}

// dashRow is one host needing attention: once, with every reason.
type dashRow struct {
	HostID, Name string
	State        hostState
	Reasons      []dashReason
}

// has reports whether the row lists a reason of kind k.
func (r dashRow) has(k hub.AttentionKind) bool {
	for _, x := range r.Reasons {
		if x.Kind == k {
			return true
		}
	}
	return false
}

// dashJob is one running job.
type dashJob struct {
	JobID, HostID, Title string
}

// dashModel is everything the dashboard shows; it is rebuilt only when
// this changes. The counters are counted from Attention (hub.Dashboard
// does the same), so a counter and the list never disagree.
type dashModel struct {
	Hosts, Online int
	Attention     []dashRow
	Running       []dashJob
	Queued        int
	StaleAfter    time.Duration
	Err           string
}

// count is how many listed hosts need attention for k.
func (m dashModel) count(k hub.AttentionKind) int { return len(m.with(k)) }

// with lists the hosts needing attention for k.
func (m dashModel) with(k hub.AttentionKind) []dashRow {
	var out []dashRow
	for _, r := range m.Attention {
		if r.has(k) {
			out = append(out, r)
		}
	}
	return out
}

// dashModelOf reads the dashboard from the hub (local reads, no network):
// the hosts needing attention and why are the hub's (hub.Dashboard), the
// running jobs named by host.
func dashModelOf(h Fleet, staleAfter time.Duration) dashModel {
	m := dashModel{StaleAfter: staleAfter}
	d, err := h.Dashboard(staleAfter)
	if err != nil {
		m.Err = "Could not read every host: " + err.Error()
	}
	m.Hosts, m.Online, m.Queued = d.Hosts, d.Online, d.Queued
	names := map[string]string{}
	for _, a := range d.Attention {
		v := a.Host
		names[v.Host.ID] = v.Host.DisplayName()
		r := dashRow{HostID: v.Host.ID, Name: v.Host.DisplayName(), State: hostStateOf(v)}
		for _, x := range a.Reasons {
			text := x.Text
			if x.Kind == hub.AttentionPending {
				if more := pendingDetail(v); more != "" {
					text += " · " + more
				}
			}
			r.Reasons = append(r.Reasons, dashReason{Kind: x.Kind, Text: text, Cause: x.Cause})
		}
		m.Attention = append(m.Attention, r)
	}
	for _, j := range d.Running {
		name, ok := names[j.HostID]
		if !ok {
			name = j.HostID
			if hd, err := h.Host(j.HostID); err == nil {
				name = hd.Host.DisplayName()
			}
		}
		m.Running = append(m.Running, dashJob{JobID: j.ID, HostID: j.HostID, Title: name + " — " + jobName(j)})
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

// pendingDetail is what a pending host says about itself beyond the
// hub's reason: its tailnet node, its system, whether it is connected.
func pendingDetail(v hub.HostView) string {
	var parts []string
	if v.Host.NodeName != "" && v.Host.NodeName != v.Host.DisplayName() {
		parts = append(parts, "tailnet node "+v.Host.NodeName)
	}
	if v.Host.OS != "" {
		parts = append(parts, v.Host.OS+"/"+v.Host.Arch)
	}
	if v.Online {
		parts = append(parts, "connected")
	}
	return strings.Join(parts, " · ")
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

// dashCounter is one figure at the top of the dashboard.
type dashCounter struct {
	kind    hub.AttentionKind // "" for hosts and online
	caption string
	n       *widget.Label
}

// dashboard shows the counters, every host needing attention (each once,
// with why, and the fix where there is one), the running jobs, and what
// to do first when there are no hosts.
type dashboard struct {
	m   *mainWindow
	obj fyne.CanvasObject

	hostsN, onlineN *widget.Label
	counters        []*dashCounter // failing, stale, offline, pending
	find            *widget.Button // Find files… in every host's snapshots
	body            *fyne.Container

	// The widgets of the current rendering, by host or job id (tests).
	approve, reject map[string]*widget.Button
	open            map[string]*widget.Button
	fix             map[string]*widget.Button
	reasons         map[string][]*widget.Label
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
	var cards []fyne.CanvasObject
	var card fyne.CanvasObject
	d.hostsN, card = count("hosts")
	cards = append(cards, card)
	d.onlineN, card = count("online")
	cards = append(cards, card)
	for _, k := range []struct {
		kind    hub.AttentionKind
		caption string
	}{{hub.AttentionFailing, "failing"}, {hub.AttentionStale, "stale"}, {hub.AttentionOffline, "offline"}, {hub.AttentionPending, "pending"}} {
		c := &dashCounter{kind: k.kind, caption: k.caption}
		c.n, card = count(k.caption)
		d.counters = append(d.counters, c)
		cards = append(cards, card)
	}
	title := widget.NewRichTextFromMarkdown("# All hosts")
	d.find = widget.NewButtonWithIcon("Find files…", theme.SearchIcon(), func() { newFindDialog(m.u, "") })
	d.body = container.NewVBox()
	d.obj = container.NewVScroll(container.NewPadded(container.NewVBox(container.NewBorder(nil, nil, nil, container.NewCenter(d.find), title),
		container.NewGridWithColumns(len(cards), cards...), d.body)))
	return d
}

func (d *dashboard) object() fyne.CanvasObject { return d.obj }

// counter is the counter of kind k (tests).
func (d *dashboard) counter(k hub.AttentionKind) *widget.Label {
	for _, c := range d.counters {
		if c.kind == k {
			return c.n
		}
	}
	return nil
}

// reasonImportance colours a reason: a failure red, the rest orange.
func reasonImportance(k hub.AttentionKind) widget.Importance {
	if k == hub.AttentionFailing {
		return widget.DangerImportance
	}
	return widget.WarningImportance
}

// render rebuilds the dashboard if what it shows changed. Off screen it
// waits until shown.
func (d *dashboard) render() {
	if d.m.selected != "" {
		d.rendered = false
		return
	}
	u := d.m.u
	md := dashModelOf(u.hub, u.opts.StaleAfter)
	if d.rendered && reflect.DeepEqual(md, d.last) {
		return
	}
	d.last, d.rendered = md, true
	d.hostsN.SetText(fmt.Sprint(md.Hosts))
	d.onlineN.SetText(fmt.Sprint(md.Online))
	for _, c := range d.counters {
		n := md.count(c.kind)
		c.n.SetText(fmt.Sprint(n))
		c.n.Importance = widget.MediumImportance
		if n > 0 {
			c.n.Importance = reasonImportance(c.kind)
		}
		c.n.Refresh()
	}

	d.approve, d.reject, d.open, d.fix = map[string]*widget.Button{}, map[string]*widget.Button{}, map[string]*widget.Button{}, map[string]*widget.Button{}
	d.reasons = map[string][]*widget.Label{}
	d.bars, d.barText = map[string]*widget.ProgressBar{}, map[string]*widget.Label{}
	var objs []fyne.CanvasObject
	if md.Err != "" {
		l := widget.NewLabel(md.Err)
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, l)
	}
	if md.Hosts == 0 && md.count(hub.AttentionPending) == 0 {
		l := widget.NewLabel("No hosts yet. Add host makes an enrollment token and shows the command that installs the agent on a machine; it appears here once it connects.")
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, widget.NewCard("Get started", "", container.NewVBox(l,
			container.NewHBox(widget.NewButtonWithIcon("Add host…", theme.ContentAddIcon(), func() { newAddHostDialog(u) })))))
	} else {
		objs = append(objs, d.attentionCard(md))
	}
	if md.Hosts > 0 {
		objs = append(objs, widget.NewCard("Running", "", d.runningList(md)))
	}
	d.body.Objects = objs
	d.body.Refresh()
}

// attentionCard lists every host needing attention once, each reason on a
// line of its own under the host.
func (d *dashboard) attentionCard(md dashModel) fyne.CanvasObject {
	title := fmt.Sprintf("Needs attention (%d)", len(md.Attention))
	if len(md.Attention) == 0 {
		l := widget.NewLabel("Nothing needs attention: every host is online, its latest backups succeeded, and each backed up within the last " + spanText(md.StaleAfter) + ".")
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.SuccessImportance
		return widget.NewCard("Needs attention", "", l)
	}
	box := container.NewVBox()
	for i, r := range md.Attention {
		if i > 0 {
			box.Add(widget.NewSeparator())
		}
		box.Add(d.attentionRow(r))
	}
	sub := "Failing: a group's latest backup failed. Stale: no successful backup in the last " + spanText(md.StaleAfter) + ", or never."
	return widget.NewCard(title, sub, box)
}

func (d *dashboard) attentionRow(r dashRow) fyne.CanvasObject {
	u := d.m.u
	var buttons []fyne.CanvasObject
	if r.has(hub.AttentionPending) {
		var approve *widget.Button
		approve = widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), func() { u.approveHost(r.HostID, r.Name, approve) })
		approve.Importance = widget.HighImportance
		reject := widget.NewButtonWithIcon("Reject", theme.CancelIcon(), func() { u.confirmReject(r.HostID, r.Name) })
		d.approve[r.HostID], d.reject[r.HostID] = approve, reject
		buttons = append(buttons, approve, reject)
	}
	for _, x := range r.Reasons {
		if x.Kind == hub.AttentionFailing && x.Cause.Fix != hub.FixNone {
			b := fixButton(u, r.HostID, r.Name, x.Cause)
			d.fix[r.HostID] = b
			buttons = append(buttons, b)
		}
	}
	lines := container.New(tightVBox{})
	for _, x := range r.Reasons {
		l := widget.NewLabel(reasonLine(x))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = reasonImportance(x.Kind)
		d.reasons[r.HostID] = append(d.reasons[r.HostID], l)
		lines.Add(l)
	}
	head := container.NewBorder(nil, nil, d.hostButton(r), container.NewHBox(buttons...))
	return container.NewVBox(head, lines)
}

// reasonLine says a reason under its host: "Failing — docs: cannot reach
// the repository: connection refused", "Stale — never backed up (added 2 h
// ago)", "Offline since 14:03 (2 h ago)".
func reasonLine(x dashReason) string {
	if strings.HasPrefix(x.Text, string(x.Kind)) {
		return capitalize(x.Text)
	}
	return capitalize(string(x.Kind)) + " — " + x.Text
}

func (d *dashboard) hostButton(r dashRow) *widget.Button {
	b := widget.NewButtonWithIcon(r.Name, r.State.icon(), func() { d.m.show(r.HostID) })
	b.Importance = widget.LowImportance
	b.Alignment = widget.ButtonAlignLeading
	d.open[r.HostID] = b
	return b
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

// barValue is how far a running job's bar is, if the dashboard shows it
// (the screenshot tour waits on it).
func (d *dashboard) barValue(jobID string) (float64, bool) {
	bar, ok := d.bars[jobID]
	if !ok {
		return 0, false
	}
	return bar.Value, true
}
