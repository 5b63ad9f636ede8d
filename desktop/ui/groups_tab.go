package ui

// STUB: owned by the forms helper (UI-C), who replaces this file.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

func newGroupsTab(u *UI, sc *scope, hostID string) fyne.CanvasObject {
	return widget.NewLabel("Groups")
}
