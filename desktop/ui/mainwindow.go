package ui

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
	"restic-manager/protocol/mesh"
)

// ageTick is how often ages ("2 h ago") and staleness are recomputed
// while nothing else changes: the one thing the window does on a timer.
const ageTick = 30 * time.Second

// filterMatches reports whether the sidebar filter matches a host: every
// word of query must occur in the host's name, OS, architecture or state
// ("online", "offline", "pending", "failing", "running", "rejected").
func filterMatches(v hub.HostView, query string) bool {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return true
	}
	hay := []string{strings.ToLower(v.Host.DisplayName()), strings.ToLower(v.Host.NodeName),
		strings.ToLower(v.Host.OS), strings.ToLower(v.Host.Arch), string(hostStateOf(v))}
	if v.Online {
		hay = append(hay, "online")
	} else {
		hay = append(hay, "offline")
	}
	if v.Failing {
		hay = append(hay, "failing", "failed")
	}
	if v.RunningJobs > 0 {
		hay = append(hay, "running")
	}
	if v.Host.Status == hub.StatusRejected {
		hay = append(hay, "rejected")
	}
	all := strings.Join(hay, " ")
	for _, w := range words {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
}

// sidebarRow is what one sidebar row shows.
type sidebarRow struct {
	State   hostState
	Name    string
	Age     string // last successful backup: "2 h ago", "never"
	Badge   string // "pending", "rejected" or ""
	Tooltip string
}

func sidebarRowOf(v hub.HostView, now time.Time) sidebarRow {
	r := sidebarRow{State: hostStateOf(v), Name: v.Host.DisplayName(), Age: "last backup " + ago(now, v.LastBackupAt)}
	switch {
	case v.Pending:
		r.Badge, r.Age = "pending", "waiting for approval"
	case v.Host.Status == hub.StatusRejected:
		r.Badge = "rejected"
	}
	return r
}

// mainWindow is the sidebar of hosts and the area right of it (dashboard
// or a host view).
type mainWindow struct {
	u  *UI
	sc *scope

	hosts    []hub.HostView // every host, by name, as the hub lists them
	shown    []hub.HostView // the hosts passing the filter
	selected string         // the host shown; "" is the dashboard

	filter   *widget.Entry
	list     *widget.List // row 0 is "All hosts", then shown
	addHost  *widget.Button
	settings *widget.Button // the manager's own: History
	tailnet  *widget.Label
	login    *widget.Hyperlink
	loadErr  *widget.Label

	content *fyne.Container
	dash    *dashboard
	host    *hostView // nil while the dashboard shows

	obj fyne.CanvasObject
}

func newMainWindow(u *UI) *mainWindow {
	m := &mainWindow{u: u, sc: u.newScope()}
	m.filter = widget.NewEntry()
	m.filter.SetPlaceHolder("Filter: name, OS, state…")
	m.filter.ActionItem = widget.NewIcon(theme.SearchIcon())
	m.filter.OnChanged = func(string) { m.applyFilter() }

	m.list = widget.NewList(func() int { return 1 + len(m.shown) }, m.newRow, m.updateRow)
	m.list.OnSelected = func(id widget.ListItemID) {
		if id == 0 {
			m.show("")
		} else if id-1 < len(m.shown) {
			m.show(m.shown[id-1].Host.ID)
		}
	}

	m.addHost = widget.NewButtonWithIcon("Add host…", theme.ContentAddIcon(), func() { newAddHostDialog(u) })
	m.addHost.Importance = widget.HighImportance
	m.settings = widget.NewButtonWithIcon("Settings…", theme.SettingsIcon(), func() { newManagerSettings(u) })
	m.loadErr = widget.NewLabel("")
	m.loadErr.Importance = widget.DangerImportance
	m.loadErr.Wrapping = fyne.TextWrapWord
	m.loadErr.Hide()

	footer := container.NewVBox(m.loadErr, m.addHost, m.settings)
	if u.opts.Tailnet != nil {
		m.tailnet = widget.NewLabel("Tailnet: starting…")
		m.tailnet.Wrapping = fyne.TextWrapWord
		m.tailnet.SizeName = theme.SizeNameCaptionText
		m.login = widget.NewHyperlink("Log in to the tailnet…", nil)
		m.login.Hide()
		footer.Add(widget.NewSeparator())
		footer.Add(m.tailnet)
		footer.Add(m.login)
		m.showTailnet(u.opts.Tailnet.Status())
		m.watchTailnet(u.opts.Tailnet)
	}
	sidebar := container.NewBorder(m.filter, footer, nil, nil, m.list)

	m.dash = newDashboard(m)
	m.content = container.NewStack(m.dash.object())
	split := container.NewHSplit(sidebar, m.content)
	split.Offset = 0.24
	m.obj = split

	m.reload()
	m.list.Select(0)
	m.sc.on(m.changed)
	go m.tickAges()
	return m
}

