package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// fleetState is the whole fleet's state as the tray shows it: failing
// outranks running, which outranks all well.
type fleetState int

const (
	fleetOK fleetState = iota
	fleetRunning
	fleetFailing
)

// fleetStateOf reads the fleet's state from the host list, with a line
// for the tray menu.
func fleetStateOf(hosts []hub.HostView) (fleetState, string) {
	failing, running := 0, 0
	for _, v := range hosts {
		if v.Host.Status != hub.StatusApproved {
			continue
		}
		if v.Failing {
			failing++
		}
		running += v.RunningJobs
	}
	switch {
	case failing > 0:
		return fleetFailing, plural(failing, "host") + " failing"
	case running > 0:
		return fleetRunning, plural(running, "job") + " running"
	}
	return fleetOK, "All backups OK"
}

func (f fleetState) icon() fyne.Resource {
	switch f {
	case fleetFailing:
		return icons.Failed
	case fleetRunning:
		return icons.Running
	}
	return icons.App
}

// trayMenu is the tray menu and its state.
type trayMenu struct {
	u     *UI
	menu  *fyne.Menu
	state *fyne.MenuItem // disabled: "2 hosts failing"
	open  *fyne.MenuItem
	pause *fyne.MenuItem // checked while every schedule is paused
	quit  *fyne.MenuItem
	fleet fleetState
	// onChange, when set, is told after the menu or icon changed.
	onChange func()
}

// newTrayMenu builds the tray menu (no tray needed: tests drive it).
func newTrayMenu(u *UI) *trayMenu {
	t := &trayMenu{u: u}
	t.state = fyne.NewMenuItem("", nil)
	t.state.Disabled = true
	t.open = fyne.NewMenuItem("Open Restic Manager", func() {
		u.win.Show()
		u.win.RequestFocus()
	})
	t.pause = fyne.NewMenuItem("Pause all schedules", t.togglePause)
	t.quit = fyne.NewMenuItem("Quit", func() {
		u.win.Show() // the warning, if any, is on the window
		u.confirmQuit(u.app.Quit)
	})
	t.quit.IsQuit = true
	t.menu = fyne.NewMenu("Restic Manager", t.state, fyne.NewMenuItemSeparator(), t.open, t.pause,
		fyne.NewMenuItemSeparator(), t.quit)
	t.refresh()
	return t
}

func (t *trayMenu) togglePause() {
	if err := t.u.hub.PauseAllSchedules(!t.pause.Checked); err != nil {
		t.u.win.Show()
		t.u.showError("Pause all schedules", err)
	}
	t.refresh()
}

// refresh re-reads the pause switch and the fleet's state.
func (t *trayMenu) refresh() {
	paused, err := t.u.hub.AllSchedulesPaused()
	if err != nil {
		t.u.log.Warn("read the pause-all switch", "err", err)
	}
	t.pause.Checked = paused
	hosts, err := t.u.hub.Hosts()
	if err != nil {
		t.u.log.Warn("read the host list", "err", err)
	}
	var line string
	t.fleet, line = fleetStateOf(hosts)
	if paused {
		line += " · schedules paused"
	}
	t.state.Label = line
	if t.onChange != nil {
		t.onChange()
	}
}

// setupTray installs the system tray icon and menu when the driver has one.
// Closing the window still quits: on desktops without a tray (GNOME
// without an extension) a hidden window could never be found again.
func (u *UI) setupTray() {
	da, ok := u.app.(desktop.App)
	if !ok || u.opts.NoTray {
		return
	}
	t := newTrayMenu(u)
	shown := t.fleet
	da.SetSystemTrayIcon(shown.icon())
	da.SetSystemTrayMenu(t.menu)
	label, checked := t.state.Label, t.pause.Checked
	t.onChange = func() {
		if t.fleet != shown {
			shown = t.fleet
			da.SetSystemTrayIcon(shown.icon())
		}
		// Rebuilding the OS menu is not free: only when it reads differently.
		if t.state.Label != label || t.pause.Checked != checked {
			label, checked = t.state.Label, t.pause.Checked
			t.menu.Refresh()
		}
	}
	sc := u.newScope()
	sc.on(func(batch []change) {
		for _, c := range batch {
			switch c.Kind {
			case hub.ChangeHosts, hub.ChangeHost, hub.ChangeAll:
				t.refresh() // re-reads every host: once a batch
				return
			}
		}
	})
}
