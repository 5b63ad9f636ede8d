// Package link is the agent's connection to the manager: it dials, says
// hello with the journal's last acked seq, replays every journaled event
// the manager has not acked, keeps heartbeats going, reconnects with
// backoff and jitter, and hands the manager's frames (config.update,
// schedule.set, command.run, command.cancel, tree.list) to the parts of the
// agent that own them.
//
// The link owns none of the agent's state. It reads the outbound queue
// through the Journal interface and calls the rest through the interfaces
// in link.go, so its tests drive it with the real journal and a real hub or
// a scripted manager on loopback.
//
// Imported by package main of restic-agent only; imports protocol and
// protocol/wsconn.
package link
