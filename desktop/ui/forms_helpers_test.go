package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

// formsEnv is a real hub over a real store, one approved host enrolled
// through the store's own enrollment, and the window over them.
type formsEnv struct {
	st     *storage.Store
	hub    *hub.Hub
	u      *UI
	hostID string
}

func newFormsEnv(t *testing.T, hostname, zone string) *formsEnv {
	t.Helper()
	app := test.NewApp()
	t.Cleanup(app.Quit)
	st, err := storage.OpenDir(t.TempDir(), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	h, err := hub.New(hub.Options{Store: st, Secrets: secrets.NewMemory()})
	if err != nil {
		t.Fatalf("new hub: %v", err)
	}
	t.Cleanup(func() { h.Close(); st.Close() })
	tok, err := h.CreateEnrollToken(1, time.Hour)
	if err != nil {
		t.Fatalf("enroll token: %v", err)
	}
	res, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok.Token, AgentID: "agent-" + hostname,
		Info: storage.HostInfo{Hostname: hostname, OS: "linux", Arch: "amd64", Timezone: zone}, Now: time.Now()})
	if err != nil {
		t.Fatalf("enroll host: %v", err)
	}
	u := New(app, h, Options{})
	t.Cleanup(u.Close)
	return &formsEnv{st: st, hub: h, u: u, hostID: res.Host.ID}
}

// show puts a tab's object in a test window of a desktop size.
func (e *formsEnv) show(t *testing.T, obj fyne.CanvasObject) fyne.Window {
	t.Helper()
	w := test.NewWindow(obj)
	w.Resize(fyne.NewSize(1100, 800))
	t.Cleanup(w.Close)
	return w
}

// formsWait polls cond until it holds or timeout passes.
func formsWait(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// formsType replaces an entry's text the way a user does: select all,
// then type (each rune goes through the entry's key handling).
func formsType(e *widget.Entry, text string) {
	e.SetText("")
	test.Type(e, text)
}

// formsTexts gathers every text shown under obj (labels, entries,
// rich text, buttons), for "never shown" assertions.
func formsTexts(obj fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Entry:
			out = append(out, w.Text, w.PlaceHolder)
		case *widget.Button:
			out = append(out, w.Text)
		case *widget.Check:
			out = append(out, w.Text)
		case *widget.RichText:
			out = append(out, w.String())
		}
		switch c := o.(type) {
		case *fyne.Container:
			for _, ch := range c.Objects {
				walk(ch)
			}
		case fyne.Widget:
			r := test.WidgetRenderer(c)
			for _, ch := range r.Objects() {
				walk(ch)
			}
		}
	}
	walk(obj)
	return out
}

func formsShows(obj fyne.CanvasObject, sub string) bool {
	for _, s := range formsTexts(obj) {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// formsTapDialogButton taps the button labelled label in the window's top
// overlay (a confirm dialog).
func formsTapDialogButton(t *testing.T, w fyne.Window, label string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is open (wanted to tap %q)", label)
	}
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil {
			return
		}
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			found = b
			return
		}
		switch c := o.(type) {
		case *fyne.Container:
			for _, ch := range c.Objects {
				walk(ch)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(c).Objects() {
				walk(ch)
			}
		}
	}
	walk(top)
	if found == nil {
		t.Fatalf("the dialog has no %q button; it shows %q", label, formsTexts(top))
	}
	test.Tap(found)
}
