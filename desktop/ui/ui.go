package ui

import (
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// Options configure the window. Zero values take the defaults.
type Options struct {
	// Tailnet is the manager's tailnet node; nil when it runs without one.
	Tailnet Tailnet
	// AgentURLs are the addresses agents can dial (the tailnet name, the
	// plain-TCP listener), best first, for "Add host".
	AgentURLs []string
	// ManagerPin is the pin of the LAN listener's TLS certificate
	// ("sha256:<hex>"), which "Add host" puts beside a wss:// address.
	ManagerPin string
	// NoTray skips the system tray icon (the desktop has no tray host).
	NoTray bool
	// Version is the manager's version; agents of the same version are
	// offered in "Add host".
	Version string
	// StaleAfter: a host whose last successful backup is older is "stale"
	// on the dashboard and in notifications (default 24 h).
	StaleAfter time.Duration
	// RepaintInterval is the least time between two deliveries of hub
	// changes to the views (default 100 ms: at most ten repaints a second).
	RepaintInterval time.Duration
	// Now is the clock for ages and next fires (default: the hub's, so
	// the window and the hub's own texts measure from one clock).
	Now func() time.Time
	// Logger gets what the window cannot show (default slog.Default()).
	Logger *slog.Logger
}

// UI is the manager's window and everything it opens.
type UI struct {
	app  fyne.App
	hub  Hub
	opts Options
	log  *slog.Logger
	win  fyne.Window
	bus  *bus

	main *mainWindow // mainwindow.go
	// calls are the hub calls running off the UI goroutine (offUI).
	calls sync.WaitGroup
}

// New builds the main window on app (fyne.io/fyne/v2/app's in the real
// program, test.NewApp() in tests) over h. It subscribes to h at once;
// call Close when done. Show the window with Window().Show() or
// ShowAndRun.
func New(app fyne.App, h Hub, o Options) *UI {
	if o.StaleAfter <= 0 {
		o.StaleAfter = 24 * time.Hour
	}
	if o.RepaintInterval <= 0 {
		o.RepaintInterval = 100 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = h.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	u := &UI{app: app, hub: h, opts: o, log: o.Logger}
	app.SetIcon(icons.App)
	u.win = app.NewWindow("Restic Manager")
	u.win.SetIcon(icons.App)
	u.win.Resize(fyne.NewSize(1180, 760))
	u.bus = newBus(h, o.RepaintInterval)
	u.main = newMainWindow(u)
	u.win.SetContent(u.main.object())
	// Closing the main window quits: with jobs running, ask first.
	u.win.SetCloseIntercept(func() { u.confirmQuit(u.win.Close) })
	u.setupTray()
	newNotifyWatch(u).start()
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// ShowAndRun shows the window and runs the app's event loop until quit.
func (u *UI) ShowAndRun() {
	u.win.ShowAndRun()
	u.Close()
}

// Close stops listening to the hub. The hub itself belongs to the caller.
func (u *UI) Close() { u.bus.close() }

// showError shows err in a dialog on the main window, prefixed by what was
// being done ("Approve host: …"). UI goroutine only.
func (u *UI) showError(what string, err error) {
	if err == nil {
		return
	}
	u.log.Warn(what, "err", err)
	showErrorDialog(u.win, what, err)
}

// Re-exported so views need not import the hub for its change kinds.
type change = hub.Change
