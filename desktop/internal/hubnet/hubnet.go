// Package hubnet puts the manager's embedded tailnet node (protocol/mesh)
// in front of the hub: the agent listener on the node's tailnet port, each
// connection's peer named by the node's WhoIs. It is the one place the two
// meet, so restic-manager and the tailnet system tests serve agents the
// same way, and desktop/hub (with the UI and its tests) never links tsnet.
//
// Imported by desktop/main.go (manager.go) and tests under desktop/.
package hubnet

import (
	"context"

	"restic-manager/desktop/hub"
	"restic-manager/protocol/mesh"
)

// Name is the listener's name in the hub's logs and host events.
const Name = "tailnet"

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
