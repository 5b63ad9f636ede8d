// Package daemon is restic-agent assembled: it opens the journal and the
// secrets store in the state directory, finds restic, and wires the runner,
// the scheduler, the browse index and the link to the manager (over the
// host's network or an embedded tailnet node) into one Run call.
//
// The parts own their rules; this package only adapts their interfaces to
// each other (handler.go is the link's Handler, adapters.go the
// scheduler's Store and Jobs). Imported by package main of restic-agent
// only.
package daemon
