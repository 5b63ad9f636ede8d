package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

// A new group: the form refuses bad retention counts as they are typed and
// keeps Save disabled; once valid, Save stores and pushes the group (the
// hub lists it and its schedule version grew) and the list shows it.
func TestGroupsTabValidatesAndSaves(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "alpha", "Europe/Berlin")
	sc := e.newScope()
	defer sc.close()
	g := newGroupsTab(e.UI, sc, hostID)
	e.show(g.obj)

	if !g.empty.Visible() {
		t.Error("a host without groups should show the empty-state hint")
	}
	if !g.editor.saveBtn.Disabled() {
		t.Error("Save should be disabled on an empty new group")
	}
	before, _ := e.hub.ScheduleStatus(hostID)

	test.Type(g.editor.name, "docs")
	g.editor.includes.SetText("/srv/docs\n\n  /home/alice  \n")
	g.editor.excludes.SetText("*.tmp")
	if g.editor.saveBtn.Disabled() {
		t.Fatalf("Save should be enabled for a valid group; form says %v", g.editor.form.firstError())
	}

	daily := g.editor.keep[2]
	for _, bad := range []string{"-1", "x", "1.5", "7 days"} {
		uitest.Retype(daily, bad)
		if daily.Validate() == nil {
			t.Errorf("keep daily %q: the entry accepted it", bad)
		}
		if !g.editor.saveBtn.Disabled() {
			t.Errorf("keep daily %q: Save is enabled", bad)
		}
		if !uitest.Shows(g.obj, "use 0 or more") {
			t.Errorf("keep daily %q: no message under the field; the tab shows %q", bad, uitest.Texts(g.obj))
		}
	}
	for _, bad := range []string{"-3", "abc"} {
		uitest.Retype(g.editor.retryBackoff, bad)
		if !g.editor.saveBtn.Disabled() {
			t.Errorf("retry wait %q: Save is enabled", bad)
		}
	}
	uitest.Retype(g.editor.retryBackoff, "30")
	uitest.Retype(daily, "7")
	uitest.Retype(g.editor.keep[3], "4")
	uitest.Retype(g.editor.keep[0], "")
	uitest.Retype(g.editor.retryMax, "2")
	g.editor.preHook.SetText("echo before")
	if g.editor.saveBtn.Disabled() {
		t.Fatalf("Save should be enabled again; form says %v", g.editor.form.firstError())
	}

	test.Tap(g.editor.saveBtn)

	groups, err := e.hub.SourceGroups(hostID)
	if err != nil || len(groups) != 1 {
		t.Fatalf("after Save the hub has groups %+v (err %v), want docs", groups, err)
	}
	got := groups[0]
	want := hub.SourceGroup{Name: "docs", Includes: []string{"/srv/docs", "/home/alice"}, Excludes: []string{"*.tmp"},
		Retention: hub.RetentionPolicy{KeepDaily: 7, KeepWeekly: 4}, RetryMax: 2, RetryBackoffSeconds: 30, PreHook: "echo before"}
	if !sameGroup(got, want) {
		t.Errorf("stored group = %#v\nwant %#v", got, want)
	}
	after, _ := e.hub.ScheduleStatus(hostID)
	if after.Version <= before.Version {
		t.Errorf("schedule version %d → %d: saving a group should push a new set", before.Version, after.Version)
	}
	if g.editor.editing != "docs" || !g.editor.name.Disabled() {
		t.Errorf("after Save the editor should edit docs with its name locked (editing %q, name disabled %v)", g.editor.editing, g.editor.name.Disabled())
	}
	if !g.editor.saveBtn.Disabled() {
		t.Error("Save should be disabled again when nothing is left to save")
	}
	if g.empty.Visible() || len(g.groups) != 1 {
		t.Errorf("the list should show the new group (groups %d, empty hint visible %v)", len(g.groups), g.empty.Visible())
	}
	if !strings.Contains(g.editor.status.label.Text, "Saved") {
		t.Errorf("status = %q, want a Saved confirmation", g.editor.status.label.Text)
	}
	// The change notification that follows the save must not wipe the
	// confirmation or the editor.
	e.waitChange(t, hub.ChangeSchedules, hostID)
	if g.editor.editing != "docs" || !strings.Contains(g.editor.status.label.Text, "Saved") {
		t.Errorf("after the change arrived: editing %q, status %q", g.editor.editing, g.editor.status.label.Text)
	}

	// Includes are required.
	g.editor.includes.SetText("  \n")
	if !g.editor.saveBtn.Disabled() || !uitest.Shows(g.obj, "at least one path") {
		t.Errorf("empty includes: Save disabled %v, tab shows %q", g.editor.saveBtn.Disabled(), uitest.Texts(g.obj))
	}
}

