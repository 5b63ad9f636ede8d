// Package storage is restic-manager's bbolt store: hosts and their
// settings, enrollment and host tokens (hashed), source groups, schedules
// and the maintenance plan, jobs and their logs, the snapshot projection,
// repository stats, per-host delivery marks and the host event log.
//
// Secrets never live here: the store only records whether a credential is
// set; the credential itself is in the OS keyring (desktop/secrets).
//
// Journaled agent events enter through ApplyBatch, which applies a slice of
// events from many hosts and their high-water marks in one transaction
// (group commit). Everything else is a small read or read-modify-write.
//
// Imported by desktop/hub (and desktop/main.go to open the file). It imports
// protocol and bbolt only; no Fyne, no network.
package storage