func (m *mainWindow) object() fyne.CanvasObject { return m.obj }

// changed re-reads the host list once per batch that may have changed
// it, and moves the dashboard's bars.
func (m *mainWindow) changed(batch []change) {
	reload := false
	for _, c := range batch {
		switch c.Kind {
		case hub.ChangeHosts, hub.ChangeHost, hub.ChangeJob, hub.ChangeAll:
			reload = true
		case hub.ChangeProgress:
			m.dash.progress(c.JobID)
		}
	}
	if reload {
		m.reload()
	}
}

// reload re-reads the whole host list.
func (m *mainWindow) reload() {
	hs, err := m.u.hub.Hosts()
	if err != nil {
		// Shown in place, not as a dialog: a failing store would otherwise
		// open one per change.
		m.u.log.Warn("read the host list", "err", err)
		m.loadErr.SetText("Could not read the host list: " + err.Error())
		m.loadErr.Show()
		return
	}
	m.loadErr.Hide()
	m.hosts = hs
	if m.selected != "" && !slices.ContainsFunc(hs, func(v hub.HostView) bool { return v.Host.ID == m.selected }) {
		m.show("") // removed: there is nothing left to show of it
	}
	m.applyFilter()
	m.dash.render()
}

// applyFilter recomputes the rows shown and keeps the selection on the
// host shown.
func (m *mainWindow) applyFilter() {
	q := m.filter.Text
	m.shown = m.shown[:0]
	for _, v := range m.hosts {
		if filterMatches(v, q) {
			m.shown = append(m.shown, v)
		}
	}
	m.list.Refresh()
	m.syncSelection()
}

func (m *mainWindow) syncSelection() {
	if m.selected == "" {
		m.list.Select(0)
		return
	}
	for i, v := range m.shown {
		if v.Host.ID == m.selected {
			m.list.Select(i + 1)
			return
		}
	}
	// Filtered out: the host stays on the right, no row is highlighted.
	m.list.UnselectAll()
}

// show puts the dashboard ("") or a host on the right.
func (m *mainWindow) show(hostID string) {
	if hostID == m.selected && (hostID == "" || m.host != nil) {
		return
	}
	if m.host != nil {
		m.host.close()
		m.host = nil
	}
	m.selected = hostID
	if hostID == "" {
		m.content.Objects = []fyne.CanvasObject{m.dash.object()}
		m.dash.render()
	} else {
		m.host = newHostView(m.u, hostID)
		m.content.Objects = []fyne.CanvasObject{m.host.object()}
	}
	m.content.Refresh()
	m.syncSelection()
}

// openTab shows host hostID's tab called name, and returns its view.
func (m *mainWindow) openTab(hostID, name string) view {
	m.show(hostID)
	if m.host == nil || m.host.hostID != hostID {
		return nil
	}
	return m.host.showTab(name)
}

// openJob shows job jobID, just started and called what, in its host's
// Jobs tab: selected, and followed by the tab's notice.
func (m *mainWindow) openJob(hostID, jobID, what string) {
	jobs, ok := m.openTab(hostID, "Jobs").(*jobsTab)
	if !ok {
		return
	}
	jobs.refreshHost()
	jobs.notice.follow(jobID, what)
	jobs.history.reload()
	jobs.detail.show(jobID)
}

func (m *mainWindow) newRow() fyne.CanvasObject {
	icon := widget.NewIcon(icons.Offline)
	name := widget.NewLabel("host name")
	name.TextStyle.Bold = true
	name.Truncation = fyne.TextTruncateEllipsis
	age := widget.NewLabel("last backup never")
	age.SizeName = theme.SizeNameCaptionText
	age.Truncation = fyne.TextTruncateEllipsis
	badge := widget.NewLabel("pending")
	badge.Importance = widget.WarningImportance
	badge.SizeName = theme.SizeNameCaptionText
	return container.NewBorder(nil, nil, icon, badge, container.New(tightVBox{}, name, age))
}

