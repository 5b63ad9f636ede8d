package ui

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/storage"
)

// snapWaitTimeout bounds the waits of the snapshot-area tests.
const snapWaitTimeout = 90 * time.Second

// snapApp is Fyne's test app whose driver queues fyne.Do calls for the
// test goroutine to run (snapPump), as the real driver runs them on its
// main goroutine. The test driver would run them inline on whatever
// goroutine called — the bus's, a TreeList fetch's — concurrently with the
// test's own widget calls.
type snapApp struct {
	fyne.App
	drv *snapDriver
}

type snapDriver struct {
	fyne.Driver
	mu sync.Mutex
	q  []func()
}

func (d *snapDriver) DoFromGoroutine(fn func(), wait bool) {
	if wait {
		fn()
		return
	}
	d.mu.Lock()
	d.q = append(d.q, fn)
	d.mu.Unlock()
}

func (a *snapApp) Driver() fyne.Driver { return a.drv }

// snapPump runs the queued fyne.Do calls on the calling (test) goroutine,
// including any they queue.
func snapPump(app fyne.App) {
	a, ok := app.(*snapApp)
	if !ok {
		return
	}
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

// snapCurrentApp is the app of the running test (tests here are not
// parallel: fyne's current app is one global anyway).
var snapCurrentApp fyne.App

// snapWait runs the queued UI work and polls cond until it holds, failing
// after timeout.
func snapWait(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		snapPump(snapCurrentApp)
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// snapStoreHub is a real hub over a real store with no listener: hosts are
// enrolled straight in the store and stay offline.
func snapStoreHub(t *testing.T) (*hub.Hub, *storage.Store) {
	t.Helper()
	return storeHub(t, hub.Options{}, nil)
}

// snapOfflineHost enrolls a host in the store (approved, never connected).
func snapOfflineHost(t *testing.T, st *storage.Store, name, os string) string {
	t.Helper()
	now := time.Now()
	tok := "enroll-" + name + "-0123456789abcdef"
	if _, err := st.CreateEnrollToken(tok, 1, now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	r, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok, AgentID: "agent-" + name, AgentToken: "token-" + name,
		Info: storage.HostInfo{Hostname: name, OS: os, Arch: "amd64"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return r.Host.ID
}

// snapTestSnapshot makes a snapshot record as an agent reports it.
func snapTestSnapshot(id string, at time.Time, tag string, paths ...string) hub.Snapshot {
	size, files := uint64(2048), uint64(3)
	return hub.Snapshot{ID: id + strings.Repeat("0", 64-len(id)), ShortID: id, Time: at, Hostname: "web-1",
		Paths: paths, Tags: []string{tag}, SizeBytes: &size, FileCount: &files}
}

// snapUI builds the window over h on a fresh test app.
func snapUI(t *testing.T, h Hub) *UI {
	t.Helper()
	inner := test.NewApp()
	app := &snapApp{App: inner, drv: &snapDriver{Driver: inner.Driver()}}
	fyne.SetCurrentApp(app) // fyne.Do goes through the current app's driver
	snapCurrentApp = app
	u := New(app, h, Options{})
	t.Cleanup(func() {
		u.Close()
		// Close the windows this test opened (their goroutines stop), not
		// the test driver's own untitled one: with no window left, a late
		// refresh would find no canvas. Closing edits the driver's list:
		// copy it first.
		for _, w := range append([]fyne.Window(nil), app.Driver().AllWindows()...) {
			if w != nil && w.Title() != "" {
				w.Close()
			}
		}
	})
	return u
}

// snapWindow finds an open window by title.
func snapWindow(u *UI, title string) fyne.Window {
	for _, w := range u.app.Driver().AllWindows() {
		if w.Title() == title {
			return w
		}
	}
	return nil
}

func snapWindowTitles(u *UI) string {
	var out []string
	for _, w := range u.app.Driver().AllWindows() {
		out = append(out, fmt.Sprintf("%q", w.Title()))
	}
	return strings.Join(out, ", ")
}
