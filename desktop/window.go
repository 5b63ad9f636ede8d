package main

import (
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/dialog"

	"restic-manager/desktop/ui"
)

// appID matches FyneApp.toml.
const appID = "org.resticmanager.desktop"

// runWindow shows the window over the running manager until the user
// quits (or SIGINT/SIGTERM arrives, or the screenshot tour is done).
func runWindow(m *manager, c config) error {
	a := app.NewWithID(appID)
	a.Settings().SetTheme(ui.Theme())
	var tn ui.Tailnet
	if m.node != nil {
		tn = m.node
	}
	noTray := !trayHost()
	if noTray {
		m.log.Info("no system tray: no D-Bus session bus to reach a tray host")
	}
	u := ui.New(a, m.hub, ui.Options{Tailnet: tn, AgentURLs: m.agentURLs, ManagerPin: m.pin, NoTray: noTray, Version: version,
		Logger: m.log.With("component", "ui")})
	for _, n := range m.notices {
		dialog.ShowInformation("Restic Manager", n, u.Window())
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			fyne.Do(a.Quit)
		case err := <-m.failed:
			fyne.Do(func() { dialog.ShowError(err, u.Window()) })
		case <-m.ctx.Done():
		}
	}()
	tourErr, err := startTour(m, u, a, c)
	if err != nil {
		return err
	}
	m.log.Info("restic-manager window open", "version", version)
	u.ShowAndRun()
	select {
	case err := <-tourErr: // nil channel without a tour: never ready
		return err
	default:
		return nil
	}
}

// trayHost reports whether a system tray can work here. On Linux and the
// BSDs the tray is a D-Bus StatusNotifierItem: without a session bus
// fyne.io/systray cannot register it, and it crashes when the app quits.
func trayHost() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return true
		}
	}
	return false
}
