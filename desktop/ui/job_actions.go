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

// jobActions is the Jobs tab's toolbar: back up a source group now, and
// the repository's maintenance (check, prune, forget, unlock, init, copy
// into the second repository), each that changes the repository
// confirmed first.
type jobActions struct {
	tab *jobsTab

	groupsBox *fyne.Container
	runNow    map[string]*widget.Button // "back up now" per source group
	checkBtn  *widget.Button
	pruneBtn  *widget.Button
	forgetBtn *widget.Button
	unlockBtn *widget.Button
	initBtn   *widget.Button
	copyBtn   *widget.Button

	// The open dialog's controls (tests reach them here).
	checkEntry    *widget.Entry
	checkRun      *widget.Button
	confirmOK     *widget.Button
	dlg           dialog.Dialog
	forgetPreview *retentionView

	obj fyne.CanvasObject
}

func newJobActions(tab *jobsTab) *jobActions {
	a := &jobActions{tab: tab, groupsBox: container.NewHBox(), runNow: map[string]*widget.Button{}}
	a.checkBtn = widget.NewButtonWithIcon("Check…", theme.SearchIcon(), a.showCheck)
	a.pruneBtn = widget.NewButtonWithIcon("Prune…", theme.DeleteIcon(), func() {
		a.confirmRun("Prune the repository?",
			"Prune removes data no snapshot uses any more and frees space. It can take a long time and locks the repository while it runs; backups wait for it.",
			"Prune", hub.RunRequest{Kind: hub.JobKindPrune})
	})
	a.forgetBtn = widget.NewButtonWithIcon("Forget…", theme.HistoryIcon(), a.showForget)
	a.unlockBtn = widget.NewButtonWithIcon("Unlock", theme.LoginIcon(), func() {
		tab.run("Unlock", hub.RunRequest{Kind: hub.JobKindUnlock})
	})
	a.initBtn = widget.NewButtonWithIcon("Init", theme.FolderNewIcon(), func() {
		tab.run("Init", hub.RunRequest{Kind: hub.JobKindInit})
	})
	a.copyBtn = widget.NewButtonWithIcon("Copy now", theme.ContentCopyIcon(), a.copyNow)
	maint := container.NewHBox(a.checkBtn, a.pruneBtn, a.forgetBtn, a.unlockBtn, a.initBtn, a.copyBtn)
	a.obj = container.NewBorder(nil, nil, nil, maint, container.NewHScroll(a.groupsBox))
	return a
}

func (a *jobActions) object() fyne.CanvasObject { return a.obj }

