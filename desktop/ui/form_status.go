package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// What every form of the host tabs says after Save or Delete, and where.

// statusLine is the message beside a form's buttons saying what the last
// action did ("Saved “docs”. Sent to office-pc.") or why it failed. It
// sits in the buttons' row (actionRow), so it shows where the admin just
// clicked: under the buttons of a long, scrolled form it appeared below
// the visible part, and the save seemed only to grey the button. It is
// never hidden: an empty line takes no room beside the buttons, and a
// message never waits for the form to be laid out again.
//
// It takes the message whole, so a richer result (what the agent applied)
// is one more caller, not another component.
type statusLine struct{ label *widget.Label }

func newStatusLine() *statusLine {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	return &statusLine{label: l}
}

func (s *statusLine) set(msg string, imp widget.Importance) {
	s.label.Importance = imp
	s.label.SetText(msg)
}

// ok says an action worked, fail that it did not; clear empties the line
// (the form was edited since).
func (s *statusLine) ok(msg string)   { s.set(msg, widget.SuccessImportance) }
func (s *statusLine) fail(msg string) { s.set(msg, widget.DangerImportance) }
func (s *statusLine) clear()          { s.set("", widget.MediumImportance) }

// text is the message shown ("" for none).
func (s *statusLine) text() string { return s.label.Text }

// actionRow is a form's buttons, left, with its status line beside them.
func actionRow(s *statusLine, buttons ...fyne.CanvasObject) fyne.CanvasObject {
	// In a VBox the buttons keep their height when the message wraps.
	return container.NewBorder(nil, nil, container.NewVBox(container.NewHBox(buttons...)), nil, s.label)
}

// savedMessage is how every form confirms a change to a host's
// configuration: what was done ("Saved “docs”", "Saved"), what follows
// from it ("Next fire: tomorrow 02:30 (UTC)"), then what it means for the
// host's agent now (deliveryNote). Each part is a sentence; empty ones
// are left out.
func savedMessage(u *UI, hostID, done string, details ...string) string {
	var parts []string
	for _, p := range append(append([]string{done}, details...), deliveryNote(u, hostID)) {
		if p = sentence(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// deliveryNote says where a saved change went: the hub pushes it to a
// connected agent at once, and to an offline one when it connects.
func deliveryNote(u *UI, hostID string) string {
	d, err := u.hub.Host(hostID)
	switch {
	case err != nil:
		return "" // the save worked; where it went is not known
	case d.Online:
		return "Sent to " + d.Host.DisplayName() + "."
	}
	return d.Host.DisplayName() + " is offline: it will be sent when it connects."
}

// sentence ends s with a full stop unless it ends a sentence already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
