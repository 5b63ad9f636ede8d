package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// settingsTab is a host's repository, credentials, hook shell and
// bandwidth caps. Secrets are write-only: the tab says whether each is
// set, offers an entry to replace it and a Remove button, and never
// shows one back (the hub cannot even return them).
type settingsTab struct {
	u      *UI
	sc     *scope
	hostID string

	url       *widget.Entry
	confirm   *widget.Entry // the repository password again
	testBtn   *widget.Button
	testNote  *widget.Label
	probe     *repoProbeView
	hookShell *widget.Entry
	secrets   []*settingsSecret
	form      checkedForm
	saveBtn   *widget.Button
	revertBtn *widget.Button
	status    *statusLine
	online    *widget.Label

	limits *limitsCard
	copy   *copyRepositoryCard
	loaded hub.RepositorySettings
	obj    fyne.CanvasObject
	// saving: a save or remove is waiting on the hub (and the keyring).
	saving bool
}

// settingsSecret is one write-only credential.
type settingsSecret struct {
	label  string
	noun   string // in a sentence: "the REST username"
	entry  *widget.Entry
	state  *widget.Label
	icon   *widget.Icon
	remove *widget.Button
	field  *checkedField
	isSet  func(hub.RepositorySettings) bool
	// assign puts v into the update's field for this secret.
	assign func(*hub.RepositoryUpdate, *string)
}

