package ui

// STUB: owned by the snapshots helper (UI-D), who replaces this file.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func newSnapshotsTab(u *UI, sc *scope, hostID string) fyne.CanvasObject {
	return widget.NewLabel("Snapshots")
}
