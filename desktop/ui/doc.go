// Package ui is restic-manager's window: the host sidebar and dashboard,
// the host tabs (overview, source groups, schedules, jobs, snapshots,
// settings), the restore wizard, the diff dialog, "Add host", the manager's
// own Settings (History), the tray icon and desktop notifications.
//
// Every view is built the same way: a struct that holds its widgets and
// what it reads, made by newX(u, …) (a host tab by newXTab(u, sc,
// hostID)), which builds the widgets, loads what they show, subscribes to
// the hub's changes through the scope it was given, and keeps the result
// in its obj field, handed out by object(). A screen with several parts
// is a struct per part, composed by the screen's struct (the Schedules
// tab: status card, list, editor, maintenance, fires). Views are built
// from the fyne.App passed to New, so tests drive them with Fyne's test
// driver.
//
// Every fact comes from the hub through the Hub interface (hub.go), the
// union of one role interface per area of the window; business rules live
// in desktop/hub, not here. Nothing on the UI goroutine waits on the
// network: TreeList and DiffSizes run on their own goroutines, and every
// update from another goroutine goes through fyne.Do. Hub changes arrive
// through one subscription (bus.go) that coalesces them and hands each
// listener a batch, so repaints stay at about ten a second however many
// jobs run, and a listener that re-reads everything does so once a batch.
//
// Files, by part of the window:
//
//   - ui.go (New, Options), hub.go (the seam), bus.go (changes and
//     scopes), widgets.go and format.go (what several views share),
//     host_state.go (a host's state as every view says it), theme.go;
//   - mainwindow.go (the sidebar), dashboard.go, host_view.go (a host's
//     header and its tabs), close_warning.go (quitting while jobs run),
//     tray.go, notify.go, add_host.go, manager_settings.go with
//     history_settings.go;
//   - the host tabs: overview_tab.go with size_chart*.go; groups_tab.go
//     with group_editor.go and limits_card.go; schedules_tab.go with
//     schedule_{status,list,editor,maintenance,fires}.go; jobs_tab.go with
//     job_{actions,notice,history,detail,progress,log}.go; snapshots_tab.go;
//     settings_tab.go; form_fields.go is their validated inputs and
//     form_status.go the line beside every form's buttons that says what
//     a save did;
//   - restore_wizard.go with restore_destination.go, restore_run.go and
//     snapshot_tree*.go; diff_dialog.go with diff_table.go;
//   - tour.go drives the window for make screenshots (built with -tags
//     tour only).
//
// Imported by desktop/main.go only. Imports desktop/hub, protocol/mesh (the
// tailnet status it shows) and icons; never fyne.io/fyne/v2/app (which
// needs cgo and GL), so its tests run on Fyne's test driver.
package ui
