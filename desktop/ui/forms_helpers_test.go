package ui

import (
	"fmt"
	"strings"
	"sync"
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
	sec    *secrets.Memory
	fh     *formsHub
	u      *UI
	hostID string
}

func newFormsEnv(t *testing.T, hostname, zone string) *formsEnv {
	t.Helper()
	app := test.NewApp()
	t.Cleanup(app.Quit)
	sec := secrets.NewMemory()
	h, st := storeHub(t, hub.Options{Secrets: sec}, nil)
	tok, err := h.CreateEnrollToken(1, time.Hour)
	if err != nil {
		t.Fatalf("enroll token: %v", err)
	}
	res, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok.Token, AgentID: "agent-" + hostname,
		Info: storage.HostInfo{Hostname: hostname, OS: "linux", Arch: "amd64", Timezone: zone}, Now: time.Now()})
	if err != nil {
		t.Fatalf("enroll host: %v", err)
	}
	return newFormsEnvOn(t, app, h, st, sec, res.Host.ID)
}

// newFormsEnvOn opens the window over a hub made elsewhere (testfleet's).
func newFormsEnvOn(t *testing.T, app fyne.App, h *hub.Hub, st *storage.Store, sec *secrets.Memory, hostID string) *formsEnv {
	t.Helper()
	fh := newFormsHub(t, h)
	u := New(app, fh, Options{RepaintInterval: time.Millisecond})
	t.Cleanup(u.Close)
	return &formsEnv{st: st, hub: h, sec: sec, fh: fh, u: u, hostID: hostID}
}

// formsHub is the real hub with its change notifications held back until
// the test pumps them. The test app runs fyne.Do inline, so the bus would
// otherwise call the views' listeners on its own goroutine while the test
// reads the same widgets; pumping one change at a time and waiting for its
// delivery keeps every widget access ordered (and -race quiet), and makes
// "after the change arrived" a precise point in the test.
type formsHub struct {
	*hub.Hub
	out chan hub.Change

	mu      sync.Mutex
	pending []hub.Change
}

func newFormsHub(t *testing.T, h *hub.Hub) *formsHub {
	f := &formsHub{Hub: h, out: make(chan hub.Change)}
	ch, cancel := h.Subscribe()
	t.Cleanup(cancel)
	go func() {
		for c := range ch {
			f.mu.Lock()
			f.pending = append(f.pending, c)
			f.mu.Unlock()
		}
	}()
	return f
}

// Subscribe is the bus's one subscription.
func (f *formsHub) Subscribe() (<-chan hub.Change, func()) { return f.out, func() {} }

// pump delivers every change the hub has published so far, one batch
// each, and returns once the views have handled them (UI goroutine work
// done, ordered before the caller's next widget access by the bus's
// mutex).
func (e *formsEnv) pump(t *testing.T) {
	t.Helper()
	for {
		e.fh.mu.Lock()
		if len(e.fh.pending) == 0 {
			e.fh.mu.Unlock()
			return
		}
		c := e.fh.pending[0]
		e.fh.pending = e.fh.pending[1:]
		e.fh.mu.Unlock()
		before := e.u.bus.batches()
		select {
		case e.fh.out <- c:
		case <-time.After(10 * time.Second):
			t.Fatalf("the bus did not take change %+v", c)
		}
		formsWait(t, 10*time.Second, fmt.Sprintf("the views to handle %+v", c), func() bool { return e.u.bus.batches() > before })
	}
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
