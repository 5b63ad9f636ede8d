package ui

// STUB: owned by the shell helper (UI-A), who replaces this file.

// showAddHost opens the "Add host" dialog.
func (u *UI) showAddHost() {}
