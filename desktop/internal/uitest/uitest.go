// Package uitest is the desktop/ui tests' helper set: Fyne's test app
// with a driver that runs fyne.Do calls on the test goroutine, one wait
// that runs them while it polls, and finders over a drawn tree of
// widgets (texts, buttons, a dialog's button).
//
// Why a driver of its own: Fyne's test driver runs fyne.Do inline on
// whatever goroutine called it (the window's change bus, a tree fetch),
// concurrently with the test's own widget calls. This one queues those
// calls and runs them only in Pump, on the test goroutine, as the real
// driver runs them on its main goroutine: taps, deliveries and reads then
// never race, and -race stays quiet.
//
// Imported by desktop/ui's tests only.
package uitest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/internal/testfleet"
)

// App is Fyne's test app with the queueing driver. It also records the
// desktop notifications sent and has a system tray (desktop.App), as the
// real driver does.
type App struct {
	fyne.App
	drv *driver

	mu    sync.Mutex
	notes []fyne.Notification
	menu  *fyne.Menu
	icon  fyne.Resource
}

type driver struct {
	fyne.Driver
	mu sync.Mutex
	q  []func()
}

func (d *driver) DoFromGoroutine(fn func(), wait bool) {
	if wait {
		fn() // as the test driver does: the caller waits for it anyway
		return
	}
	d.mu.Lock()
	d.q = append(d.q, fn)
	d.mu.Unlock()
}

// NewApp returns a new test app and makes it Fyne's current app (fyne.Do
// goes through the current app's driver).
func NewApp() *App {
	inner := test.NewApp()
	a := &App{App: inner, drv: &driver{Driver: inner.Driver()}}
	fyne.SetCurrentApp(a)
	return a
}

func (a *App) Driver() fyne.Driver { return a.drv }

// Pump runs the queued fyne.Do calls on the calling (test) goroutine,
// including any they queue.
func (a *App) Pump() {
	for {
		a.drv.mu.Lock()
		q := a.drv.q
		a.drv.q = nil
		a.drv.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// WaitFor runs the queued UI work and polls cond until it holds, failing
// the test after testfleet.Wait.
func (a *App) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testfleet.WaitFor(t, testfleet.Wait, what, func() bool {
		a.Pump()
		return cond()
	})
}

func (a *App) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notes = append(a.notes, *n)
}

// Notifications are the desktop notifications sent so far.
func (a *App) Notifications() []fyne.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]fyne.Notification(nil), a.notes...)
}

func (a *App) SetSystemTrayMenu(m *fyne.Menu) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.menu = m
}

func (a *App) SetSystemTrayIcon(r fyne.Resource) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.icon = r
}

func (a *App) SetSystemTrayWindow(fyne.Window) {}

// TrayMenu is the system tray's menu (nil when none was set).
func (a *App) TrayMenu() *fyne.Menu {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.menu
}

// TrayIcon is the system tray's icon.
func (a *App) TrayIcon() fyne.Resource {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.icon
}

// Window finds an open window by title, or nil.
func (a *App) Window(title string) fyne.Window {
	for _, w := range a.Driver().AllWindows() {
		if w.Title() == title {
			return w
		}
	}
	return nil
}

// WindowTitles lists the open windows' titles, for failure messages.
func (a *App) WindowTitles() string {
	var out []string
	for _, w := range a.Driver().AllWindows() {
		out = append(out, fmt.Sprintf("%q", w.Title()))
	}
	return strings.Join(out, ", ")
}

// CloseWindows closes the windows a test opened (their goroutines stop),
// not the test driver's own untitled one: with no window left, a late
// refresh would find no canvas.
func (a *App) CloseWindows() {
	// Closing edits the driver's list: copy it first.
	for _, w := range append([]fyne.Window(nil), a.Driver().AllWindows()...) {
		if w != nil && w.Title() != "" {
			w.Close()
		}
	}
}

// Objects lists o and everything drawn inside it, through the renderers
// the window uses.
func Objects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch c := o.(type) {
	case *fyne.Container:
		for _, k := range c.Objects {
			out = append(out, Objects(k)...)
		}
	case fyne.Widget:
		for _, k := range test.WidgetRenderer(c).Objects() {
			out = append(out, Objects(k)...)
		}
	}
	return out
}

// Texts gathers every text under o, hidden or shown (labels, entries and
// their placeholders, buttons, checks, rich and canvas text): for "never
// shown" assertions.
func Texts(o fyne.CanvasObject) []string { return texts(o, false) }

// VisibleTexts is the texts of Texts that are shown.
func VisibleTexts(o fyne.CanvasObject) []string { return texts(o, true) }

func texts(o fyne.CanvasObject, visibleOnly bool) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || (visibleOnly && !o.Visible()) {
			return
		}
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
			return
		case *widget.Entry:
			out = append(out, w.Text, w.PlaceHolder)
			return
		case *widget.Button:
			out = append(out, w.Text)
			return
		case *widget.Check:
			out = append(out, w.Text)
			return
		case *widget.RichText:
			out = append(out, w.String())
			return
		case *canvas.Text:
			out = append(out, w.Text)
			return
		case *fyne.Container:
			for _, k := range w.Objects {
				walk(k)
			}
		case fyne.Widget:
			for _, k := range test.WidgetRenderer(w).Objects() {
				walk(k)
			}
		}
	}
	walk(o)
	return out
}

// Shows reports whether any text under o contains sub.
func Shows(o fyne.CanvasObject, sub string) bool {
	for _, s := range Texts(o) {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Button finds the visible button labelled text inside o, or nil.
func Button(o fyne.CanvasObject, text string) *widget.Button {
	for _, x := range Objects(o) {
		if b, ok := x.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	return nil
}

// SideBySide reports whether a and b are laid out on one row: both
// shown at a size, their vertical spans overlapping (a message beside
// its button, not under a form the admin has scrolled past).
func SideBySide(a, b fyne.CanvasObject) bool {
	for _, o := range []fyne.CanvasObject{a, b} {
		if !o.Visible() || o.Size().Width == 0 || o.Size().Height == 0 {
			return false
		}
	}
	d := fyne.CurrentApp().Driver()
	pa, pb := d.AbsolutePositionForObject(a), d.AbsolutePositionForObject(b)
	return pa.Y < pb.Y+b.Size().Height && pb.Y < pa.Y+a.Size().Height
}

// TapDialogButton taps the button labelled label in w's top overlay (a
// dialog), failing the test when there is none.
func TapDialogButton(t testing.TB, w fyne.Window, label string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is open (wanted to tap %q)", label)
	}
	var found *widget.Button
	for _, x := range Objects(top) {
		if b, ok := x.(*widget.Button); ok && b.Text == label {
			found = b
			break
		}
	}
	if found == nil {
		t.Fatalf("the dialog has no %q button; it shows %q", label, Texts(top))
	}
	test.Tap(found)
}

// Retype replaces an entry's text the way a user does: clear it, then
// type (each rune goes through the entry's key handling).
func Retype(e *widget.Entry, text string) {
	e.SetText("")
	test.Type(e, text)
}
