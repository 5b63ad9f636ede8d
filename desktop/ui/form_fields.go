package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// The validated inputs of the host's configuration tabs (groups,
// schedules, settings). Each input checks itself on every keystroke and
// shows the reason under it at once (widget.Form only shows it after the
// entry lost focus); a form's Save button is enabled only while every
// input is valid.

// checkedField is one input with its check and the line under it that shows
// the hint, or the error while the text is refused.
type checkedField struct {
	label string
	entry *widget.Entry
	hint  string
	msg   *widget.Label
	check func(string) error
	// touched: the admin edited the text. An empty, untouched input shows
	// its hint rather than "required" in red.
	touched bool
}

// err is the field's current refusal, or nil.
func (f *checkedField) err() error {
	if f.check == nil {
		return nil
	}
	return f.check(f.entry.Text)
}

// show updates the line under the entry.
func (f *checkedField) show() {
	err := f.err()
	switch {
	case err != nil && (f.touched || f.entry.Text != ""):
		f.msg.Importance = widget.DangerImportance
		f.msg.SetText(fieldMessage(err))
	default:
		f.msg.Importance = widget.LowImportance
		f.msg.SetText(f.hint)
	}
	if f.msg.Text == "" {
		f.msg.Hide()
	} else {
		f.msg.Show()
	}
}

// column is the entry with its message under it.
func (f *checkedField) column() fyne.CanvasObject { return container.NewVBox(f.entry, f.msg) }

// cell is the label above the entry and its message (for grids).
func (f *checkedField) cell() fyne.CanvasObject {
	return container.NewVBox(widget.NewLabel(f.label), f.entry, f.msg)
}

// checkedForm gathers fields and extra checks (a non-entry input such as a
// group checklist), and says whether all pass.
type checkedForm struct {
	fields []*checkedField
	extra  []func() error
	// onChange runs after any input changed and the messages were
	// updated, with the form's validity.
	onChange func(valid bool)
	// quiet suppresses onChange while the form is being filled in by code.
	quiet bool
}

// field adds an input. check may be nil (always valid).
func (ff *checkedForm) field(label string, e *widget.Entry, hint string, check func(string) error) *checkedField {
	msg := widget.NewLabel(hint)
	msg.Wrapping = fyne.TextWrapWord
	msg.SizeName = theme.SizeNameCaptionText
	f := &checkedField{label: label, entry: e, hint: hint, msg: msg, check: check}
	if check != nil {
		e.Validator = check
	}
	e.OnChanged = func(string) {
		if !ff.quiet {
			f.touched = true
		}
		ff.changed()
	}
	ff.fields = append(ff.fields, f)
	f.show()
	return f
}

// check adds a check of a non-entry input; the caller calls changed when
// that input changes.
func (ff *checkedForm) check(fn func() error) { ff.extra = append(ff.extra, fn) }

// firstError is the first refusal of the form, or nil.
func (ff *checkedForm) firstError() error {
	for _, f := range ff.fields {
		if err := f.err(); err != nil {
			return fmt.Errorf("%s: %w", f.label, err)
		}
	}
	for _, fn := range ff.extra {
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}

func (ff *checkedForm) valid() bool { return ff.firstError() == nil }

// changed refreshes every message and tells onChange.
func (ff *checkedForm) changed() {
	for _, f := range ff.fields {
		f.show()
	}
	if ff.quiet || ff.onChange == nil {
		return
	}
	ff.onChange(ff.valid())
}

// fill sets entries' texts without counting as an edit: messages are
// refreshed, onChange is not called (the caller updates its buttons).
func (ff *checkedForm) fill(fn func()) {
	ff.quiet = true
	for _, f := range ff.fields {
		f.touched = false
	}
	fn()
	for _, f := range ff.fields {
		f.show()
	}
	ff.quiet = false
}

// fieldRows lays fields out as "label: entry / message" rows.
func fieldRows(fields ...*checkedField) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, f := range fields {
		l := widget.NewLabel(f.label)
		l.TextStyle.Bold = true
		objs = append(objs, l, f.column())
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// fieldMessage is a refusal as the line under an input says it: a hub
// *FieldError by its reason alone (the input already shows the text and
// its label), anything else whole; capitalised.
func fieldMessage(err error) string {
	msg := err.Error()
	var fe *hub.FieldError
	if errors.As(err, &fe) {
		msg = fe.Reason
	}
	return capitalize(msg)
}

// checkCount checks an optional non-negative whole number (empty = unset).
func checkCount(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a whole number; use 0 or more, or leave it empty", shorten(s))
	case n < 0:
		return errors.New("must not be negative; use 0 or more, or leave it empty")
	}
	return nil
}

// parseCount reads a field checkCount accepted (empty is 0).
func parseCount(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return max(n, 0)
}

// countText is the entry text of a count: "" for 0 (unset).
func countText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// splitLines splits a multi-line entry into its non-blank lines, trimmed.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// shorten cuts user input quoted in a message.
func shorten(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
