package ui

// Helpers of the shell's tests (mainwindow, dashboard, host header, Add
// host, tray, notifications). Every name starts with shell: other views'
// tests live in this package too.

import (
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// shellT0 is the tests' "now" when they inject a clock.
var shellT0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// shellApp is Fyne's test app that also records notifications and has a
// system tray (desktop.App), as the real driver does. Its driver queues
// fyne.Do calls for the test goroutine to run (pump), the way the real
// driver runs them on its main goroutine: the bus's deliveries then never
// run concurrently with the test's own widget calls, and -race stays
// quiet.
type shellApp struct {
	fyne.App
	drv   *shellDriver
	mu    sync.Mutex
	notes []fyne.Notification
	menu  *fyne.Menu
	icon  fyne.Resource
}

type shellDriver struct {
	fyne.Driver
	q chan func()
}

func (d *shellDriver) DoFromGoroutine(fn func(), wait bool) {
	if wait {
		fn() // as the test driver does; nothing of the shell waits
		return
	}
	d.q <- fn
}

func (a *shellApp) Driver() fyne.Driver { return a.drv }

// pump runs the queued fyne.Do calls on the calling (test) goroutine.
func (a *shellApp) pump() {
	for {
		select {
		case fn := <-a.drv.q:
			fn()
		default:
			return
		}
	}
}

func (a *shellApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notes = append(a.notes, *n)
}

func (a *shellApp) notifications() []fyne.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]fyne.Notification(nil), a.notes...)
}

func (a *shellApp) SetSystemTrayMenu(m *fyne.Menu) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.menu = m
}

func (a *shellApp) SetSystemTrayIcon(r fyne.Resource) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.icon = r
}

func (a *shellApp) SetSystemTrayWindow(fyne.Window) {}

func (a *shellApp) trayIcon() fyne.Resource {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.icon
}

// shellHub is a real hub over a real store in a temp dir.
func shellHub(t *testing.T, now func() time.Time) (*hub.Hub, *storage.Store) {
	t.Helper()
	return storeHub(t, hub.Options{Now: now}, nil)
}

// shellUI opens the window over h on a test app.
func shellUI(t *testing.T, h Hub, o Options) (*UI, *shellApp) {
	t.Helper()
	inner := test.NewApp()
	app := &shellApp{App: inner, drv: &shellDriver{Driver: inner.Driver(), q: make(chan func(), 4096)}}
	fyne.SetCurrentApp(app) // fyne.Do goes through CurrentApp's driver
	u := New(app, h, o)
	t.Cleanup(u.Close)
	return u, app
}

// shellWait runs the window's pending work and polls cond until it
// holds.
func shellWait(t *testing.T, u *UI, what string, cond func() bool) {
	t.Helper()
	app := u.app.(*shellApp)
	deadline := time.Now().Add(20 * time.Second)
	for {
		app.pump()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// shellEnroll adds an approved host to the store, first seen at seen.
func shellEnroll(t *testing.T, st *storage.Store, name, os string, seen time.Time) string {
	t.Helper()
	tok := "enroll-" + name + "-0123456789abcdef"
	if _, err := st.CreateEnrollToken(tok, 1, seen.Add(24*time.Hour), seen); err != nil {
		t.Fatal(err)
	}
	r, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok, AgentID: "agent-" + name, AgentToken: "tok-" + name,
		Info: storage.HostInfo{Hostname: name, OS: os, Arch: "amd64", AgentVersion: "0.1.0", ResticVersion: "0.14.0"}, Now: seen})
	if err != nil {
		t.Fatal(err)
	}
	return r.Host.ID
}

// shellJob records a job that ran on a host and ended with status at
// finished, through the store's event ingest (as an agent's events
// would arrive).
func shellJob(t *testing.T, st *storage.Store, hostID, jobID, kind, group, status, errMsg string, finished time.Time) {
	t.Helper()
	started := finished.Add(-time.Minute)
	if err := st.CreateJob(storage.Job{ID: jobID, HostID: hostID, Kind: kind, Tag: group, Origin: storage.OriginOperator, CreatedAt: started}); err != nil {
		t.Fatal(err)
	}
	mark, err := st.Mark(hostID)
	if err != nil {
		t.Fatal(err)
	}
	var evs []storage.Event
	for i, p := range []protocol.Payload{
		&protocol.JobStarted{JobID: jobID, Kind: kind, StartedAt: started},
		&protocol.JobFinished{JobID: jobID, Status: status, ExitCode: 1, FinishedAt: finished, Error: errMsg},
	} {
		if status == protocol.StatusRunning && i == 1 {
			break
		}
		env, err := protocol.NewEnvelope(p)
		if err != nil {
			t.Fatal(err)
		}
		env.Seq = mark + uint64(i) + 1
		evs = append(evs, storage.Event{HostID: hostID, Seq: env.Seq, Env: env})
	}
	res, err := st.ApplyBatch(evs, finished)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Results {
		if r.Outcome != storage.Stored {
			t.Fatalf("job %s event %s: %s", jobID, r.Outcome, r.Reason)
		}
	}
}

// shellObjects lists o and everything drawn inside it, through the
// renderers the window uses.
func shellObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch c := o.(type) {
	case *fyne.Container:
		for _, k := range c.Objects {
			out = append(out, shellObjects(k)...)
		}
	case fyne.Widget:
		for _, k := range test.WidgetRenderer(c).Objects() {
			out = append(out, shellObjects(k)...)
		}
	}
	return out
}

// shellButton finds the visible button labelled text inside o.
func shellButton(o fyne.CanvasObject, text string) *widget.Button {
	for _, x := range shellObjects(o) {
		if b, ok := x.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	return nil
}

// shellTopOverlay is the dialog on top of the window, or nil.
func shellTopOverlay(u *UI) fyne.CanvasObject { return u.win.Canvas().Overlays().Top() }