func (m *mainWindow) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	row := o.(*fyne.Container)
	text := row.Objects[0].(*fyne.Container)
	name, age := text.Objects[0].(*widget.Label), text.Objects[1].(*widget.Label)
	var icon *widget.Icon
	var badge *widget.Label
	for _, c := range row.Objects[1:] {
		switch c := c.(type) {
		case *widget.Icon:
			icon = c
		case *widget.Label:
			badge = c
		}
	}
	if id == 0 {
		icon.SetResource(theme.HomeIcon())
		name.SetText("All hosts")
		age.SetText(fleetLine(m.hosts))
		badge.Hide()
		return
	}
	if id-1 >= len(m.shown) {
		return
	}
	r := sidebarRowOf(m.shown[id-1], m.u.opts.Now())
	icon.SetResource(r.State.icon())
	name.SetText(r.Name)
	age.SetText(r.Age)
	if r.Badge == "" {
		badge.Hide()
	} else {
		badge.SetText(r.Badge)
		badge.Importance = widget.WarningImportance
		if r.Badge == "rejected" {
			badge.Importance = widget.DangerImportance
		}
		badge.Refresh()
		badge.Show()
	}
}

// fleetLine is the "All hosts" row's second line.
func fleetLine(hosts []hub.HostView) string {
	n, online, pending := 0, 0, 0
	for _, v := range hosts {
		switch v.Host.Status {
		case hub.StatusPending:
			pending++
			continue
		case hub.StatusRejected:
			continue
		}
		n++
		if v.Online {
			online++
		}
	}
	var s string
	switch n {
	case 0:
		s = "no hosts yet"
	default:
		s = fmt.Sprintf("%s, %d online", plural(n, "host"), online)
	}
	if pending > 0 {
		s += fmt.Sprintf(" · %d pending", pending)
	}
	return s
}

// tickAges recomputes ages and staleness on a slow timer.
func (m *mainWindow) tickAges() {
	t := time.NewTicker(ageTick)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			fyne.Do(func() {
				m.list.Refresh()
				m.dash.render()
			})
		case <-m.u.bus.closed:
			return
		}
	}
}

// --- Tailnet footer ---

func (m *mainWindow) watchTailnet(tn Tailnet) {
	ch, cancel := tn.Subscribe()
	go func() {
		defer cancel()
		for {
			select {
			case st, ok := <-ch:
				if !ok {
					return
				}
				fyne.Do(func() { m.showTailnet(st) })
			case <-m.u.bus.closed:
				return
			}
		}
	}()
}

// tailnetLine is the footer's text for a tailnet status.
func tailnetLine(st mesh.Status) string {
	var s string
	switch st.State {
	case mesh.StateStarting:
		s = "Tailnet: connecting…"
	case mesh.StateNeedsLogin:
		s = "Tailnet: login needed"
	case mesh.StateNeedsApproval:
		s = "Tailnet: waiting for the tailnet admin to approve this device"
	case mesh.StateRunning:
		s = "Tailnet: connected"
	case mesh.StateStopped:
		s = "Tailnet: stopped"
	default:
		s = "Tailnet: " + string(st.State)
	}
	switch {
	case st.DNSName != "":
		s += " as " + st.DNSName
	case st.Hostname != "" && st.State != mesh.StateRunning:
		s += " (" + st.Hostname + ")"
	}
	if st.Err != "" {
		s += "\n" + st.Err
	}
	return s
}

func (m *mainWindow) showTailnet(st mesh.Status) {
	m.tailnet.SetText(tailnetLine(st))
	if st.State == mesh.StateRunning {
		m.tailnet.Importance = widget.LowImportance
	} else {
		m.tailnet.Importance = widget.WarningImportance
	}
	m.tailnet.Refresh()
	if u, err := url.Parse(st.LoginURL); err == nil && st.LoginURL != "" {
		m.login.SetURL(u)
		m.login.Show()
	} else {
		m.login.Hide()
	}
}
