// Package hubnet opens the listeners the hub serves agents on: the
// plain-TCP one (hosts prove themselves with tokens; TLS with the
// manager's pinned certificate on any address but loopback, lan.go), and
// the embedded tailnet node's (protocol/mesh) agent port, each
// connection's peer named by the node's WhoIs. It is the one place the hub meets the network, so
// restic-manager, the test fleet and the system tests serve agents the
// same way, and desktop/hub (with the UI and its tests) never links tsnet.
//
// Imported by desktop/main.go (manager.go) and tests under desktop/.
package hubnet

import (
	"context"

	"restic-manager/desktop/hub"
	"restic-manager/protocol/mesh"
)

// Name is the tailnet listener's name in the hub's logs and host events.
const Name = "tailnet"

// DefaultTCPAddr is the plain-TCP listener's default address: this
// machine only, until the admin opens it to the LAN with --listen.
const DefaultTCPAddr = "127.0.0.1:8931"

// TCP opens a plain (ws://) listener on a loopback address (addr ""
// means DefaultTCPAddr), for tests and tools on this machine; any other
// address is refused with ErrNeedsCertificate. The manager itself uses
// LAN.
func TCP(addr string) (hub.Listener, error) {
	l, err := LAN(addr, LANOptions{})
	return l.Listener, err
}

// Listener opens node's agent port (mesh.AgentPort) as a hub listener whose
// peers are identified by the tailnet, never by what they send.
func Listener(node *mesh.Node) (hub.Listener, error) {
	l, err := node.ListenAgents()
	if err != nil {
		return hub.Listener{}, err
	}
	return hub.Listener{Name: Name, L: l, WhoIs: WhoIs(node)}, nil
}

// WhoIs is node.WhoIs in the hub's terms (mesh.Peer mirrors hub.Peer field
// for field).
func WhoIs(node *mesh.Node) func(ctx context.Context, remoteAddr string) (hub.Peer, error) {
	return func(ctx context.Context, remoteAddr string) (hub.Peer, error) {
		p, err := node.WhoIs(ctx, remoteAddr)
		return hub.Peer(p), err
	}
}
