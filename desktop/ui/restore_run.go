package ui

// The restore wizard's last steps: (5) the review of what is about to
// happen, then (6) the restore itself, its live progress and its result.

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

func (w *restoreWizard) buildReviewPage() fyne.CanvasObject {
	w.review = widget.NewLabel("")
	w.review.Wrapping = fyne.TextWrapWord
	return container.NewVScroll(w.review)
}

func (w *restoreWizard) reviewText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Host: %s\n", w.hostName())
	fmt.Fprintf(&b, "Snapshot: %s (%s)\n", snapshotTitle(w.snap), w.snap.ID)
	if w.elsewhere() {
		fmt.Fprintf(&b, "Restore to: %s, from the repository of %s\n", w.targetName(), w.hostName())
	}
	b.WriteString("\n")
	sel := []string{}
	if w.tree != nil {
		sel = w.tree.selection()
	}
	fmt.Fprintf(&b, "%s:\n", plural(len(sel), "path"))
	for _, p := range sel {
		fmt.Fprintf(&b, "    %s\n", p)
	}
	b.WriteString("\n")
	if w.dest.inPlace() {
		fmt.Fprintf(&b, "Destination: in place on %s — the files above are overwritten with the snapshot's version.\n", w.hostName())
	} else {
		t := w.dest.folder()
		fmt.Fprintf(&b, "Destination: %s on %s\n", t, w.targetName())
		if len(sel) > 0 {
			fmt.Fprintf(&b, "restic recreates each path inside it: %s is restored as %s\n", sel[0], hub.RestoredPath(w.targetOS(), t, sel[0]))
		}
	}
	if warn := w.hosts.warningText(); warn != "" {
		b.WriteString("\n" + warn + "\n")
	}
	if !w.target.Online {
		fmt.Fprintf(&b, "\n%s is offline: the restore is queued and starts when its agent connects.\n", w.targetName())
	}
	return b.String()
}

func (w *restoreWizard) buildProgressPage() fyne.CanvasObject {
	w.progressBox = container.NewStack()
	w.result = widget.NewLabel("")
	w.result.Wrapping = fyne.TextWrapWord
	w.cancelJob = widget.NewButtonWithIcon("Cancel restore", theme.CancelIcon(), func() {
		j, err := w.u.hub.Job(w.jobID)
		if err != nil || j.Terminal() {
			return
		}
		confirmCancelJob(w.win, j, w.targetName(), func() {
			if err := w.u.hub.CancelJob(w.jobID); err != nil {
				showErrorDialog(w.win, "Cancel restore", err)
			}
		})
	})
	w.progressPage = container.NewVBox(w.progressBox, w.result, container.NewHBox(w.cancelJob))
	return w.progressPage
}

func (w *restoreWizard) restoreRequest() hub.RestoreRequest {
	r := hub.RestoreRequest{SnapshotID: w.snap.ID, Paths: w.tree.selection(), InPlace: w.dest.inPlace()}
	if !r.InPlace {
		r.TargetDir = w.dest.folder()
	}
	return r
}

// startRestore restores onto the chosen host: the snapshot's own restores
// from its repository as ever, another from the snapshot host's
// repository (RestoreToHost is Restore when both are one host).
func (w *restoreWizard) startRestore() {
	source, target, r := w.hostID, w.targetID, w.restoreRequest()
	var id string
	// Another host's restore reads the source host's credentials from the
	// OS keyring: off the UI goroutine, Restore disabled meanwhile.
	w.starting = true
	w.updateButtons()
	w.u.offUI(func() (err error) {
		id, err = w.u.hub.RestoreToHost(source, target, r)
		return err
	}, func(err error) {
		w.starting = false
		if err != nil {
			w.updateButtons()
			showErrorDialog(w.win, "Restore", errors.New(keyringHint(err)))
			return
		}
		w.started(id)
	})
}

// started shows the restore job id's progress.
func (w *restoreWizard) started(id string) {
	if w.closed {
		return
	}
	w.jobID = id
	w.progressBox.Objects = []fyne.CanvasObject{newJobProgress(w.u, w.sc, id).object()}
	w.progressBox.Refresh()
	w.show(restoreStepProgress)
	w.refreshResult()
}

// refreshResult shows the job's outcome once it has ended.
func (w *restoreWizard) refreshResult() {
	if w.jobID == "" {
		return
	}
	j, err := w.u.hub.Job(w.jobID)
	if err != nil {
		w.result.SetText("Could not read the restore job: " + err.Error())
		return
	}
	if !j.Terminal() {
		w.result.Importance = widget.MediumImportance
		w.result.SetText("The restore runs on " + w.targetName() + ". You may close this window; the job stays in its Jobs tab.")
		w.cancelJob.Show()
		return
	}
	w.cancelJob.Hide()
	w.heading.SetText(fmt.Sprintf("Step %d of %d — Restore %s", restoreStepCount, restoreStepCount, j.Status))
	defer w.progressPage.Refresh()
	switch j.Status {
	case "succeeded":
		w.result.Importance = widget.SuccessImportance
		text := "Restore succeeded"
		if s, ok := hub.ParseRestoreStats(j.Stats); ok && (s.FilesRestored > 0 || s.BytesRestored > 0) {
			text += fmt.Sprintf(": %s (%s) restored", plural(int(s.FilesRestored), "file"), humanBytes(s.BytesRestored))
		}
		if w.dest.inPlace() {
			text += " in place on " + w.hostName() + "."
		} else {
			text += " into " + w.dest.folder() + " on " + w.targetName() + "."
		}
		w.result.SetText(text)
	case "cancelled":
		w.result.Importance = widget.WarningImportance
		w.result.SetText("Restore cancelled. " + j.Error)
	default:
		w.result.Importance = widget.DangerImportance
		msg := j.Error
		if msg == "" {
			msg = "no reason given; see the job's log in the Jobs tab"
		}
		w.result.SetText("Restore failed: " + msg)
	}
}
