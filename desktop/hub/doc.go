// Package hub is restic-manager's server core: it accepts agent WebSocket
// connections on any number of listeners (plain TCP, the tailnet),
// authenticates them (agent tokens, enrollment tokens, tailnet identity via
// a WhoIs seam), pushes configuration and schedules, dispatches commands
// and RPCs, ingests journaled events into storage with group commit, and
// publishes changes for the UI.
//
// The UI's whole view of the system is the API in api.go: plain Go types,
// no Fyne. Reads come from the store; actions that reach an agent are
// queued to its connection and return at once (only TreeList waits, with a
// timeout). Subscribe tells the UI what to re-read; it never polls.
//
// Imported by desktop/ui (through its own small interface) and
// desktop/main.go. Imports storage, protocol, protocol/wsconn and
// desktop/secrets; never Fyne.
package hub
