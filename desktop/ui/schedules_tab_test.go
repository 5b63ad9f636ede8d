package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

// The schedule editor refuses an invalid cron as it is typed, with a
// message naming what is wrong, and keeps Save disabled; a valid one is
// saved through the hub and appears in the list with its next fires in
// the host's zone.
func TestSchedulesTabValidatesCronAndSaves(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "epsilon", "Asia/Tokyo")
	for _, name := range []string{"docs", "mail"} {
		if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: name, Includes: []string{"/srv/" + name}}); err != nil {
			t.Fatal(err)
		}
	}
	sc := e.newScope()
	defer sc.close()
	s := newSchedulesTab(e.UI, sc, hostID)
	e.show(s.obj)

	if !s.list.empty.Visible() {
		t.Error("no schedules: the empty-state hint should show")
	}
	if got := s.editor.groups.Options; strings.Join(got, ",") != "docs,mail" {
		t.Fatalf("group checklist offers %q, want docs and mail", got)
	}
	s.editor.groups.SetSelected([]string{"docs"})

	for _, c := range []struct{ expr, says string }{
		{"61 * * * *", "minute field"},
		{"every day", "has 2 fields, want 5"},
		{"0 25 * * *", "hour field"},
		{"0 0 * * 8", "day-of-week field"},
		{"@sometimes", "descriptor"},
		{"CRON_TZ=Mars/Base 0 0 * * *", "IANA zone"},
	} {
		uitest.Retype(s.editor.cron, c.expr)
		if s.editor.cron.Validate() == nil {
			t.Errorf("cron %q: the entry accepted it", c.expr)
		}
		if !s.editor.saveBtn.Disabled() {
			t.Errorf("cron %q: Save is enabled", c.expr)
		}
		if !strings.Contains(strings.ToLower(s.editor.form.fields[0].msg.Text), strings.ToLower(c.says)) || !s.editor.form.fields[0].msg.Visible() {
			t.Errorf("cron %q: message %q, want it to say %q", c.expr, s.editor.form.fields[0].msg.Text, c.says)
		}
		if s.editor.preview.Visible() {
			t.Errorf("cron %q: a preview is shown for an invalid expression: %q", c.expr, s.editor.preview.Text)
		}
	}

	uitest.Retype(s.editor.cron, "30 2 * * *")
	if s.editor.saveBtn.Disabled() {
		t.Fatalf("a valid cron with a group should enable Save; form says %v", s.editor.form.firstError())
	}
	if !strings.HasPrefix(s.editor.preview.Text, "Every day at 02:30 — next: ") || !strings.Contains(s.editor.preview.Text, "(Asia/Tokyo)") {
		t.Errorf("preview = %q, want the English description and next fires in the host's zone", s.editor.preview.Text)
	}
	// No group: refused, with a message.
	s.editor.groups.SetSelected(nil)
	if !s.editor.saveBtn.Disabled() || !strings.Contains(s.editor.groupsMsg.Text, "at least one source group") {
		t.Errorf("no group checked: Save disabled %v, message %q", s.editor.saveBtn.Disabled(), s.editor.groupsMsg.Text)
	}
	s.editor.groups.SetSelected([]string{"mail", "docs"})

	test.Tap(s.editor.saveBtn)
	e.waitChange(t, hub.ChangeSchedules, hostID)

	list, err := e.hub.Schedules(hostID)
	if err != nil || len(list) != 1 {
		t.Fatalf("after Save the hub has schedules %+v (err %v), want one", list, err)
	}
	v := list[0]
	if v.CronExpr != "30 2 * * *" || !v.Enabled || strings.Join(v.Groups, ",") != "docs,mail" {
		t.Errorf("stored schedule %+v, want 30 2 * * *, enabled, docs and mail", v.Schedule)
	}
	if len(v.NextFires) == 0 || v.Location != "Asia/Tokyo" {
		t.Fatalf("hub next fires %v in %q", v.NextFires, v.Location)
	}
	if h, m := v.NextFires[0].Hour(), v.NextFires[0].Minute(); h != 2 || m != 30 {
		t.Errorf("next fire %s is not 02:30 host time", v.NextFires[0])
	}
	row := s.list.rows[v.ID]
	if row == nil {
		t.Fatalf("the list has no row for %s", v.ID)
	}
	want := fireWhen(time.Now(), v.NextFires[0])
	if !strings.Contains(row.next.Text, "Next: "+want) || !strings.Contains(row.next.Text, "(Asia/Tokyo)") {
		t.Errorf("row shows %q, want the next fires starting %q in Asia/Tokyo", row.next.Text, want)
	}
	if row.enabled.Text != "every day at 02:30" {
		t.Errorf("row title %q, want the English description", row.enabled.Text)
	}
	if s.list.empty.Visible() || s.editor.editingID != v.ID || !s.editor.saveBtn.Disabled() {
		t.Errorf("after Save: empty hint %v, editing %q (want %q), Save disabled %v", s.list.empty.Visible(), s.editor.editingID, v.ID, s.editor.saveBtn.Disabled())
	}
	if !strings.Contains(s.editor.status.label.Text, "Next fire:") {
		t.Errorf("status %q should name the next fire", s.editor.status.label.Text)
	}
	st, _ := e.hub.ScheduleStatus(hostID)
	if !strings.Contains(s.status.syncLabel.Text, "Waiting for the agent to acknowledge version") || !strings.Contains(s.status.syncLabel.Text, "offline") {
		t.Errorf("sync state %q (version %d, acked %d), want a wait for an offline agent", s.status.syncLabel.Text, st.Version, st.AckedVersion)
	}

	// The list's toggle disables it through the hub.
	row.enabled.SetChecked(false)
	e.app.WaitFor(t, "the schedule to be disabled in the hub", func() bool {
		l, _ := e.hub.Schedules(hostID)
		return len(l) == 1 && !l[0].Enabled
	})
	e.waitChange(t, hub.ChangeSchedules, hostID)
	if r := s.list.rows[v.ID]; r == nil || r.enabled.Checked || r.next.Text != "Disabled." {
		t.Errorf("after disabling, the row shows checked=%v %q", r != nil && r.enabled.Checked, r.next.Text)
	}
	if s.editor.enabled.Checked {
		t.Error("the untouched editor of that schedule should follow the toggle")
	}
}