// Delete asks first; a group a schedule uses stays, and the tab says which
// schedule uses it.
func TestGroupsTabDeleteInUse(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "beta", "UTC")
	for _, name := range []string{"docs", "mail"} {
		if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: name, Includes: []string{"/srv/" + name}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.hub.PutSchedule(hostID, hub.Schedule{CronExpr: "30 2 * * *", Enabled: true, Groups: []string{"docs"}}); err != nil {
		t.Fatal(err)
	}
	sc := e.newScope()
	defer sc.close()
	g := newGroupsTab(e.UI, sc, hostID)
	w := e.win
	w.SetContent(g.obj)

	if g.editor.editing != "docs" {
		t.Fatalf("the first group should be open, editing %q", g.editor.editing)
	}
	test.Tap(g.editor.deleteBtn)
	uitest.TapDialogButton(t, w, "Yes")
	if !strings.Contains(g.editor.status.label.Text, `used by schedule “every day at 02:30” (30 2 * * *)`) {
		t.Errorf("status = %q, want it to name the schedule using docs", g.editor.status.label.Text)
	}
	if groups, _ := e.hub.SourceGroups(hostID); len(groups) != 2 {
		t.Errorf("docs is in use and must stay; groups now %+v", groups)
	}

	g.list.Select(1)
	if g.editor.editing != "mail" {
		t.Fatalf("selecting mail should open it, editing %q", g.editor.editing)
	}
	test.Tap(g.editor.deleteBtn)
	uitest.TapDialogButton(t, w, "Yes")
	e.waitChange(t, hub.ChangeSchedules, hostID)
	groups, _ := e.hub.SourceGroups(hostID)
	if len(groups) != 1 || groups[0].Name != "docs" {
		t.Errorf("after deleting mail the hub has %+v, want docs alone", groups)
	}
	if g.editor.editing != "docs" || len(g.groups) != 1 {
		t.Errorf("after the delete the tab edits %q and lists %d groups", g.editor.editing, len(g.groups))
	}
}

// The Limits card saves the host-wide caps and refuses negative numbers.
func TestGroupsTabLimits(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "gamma", "UTC")
	sc := e.newScope()
	defer sc.close()
	g := newGroupsTab(e.UI, sc, hostID)
	e.show(g.obj)
	l := g.limits
	if !l.save.Disabled() {
		t.Error("Save limits should be disabled with nothing changed")
	}
	uitest.Retype(l.up, "-5")
	if !l.save.Disabled() {
		t.Error("a negative cap enabled Save limits")
	}
	uitest.Retype(l.up, "512")
	uitest.Retype(l.down, "2048")
	test.Tap(l.save)
	settle(e.UI, e.app)
	e.waitChange(t, hub.ChangeHost, hostID)
	rs, _ := e.hub.Repository(hostID)
	if rs.BandwidthUpKbps != 512 || rs.BandwidthDownKbps != 2048 {
		t.Errorf("hub caps up %d down %d, want 512 and 2048", rs.BandwidthUpKbps, rs.BandwidthDownKbps)
	}
	if !strings.Contains(l.status.label.Text, "offline") {
		t.Errorf("status %q should say the offline agent gets it on its next connection", l.status.label.Text)
	}
	uitest.Retype(l.down, "0")
	test.Tap(l.save)
	settle(e.UI, e.app)
	if rs, _ := e.hub.Repository(hostID); rs.BandwidthDownKbps != 0 {
		t.Errorf("0 should clear the download cap, hub has %d", rs.BandwidthDownKbps)
	}
}