func newSettingsTab(u *UI, sc *scope, hostID string) *settingsTab {
	s := &settingsTab{u: u, sc: sc, hostID: hostID, status: newStatusLine()}
	s.online = noteLabel("")

	s.url = widget.NewEntry()
	s.url.SetPlaceHolder("rest:https://backup.example:8000/alpha")
	urlF := s.form.field("Repository URL", s.url,
		"Where restic keeps this host's backups: a path, sftp:user@host:/srv/restic, rest:https://host:8000/name, s3:… Never a password in it: use the fields below.",
		hub.ValidateRepositoryURL)

	mk := func(label, placeholder string, password bool, isSet func(hub.RepositorySettings) bool, assign func(*hub.RepositoryUpdate, *string)) *settingsSecret {
		sec := newSettingsSecret(&s.form, label, placeholder, password)
		sec.isSet, sec.assign = isSet, assign
		sec.remove.OnTapped = func() { s.confirmRemove(sec) }
		s.secrets = append(s.secrets, sec)
		return sec
	}
	repoSecrets := []*settingsSecret{
		mk("Repository password", "type a new password", true,
			func(r hub.RepositorySettings) bool { return r.PasswordSet },
			func(u *hub.RepositoryUpdate, v *string) { u.Password = v }),
		mk("REST username", "type a new user name", false,
			func(r hub.RepositorySettings) bool { return r.UsernameSet },
			func(u *hub.RepositoryUpdate, v *string) { u.Username = v }),
		mk("REST credential", "type a new credential", true,
			func(r hub.RepositorySettings) bool { return r.CredentialSet },
			func(u *hub.RepositoryUpdate, v *string) { u.Credential = v }),
	}
	adminSecrets := []*settingsSecret{
		mk("Admin password", "type a new password", true,
			func(r hub.RepositorySettings) bool { return r.AdminPasswordSet },
			func(u *hub.RepositoryUpdate, v *string) { u.AdminPassword = v }),
		mk("Admin username", "type a new user name", false,
			func(r hub.RepositorySettings) bool { return r.AdminUsernameSet },
			func(u *hub.RepositoryUpdate, v *string) { u.AdminUsername = v }),
		mk("Admin credential", "type a new credential", true,
			func(r hub.RepositorySettings) bool { return r.AdminCredentialSet },
			func(u *hub.RepositoryUpdate, v *string) { u.AdminCredential = v }),
	}

	// A password typed once can be mistyped once: a repository then
	// opens for nobody. It is asked twice.
	s.confirm = widget.NewPasswordEntry()
	s.confirm.SetPlaceHolder("type the new password again")
	password := repoSecrets[0].entry
	confirmF := s.form.field("Confirm password", s.confirm, "Only when you type a new password above.", func(v string) error {
		switch {
		case password.Text == "" && v != "":
			return fmt.Errorf("type the new password above as well")
		case password.Text != "" && v == "":
			return fmt.Errorf("type the new password again")
		case v != password.Text:
			return fmt.Errorf("does not match the password above")
		}
		return nil
	})
	s.testBtn = widget.NewButtonWithIcon("Test", theme.MediaPlayIcon(), s.test)
	s.testNote = noteLabel("")
	s.probe = newRepoProbeView(u, sc, hostID, true)

	s.hookShell = widget.NewEntry()
	s.hookShell.SetPlaceHolder("the agent's default: sh -c (Windows: cmd /C)")
	hookF := s.form.field("Hook shell", s.hookShell,
		"What runs the source groups' before/after hooks; the hook command is its last argument (bash -c, pwsh -Command).",
		func(v string) error {
			if len(v) > hub.MaxPathLen {
				return fmt.Errorf("longer than %d bytes", hub.MaxPathLen)
			}
			return nil
		})

	s.form.onChange = func(bool) { s.status.clear(); s.updateButtons() }
	s.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.save)
	s.saveBtn.Importance = widget.HighImportance
	s.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), s.revert)

	repoCard := widget.NewCard("Repository", "", container.NewVBox(
		fieldRows(urlF), settingsSecretRows(repoSecrets[:1]), fieldRows(confirmF), settingsSecretRows(repoSecrets[1:]),
		container.NewBorder(nil, nil, container.NewHBox(s.testBtn), nil, s.testNote), s.probe.object(),
		noteLabel("The password opens the repository (restic's RESTIC_PASSWORD). The REST username and credential are a rest-server's HTTP login.")))
	adminCard := widget.NewCard("Admin credentials", "", container.NewVBox(
		noteLabel("Only prune uses these: an append-only rest-server refuses deletes to the everyday login. Unset: prune uses the repository credentials."),
		settingsSecretRows(adminSecrets)))
	hookCard := widget.NewCard("Hooks", "", fieldRows(hookF))
	buttons := actionRow(s.status, s.saveBtn, s.revertBtn)
	s.limits = newLimitsCard(u, sc, hostID)
	s.copy = newCopyRepositoryCard(u, hostID)

	s.obj = container.NewVScroll(container.NewVBox(s.online, repoCard, adminCard, hookCard, buttons, s.copy.object(), s.limits.object()))

	s.reload()
	sc.on(func(batch []change) {
		for _, c := range batch {
			if about(c, hostID) && (c.Kind == hub.ChangeHost || c.Kind == hub.ChangeAll) {
				s.reload()
				s.copy.reload()
				s.limits.reload()
				return
			}
		}
	})
	return s
}

func (s *settingsTab) object() fyne.CanvasObject { return s.obj }

// newSettingsSecret makes a write-only credential's input in form; the
// caller sets what its Remove button does.
func newSettingsSecret(form *checkedForm, label, placeholder string, password bool) *settingsSecret {
	noun := label
	if len(label) > 1 && strings.ToLower(label[1:2]) == label[1:2] {
		noun = strings.ToLower(label[:1]) + label[1:]
	}
	sec := &settingsSecret{label: label, noun: noun}
	if password {
		sec.entry = widget.NewPasswordEntry()
	} else {
		sec.entry = widget.NewEntry()
	}
	sec.entry.SetPlaceHolder(placeholder)
	sec.field = form.field(label, sec.entry, "", settingsCheckSecret)
	sec.state = widget.NewLabel("not set")
	sec.icon = widget.NewIcon(nil)
	sec.remove = widget.NewButtonWithIcon("Remove", theme.ContentClearIcon(), nil)
	return sec
}