// The maintenance plan validates both crons and the read-data subset.
func TestSchedulesTabMaintenance(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "zeta", "UTC")
	sc := e.newScope()
	defer sc.close()
	s := newSchedulesTab(e.UI, sc, hostID)
	e.show(s.obj)

	if !strings.Contains(s.editor.groupsMsg.Text, "no source groups yet") || !s.editor.saveBtn.Disabled() {
		t.Errorf("a host without groups: message %q, Save disabled %v", s.editor.groupsMsg.Text, s.editor.saveBtn.Disabled())
	}
	if !s.maint.saveBtn.Disabled() {
		t.Error("Save maintenance should be disabled with nothing changed")
	}
	uitest.Retype(s.maint.pruneCron, "0 4 * * 0")
	uitest.Retype(s.maint.checkCron, "0 5 1 * *")
	for _, bad := range []string{"5", "0%", "101%", "11/10", "x"} {
		uitest.Retype(s.maint.subset, bad)
		if !s.maint.saveBtn.Disabled() {
			t.Errorf("subset %q: Save maintenance is enabled", bad)
		}
	}
	uitest.Retype(s.maint.subset, "1/10")
	uitest.Retype(s.maint.checkCron, "0 5 32 * *")
	if !s.maint.saveBtn.Disabled() || !uitest.Shows(s.obj, "Day-of-month field") {
		t.Errorf("check cron with day 32: Save enabled=%v", !s.maint.saveBtn.Disabled())
	}
	uitest.Retype(s.maint.checkCron, "0 5 1 * *")
	if s.maint.saveBtn.Disabled() {
		t.Fatalf("a valid plan should enable Save; form says %v", s.maint.form.firstError())
	}
	if !strings.Contains(s.maint.prunePreview.Text, "Prune every Sunday at 04:00") {
		t.Errorf("prune preview %q", s.maint.prunePreview.Text)
	}
	test.Tap(s.maint.saveBtn)
	e.waitChange(t, hub.ChangeSchedules, hostID)
	m, _ := e.hub.Maintenance(hostID)
	if m != (hub.Maintenance{PruneCron: "0 4 * * 0", CheckCron: "0 5 1 * *", CheckReadDataSubset: "1/10"}) {
		t.Errorf("stored plan %+v", m)
	}
	if !s.maint.saveBtn.Disabled() {
		t.Error("Save maintenance should be disabled after saving")
	}

	// Pausing goes to the hub and back into the status line.
	s.status.pause.SetChecked(true)
	e.waitChange(t, hub.ChangeSchedules, hostID)
	if st, _ := e.hub.ScheduleStatus(hostID); !st.Paused {
		t.Error("the pause switch did not pause the host's schedules")
	}
	if !strings.Contains(s.status.pausedNote.Text, "paused") {
		t.Errorf("paused note %q", s.status.pausedNote.Text)
	}
}

