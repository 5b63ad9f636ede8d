package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// The setup flow of a host that has no repository yet (a host just
// enrolled or approved; its header offers "Set up…" while the hub's
// NoticeNoRepository holds): the repository's URL and password (asked
// twice), saved and tested on the host; "Initialise" when the test finds
// no repository there; then the first backup of a source group. The init
// and the backup it starts are the manager's setup (origin "manager:
// setup"), not jobs someone ran from the Jobs tab.

// setupWizard is the dialog.
type setupWizard struct {
	u      *UI
	sc     *scope
	hostID string
	dlg    dialog.Dialog

	url, password, confirm *widget.Entry
	saveTest               *widget.Button
	status                 *statusLine
	probe                  *repoProbeView
	initBtn                *widget.Button
	job                    *fyne.Container // the init's or backup's progress

	groupName, paths *widget.Entry
	backupBtn        *widget.Button
	step2            fyne.CanvasObject
}

// newSetupWizard opens the setup flow for hostID.
func newSetupWizard(u *UI, hostID, name string) *setupWizard {
	w := &setupWizard{u: u, sc: u.newScope(), hostID: hostID, status: newStatusLine(), job: container.NewVBox()}
	// The scope listens itself, so the parts' child scopes (the test, a
	// job's progress) live as long as the dialog.
	w.sc.on(func([]change) {})
	w.url = widget.NewEntry()
	w.url.SetPlaceHolder("rest:https://backup.example:8000/" + name)
	w.password, w.confirm = widget.NewPasswordEntry(), widget.NewPasswordEntry()
	w.password.SetPlaceHolder("the repository's password")
	w.confirm.SetPlaceHolder("the same password again")
	w.saveTest = widget.NewButtonWithIcon("Save and test", theme.MediaPlayIcon(), w.saveAndTest)
	w.saveTest.Importance = widget.HighImportance
	w.probe = newRepoProbeView(u, w.sc, hostID, false)
	w.probe.onDone = w.tested
	w.initBtn = widget.NewButtonWithIcon("Initialise", theme.FolderNewIcon(), w.initialise)
	w.initBtn.Importance = widget.HighImportance
	w.initBtn.Hide()
	if rs, err := u.hub.Repository(hostID); err == nil {
		w.url.SetText(rs.URL)
	}

	w.groupName, w.paths = widget.NewEntry(), widget.NewMultiLineEntry()
	w.groupName.SetText("documents")
	w.paths.SetPlaceHolder("/home\n/etc")
	w.paths.SetMinRowsVisible(2)
	w.backupBtn = widget.NewButtonWithIcon("Back up now", theme.MediaPlayIcon(), w.firstBackup)
	w.backupBtn.Importance = widget.HighImportance
	w.step2 = widget.NewCard("2. First backup", "", container.NewVBox(
		noteLabel("A source group is what is backed up together; its name becomes the snapshots' tag."),
		widget.NewForm(widget.NewFormItem("Source group", w.groupName), widget.NewFormItem("Paths", w.paths)),
		container.NewHBox(w.backupBtn)))
	w.step2.Hide()
	if gs, err := u.hub.SourceGroups(hostID); err == nil && len(gs) > 0 {
		w.groupName.SetText(gs[0].Name)
		w.paths.SetText(strings.Join(gs[0].Includes, "\n"))
	}

	step1 := widget.NewCard("1. Repository", "", container.NewVBox(
		widget.NewForm(widget.NewFormItem("URL", w.url), widget.NewFormItem("Password", w.password), widget.NewFormItem("Confirm", w.confirm)),
		actionRow(w.status, w.saveTest), w.probe.object(), container.NewHBox(w.initBtn)))
	body := container.NewVScroll(container.NewVBox(
		noteLabel(name+" has no repository yet. Say where its backups go, test it on the host, initialise it if it is new, and run the first backup."),
		step1, w.step2, w.job))
	w.dlg = dialog.NewCustom("Set up "+name, "Close", body, u.win)
	w.dlg.SetOnClosed(w.sc.close)
	w.dlg.Resize(fyne.NewSize(640, 620))
	w.dlg.Show()
	return w
}

