package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/internal/uitest"
)

// Every form of the host tabs confirms a save the same way, beside the
// button that was tapped: what was done, what follows from it, and that
// the offline host gets it when it connects. Before, the groups' and
// settings' message sat under their long, scrolled forms, out of sight,
// and the save seemed only to grey the button.
func TestEverySaveSaysWhatHappenedBesideItsButton(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "alpha", "UTC")
	sc := e.newScope()
	defer sc.close()
	const offline = "alpha is offline: it gets the change when it connects."

	saved := func(form string, s *statusLine, btn *widget.Button, prefix string) {
		t.Helper()
		settle(e.UI, e.app) // saves that reach the keyring run off the UI goroutine
		got := s.text()
		if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, offline) {
			t.Errorf("%s: the status says %q; want %q … %q", form, got, prefix, offline)
		}
		if s.label.Importance != widget.SuccessImportance {
			t.Errorf("%s: the confirmation is not shown as a success", form)
		}
		if !uitest.SideBySide(s.label, btn) {
			t.Errorf("%s: the message (at %v, %v) is not beside its button (at %v, %v)", form,
				e.app.Driver().AbsolutePositionForObject(s.label), s.label.Size(), e.app.Driver().AbsolutePositionForObject(btn), btn.Size())
		}
	}

	g := newGroupsTab(e.UI, sc, hostID)
	e.show(g.obj)
	for _, name := range []string{"docs", "scratch"} {
		test.Tap(g.newBtn)
		test.Type(g.editor.name, name)
		g.editor.includes.SetText("/srv/" + name)
		test.Tap(g.editor.saveBtn)
		saved("source group "+name, g.editor.status, g.editor.saveBtn, "Saved “"+name+"”. ")
	}
	g.editor.delete("scratch")
	saved("deleted source group", g.editor.status, g.editor.deleteBtn, "Deleted “scratch”. ")

	uitest.Retype(g.limits.up, "512")
	test.Tap(g.limits.save)
	saved("limits", g.limits.status, g.limits.save, "Saved the limits. Upload 512 kbit/s (about 62.5 KiB/s), download no cap. ")

	s := newSchedulesTab(e.UI, sc, hostID)
	e.show(s.obj)
	uitest.Retype(s.editor.cron, "30 2 * * *")
	s.editor.groups.SetSelected([]string{"docs"})
	test.Tap(s.editor.saveBtn)
	saved("schedule", s.editor.status, s.editor.saveBtn, "Saved. Next fire: ")
	if !strings.Contains(s.editor.status.text(), "02:30 (UTC). ") {
		t.Errorf("schedule: %q does not name the next fire at 02:30 UTC", s.editor.status.text())
	}
	uitest.Retype(s.maint.pruneCron, "0 4 * * 0")
	test.Tap(s.maint.saveBtn)
	saved("maintenance", s.maint.status, s.maint.saveBtn, "Saved the maintenance plan. ")

	set := newSettingsTab(e.UI, sc, hostID)
	e.show(set.obj)
	uitest.Retype(set.url, "/srv/restic/alpha")
	test.Type(set.secrets[0].entry, "a password")
	test.Type(set.confirm, "a password")
	test.Tap(set.saveBtn)
	saved("settings", set.status, set.saveBtn, "Saved the repository URL and the repository password. ")

	// An edit since the save clears the message: it spoke of the save.
	uitest.Retype(set.hookShell, "bash -c")
	if got := set.status.text(); got != "" {
		t.Errorf("after a new edit the settings still say %q", got)
	}
}