func TestSchedulesWhen(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC) // 08:00 on 3 Mar in Tokyo
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 3, 9, 30, 0, 0, tokyo), "today 09:30"},
		{time.Date(2026, 3, 4, 2, 30, 0, 0, tokyo), "tomorrow 02:30"},
		{time.Date(2026, 3, 2, 2, 30, 0, 0, tokyo), "yesterday 02:30"},
		{time.Date(2026, 3, 6, 2, 30, 0, 0, tokyo), "Fri 6 Mar 02:30"},
		{time.Date(2027, 1, 6, 2, 30, 0, 0, tokyo), "6 Jan 2027 02:30"},
	} {
		if got := fireWhen(now, c.t); got != c.want {
			t.Errorf("fireWhen(%s) = %q, want %q", c.t, got, c.want)
		}
	}
}

// The presets fill the cron entry: "Every hour" is there, and picking it
// gives 0 * * * *, its description and the next fires on the hour; the
// schedule saves with it.
func TestSchedulesEveryHourPresetSetsTheCron(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "hourly", "UTC")
	if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: "docs", Includes: []string{"/srv/docs"}}); err != nil {
		t.Fatal(err)
	}
	sc := e.newScope()
	defer sc.close()
	s := newSchedulesTab(e.UI, sc, hostID)
	e.show(s.obj)
	ed := s.editor
	if !slices.Contains(ed.presets.Options, "Every hour") {
		t.Fatalf("presets %q; want Every hour among them", ed.presets.Options)
	}
	ed.presets.SetSelected("Every hour")
	if ed.cron.Text != "0 * * * *" {
		t.Errorf("Every hour put %q in the cron entry, want 0 * * * *", ed.cron.Text)
	}
	if !strings.HasPrefix(ed.preview.Text, "Every hour on the hour — next: ") || !strings.Contains(ed.preview.Text, ":00") {
		t.Errorf("preview %q; want every hour on the hour with its next fires", ed.preview.Text)
	}
	ed.groups.SetSelected([]string{"docs"})
	test.Tap(ed.saveBtn)
	list, err := e.hub.Schedules(hostID)
	if err != nil || len(list) != 1 || list[0].CronExpr != "0 * * * *" {
		t.Fatalf("after Save the hub has %+v (err %v), want one schedule at 0 * * * *", list, err)
	}
	if next := list[0].NextFires; len(next) < 2 || next[1].Sub(next[0]) != time.Hour || next[0].Minute() != 0 {
		t.Errorf("next fires %v; want one every hour on the hour", next)
	}
}
