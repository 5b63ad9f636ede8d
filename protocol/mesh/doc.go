// Package mesh is how restic-manager and restic-agent reach each other: an
// embedded tailscale.com/tsnet node shared by both ends (state directory,
// auth key, control URL for Headscale, logs), the manager's listener for
// agents on the tailnet with WhoIs identity, the agent's dialer with the
// readiness wait that avoids the first-dial stall, the tailnet state the UI
// shows, and the LAN fallback used without a tailnet: the dial that
// checks the manager's certificate pin (internal/lantls).
//
// Identity over the tailnet comes from WhoIs on a connection's remote
// address (a node's stable ID), never from anything the peer sends.
//
// Imported by desktop/ (wiring and hub tests) and agent/ (wiring and link).
// It imports protocol, protocol/wsconn and internal/lantls, never desktop/
// or agent/: its Peer type mirrors hub.Peer field for field so the wiring
// is a one-line closure.
// Tests build real tailnets in-process with the helpers in
// protocol/mesh/meshtest.
package mesh
