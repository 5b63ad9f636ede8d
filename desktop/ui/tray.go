package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// shellFleet is the whole fleet's state as the tray shows it: failing
// outranks running, which outranks all well.
type shellFleet int

const (
	shellFleetOK shellFleet = iota
	shellFleetRunning
	shellFleetFailing
)

// shellFleetOf reads the fleet's state from the host list, with a line
// for the tray menu.
func shellFleetOf(hosts []hub.HostView) (shellFleet, string) {
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
		return shellFleetFailing, fmt.Sprintf("%s failing", shellHosts(failing))
	case running == 1:
		return shellFleetRunning, "1 job running"
	case running > 1:
		return shellFleetRunning, fmt.Sprintf("%d jobs running", running)
	}
	return shellFleetOK, "All backups OK"
}

func (f shellFleet) icon() fyne.Resource {
	switch f {
	case shellFleetFailing:
		return icons.Failed
	case shellFleetRunning:
		return icons.Running
	}
	return icons.App
}

// shellTray is the tray menu and its state.
type shellTray struct {
	u     *UI
	menu  *fyne.Menu
	state *fyne.MenuItem // disabled: "2 hosts failing"
	open  *fyne.MenuItem
	pause *fyne.MenuItem // checked while every schedule is paused
	quit  *fyne.MenuItem
	fleet shellFleet
	// onChange, when set, is told after the menu or icon changed.
	onChange func()
}

// newShellTray builds the tray menu (no tray needed: tests drive it).
func newShellTray(u *UI) *shellTray {
	t := &shellTray{u: u}
	t.state = fyne.NewMenuItem("", nil)
	t.state.Disabled = true
	t.open = fyne.NewMenuItem("Open Restic Manager", func() {
		u.win.Show()
		u.win.RequestFocus()
	})
	t.pause = fyne.NewMenuItem("Pause all schedules", t.togglePause)
	t.quit = fyne.NewMenuItem("Quit", func() { u.app.Quit() })
	t.quit.IsQuit = true
	t.menu = fyne.NewMenu("Restic Manager", t.state, fyne.NewMenuItemSeparator(), t.open, t.pause,
		fyne.NewMenuItemSeparator(), t.quit)
	t.refresh()
	return t
}

func (t *shellTray) togglePause() {
	if err := t.u.hub.PauseAllSchedules(!t.pause.Checked); err != nil {
		t.u.win.Show()
		t.u.showError("Pause all schedules", err)
	}
	t.refresh()
}

// refresh re-reads the pause switch and the fleet's state.
func (t *shellTray) refresh() {
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
	t.fleet, line = shellFleetOf(hosts)
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
	t := newShellTray(u)
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
	gate := shellBatchGate{b: u.bus}
	sc := u.newScope()
	sc.on(func(c change) {
		switch c.Kind {
		case hub.ChangeHosts, hub.ChangeHost, hub.ChangeAll:
			if gate.first() {
				t.refresh()
			}
		}
	})
}
