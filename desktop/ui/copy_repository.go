package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// copyRepositoryCard is the Settings tab's second repository (3-2-1): the
// one copy jobs copy this host's snapshots into (Copy now in the Jobs
// tab, the copy schedule in the Schedules tab). Its URL, password and
// REST login are saved like the repository's, secrets write-only; the
// password is typed twice, as a typo would lock the copies away.
type copyRepositoryCard struct {
	u      *UI
	hostID string

	url      *widget.Entry
	password *settingsSecret
	confirm  *widget.Entry
	secrets  []copySecret
	form     checkedForm

	saveBtn   *widget.Button
	revertBtn *widget.Button
	status    *statusLine
	loaded    hub.CopyRepositorySettings
	// saving: a save or remove is waiting on the hub (and the keyring).
	saving bool
	obj    fyne.CanvasObject
}

// copySecret is one of the second repository's write-only credentials.
type copySecret struct {
	*settingsSecret
	isSet  func(hub.CopyRepositorySettings) bool
	assign func(*hub.CopyRepositoryUpdate, *string)
}

func newCopyRepositoryCard(u *UI, hostID string) *copyRepositoryCard {
	c := &copyRepositoryCard{u: u, hostID: hostID, status: newStatusLine()}
	c.url = widget.NewEntry()
	c.url.SetPlaceHolder("none (e.g. sftp:backup@offsite.example:/srv/restic/office)")
	urlF := c.form.field("Second repository URL", c.url,
		"Another repository, best on another machine or site. Empty: no copies. A repository that does not exist yet is created at the first copy, with this host's chunker parameters so the copies deduplicate.",
		func(v string) error {
			if strings.TrimSpace(v) == "" {
				return nil
			}
			return hub.ValidateRepositoryURL(v)
		})
	mk := func(label, placeholder string, password bool, isSet func(hub.CopyRepositorySettings) bool, assign func(*hub.CopyRepositoryUpdate, *string)) *settingsSecret {
		sec := newSettingsSecret(&c.form, label, placeholder, password)
		sec.noun = "second repository's " + sec.noun // in messages: "Saved the second repository's password"
		cs := copySecret{settingsSecret: sec, isSet: isSet, assign: assign}
		sec.remove.OnTapped = func() { c.confirmRemove(cs) }
		c.secrets = append(c.secrets, cs)
		return sec
	}
	c.password = mk("Password", "type a new password", true,
		func(s hub.CopyRepositorySettings) bool { return s.PasswordSet },
		func(u *hub.CopyRepositoryUpdate, v *string) { u.Password = v })
	c.confirm = widget.NewPasswordEntry()
	c.confirm.SetPlaceHolder("type the new password again")
	confirmF := c.form.field("Confirm password", c.confirm, "", func(v string) error {
		if v != c.password.entry.Text {
			return errors.New("the two passwords differ")
		}
		return nil
	})
	rest := []*settingsSecret{
		mk("REST username", "type a new user name", false,
			func(s hub.CopyRepositorySettings) bool { return s.UsernameSet },
			func(u *hub.CopyRepositoryUpdate, v *string) { u.Username = v }),
		mk("REST credential", "type a new credential", true,
			func(s hub.CopyRepositorySettings) bool { return s.CredentialSet },
			func(u *hub.CopyRepositoryUpdate, v *string) { u.Credential = v }),
	}
	c.form.onChange = func(bool) { c.status.clear(); c.updateButtons() }
	c.saveBtn = widget.NewButtonWithIcon("Save second repository", theme.DocumentSaveIcon(), c.save)
	c.saveBtn.Importance = widget.HighImportance
	c.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), c.revert)
	c.obj = widget.NewCard("Second repository (copies)", "", container.NewVBox(
		noteLabel("One copy is not a backup: copy jobs copy this host's snapshots into a second repository. Copy now is in the Jobs tab, the copy schedule in the Schedules tab."),
		fieldRows(urlF), settingsSecretRows([]*settingsSecret{c.password}), fieldRows(confirmF), settingsSecretRows(rest),
		actionRow(c.status, c.saveBtn, c.revertBtn)))
	c.reload()
	return c
}

