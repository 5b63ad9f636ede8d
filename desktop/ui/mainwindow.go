package ui

// STUB: owned by the shell helper (UI-A), who replaces this file.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// mainWindow is the sidebar of hosts and the area right of it (dashboard
// or a host view).
type mainWindow struct{ u *UI }

func newMainWindow(u *UI) *mainWindow { return &mainWindow{u: u} }

func (m *mainWindow) object() fyne.CanvasObject { return widget.NewLabel("Restic Manager") }
