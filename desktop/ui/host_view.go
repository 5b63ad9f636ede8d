package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// view is what every view struct offers its container: the object it
// built. A view is a struct holding its widgets and what it reads,
// made by newX(u, …), with its object built once in the constructor.
type view interface {
	object() fyne.CanvasObject
}

// hostTab is one host tab and the constructor of its view.
type hostTab struct {
	name  string
	icon  func() fyne.Resource
	build func(u *UI, sc *scope, hostID string) view
}

// hostTabs are the host tabs in order. Each is built the first time it is
// selected, with the host view's scope, so its listeners end with it. Set
// in init: a tab can open another tab (a fix's button shows the Jobs
// tab), which a variable's initialiser may not refer back to.
var hostTabs []hostTab

func init() { hostTabs = hostTabList() }

func hostTabList() []hostTab {
	return []hostTab{
		{"Overview", theme.InfoIcon, func(u *UI, sc *scope, id string) view { return newOverviewTab(u, sc, id) }},
		{"Source groups", theme.FolderIcon, func(u *UI, sc *scope, id string) view { return newGroupsTab(u, sc, id) }},
		{"Schedules", theme.HistoryIcon, func(u *UI, sc *scope, id string) view { return newSchedulesTab(u, sc, id) }},
		{"Jobs", theme.ListIcon, func(u *UI, sc *scope, id string) view { return newJobsTab(u, sc, id) }},
		{"Snapshots", theme.StorageIcon, func(u *UI, sc *scope, id string) view { return newSnapshotsTab(u, sc, id) }},
		{"Settings", theme.SettingsIcon, func(u *UI, sc *scope, id string) view { return newSettingsTab(u, sc, id) }},
	}
}

// hostHeader is what the top of a host page says.
type hostHeader struct {
	Name     string
	Details  string // "linux/amd64 · agent 0.1.0 · restic 0.14.0"
	State    hostState
	Online   string // "Online since 14:03" / "Offline — last seen 3 h ago"
	Backup   string // "Last successful backup 2 h ago · failing: docs"
	Pending  bool
	Rejected bool
}

func hostHeaderOf(d hub.HostDetail, now time.Time) hostHeader {
	h := d.Host
	hd := hostHeader{Name: h.DisplayName(), State: hostStateOf(d.HostView),
		Pending: h.Status == hub.StatusPending, Rejected: h.Status == hub.StatusRejected}
	var parts []string
	if h.OS != "" || h.Arch != "" {
		parts = append(parts, strings.Trim(h.OS+"/"+h.Arch, "/"))
	}
	if h.AgentVersion != "" {
		parts = append(parts, "agent "+h.AgentVersion)
	}
	if h.ResticVersion != "" {
		parts = append(parts, "restic "+h.ResticVersion)
	}
	if h.NodeName != "" && h.NodeName != h.Hostname {
		parts = append(parts, "tailnet node "+h.NodeName)
	}
	if h.Timezone != "" {
		parts = append(parts, h.Timezone)
	}
	hd.Details = strings.Join(parts, " · ")
	if !hd.Pending {
		hd.Backup = "Last successful backup " + ago(now, d.LastBackupAt)
		if d.Failing {
			hd.Backup += " · failing: " + strings.Join(d.FailingGroups, ", ")
		}
		if n := d.RunningJobs; n > 0 {
			hd.Backup += fmt.Sprintf(" · %d running", n)
		}
		if n := d.QueuedJobs; n > 0 {
			hd.Backup += fmt.Sprintf(" · %d queued", n)
		}
	}
	switch {
	case d.Online:
		hd.Online = "Online since " + clockText(now, d.ConnectedSince)
	case h.LastSeen.IsZero():
		hd.Online = "Offline — never connected"
	default:
		hd.Online = "Offline — last seen " + ago(now, &h.LastSeen)
	}
	return hd
}

