package ui

// STUB: owned by the shell helper (UI-A), who replaces this file.

// setupTray installs the system tray icon and menu when the driver has one.
func (u *UI) setupTray() {}
