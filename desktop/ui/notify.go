package ui

// STUB: owned by the shell helper (UI-A), who replaces this file.

// startNotifier sends desktop notifications for failed jobs and stale hosts.
func (u *UI) startNotifier() {}