// showSet says whether the secret is stored, never what it is.
func (sec *settingsSecret) showSet(set bool) {
	if set {
		sec.state.SetText("set")
		sec.state.Importance = widget.SuccessImportance
		sec.icon.SetResource(theme.ConfirmIcon())
		sec.entry.SetPlaceHolder("type to replace")
		sec.remove.Enable()
	} else {
		sec.state.SetText("not set")
		sec.state.Importance = widget.LowImportance
		sec.icon.SetResource(theme.RadioButtonIcon())
		sec.entry.SetPlaceHolder("type to set")
		sec.remove.Disable()
	}
	sec.state.Refresh()
}

func settingsCheckSecret(v string) error {
	switch {
	case len(v) > hub.MaxPathLen:
		return fmt.Errorf("longer than %d bytes", hub.MaxPathLen)
	case strings.ContainsAny(v, "\r\n"):
		return fmt.Errorf("no line breaks")
	}
	return nil
}

// settingsSecretRows lays secrets out as: label, state, entry, Remove.
func settingsSecretRows(list []*settingsSecret) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, sec := range list {
		l := widget.NewLabel(sec.label)
		l.TextStyle.Bold = true
		state := container.NewHBox(sec.icon, sec.state)
		objs = append(objs, l, container.NewBorder(nil, nil, state, sec.remove, sec.field.column()))
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// reload reads the stored settings; edits in progress are kept.
func (s *settingsTab) reload() {
	rs, err := s.u.hub.Repository(s.hostID)
	if err != nil {
		s.status.fail("Could not read the settings: " + err.Error())
		return
	}
	urlEdited := strings.TrimSpace(s.url.Text) != s.loaded.URL
	hookEdited := strings.TrimSpace(s.hookShell.Text) != s.loaded.HookShell
	s.loaded = rs
	s.form.fill(func() {
		if !urlEdited {
			s.url.SetText(rs.URL)
		}
		if !hookEdited {
			s.hookShell.SetText(rs.HookShell)
		}
	})
	for _, sec := range s.secrets {
		sec.showSet(sec.isSet(rs))
	}
	if d, err := s.u.hub.Host(s.hostID); err == nil {
		if d.Online {
			s.online.SetText(d.Host.DisplayName() + " is online: saved settings reach its agent at once.")
		} else {
			s.online.SetText(d.Host.DisplayName() + " is offline: its agent gets saved settings on its next connection.")
		}
	}
	s.updateButtons()
}

// update is what Save would send, and whether anything changed.
func (s *settingsTab) update() (hub.RepositoryUpdate, bool) {
	var u hub.RepositoryUpdate
	changed := false
	if url := strings.TrimSpace(s.url.Text); url != s.loaded.URL {
		u.URL, changed = &url, true
	}
	for _, sec := range s.secrets {
		if sec.entry.Text != "" {
			v := sec.entry.Text
			sec.assign(&u, &v)
			changed = true
		}
	}
	return u, changed
}

func (s *settingsTab) dirty() bool {
	_, changed := s.update()
	return changed || strings.TrimSpace(s.hookShell.Text) != s.loaded.HookShell
}

func (s *settingsTab) updateButtons() {
	dirty := s.dirty()
	enableIf(s.saveBtn, !s.saving && s.form.valid() && dirty)
	enableIf(s.revertBtn, !s.saving && dirty)
	_, repoEdited := s.update()
	ready := s.loaded.URL != "" && s.loaded.PasswordSet
	enableIf(s.testBtn, ready && !repoEdited && !s.probe.running())
	switch {
	case !ready:
		s.testNote.SetText("Set the URL and password and save them; then Test checks them on the host.")
	case repoEdited:
		s.testNote.SetText("Save first: Test checks the saved settings, on the host, as its backups will.")
	default:
		s.testNote.SetText("Checks on the host that the repository answers, is initialised, opens with the password and is not locked. Changes nothing.")
	}
}

// test runs the repository test of the saved settings.
func (s *settingsTab) test() {
	s.probe.onDone = func(hub.RepoTest) { s.updateButtons() }
	s.probe.start()
	s.updateButtons()
}

// clearSecrets empties the replacement entries: a secret typed in stays
// on screen no longer than until Save or Revert.
func (s *settingsTab) clearSecrets() {
	s.form.fill(func() {
		for _, sec := range s.secrets {
			sec.entry.SetText("")
		}
		s.confirm.SetText("")
	})
}

func (s *settingsTab) revert() {
	s.clearSecrets()
	s.form.fill(func() {
		s.url.SetText(s.loaded.URL)
		s.hookShell.SetText(s.loaded.HookShell)
	})
	s.status.clear()
	s.updateButtons()
}

// save stores what changed. Credentials go to the OS keyring, and every
// change is pushed to the host with its credentials read back from it: the
// hub calls run off the UI goroutine, the tab says it is saving, and a
// keyring that does not answer ends in an error that says so.
func (s *settingsTab) save() {
	if err := s.form.firstError(); err != nil {
		s.status.fail(fieldMessage(err))
		return
	}
	upd, changed := s.update()
	hook := strings.TrimSpace(s.hookShell.Text)
	hookChanged := hook != s.loaded.HookShell
	var saved []string
	var r hub.SaveResult
	if changed {
		if upd.URL != nil {
			saved = append(saved, "the repository URL")
		}
		for _, sec := range s.secrets {
			if sec.entry.Text != "" {
				saved = append(saved, "the "+sec.noun)
			}
		}
	}
	var repoErr, hookErr error
	s.saving = true
	s.updateButtons()
	s.status.set("Saving… (credentials go to the OS keyring)", widget.MediumImportance)
	s.u.offUI(func() error {
		if changed {
			if r, repoErr = s.u.hub.SaveRepository(s.hostID, upd); repoErr != nil {
				return repoErr
			}
		}
		if hookChanged {
			r, hookErr = s.u.hub.SaveHookShell(s.hostID, hook)
		}
		return nil
	}, func(error) {
		s.saving = false
		switch {
		case repoErr != nil:
			s.updateButtons()
			s.status.fail("Not saved: " + keyringHint(repoErr))
			return
		case changed:
			s.clearSecrets()
		}
		if hookErr != nil {
			s.reload()
			s.status.fail("Hook shell not saved: " + keyringHint(hookErr))
			return
		}
		if hookChanged {
			saved = append(saved, "the hook shell")
		}
		s.reload()
		s.status.saved(s.u, s.sc, r, "Saved "+settingsJoin(saved))
	})
}

func settingsJoin(items []string) string {
	switch len(items) {
	case 0:
		return "nothing"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func (s *settingsTab) confirmRemove(sec *settingsSecret) {
	confirmRemoveSecret(s.u, sec, func() {
		empty := ""
		var u hub.RepositoryUpdate
		sec.assign(&u, &empty)
		sec.remove.Disable()
		s.saving = true
		s.updateButtons()
		s.status.set("Removing… (from the OS keyring)", widget.MediumImportance)
		s.u.offUI(func() error { return s.u.hub.SetRepository(s.hostID, u) }, func(err error) {
			s.saving = false
			if err != nil {
				s.updateButtons()
				sec.remove.Enable()
				s.status.fail("Not removed: " + keyringHint(err))
				return
			}
			s.form.fill(func() { sec.entry.SetText("") })
			s.reload()
			s.status.ok(secretRemovedMessage(sec))
		})
	})
}

// confirmRemoveSecret asks before the manager forgets a secret, then runs
// remove.
func confirmRemoveSecret(u *UI, sec *settingsSecret, remove func()) {
	dialog.ShowConfirm("Remove the "+sec.noun+"?",
		"The manager forgets the "+sec.noun+". An agent that already received it keeps its own copy until you set a new one.",
		func(ok bool) {
			if ok {
				remove()
			}
		}, u.win)
}

func secretRemovedMessage(sec *settingsSecret) string {
	return "Removed the " + sec.noun + ". An agent that already received it keeps its own copy until you set a new one."
}
