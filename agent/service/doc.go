// Package service installs restic-agent as the machine's service and runs
// it under the service manager: `restic-agent install` and `uninstall`
// (DESIGN.md "Packaging and services").
//
// On Linux install writes a systemd unit (unless the .deb's is there), its
// flags in /etc/default/restic-agent and the enrollment or host token in a
// 0600 file under /etc/restic-agent, then enables and starts the unit; on
// Windows it registers a service with the Service Control Manager
// (automatic start, restart on failure) whose Stop cancels the agent's
// context, so a running restic gets its cancel grace. A file per platform;
// spec.go (the flags a service runs with), units.go (the unit and the
// defaults file, shared with the .deb built by tools/release) and serve.go
// (the service's start/stop logic behind an interface, so it runs on Linux
// in tests) are platform-neutral.
//
// Imported by package main of restic-agent and by tools/release.
package service
