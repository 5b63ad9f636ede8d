package ui

// "Find files…", in its own window: a pattern, the hosts to search, one
// find job per host (hub.Find) with each host's progress, and the matches
// grouped by path (find_results.go), each version with "Restore this
// version…".

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// findDialog is the Find files window.
type findDialog struct {
	u      *UI
	sc     *scope
	win    fyne.Window
	closed bool

	pattern    *widget.Entry
	ignoreCase *widget.Check
	form       checkedForm
	hostChecks *widget.CheckGroup
	hostIDs    map[string]string // option → host id
	findBtn    *widget.Button
	stopBtn    *widget.Button

	progress *fyne.Container // a row per searched host
	summary  *widget.Label
	results  *findResults

	// The search shown, and what its watcher last handed over: Watch runs
	// on its own goroutine, and only the latest results are drawn (at
	// most one fyne.Do waits at a time).
	search *hub.FindSearch
	stop   context.CancelFunc
	mu     sync.Mutex
	latest findUpdate
	queued bool
	last   hub.FindResults

	// wizard is the restore wizard opened last (tests).
	wizard *restoreWizard
}

type findUpdate struct {
	search *hub.FindSearch
	r      hub.FindResults
	err    error
}

// newFindDialog opens Find files. hostID preselects one host (a host's
// page); "" preselects every approved host (All hosts).
func newFindDialog(u *UI, hostID string) *findDialog {
	d := &findDialog{u: u, sc: u.newScope()}
	d.win = u.app.NewWindow("Find files")
	d.win.Resize(fyne.NewSize(960, 680))
	d.win.SetOnClosed(d.close)

	d.pattern = widget.NewEntry()
	d.pattern.SetPlaceHolder("report*.odt, *.xlsx or /home/anna/Documents/*")
	patternF := d.form.field("Find", d.pattern,
		"A name or a pattern as restic find takes it: * and ? match within a name; a pattern starting with / matches whole paths.",
		func(s string) error {
			switch {
			case strings.TrimSpace(s) == "":
				return errors.New("type a file name or a pattern")
			case len(s) > hub.MaxPathLen:
				return fmt.Errorf("longer than %d bytes", hub.MaxPathLen)
			case strings.ContainsRune(s, 0):
				return errors.New("contains a NUL byte")
			}
			return nil
		})
	d.form.onChange = func(bool) { d.updateButtons() }
	d.pattern.OnSubmitted = func(string) { d.find() }
	d.ignoreCase = widget.NewCheck("Ignore case", nil)
	d.ignoreCase.SetChecked(true)

	d.hostChecks = widget.NewCheckGroup(nil, func([]string) { d.updateButtons() })
	d.hostChecks.Horizontal = true
	all := widget.NewButton("All", func() { d.hostChecks.SetSelected(d.hostChecks.Options) })
	d.findBtn = widget.NewButtonWithIcon("Find", theme.SearchIcon(), d.find)
	d.findBtn.Importance = widget.HighImportance
	d.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), d.stopSearch)
	d.stopBtn.Hide()
	d.loadHosts(hostID)

	query := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabelWithStyle("Find", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			container.NewHBox(d.ignoreCase, d.findBtn, d.stopBtn), d.pattern),
		patternF.msg,
		container.NewBorder(nil, nil, widget.NewLabelWithStyle("On", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), all,
			container.NewHScroll(d.hostChecks)),
	)
	d.progress = container.NewVBox()
	d.summary = widget.NewLabel("Each host searches its own snapshots, all at once; matches appear as they are found.")
	d.summary.Wrapping = fyne.TextWrapWord
	d.results = newFindResults(d.restoreVersion)
	top := container.NewVBox(query, widget.NewSeparator(), d.progress, d.summary)
	closeBtn := widget.NewButton("Close", func() { d.win.Close() })
	d.win.SetContent(container.NewPadded(container.NewBorder(top, container.NewBorder(nil, nil, nil, closeBtn), nil, nil,
		d.results.object())))

	d.sc.on(d.changed)
	d.updateButtons()
	d.win.Show()
	d.win.Canvas().Focus(d.pattern)
	return d
}

