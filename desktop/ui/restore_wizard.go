package ui

// STUB: owned by the snapshots helper (UI-D), who replaces this file.

import "restic-manager/desktop/hub"

// showRestoreWizard opens the restore wizard on one snapshot.
func (u *UI) showRestoreWizard(hostID string, snap hub.Snapshot) {}