// clockText formats t for a header: "14:03" today, "Mon 2 Jan 14:03"
// this year, else with the year.
func clockText(now, t time.Time) string {
	t = t.In(now.Location())
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// hostView is one host: a header and the tabs.
type hostView struct {
	u      *UI
	sc     *scope
	hostID string

	name, details, online *widget.Label
	backup                *widget.Label
	stateIcon             *widget.Icon
	pending               fyne.CanvasObject // banner with approve and reject
	approve, reject       *widget.Button
	rejected              fyne.CanvasObject // banner
	lifecycle             *lifecycleButtons // Rename…, Remove…
	setup                 fyne.CanvasObject // banner: no repository yet, Set up…
	setupMsg              *widget.Label
	setupBtn              *widget.Button
	loadErr               *widget.Label
	find                  *widget.Button // Find files…, this host preselected

	tabs    *container.AppTabs
	holders []*fyne.Container
	views   []view // each tab's view once built, else nil

	obj fyne.CanvasObject
}

func newHostView(u *UI, hostID string) *hostView {
	v := &hostView{u: u, sc: u.newScope(), hostID: hostID}
	v.name = widget.NewLabel("")
	v.name.SizeName = theme.SizeNameHeadingText
	v.name.TextStyle.Bold = true
	v.name.Truncation = fyne.TextTruncateEllipsis
	v.details = widget.NewLabel("")
	v.details.Importance = widget.LowImportance
	v.details.Truncation = fyne.TextTruncateEllipsis
	v.online = widget.NewLabel("")
	v.backup = widget.NewLabel("")
	v.backup.Truncation = fyne.TextTruncateEllipsis
	v.stateIcon = widget.NewIcon(nil)
	v.loadErr = widget.NewLabel("")
	v.loadErr.Importance = widget.DangerImportance
	v.loadErr.Wrapping = fyne.TextWrapWord
	v.loadErr.Hide()

	v.approve = widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), func() { u.approveHost(hostID, v.name.Text, v.approve) })
	v.approve.Importance = widget.HighImportance
	v.reject = widget.NewButtonWithIcon("Reject", theme.CancelIcon(), func() { u.confirmReject(hostID, v.name.Text) })
	msg := widget.NewLabel("This machine connected over the tailnet without an enrollment token. Approve it to send it its configuration and schedules, or reject it to refuse it from now on.")
	msg.Wrapping = fyne.TextWrapWord
	v.pending = banner(theme.WarningIcon(), msg, v.approve, v.reject)
	rmsg := widget.NewLabel("Rejected: this host is refused when it connects. Its history is kept.")
	rmsg.Wrapping = fyne.TextWrapWord
	v.rejected = banner(theme.ErrorIcon(), rmsg)

	v.lifecycle = newLifecycleButtons(v)
	v.setupMsg = widget.NewLabel("")
	v.setupMsg.Wrapping = fyne.TextWrapWord
	v.setupBtn = widget.NewButtonWithIcon("Set up…", theme.SettingsIcon(), func() { newSetupWizard(u, hostID, v.name.Text) })
	v.setupBtn.Importance = widget.HighImportance
	v.setup = banner(theme.WarningIcon(), v.setupMsg, v.setupBtn)
	v.setup.Hide()
	v.find = widget.NewButtonWithIcon("Find files…", theme.SearchIcon(), func() { newFindDialog(u, hostID) })
	titleRow := container.NewBorder(nil, nil, v.stateIcon, container.NewHBox(container.NewCenter(v.online), v.find, v.lifecycle.object()), v.name)
	header := container.NewVBox(titleRow, container.New(tightVBox{}, v.details, v.backup), v.loadErr, v.pending, v.rejected, v.setup)

	items := make([]*container.TabItem, len(hostTabs))
	v.holders = make([]*fyne.Container, len(hostTabs))
	v.views = make([]view, len(hostTabs))
	for i, t := range hostTabs {
		v.holders[i] = container.NewStack()
		items[i] = container.NewTabItemWithIcon(t.name, t.icon(), v.holders[i])
	}
	v.tabs = container.NewAppTabs(items...)
	v.tabs.OnSelected = func(*container.TabItem) { v.buildTab(v.tabs.SelectedIndex()) }
	v.buildTab(0)

	v.obj = container.NewBorder(container.NewPadded(header), nil, nil, nil, v.tabs)
	v.refresh()
	v.sc.on(func(batch []change) {
		for _, c := range batch {
			switch c.Kind {
			case hub.ChangeHost, hub.ChangeHosts, hub.ChangeAll:
				if about(c, hostID) {
					v.refresh()
					return
				}
			}
		}
	})
	return v
}

func (v *hostView) object() fyne.CanvasObject { return v.obj }
func (v *hostView) close()                    { v.sc.close() }

// buildTab builds tab i the first time it is shown.
func (v *hostView) buildTab(i int) {
	if i < 0 || i >= len(hostTabs) || v.views[i] != nil {
		return
	}
	v.views[i] = hostTabs[i].build(v.u, v.sc, v.hostID)
	v.holders[i].Objects = []fyne.CanvasObject{v.views[i].object()}
	v.holders[i].Refresh()
}

// showTab selects the tab called name and returns its view (nil for no
// such tab).
func (v *hostView) showTab(name string) view {
	for i, t := range hostTabs {
		if t.name == name {
			v.tabs.SelectIndex(i) // builds it (OnSelected)
			v.buildTab(i)
			return v.views[i]
		}
	}
	return nil
}

// refresh re-reads the header.
func (v *hostView) refresh() {
	d, err := v.u.hub.Host(v.hostID)
	if err != nil {
		v.loadErr.SetText("Could not read this host: " + err.Error())
		v.loadErr.Show()
		return
	}
	v.loadErr.Hide()
	h := hostHeaderOf(d, v.u.opts.Now())
	v.name.SetText(h.Name)
	v.details.SetText(h.Details)
	showIf(v.details, h.Details != "")
	v.online.SetText(h.Online)
	v.backup.SetText(h.Backup)
	showIf(v.backup, h.Backup != "")
	v.backup.Importance = widget.MediumImportance
	if d.Failing {
		v.backup.Importance = widget.DangerImportance
	}
	v.backup.Refresh()
	v.stateIcon.SetResource(h.State.icon())
	showIf(v.pending, h.Pending)
	showIf(v.rejected, h.Rejected)
	// The hub's notice says whether the host still lacks a repository; it
	// goes once one is set.
	setup := false
	if ns, err := v.u.hub.HostNotices(v.hostID); err == nil {
		for _, n := range ns {
			if n.Kind == hub.NoticeNoRepository {
				setup = true
				v.setupMsg.SetText(n.Text)
			}
		}
	}
	showIf(v.setup, setup)
}

// confirmReject asks before rejecting a host: it is disconnected and
// refused from then on.
func (u *UI) confirmReject(hostID, name string) {
	d := dialog.NewConfirm(fmt.Sprintf("Reject %s?", name),
		"It is disconnected and refused whenever it connects again. Its history stays.",
		func(ok bool) {
			if ok {
				u.showError("Reject "+name, u.hub.RejectHost(hostID))
			}
		}, u.win)
	d.SetConfirmText("Reject")
	d.SetDismissText("Cancel")
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}
