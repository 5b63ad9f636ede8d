package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// historySettings is Settings → History: how long job records and logs
// are kept, what is always kept, the store's size, and the background
// clean-up (the hub's sweep) with a button to run it now. The rules are
// the hub's: each input is checked with hub.ValidateHistorySettings, so
// the form refuses what the hub would, under the input concerned.
type historySettings struct {
	u *UI

	jobDays, okLogDays, failedLogDays *widget.Entry
	form                              checkedForm
	saveBtn, revertBtn, sweepBtn      *widget.Button
	status                            *statusLine

	store, sweep, damage *widget.Label

	loaded hub.HistorySettings
	filled bool // the inputs have shown the stored settings once
	obj    fyne.CanvasObject
}

// The labels match the field names hub.ValidateHistorySettings gives, so
// a refusal lands under its input.
const (
	historyJobsLabel      = "Job records"
	historyOKLogsLabel    = "Logs of succeeded jobs"
	historyFailedLogLabel = "Logs of failed or cancelled jobs"
)

func newHistorySettings(u *UI, sc *scope) *historySettings {
	v := &historySettings{u: u, status: newStatusLine()}
	v.jobDays, v.okLogDays, v.failedLogDays = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	jobs := v.form.field(historyJobsLabel, v.jobDays, "Days a finished job stays in the Jobs tab (365: a year).", v.check(historyJobsLabel))
	okLogs := v.form.field(historyOKLogsLabel, v.okLogDays, "Days after a job succeeded that its log is kept; the job itself stays.", v.check(historyOKLogsLabel))
	failedLogs := v.form.field(historyFailedLogLabel, v.failedLogDays, "Days the log of a job that failed or was cancelled is kept: the ones read later.", v.check(historyFailedLogLabel))
	v.form.onChange = func(bool) { v.status.clear(); v.updateButtons() }

	v.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.save)
	v.saveBtn.Importance = widget.HighImportance
	v.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), v.revert)
	v.sweepBtn = widget.NewButtonWithIcon("Clean up now", theme.DeleteIcon(), func() {
		u.hub.SweepHistory()
		v.status.ok("Clean-up started; it runs beside the agents, a little at a time.")
	})

	kept := noteLabel(fmt.Sprintf("Always kept, however old: the newest %d jobs of each host and the last successful backup of each source group, with their logs, and jobs still running. "+
		"A host's event log keeps its newest %d entries; a removed host's history goes with it.",
		hub.KeepJobsPerHost, hub.MaxHostEvents))
	v.store, v.sweep = noteLabel(""), noteLabel("")
	v.damage = widget.NewLabel("")
	v.damage.Wrapping = fyne.TextWrapWord
	v.damage.Importance = widget.DangerImportance
	v.damage.Hide()

	v.obj = container.NewVScroll(container.NewVBox(
		widget.NewCard("Keep", "", container.NewVBox(fieldRows(jobs, okLogs, failedLogs), kept)),
		container.NewHBox(v.saveBtn, v.revertBtn), v.status.label,
		widget.NewCard("Store", "", container.NewVBox(v.store, v.sweep, v.damage, container.NewHBox(v.sweepBtn))),
	))
	v.reload()
	sc.on(func(batch []change) {
		for _, c := range batch {
			if c.Kind == hub.ChangeHistory || c.Kind == hub.ChangeAll {
				v.reload()
				return
			}
		}
	})
	return v
}

func (v *historySettings) object() fyne.CanvasObject { return v.obj }

// entered is the settings as typed; ok is false when a field is not a
// whole number.
func (v *historySettings) entered() (hub.HistorySettings, bool) {
	var s hub.HistorySettings
	ok := true
	for _, f := range []struct {
		e *widget.Entry
		n *int
	}{{v.jobDays, &s.JobDays}, {v.okLogDays, &s.SucceededLogDays}, {v.failedLogDays, &s.FailedLogDays}} {
		n, err := strconv.Atoi(strings.TrimSpace(f.e.Text))
		ok = ok && err == nil
		*f.n = n
	}
	return s, ok
}