// loadHosts offers every approved host, by name, ticking preselect (or
// all of them for "").
func (d *findDialog) loadHosts(preselect string) {
	hosts, err := d.u.hub.Hosts()
	if err != nil {
		d.u.log.Warn("find: list hosts", "err", err)
	}
	var opts, sel []string
	d.hostIDs = map[string]string{}
	for _, v := range hosts {
		if v.Host.Status != hub.StatusApproved {
			continue
		}
		opt := v.Host.DisplayName()
		if _, dup := d.hostIDs[opt]; dup {
			opt += " (" + shortID(v.Host.ID) + ")"
		}
		d.hostIDs[opt] = v.Host.ID
		opts = append(opts, opt)
		if preselect == "" || preselect == v.Host.ID {
			sel = append(sel, opt)
		}
	}
	sort.Strings(opts)
	d.hostChecks.Options = opts
	d.hostChecks.SetSelected(sel)
}

// chosen are the ticked hosts' ids.
func (d *findDialog) chosen() []string {
	var ids []string
	for _, opt := range d.hostChecks.Selected {
		if id, ok := d.hostIDs[opt]; ok {
			ids = append(ids, id)
		}
	}
	return ids
}

func (d *findDialog) updateButtons() {
	enableIf(d.findBtn, d.form.valid() && len(d.chosen()) > 0)
}

