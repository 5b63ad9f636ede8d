package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"restic-manager/desktop/hub"
)

// schedulesTab is a host's schedules. Its parts are views of their own:
// the status card on top (whether the agent runs the latest set, the pause
// switch; schedule_status.go), the list of schedules with their next fires
// and the latest fires on the left (schedule_list.go, schedule_fires.go),
// the editor and the maintenance plan on the right (schedule_editor.go,
// schedule_maintenance.go). The tab builds them, routes the hub's changes
// to them, and is how one part asks another to follow (a saved schedule
// reloads the list and the status).
type schedulesTab struct {
	u      *UI
	sc     *scope
	hostID string

	status *scheduleStatusCard
	list   *scheduleList
	editor *scheduleEditor
	maint  *maintenanceCard
	fires  *firesCard

	obj fyne.CanvasObject
}

func newSchedulesTab(u *UI, sc *scope, hostID string) *schedulesTab {
	s := &schedulesTab{u: u, sc: sc, hostID: hostID}
	s.status = newScheduleStatusCard(s)
	s.editor = newScheduleEditor(s)
	s.list = newScheduleList(s)
	s.maint = newMaintenanceCard(s)
	s.fires = newFiresCard(s)

	left := container.NewVScroll(container.NewVBox(s.list.object(), s.fires.object()))
	right := container.NewVScroll(container.NewVBox(s.editor.object(), s.maint.object()))
	split := container.NewHSplit(left, right)
	split.Offset = 0.45
	s.obj = container.NewBorder(s.status.object(), nil, nil, nil, split)

	s.status.reload()
	s.list.reload()
	s.maint.reload()
	s.fires.reload()
	s.editor.openNew()
	sc.on(s.changed)
	return s
}

func (s *schedulesTab) object() fyne.CanvasObject { return s.obj }

func (s *schedulesTab) changed(batch []change) {
	var status, list, maint, fires, elsewhere bool
	for _, c := range batch {
		if !about(c, s.hostID) {
			elsewhere = true
			continue
		}
		switch c.Kind {
		case hub.ChangeSchedules:
			status, list, maint = true, true, true
		case hub.ChangeHost:
			status = true
		case hub.ChangeHostEvents:
			fires = true
		case hub.ChangeAll:
			status, list, maint, fires = true, true, true, true
		}
	}
	// "today 02:30" goes stale at midnight: any change in the fleet
	// re-reads the list, at most once a minute.
	if elsewhere && s.u.opts.Now().Sub(s.list.readAt) > time.Minute {
		list = true
	}
	if status {
		s.status.reload()
	}
	if list {
		s.list.reload()
	}
	if maint {
		s.maint.reload()
	}
	if fires {
		s.fires.reload()
	}
}

// zone is the host's IANA zone as the hub evaluates its cron in.
func (s *schedulesTab) zone() (string, *time.Location) {
	d, err := s.u.hub.Host(s.hostID)
	if err != nil || d.Host.Timezone == "" {
		return "UTC", time.UTC
	}
	loc, err := time.LoadLocation(d.Host.Timezone)
	if err != nil {
		return "UTC", time.UTC
	}
	return d.Host.Timezone, loc
}

// fireWhen writes a fire time for people, relative to now in the same
// zone: "today 02:30", "tomorrow 02:30", "Thu 5 Mar 02:30",
// "5 Mar 2027 02:30".
func fireWhen(now, t time.Time) string {
	now = now.In(t.Location())
	y1, m1, d1 := now.Date()
	y2, m2, d2 := t.Date()
	today := time.Date(y1, m1, d1, 0, 0, 0, 0, t.Location())
	day := time.Date(y2, m2, d2, 0, 0, 0, 0, t.Location())
	switch diff := int(day.Sub(today).Round(time.Hour).Hours() / 24); {
	case diff == 0:
		return "today " + t.Format("15:04")
	case diff == 1:
		return "tomorrow " + t.Format("15:04")
	case diff == -1:
		return "yesterday " + t.Format("15:04")
	case y1 != y2:
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

// whenList is the first n of times, as fireWhen writes them.
func (s *schedulesTab) whenList(times []time.Time, n int) string {
	now := s.u.opts.Now()
	var parts []string
	for i, t := range times {
		if i == n {
			break
		}
		parts = append(parts, fireWhen(now, t))
	}
	return strings.Join(parts, ", ")
}

// describeCron is hub.DescribeCron with the expression itself as the
// fallback.
func describeCron(expr string) string {
	if d := hub.DescribeCron(expr); d != "" {
		return d
	}
	return expr
}
