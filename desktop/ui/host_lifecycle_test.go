package ui

import (
	"errors"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/internal/uitest"
	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

// Rename gives a host the name the window shows; empty gives it its
// hostname back.
func TestRenameHostFromItsHeader(t *testing.T) {
	e := newTestEnv(t)
	id := e.enroll(t, "office-pc2", "UTC")
	m := e.main
	m.show(id)
	v := m.host
	test.Tap(v.lifecycle.rename)
	uitest.Retype(v.lifecycle.nameEntry, "Reception desk")
	uitest.TapDialogButton(t, e.win, "Rename")
	e.app.WaitFor(t, "the header and the sidebar to say the new name", func() bool {
		return v.name.Text == "Reception desk" && slices.Contains(shownNames(m), "Reception desk")
	})
	if d, err := e.hub.Host(id); err != nil || d.Host.Hostname != "office-pc2" {
		t.Errorf("the host's hostname is now %q (%v); a rename changes the name shown only", d.Host.Hostname, err)
	}
	test.Tap(v.lifecycle.rename)
	uitest.Retype(v.lifecycle.nameEntry, "")
	uitest.TapDialogButton(t, e.win, "Rename")
	e.app.WaitFor(t, "the hostname back", func() bool { return v.name.Text == "office-pc2" })
}

// Remove asks first and asks whether the history stays; Remove is off
// until that is answered. Keeping it leaves the jobs readable; deleting
// takes the records and the repository credentials. Either way the
// window goes back to the dashboard, without the host.
func TestRemoveHostAsksKeepOrDeleteHistory(t *testing.T) {
	e := newTestEnv(t)
	keep := e.enroll(t, "old-laptop", "UTC")
	gone := e.enroll(t, "scrap-pc", "UTC")
	for _, id := range []string{keep, gone} {
		if err := e.sec.Set(id, secrets.RepoPassword, "pw-"+id); err != nil {
			t.Fatal(err)
		}
		recordJob(t, e.st, id, "job-"+id, "backup", "docs", "succeeded", "", testNow)
	}
	m := e.main

	remove := func(id, choice string) {
		t.Helper()
		m.show(id)
		lc := m.host.lifecycle
		test.Tap(lc.remove)
		top := e.win.Canvas().Overlays().Top()
		btn := uitest.Button(top, "Remove")
		if btn == nil || !btn.Disabled() {
			t.Fatalf("Remove is offered before keep-or-delete is answered (button %v)", btn)
		}
		uitest.TapDialogButton(t, e.win, "Cancel")
		if _, err := e.hub.Host(id); err != nil {
			t.Fatalf("Cancel removed the host: %v", err)
		}
		test.Tap(lc.remove)
		lc.choice.SetSelected(choice)
		uitest.TapDialogButton(t, e.win, "Remove")
		e.app.WaitFor(t, "the dashboard back, without the host", func() bool {
			for _, v := range m.hosts {
				if v.Host.ID == id {
					return false
				}
			}
			return m.selected == "" && m.host == nil
		})
	}

	remove(keep, removeKeepHistory)
	removed, err := e.hub.RemovedHosts()
	if err != nil || len(removed) != 1 || removed[0].ID != keep {
		t.Errorf("removed hosts with history: %+v (%v); want old-laptop", removed, err)
	}
	if _, err := e.hub.Job("job-" + keep); err != nil {
		t.Errorf("old-laptop's job went with it: %v", err)
	}
	if pw, err := e.sec.Get(keep, secrets.RepoPassword); err != nil || pw == "" {
		t.Errorf("old-laptop's password went with it (%v)", err)
	}

	remove(gone, removeDeleteAll)
	if _, err := e.hub.Job("job-" + gone); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("scrap-pc's job is still there (%v)", err)
	}
	if _, err := e.sec.Get(gone, secrets.RepoPassword); err == nil {
		t.Error("scrap-pc's repository password is still in the keyring")
	}
	if d := e.main.dash; uitest.Shows(d.body, "scrap-pc") || uitest.Shows(d.body, "old-laptop") {
		t.Error("the dashboard still lists a removed host")
	}
}