// find starts one find job per chosen host and watches their results; a
// search still running is stopped first.
func (d *findDialog) find() {
	if !d.form.valid() || len(d.chosen()) == 0 {
		return
	}
	d.dropSearch()
	s, err := d.u.hub.Find(d.chosen(), d.pattern.Text, d.ignoreCase.Checked)
	if err != nil {
		showErrorDialog(d.win, "Find", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.search, d.stop = s, cancel
	d.results.clear()
	d.last = hub.FindResults{}
	d.stopBtn.Show()
	d.summary.SetText("Searching…")
	go s.Watch(ctx, func(r hub.FindResults, err error) { d.deliver(findUpdate{s, r, err}) })
}

// deliver keeps the watcher's latest results and has the UI goroutine
// draw them; results that arrive meanwhile replace them (Watch's
// goroutine).
func (d *findDialog) deliver(up findUpdate) {
	d.mu.Lock()
	d.latest = up
	wake := !d.queued
	d.queued = true
	d.mu.Unlock()
	if wake {
		fyne.Do(d.apply)
	}
}

func (d *findDialog) apply() {
	d.mu.Lock()
	up := d.latest
	d.queued = false
	d.mu.Unlock()
	if d.closed || up.search != d.search {
		return // an earlier search's, or the window closed
	}
	if up.err != nil {
		d.summary.Importance = widget.DangerImportance
		d.summary.SetText("Could not read the results: " + up.err.Error())
		return
	}
	d.last = up.r
	d.showProgress()
	d.summary.Importance = widget.MediumImportance
	d.summary.SetText(findSummary(up.r))
	d.results.set(up.r.Paths)
	showIf(d.stopBtn, !up.r.Done)
}

// changed redraws the hosts' rows when a host connects or goes: a queued
// search says whether it waits for its host.
func (d *findDialog) changed(batch []change) {
	for _, c := range batch {
		if c.Kind == hub.ChangeHost || c.Kind == hub.ChangeHosts || c.Kind == hub.ChangeAll {
			d.showProgress()
			return
		}
	}
}

// showProgress draws a row per searched host: its state and its count.
func (d *findDialog) showProgress() {
	d.progress.Objects = nil
	for _, h := range d.last.Hosts {
		online := false
		if v, err := d.u.hub.Host(h.HostID); err == nil {
			online = v.Online
		}
		icon, text, imp := findHostLine(h, online)
		name := widget.NewLabelWithStyle(h.HostName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		line := widget.NewLabel(text)
		line.Importance = imp
		line.Truncation = fyne.TextTruncateEllipsis
		var lead fyne.CanvasObject = widget.NewIcon(icon)
		if !h.Done() {
			a := widget.NewActivity()
			a.Start()
			lead = a
		}
		d.progress.Add(container.NewBorder(nil, nil, container.NewHBox(lead, name), nil, line))
	}
	d.progress.Refresh()
}

// findHostLine is one host's progress: its icon, what it says, and how.
func findHostLine(h hub.FindHost, online bool) (fyne.Resource, string, widget.Importance) {
	found := plural(h.Matches, "match")
	switch h.Status {
	case hub.JobQueued:
		if !online {
			return icons.Offline, "waiting: the host is offline, its search starts when it connects", widget.WarningImportance
		}
		return icons.Pending, "sent, waiting for the agent to start", widget.LowImportance
	case hub.JobRunning:
		return icons.Running, "searching its snapshots… " + found + " so far", widget.MediumImportance
	case hub.JobSucceeded:
		text := fmt.Sprintf("%s in %s", plural(h.TotalMatches, "match"), plural(h.SnapshotsSearched, "snapshot"))
		if h.TotalMatches > h.Matches {
			text += fmt.Sprintf(" — %s listed: an agent keeps only so many lines of one job; narrow the pattern to see the rest", humanCount(h.Matches))
		}
		return icons.Online, text, widget.SuccessImportance
	case hub.JobCancelled:
		return icons.Offline, "stopped; " + found + " before that", widget.WarningImportance
	}
	msg := hub.FirstLine(h.Error)
	if msg == "" {
		msg = "no reason given; see the job in its Jobs tab"
	}
	return icons.Failed, "failed: " + msg, widget.DangerImportance
}

// findSummary is the line above the results.
func findSummary(r hub.FindResults) string {
	hosts := plural(len(r.Hosts), "host")
	if len(r.Paths) == 0 {
		if r.Done {
			return fmt.Sprintf("Nothing matches “%s” in the snapshots of the %s searched.", r.Pattern, hosts)
		}
		return fmt.Sprintf("Searching %s for “%s”…", hosts, r.Pattern)
	}
	text := fmt.Sprintf("%s, %s", plural(len(r.Paths), "path"), plural(r.Versions(), "version"))
	if !r.Done {
		return text + " so far…"
	}
	return text + ". Newest snapshot first under each path."
}

// stopSearch cancels the search's jobs that have not ended; their
// outcome still shows (the watch ends once every job has).
func (d *findDialog) stopSearch() {
	if d.search == nil || d.last.Done {
		return
	}
	if err := d.search.Cancel(); err != nil {
		showErrorDialog(d.win, "Stop the search", err)
	}
}

// dropSearch stops the search shown and its watch: a new one replaces
// it, or the window closes and nobody sees its results any more.
func (d *findDialog) dropSearch() {
	if d.search == nil {
		return
	}
	if !d.last.Done {
		if err := d.search.Cancel(); err != nil {
			d.u.log.Warn("find: cancel", "err", err)
		}
	}
	d.stop()
	d.search, d.stop = nil, nil
	d.stopBtn.Hide()
}

// restoreVersion opens the restore wizard on the version's snapshot, at
// its path.
func (d *findDialog) restoreVersion(p hub.FindPath, v hub.FindVersion) {
	snap := hub.Snapshot{ID: v.SnapshotID, ShortID: v.ShortID, Time: v.SnapshotTime}
	if snaps, err := d.u.hub.Snapshots(v.HostID); err == nil {
		for _, s := range snaps {
			if s.ID == v.SnapshotID {
				snap = s
				break
			}
		}
	}
	d.wizard = openRestoreAt(d.u, v.HostID, snap, p.Path)
}

func (d *findDialog) close() {
	if d.closed {
		return
	}
	d.closed = true
	d.sc.close()
	d.dropSearch()
}