// saveAndTest saves the URL and password (off the UI goroutine: the
// password goes to the keyring) and tests them on the host.
func (w *setupWizard) saveAndTest() {
	url := strings.TrimSpace(w.url.Text)
	pw := w.password.Text
	switch {
	case url == "":
		w.status.fail("Say where the backups go: the repository's URL.")
		return
	case pw == "":
		w.status.fail("Type the repository's password.")
		return
	case pw != w.confirm.Text:
		w.status.fail("The two passwords differ: type the same one twice.")
		return
	}
	if err := hub.ValidateRepositoryURL(url); err != nil {
		w.status.fail(fieldMessage(err))
		return
	}
	w.saveTest.Disable()
	w.status.set("Saving… (the password goes to the OS keyring)", widget.MediumImportance)
	w.u.offUI(func() error {
		_, err := w.u.hub.SaveRepository(w.hostID, hub.RepositoryUpdate{URL: &url, Password: &pw})
		return err
	}, func(err error) {
		w.saveTest.Enable()
		if err != nil {
			w.status.fail("Not saved: " + keyringHint(err))
			return
		}
		w.password.SetText("")
		w.confirm.SetText("")
		w.status.ok("Saved. Testing it on the host…")
		w.initBtn.Hide()
		w.probe.start()
	})
}

// tested offers the next step: Initialise for a missing repository, the
// first backup for a working one.
func (w *setupWizard) tested(t hub.RepoTest) {
	showIf(w.initBtn, t.Cause.Fix == hub.FixInit)
	showIf(w.step2, t.Status == hub.JobSucceeded)
}

// initialise starts init as the manager's setup, then tests again once it
// succeeded.
func (w *setupWizard) initialise() {
	w.run("Initialise", hub.RunRequest{Kind: hub.JobKindInit}, func(j hub.Job) {
		if j.Status == hub.JobSucceeded {
			w.initBtn.Hide()
			w.probe.start()
		}
	})
}

// firstBackup saves the source group and backs it up.
func (w *setupWizard) firstBackup() {
	g := hub.SourceGroup{Name: strings.TrimSpace(w.groupName.Text), Includes: splitLines(w.paths.Text)}
	if len(g.Includes) == 0 {
		w.u.showError("First backup", errors.New("add at least one path to back up"))
		return
	}
	if existing, err := w.u.hub.SourceGroups(w.hostID); err == nil {
		for _, e := range existing {
			if e.Name == g.Name {
				g.Excludes, g.Retention, g.PreHook, g.PostHook = e.Excludes, e.Retention, e.PreHook, e.PostHook
				g.RetryMax, g.RetryBackoffSeconds = e.RetryMax, e.RetryBackoffSeconds
			}
		}
	}
	if _, err := w.u.hub.SaveSourceGroup(w.hostID, g); err != nil {
		w.u.showError("First backup", err)
		return
	}
	w.run("First backup", hub.RunRequest{Kind: hub.JobKindBackup, Group: g.Name}, nil)
}

// run starts a setup job and shows its progress under the steps; then
// runs once the job ends.
func (w *setupWizard) run(what string, r hub.RunRequest, then func(hub.Job)) {
	id, err := w.u.hub.RunForSetup(w.hostID, r)
	if err != nil {
		w.u.showError(what, err)
		return
	}
	p := newJobProgress(w.u, w.sc, id)
	w.job.Objects = []fyne.CanvasObject{widget.NewCard(what, "", p.object())}
	w.job.Refresh()
	if then == nil {
		return
	}
	done := w.sc.child()
	done.on(func([]change) {
		if j, err := w.u.hub.Job(id); err == nil && j.Terminal() {
			done.close()
			then(j)
		}
	})
}
