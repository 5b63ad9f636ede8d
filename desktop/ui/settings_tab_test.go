package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/desktop/secrets"
)

// A password typed into Settings reaches the hub (which reports it set and
// keeps it in the secret store) and is never shown again: the entry is a
// password entry, it is emptied on Save, and no widget of the tab, nor of
// a freshly opened one, carries it.
func TestSettingsTabSavesSecretsWriteOnly(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "eta", "UTC")
	sc := e.newScope()
	defer sc.close()
	s := newSettingsTab(e.UI, sc, hostID)
	w := e.win
	w.SetContent(s.obj)

	pw := s.secrets[0]
	if pw.label != "Repository password" || !pw.entry.Password {
		t.Fatalf("first secret is %q (password entry %v), want the repository password in a password entry", pw.label, pw.entry.Password)
	}
	if pw.state.Text != "not set" || !pw.remove.Disabled() {
		t.Errorf("unset password shows %q, Remove disabled %v", pw.state.Text, pw.remove.Disabled())
	}
	if !s.saveBtn.Disabled() {
		t.Error("Save should be disabled with nothing changed")
	}
	const secret = "correct horse battery staple"
	const cred = "rest-s3cret-token"
	test.Type(pw.entry, secret)
	test.Type(s.confirm, secret)
	test.Type(s.secrets[2].entry, cred)
	uitest.Retype(s.url, "rest:https://alice@backup.example:8000/eta")
	uitest.Retype(s.hookShell, "bash -c")
	if s.saveBtn.Disabled() {
		t.Fatalf("Save should be enabled; form says %v", s.form.firstError())
	}
	test.Tap(s.saveBtn)
	settle(e.UI, e.app)

	e.app.WaitFor(t, "the hub to report the password set", func() bool {
		rs, _ := e.hub.Repository(hostID)
		return rs.PasswordSet && rs.CredentialSet
	})
	e.waitChange(t, hub.ChangeHost, hostID)
	rs, _ := e.hub.Repository(hostID)
	if rs.URL != "rest:https://alice@backup.example:8000/eta" || rs.HookShell != "bash -c" || rs.UsernameSet || rs.AdminPasswordSet {
		t.Errorf("hub settings %+v", rs)
	}
	if got, err := e.sec.Get(hostID, secrets.RepoPassword); err != nil || got != secret {
		t.Errorf("the secret store holds %q (err %v), want the typed password", got, err)
	}
	if pw.entry.Text != "" || s.secrets[2].entry.Text != "" {
		t.Error("the password entries must be emptied after Save")
	}
	if pw.state.Text != "set" || pw.remove.Disabled() {
		t.Errorf("saved password shows %q, Remove disabled %v", pw.state.Text, pw.remove.Disabled())
	}
	if !strings.Contains(s.status.text(), "Saved") || !strings.Contains(s.status.text(), "gets the change when it connects") {
		t.Errorf("status %q should confirm and say the offline agent gets it when it connects", s.status.text())
	}
	for _, obj := range []struct {
		name string
		s    *settingsTab
	}{{"the tab after Save", s}, {"a freshly opened tab", newSettingsTab(e.UI, sc, hostID)}} {
		for _, txt := range uitest.Texts(obj.s.obj) {
			if strings.Contains(txt, secret) || strings.Contains(txt, cred) {
				t.Errorf("%s shows a secret: %q", obj.name, txt)
			}
		}
		if obj.s.secrets[0].state.Text != "set" || obj.s.secrets[0].entry.Text != "" {
			t.Errorf("%s: password state %q, entry %q", obj.name, obj.s.secrets[0].state.Text, obj.s.secrets[0].entry.Text)
		}
	}

	// Remove asks first, then the hub forgets it.
	test.Tap(pw.remove)
	uitest.TapDialogButton(t, w, "Yes")
	settle(e.UI, e.app)
	e.waitChange(t, hub.ChangeHost, hostID)
	if rs, _ := e.hub.Repository(hostID); rs.PasswordSet {
		t.Error("Remove did not clear the password")
	}
	if pw.state.Text != "not set" {
		t.Errorf("after Remove the password shows %q", pw.state.Text)
	}
}

// A repository URL with a password in it is refused as it is typed, the
// message points to the credential fields and does not repeat the password,
// and Save stays disabled.
func TestSettingsTabRefusesPasswordInURL(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "theta", "UTC")
	sc := e.newScope()
	defer sc.close()
	s := newSettingsTab(e.UI, sc, hostID)
	e.show(s.obj)

	urlField := s.form.fields[0]
	for _, bad := range []string{"rest:https://alice:hunter2@backup.example/theta", "rest:http://:hunter2@backup.example/theta"} {
		uitest.Retype(s.url, bad)
		if s.url.Validate() == nil {
			t.Errorf("%q: the URL entry accepted it", bad)
		}
		if !s.saveBtn.Disabled() {
			t.Errorf("%q: Save is enabled", bad)
		}
		msg := urlField.msg.Text
		if !strings.Contains(msg, "credential fields") || strings.Contains(msg, "hunter2") {
			t.Errorf("%q: message %q should point to the credential fields without repeating the password", bad, msg)
		}
	}
	uitest.Retype(s.url, "rest:https://alice@backup.example/theta")
	if s.saveBtn.Disabled() {
		t.Fatalf("a URL without a password should be accepted; form says %v", s.form.firstError())
	}
	test.Tap(s.saveBtn)
	settle(e.UI, e.app)
	if rs, _ := e.hub.Repository(hostID); rs.URL != "rest:https://alice@backup.example/theta" {
		t.Errorf("hub URL %q", rs.URL)
	}
}