// check is the input label's check: a whole number, and whatever the
// hub refuses about the three together that concerns this input.
func (v *historySettings) check(label string) func(string) error {
	return func(text string) error {
		if _, err := strconv.Atoi(strings.TrimSpace(text)); err != nil {
			return errors.New("a whole number of days")
		}
		s, ok := v.entered()
		if !ok {
			return nil // another input's problem, said under it
		}
		var fe *hub.FieldError
		if err := hub.ValidateHistorySettings(s); errors.As(err, &fe) && strings.EqualFold(fe.Field, label) {
			return err
		}
		return nil
	}
}

// reload shows the stored settings (keeping an edit in progress) and the
// store's state.
func (v *historySettings) reload() {
	st, err := v.u.hub.HistoryStatus()
	if err != nil {
		v.status.fail("Could not read the history settings: " + err.Error())
		return
	}
	edited := v.filled && v.dirty()
	v.loaded = st.Settings
	if !edited {
		v.fill(st.Settings)
		v.filled = true
	}
	v.store.SetText(storeText(st))
	v.sweep.SetText(sweepText(st, v.u.opts.Now()))
	v.damage.SetText(st.StoreDamage)
	showIf(v.damage, st.StoreDamage != "")
	enableIf(v.sweepBtn, !st.Sweeping && st.StoreDamage == "")
	v.updateButtons()
}

func (v *historySettings) fill(s hub.HistorySettings) {
	v.form.fill(func() {
		v.jobDays.SetText(strconv.Itoa(s.JobDays))
		v.okLogDays.SetText(strconv.Itoa(s.SucceededLogDays))
		v.failedLogDays.SetText(strconv.Itoa(s.FailedLogDays))
	})
}

func (v *historySettings) dirty() bool {
	s, ok := v.entered()
	return !ok || s != v.loaded
}

func (v *historySettings) updateButtons() {
	dirty := v.dirty()
	enableIf(v.saveBtn, dirty && v.form.valid())
	enableIf(v.revertBtn, dirty)
}

func (v *historySettings) revert() {
	v.fill(v.loaded)
	v.status.clear()
	v.updateButtons()
}

func (v *historySettings) save() {
	s, ok := v.entered()
	if err := v.form.firstError(); err != nil || !ok {
		v.status.fail(fieldMessage(err))
		return
	}
	if err := v.u.hub.SetHistorySettings(s); err != nil {
		v.status.fail("Not saved: " + fieldMessage(err))
		return
	}
	v.loaded = s
	v.updateButtons()
	v.status.ok("Saved. The clean-up runs now with the new settings.")
}

// storeText says how big the store is and whether the next start
// compacts it.
func storeText(st hub.HistoryStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The store file is %s, %s of it free space.", humanBytes(st.Space.FileBytes), humanBytes(st.Space.FreeBytes))
	if c := st.Compaction; c != nil {
		if c.Err != nil {
			fmt.Fprintf(&b, " Compacting it at start failed (%v); the next start tries again.", c.Err)
		} else {
			fmt.Fprintf(&b, " It was compacted at start, from %s.", humanBytes(c.Before.FileBytes))
		}
	}
	if st.CompactsAtNextStart {
		b.WriteString(" More than half of it is free: the next start compacts it.")
	}
	return b.String()
}

// sweepText says what the clean-up is doing or last did.
func sweepText(st hub.HistoryStatus, now time.Time) string {
	r, what := st.LastSweep, ""
	switch {
	case st.Sweeping && st.SweepProgress == nil:
		return "Cleaning up now…"
	case st.Sweeping:
		r, what = st.SweepProgress, "Cleaning up now: so far it"
	case r == nil:
		return "No clean-up has run since the manager started: the first runs a minute after start, then every hour."
	default:
		what = "The last clean-up (" + ago(now, &r.Finished) + ")"
	}
	s := fmt.Sprintf("%s removed %s, the logs of %s that stay (%s in all) and %s", what, plural(r.JobsRemoved, "job"),
		plural(r.LogsRemoved, "job"), plural(r.LogLinesRemoved, "log line"), plural(r.EventsRemoved, "host event"))
	if r.HostsRemoved > 0 {
		s += ", and finished removing " + plural(r.HostsRemoved, "removed host")
	}
	if st.SweepError != "" && !st.Sweeping {
		s += "; it stopped early: " + st.SweepError
	}
	return s + "."
}