// showGroups offers a "back up now" button per source group.
func (a *jobActions) showGroups(gs []hub.SourceGroup) {
	a.runNow = map[string]*widget.Button{}
	objs := []fyne.CanvasObject{widget.NewLabelWithStyle("Back up now:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	if len(gs) == 0 {
		hint := widget.NewLabel("no source groups yet — add one in Source groups")
		hint.Importance = widget.LowImportance
		objs = append(objs, hint)
	}
	for _, g := range gs {
		name := g.Name
		b := widget.NewButtonWithIcon(name, theme.MediaPlayIcon(), func() {
			a.tab.run("Backup of "+name, hub.RunRequest{Kind: hub.JobKindBackup, Group: name})
		})
		b.Importance = widget.HighImportance
		a.runNow[name] = b
		objs = append(objs, b)
	}
	a.groupsBox.Objects = objs
	a.groupsBox.Refresh()
}

// copyNow copies the repository's snapshots into the second one; without
// a second repository it says where to set one.
func (a *jobActions) copyNow() {
	cr, err := a.tab.u.hub.CopyRepository(a.tab.hostID)
	if err != nil {
		a.tab.u.showError("Copy", err)
		return
	}
	if !cr.Configured() {
		d := dialog.NewInformation("No second repository",
			"Copy copies this host's snapshots into a second repository. Set one in the Settings tab (Second repository) first.", a.tab.u.win)
		a.dlg = d
		d.Show()
		return
	}
	a.tab.run("Copy", hub.RunRequest{Kind: hub.JobKindCopy})
}

// showCheck asks for check's optional read-data subset, validated as it
// is typed.
func (a *jobActions) showCheck() {
	win := a.tab.u.win
	e := widget.NewEntry()
	e.SetPlaceHolder("e.g. 5% or 1/10")
	e.Validator = func(s string) error {
		if hub.ValidateReadDataSubset(strings.TrimSpace(s)) != nil {
			return errors.New("use a percentage (5%) or a fraction (1/10), or leave it empty")
		}
		return nil
	}
	run := widget.NewButtonWithIcon("Run check", theme.ConfirmIcon(), nil)
	run.Importance = widget.HighImportance
	item := widget.NewFormItem("Read data", e)
	item.HintText = "Optional: also read this share of the data. Empty checks the metadata only."
	form := widget.NewForm(item)
	// The form owns the entry's validation callback; it passes it on.
	form.SetOnValidationChanged(func(err error) { enableIf(run, err == nil) })
	intro := widget.NewLabel("Check verifies the repository's structure and, optionally, reads back part of its data.")
	intro.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons("Check the repository", container.NewVBox(intro, form), win)
	start := func() {
		if e.Validate() != nil {
			return
		}
		d.Hide()
		a.tab.run("Check", hub.RunRequest{Kind: hub.JobKindCheck, ReadDataSubset: strings.TrimSpace(e.Text)})
	}
	run.OnTapped = start
	e.OnSubmitted = func(string) { start() }
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), run})
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	a.checkEntry, a.checkRun, a.dlg = e, run, d
	d.Show()
	win.Canvas().Focus(e)
}

// showForget shows, before anything is deleted, what forget would keep
// and remove by every group's retention policy: it starts a dry run at
// once (restic forget --dry-run, nothing changes) and fills the table as
// the answer comes; Forget then runs the real one.
func (a *jobActions) showForget() {
	t := a.tab
	msg := widget.NewLabel("Forget removes the snapshots each source group's retention policy no longer keeps. It does not free space; run Prune for that. Below is what it would do now.")
	msg.Wrapping = fyne.TextWrapWord
	sc := t.sc.child()
	preview := newRetentionView(t.u)
	a.forgetPreview = preview
	d := dialog.NewCustomWithoutButtons("Forget old snapshots?", container.NewVBox(msg, preview.object()), t.u.win)
	ok := widget.NewButtonWithIcon("Forget", theme.DeleteIcon(), func() {
		d.Hide()
		t.run("Forget", hub.RunRequest{Kind: hub.JobKindForget})
	})
	ok.Importance = widget.DangerImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), ok})
	d.SetOnClosed(func() {
		// A preview still waiting (the host offline) would run later for
		// nobody: drop it.
		if preview.jobID != "" && !preview.result.Done {
			_ = t.u.hub.CancelJob(preview.jobID)
		}
		sc.close()
	})
	id, err := t.u.hub.RunNow(t.hostID, hub.RunRequest{Kind: hub.JobKindForget, DryRun: true})
	if err != nil {
		preview.fail("No preview: " + err.Error())
		if errors.Is(err, hub.ErrInvalid) {
			ok.Disable() // no group has a policy: the real forget is refused too
		}
	} else {
		preview.follow(sc, t.hostID, id)
	}
	d.Resize(fyne.NewSize(620, 480))
	a.confirmOK, a.dlg = ok, d
	d.Show()
}

// confirmRun asks before a job that changes the repository.
func (a *jobActions) confirmRun(title, message, action string, r hub.RunRequest) {
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(title, msg, a.tab.u.win)
	ok := widget.NewButton(action, func() {
		d.Hide()
		a.tab.run(action, r)
	})
	ok.Importance = widget.DangerImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), ok})
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	a.confirmOK, a.dlg = ok, d
	d.Show()
}
