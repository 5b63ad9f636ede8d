// Package ui is restic-manager's window: the host sidebar and dashboard,
// the host tabs (overview, source groups, schedules, jobs, snapshots,
// settings), the restore wizard, the diff dialog, "Add host", the tray icon
// and desktop notifications.
//
// Views are structs that hold their widgets and are built from a fyne.App
// passed in (New), so tests drive them with fyne.io/fyne/v2/test. Every
// fact comes from the hub through the Hub interface in hub.go; business
// rules live in desktop/hub, not here. Nothing on the UI goroutine waits
// on the network: TreeList runs on its own goroutine, and every update from
// another goroutine goes through fyne.Do. Hub changes arrive through one
// subscription (bus.go) that coalesces them, so repaints stay at about ten
// a second however many jobs run.
//
// One view per file: mainwindow.go (sidebar), dashboard.go, host_view.go (the
// tabs), overview_tab.go, groups_tab.go, schedules_tab.go, jobs_tab.go,
// snapshots_tab.go, settings_tab.go, restore_wizard.go, diff_dialog.go,
// add_host.go, tray.go, notify.go; tour.go drives them for make
// screenshots.
//
// Imported by desktop/main.go only. Imports desktop/hub, protocol/mesh (the
// tailnet status it shows) and icons; never fyne.io/fyne/v2/app (which
// needs cgo and GL), so its tests run on Fyne's test driver.
package ui