func (c *copyRepositoryCard) object() fyne.CanvasObject { return c.obj }

// reload reads the stored settings; an edit in progress is kept.
func (c *copyRepositoryCard) reload() {
	s, err := c.u.hub.CopyRepository(c.hostID)
	if err != nil {
		c.status.fail("Could not read the second repository: " + err.Error())
		return
	}
	edited := strings.TrimSpace(c.url.Text) != c.loaded.URL
	c.loaded = s
	if !edited {
		c.form.fill(func() { c.url.SetText(s.URL) })
	}
	for _, sec := range c.secrets {
		sec.showSet(sec.isSet(s))
	}
	c.updateButtons()
}

// update is what Save would send, and whether anything changed.
func (c *copyRepositoryCard) update() (hub.CopyRepositoryUpdate, bool) {
	var u hub.CopyRepositoryUpdate
	changed := false
	if url := strings.TrimSpace(c.url.Text); url != c.loaded.URL {
		u.URL, changed = &url, true
	}
	for _, sec := range c.secrets {
		if sec.entry.Text != "" {
			v := sec.entry.Text
			sec.assign(&u, &v)
			changed = true
		}
	}
	return u, changed
}

func (c *copyRepositoryCard) updateButtons() {
	_, changed := c.update()
	enableIf(c.saveBtn, !c.saving && c.form.valid() && changed)
	enableIf(c.revertBtn, !c.saving && (changed || c.confirm.Text != ""))
}

// clearSecrets empties the secret entries: a secret typed in stays on
// screen no longer than until Save or Revert.
func (c *copyRepositoryCard) clearSecrets() {
	c.form.fill(func() {
		for _, sec := range c.secrets {
			sec.entry.SetText("")
		}
		c.confirm.SetText("")
	})
}

func (c *copyRepositoryCard) revert() {
	c.clearSecrets()
	c.form.fill(func() { c.url.SetText(c.loaded.URL) })
	c.status.clear()
	c.updateButtons()
}

func (c *copyRepositoryCard) save() {
	if err := c.form.firstError(); err != nil {
		c.status.fail(fieldMessage(err))
		return
	}
	upd, changed := c.update()
	if !changed {
		return
	}
	var saved []string
	if upd.URL != nil {
		saved = append(saved, "the second repository's URL")
	}
	for _, sec := range c.secrets {
		if sec.entry.Text != "" {
			saved = append(saved, "the "+sec.noun)
		}
	}
	done := "Saved " + settingsJoin(saved)
	if upd.URL != nil && *upd.URL == "" {
		done = "Removed the second repository: copies stop (the agent keeps what it was sent)"
	}
	// The secrets go to the OS keyring, which may keep the caller waiting:
	// off the UI goroutine, as the repository's own save.
	c.saving = true
	c.updateButtons()
	c.status.set("Saving… (credentials go to the OS keyring)", widget.MediumImportance)
	var res hub.SaveResult
	c.u.offUI(func() (err error) {
		res, err = c.u.hub.SaveCopyRepository(c.hostID, upd)
		return err
	}, func(err error) {
		c.saving = false
		if err != nil {
			c.updateButtons()
			c.status.fail("Not saved: " + keyringHint(err))
			return
		}
		c.clearSecrets()
		c.reload()
		c.status.ok(savedText(res, done))
	})
}

func (c *copyRepositoryCard) confirmRemove(sec copySecret) {
	confirmRemoveSecret(c.u, sec.settingsSecret, func() {
		empty := ""
		var u hub.CopyRepositoryUpdate
		sec.assign(&u, &empty)
		sec.remove.Disable()
		c.saving = true
		c.updateButtons()
		c.status.set("Removing… (from the OS keyring)", widget.MediumImportance)
		c.u.offUI(func() error { return c.u.hub.SetCopyRepository(c.hostID, u) }, func(err error) {
			c.saving = false
			if err != nil {
				c.updateButtons()
				sec.remove.Enable()
				c.status.fail("Not removed: " + keyringHint(err))
				return
			}
			c.form.fill(func() { sec.entry.SetText("") })
			c.reload()
			c.status.ok(secretRemovedMessage(sec.settingsSecret))
		})
	})
}
