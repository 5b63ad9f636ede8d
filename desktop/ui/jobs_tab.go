package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"restic-manager/desktop/hub"
)

// jobsTab is a host's Jobs tab. Its parts are views of their own: the
// toolbar of "run now" actions (job_actions.go), the job history, newest
// first and paged (job_history.go), and the selected job's progress, log
// and Cancel (job_detail.go). The tab holds what they share (the host's
// name and state, its groups and schedules), routes the hub's changes to
// them, and runs a job for the toolbar.
type jobsTab struct {
	u      *UI
	sc     *scope
	hostID string

	online   bool
	hostName string
	groups   []hub.SourceGroup
	origins  map[string]string // job id → origin label, until the schedules change

	actions *jobActions
	history *jobHistory
	detail  *jobDetail
	notice  *jobNotice

	obj fyne.CanvasObject
}

func newJobsTab(u *UI, sc *scope, hostID string) *jobsTab {
	v := &jobsTab{u: u, sc: sc, hostID: hostID}
	v.actions = newJobActions(v)
	v.history = newJobHistory(v)
	v.detail = newJobDetail(v)
	v.notice = newJobNotice(v)

	split := container.NewVSplit(v.history.object(), v.detail.object())
	split.Offset = 0.42
	v.obj = container.NewBorder(container.NewVBox(v.actions.object(), v.notice.object()), nil, nil, nil, split)

	v.refreshHost()
	v.refreshGroups()
	v.refreshSchedules()
	v.history.reload()
	sc.on(v.changed)
	return v
}

func (v *jobsTab) object() fyne.CanvasObject { return v.obj }

func (v *jobsTab) changed(batch []change) {
	notice := false
	for _, c := range batch {
		v.change(c)
		notice = notice || v.notice.concerns(c)
	}
	if notice {
		v.notice.refresh() // after change: it reads v.online
	}
}

func (v *jobsTab) change(c change) {
	if c.Kind == hub.ChangeAll {
		v.refreshHost()
		v.refreshGroups()
		v.refreshSchedules()
		v.history.reload()
		return
	}
	if !about(c, v.hostID) {
		return
	}
	switch c.Kind {
	case hub.ChangeHost:
		wasOnline := v.online
		v.refreshHost()
		if v.online != wasOnline {
			// A cancel sent before a reconnect may be lost: allow another.
			v.detail.cancelAsked = map[string]bool{}
		}
		v.history.reload()
	case hub.ChangeSchedules:
		v.refreshGroups()
		v.refreshSchedules()
		v.history.list.Refresh()
	case hub.ChangeJob:
		v.history.jobChanged(c.JobID)
	case hub.ChangeProgress:
		v.history.refreshJob(c.JobID)
	}
}

func (v *jobsTab) refreshHost() {
	d, err := v.u.hub.Host(v.hostID)
	if err != nil {
		v.u.log.Warn("jobs tab: read host", "host", v.hostID, "err", err)
		return
	}
	v.online, v.hostName = d.Online, d.Host.DisplayName()
}

func (v *jobsTab) refreshGroups() {
	gs, err := v.u.hub.SourceGroups(v.hostID)
	if err != nil {
		v.u.log.Warn("jobs tab: read source groups", "host", v.hostID, "err", err)
		return
	}
	v.groups = gs
	v.actions.showGroups(gs)
}

// refreshSchedules forgets the origin labels: a schedule's label is its
// cron in words, or "a schedule since deleted".
func (v *jobsTab) refreshSchedules() { v.origins = map[string]string{} }

// run starts a job now and selects it. what names it ("Backup of docs").
func (v *jobsTab) run(what string, r hub.RunRequest) {
	id, err := v.u.hub.RunNow(v.hostID, r)
	if err != nil {
		v.u.showError(what, err)
		return
	}
	v.refreshHost()
	v.notice.follow(id, what)
	v.history.reload()
	v.detail.show(id)
}

// originText says who started a job, in the hub's words: "operator",
// "manager: setup", "schedule: every day at 02:30", "maintenance: check".
// Labels are kept per job until the schedules change: a list row redraws
// often, and a schedule's label reads the store.
func (v *jobsTab) originText(j hub.Job) string {
	if s, ok := v.origins[j.ID]; ok {
		return s
	}
	s := v.u.hub.OriginLabel(j)
	v.origins[j.ID] = s
	return s
}
