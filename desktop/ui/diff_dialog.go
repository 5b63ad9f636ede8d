package ui

// STUB: owned by the snapshots helper (UI-D), who replaces this file.

import "restic-manager/desktop/hub"

// showDiffDialog diffs snapshot a (older) against b (newer).
func (u *UI) showDiffDialog(hostID string, a, b hub.Snapshot) {}
