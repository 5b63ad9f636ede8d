package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
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
type statusLine struct {
	label *widget.Label
	// follow listens for the agent applying the last save (saved); it
	// ends when the line says something else.
	follow *scope
}

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
func (s *statusLine) ok(msg string)   { s.unfollow(); s.set(msg, widget.SuccessImportance) }
func (s *statusLine) fail(msg string) { s.unfollow(); s.set(msg, widget.DangerImportance) }
func (s *statusLine) clear()          { s.unfollow(); s.set("", widget.MediumImportance) }

func (s *statusLine) unfollow() {
	if s.follow != nil {
		s.follow.close()
		s.follow = nil
	}
}

// saved says what a save did — done ("Saved “docs”"), what follows
// (details), and where the change went (the hub's SaveResult) — and keeps
// saying it as that changes: "waiting for it to confirm" becomes "applied
// it at 14:03" when the agent acknowledges the schedule set, and "is
// offline" becomes "sent" when it connects. It follows within sc.
func (s *statusLine) saved(u *UI, sc *scope, r hub.SaveResult, done string, details ...string) {
	s.ok(savedText(r, done, details...))
	if r.Applied() {
		return
	}
	s.follow = sc.child()
	f := s.follow
	f.on(func(batch []change) {
		for _, c := range batch {
			if (c.Kind == hub.ChangeSchedules || c.Kind == hub.ChangeHost || c.Kind == hub.ChangeAll) && about(c, r.HostID) {
				r = u.hub.SaveStatus(r)
				s.set(savedText(r, done, details...), widget.SuccessImportance)
				if r.Applied() && s.follow == f {
					s.unfollow()
				}
				return
			}
		}
	})
}

// savedText is done, details and the hub's note on where the change went,
// each a sentence.
func savedText(r hub.SaveResult, done string, details ...string) string {
	var parts []string
	for _, p := range append(append([]string{done}, details...), r.Note()) {
		if p = sentence(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// text is the message shown ("" for none).
func (s *statusLine) text() string { return s.label.Text }

// actionRow is a form's buttons, left, with its status line beside them.
func actionRow(s *statusLine, buttons ...fyne.CanvasObject) fyne.CanvasObject {
	// In a VBox the buttons keep their height when the message wraps.
	return container.NewBorder(nil, nil, container.NewVBox(container.NewHBox(buttons...)), nil, s.label)
}

// sentence ends s with a full stop unless it ends a sentence already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
