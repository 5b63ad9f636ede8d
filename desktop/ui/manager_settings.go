package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
)

// managerSettings is the manager's own Settings (the sidebar's
// "Settings…"), not a host's: one tab per area, History first.
type managerSettings struct {
	sc      *scope
	history *historySettings
	tabs    *container.AppTabs
	dlg     dialog.Dialog
}

func newManagerSettings(u *UI) *managerSettings {
	m := &managerSettings{sc: u.newScope()}
	m.history = newHistorySettings(u, m.sc)
	m.tabs = container.NewAppTabs(container.NewTabItem("History", m.history.object()),
		container.NewTabItem("Notifications", newNotificationsView(u).object()))
	m.dlg = dialog.NewCustom("Settings", "Close", m.tabs, u.win)
	m.dlg.SetOnClosed(m.sc.close)
	m.dlg.Resize(fyne.NewSize(760, 620))
	m.dlg.Show()
	return m
}
