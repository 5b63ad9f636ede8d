package ui

import (
	"fmt"
	"sort"
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

// overviewTab is a host's repository at a glance: the figures the agent
// last reported, the latest copy into the second repository, each source
// group's latest backup, and the size chart.
type overviewTab struct {
	u      *UI
	hostID string

	// Repository figures, by row.
	total, raw, files, snapshots *widget.Label
	check, prune, lock, updated  *widget.Label
	copy                         *widget.Label // the last copy into the second repository
	lockIcon                     *widget.Icon
	statsNote                    *widget.Label

	groupsBox   *fyne.Container
	groupsEmpty *widget.Label
	chart       *sizeChart
	obj         fyne.CanvasObject
}

func newOverviewTab(u *UI, sc *scope, hostID string) *overviewTab {
	o := &overviewTab{u: u, hostID: hostID}
	val := func() *widget.Label {
		l := widget.NewLabel("—")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	o.total, o.raw, o.files, o.snapshots = val(), val(), val(), val()
	o.check, o.prune, o.lock, o.updated = val(), val(), val(), val()
	o.copy = val()
	// The lock's value reads at the column's left edge like every other
	// value, its icon after it: an icon before it pushed it right, and
	// an empty one still took its room. Its words are short: it needs no
	// truncation, which would shrink it to "…" in a row.
	o.lock.Truncation = fyne.TextTruncateOff
	o.lockIcon = widget.NewIcon(nil)
	o.lockIcon.Hide()
	o.statsNote = noteLabel("")
	key := func(s string) *widget.Label {
		l := widget.NewLabel(s)
		l.TextStyle.Bold = true
		return l
	}
	figures := container.New(layout.NewFormLayout(),
		key("Restore size"), o.total,
		key("Stored"), o.raw,
		key("Unique files"), o.files,
		key("Snapshots"), o.snapshots,
		key("Last check"), o.check,
		key("Last prune"), o.prune,
		key("Lock"), container.NewHBox(o.lock, o.lockIcon),
		key("Last copy"), o.copy,
		key("Reported"), o.updated,
	)
	repoCard := widget.NewCard("Repository", "", container.NewVBox(figures, o.statsNote))

	o.groupsBox = container.NewVBox()
	o.groupsEmpty = noteLabel("No source groups yet. Add one in the Source groups tab, then give it a schedule or run a backup from the Jobs tab.")
	groupsCard := widget.NewCard("Latest backups", "", container.NewVBox(o.groupsEmpty, o.groupsBox))

	o.chart = newSizeChart()
	chartCard := widget.NewCard("Size over time", "", o.chart)

	top := container.NewGridWithColumns(2, repoCard, container.NewVScroll(groupsCard))
	// Scrolled as a whole: the figures and the chart together are taller
	// than a laptop's window, and every tab's height is the tallest tab's.
	o.obj = container.NewVScroll(container.NewBorder(top, nil, nil, nil, chartCard))

	o.refreshStats()
	o.refreshCopy()
	o.refreshGroups()
	o.refreshChart()
	sc.on(func(batch []change) {
		var stats, groups, copies bool
		for _, c := range batch {
			if !about(c, hostID) {
				continue
			}
			switch c.Kind {
			case hub.ChangeRepoStats, hub.ChangeSnapshots:
				stats = true
			case hub.ChangeHost, hub.ChangeSchedules:
				groups, copies = true, true
			case hub.ChangeJob:
				copies = true
			case hub.ChangeAll:
				stats, groups, copies = true, true, true
			}
		}
		if copies {
			o.refreshCopy()
		}
		if stats {
			o.refreshStats()
			o.refreshChart()
		}
		if groups {
			o.refreshGroups()
		}
	})
	return o
}

func (o *overviewTab) object() fyne.CanvasObject { return o.obj }

func (o *overviewTab) now() time.Time { return o.u.opts.Now() }

func (o *overviewTab) refreshStats() {
	st, err := o.u.hub.RepoStats(o.hostID)
	if err != nil {
		o.statsNote.SetText("Could not read the repository figures: " + err.Error())
		return
	}
	s := st.RepoStats
	bytesOr := func(p *uint64) string {
		if p == nil {
			return "not reported yet"
		}
		return humanBytes(*p)
	}
	o.total.SetText(bytesOr(s.TotalSizeBytes))
	o.raw.SetText(bytesOr(s.RawSizeBytes))
	if s.UniqueFiles != nil {
		o.files.SetText(humanCount(*s.UniqueFiles))
	} else {
		o.files.SetText("not reported yet")
	}
	switch list, err := o.u.hub.Snapshots(o.hostID); {
	case s.SnapshotCount != nil:
		o.snapshots.SetText(humanCount(*s.SnapshotCount))
	case err == nil && len(list) > 0:
		o.snapshots.SetText(humanCount(len(list)) + " (listed)")
	default:
		o.snapshots.SetText("not reported yet")
	}
	now := o.now()
	switch {
	case s.LastCheckAt == nil:
		o.check.SetText("never")
	case s.LastCheckStatus != nil && *s.LastCheckStatus != "":
		o.check.SetText(ago(now, s.LastCheckAt) + " — " + *s.LastCheckStatus)
	default:
		o.check.SetText(ago(now, s.LastCheckAt))
	}
	o.check.Importance = widget.MediumImportance
	if s.LastCheckStatus != nil && !overviewGoodStatus(*s.LastCheckStatus) {
		o.check.Importance = widget.DangerImportance
	}
	o.check.Refresh()
	switch {
	case s.LastPruneAt == nil:
		o.prune.SetText("never")
	case s.LastPruneFreedBytes != nil:
		o.prune.SetText(ago(now, s.LastPruneAt) + " — freed " + humanBytes(*s.LastPruneFreedBytes))
	default:
		o.prune.SetText(ago(now, s.LastPruneAt))
	}
	switch {
	case s.LockPresent == nil:
		o.lockIcon.Hide()
		o.lock.Importance = widget.MediumImportance
		o.lock.SetText("not reported yet")
	case *s.LockPresent:
		o.lockIcon.SetResource(theme.WarningIcon())
		o.lockIcon.Show()
		o.lock.Importance = widget.WarningImportance
		o.lock.SetText("present")
	default:
		o.lockIcon.SetResource(theme.ConfirmIcon())
		o.lockIcon.Show()
		o.lock.Importance = widget.MediumImportance
		o.lock.SetText("none")
	}
	switch {
	case st.UpdatedAt.IsZero():
		o.updated.SetText("never")
		o.statsNote.SetText("The agent reports these figures when it connects and after each check, prune and unlock.")
	case s.LockPresent != nil && *s.LockPresent:
		o.updated.SetText(ago(now, &st.UpdatedAt))
		o.statsNote.SetText("A lock is present: a restic job may be running, or one that crashed left it behind. Unlock (Jobs tab) removes stale locks.")
	default:
		o.updated.SetText(ago(now, &st.UpdatedAt))
		o.statsNote.SetText("")
	}
	o.statsNote.Hidden = o.statsNote.Text == ""
}

// refreshCopy shows the latest copy into the second repository: when,
// how it ended and what it copied, or why there is none.
func (o *overviewTab) refreshCopy() {
	st, err := o.u.hub.LastCopy(o.hostID)
	if err != nil {
		o.copy.SetText("could not be read: " + err.Error())
		return
	}
	o.copy.SetText(copyStatusText(st, o.now()))
	o.copy.Importance = widget.MediumImportance
	switch {
	case !st.Repository.Configured():
		o.copy.Importance = widget.LowImportance
	case st.Failing():
		o.copy.Importance = widget.DangerImportance
	}
	o.copy.Refresh()
}

// copyStatusText is the Overview's "Last copy": "2 h ago — succeeded, 3
// snapshots copied", "1 h ago — failed: …; last success 2 d ago".
func copyStatusText(st hub.CopyStatus, now time.Time) string {
	last := st.Last
	switch {
	case last == nil && !st.Repository.Configured():
		return "no second repository (Settings)"
	case last == nil:
		return "never"
	}
	text := hub.Ago(now, &last.FinishedAt) + " — " + last.Status
	switch last.Status {
	case hub.JobSucceeded:
		if st.SnapshotsCopied != nil {
			text += ", " + plural(*st.SnapshotsCopied, "snapshot") + " copied"
		}
	case hub.JobFailed:
		if e := hub.FirstLine(last.Error); e != "" {
			text += ": " + e
		}
		text += "; last success " + ago(now, st.LastSuccessAt)
	}
	if !st.Repository.Configured() {
		text += " (no second repository now)"
	}
	return text
}

// overviewGoodStatus reads a check status as success.
func overviewGoodStatus(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ok", "passed", "succeeded", "success", "no errors":
		return true
	}
	return false
}

// refreshGroups lists every configured group with its latest backup, and
// any group that only appears in history (deleted since, or unknown).
func (o *overviewTab) refreshGroups() {
	d, err := o.u.hub.Host(o.hostID)
	if err != nil {
		o.groupsEmpty.SetText("Could not read the host: " + err.Error())
		o.groupsEmpty.Show()
		return
	}
	configured, _ := o.u.hub.SourceGroups(o.hostID)
	names := map[string]bool{}
	for _, g := range configured {
		names[g.Name] = true
	}
	for n := range d.Groups {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	o.groupsBox.Objects = nil
	for _, n := range sorted {
		o.groupsBox.Add(o.groupRow(n, d.Groups[n], d.Groups[n].Status != ""))
	}
	o.groupsBox.Refresh()
	o.groupsEmpty.Hidden = len(sorted) > 0
	o.groupsEmpty.Refresh()
}

func (o *overviewTab) groupRow(name string, gh hub.GroupHealth, known bool) fyne.CanvasObject {
	title := widget.NewLabel(name)
	title.TextStyle.Bold = true
	detail := widget.NewLabel("")
	detail.Wrapping = fyne.TextWrapWord
	var icon fyne.Resource
	switch {
	case !known:
		icon = icons.Pending
		detail.SetText("no backup has finished yet")
		detail.Importance = widget.LowImportance
	case gh.Status == "succeeded":
		icon = icons.Online
		detail.SetText(fmt.Sprintf("succeeded %s", ago(o.now(), &gh.FinishedAt)))
	case gh.Status == "failed":
		icon = icons.Failed
		msg := fmt.Sprintf("failed %s", ago(o.now(), &gh.FinishedAt))
		if gh.Error != "" {
			msg += ": " + gh.Error
		}
		detail.SetText(msg)
		detail.Importance = widget.DangerImportance
	default:
		icon = icons.Offline
		detail.SetText(fmt.Sprintf("%s %s", gh.Status, ago(o.now(), &gh.FinishedAt)))
	}
	return container.NewBorder(nil, nil, widget.NewIcon(icon), nil, container.NewVBox(title, detail))
}

func (o *overviewTab) refreshChart() {
	s, err := o.u.hub.SizeSeries(o.hostID)
	if err != nil {
		o.u.log.Warn("size series", "host", o.hostID, "err", err)
		return
	}
	o.chart.setSeries(s)
}
