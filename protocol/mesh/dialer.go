package mesh

import (
	"context"
	"fmt"

	"restic-manager/protocol/wsconn"
)

// Dialer connects an agent to its manager: over the embedded tailnet node
// when Node is set (--tailnet), else over the host network (which may be
// the host's own tailscaled, or a plain LAN/loopback address).
type Dialer struct {
	// URL is the manager's WebSocket URL, from AgentURL.
	URL string
	// Node is the agent's embedded tailnet node, or nil.
	Node *Node
}

// Dial waits until the tailnet path to the manager is ready (embedded node
// only; see Node.WaitReady) and opens the WebSocket. ctx bounds both.
func (d Dialer) Dial(ctx context.Context) (*wsconn.Conn, error) {
	if d.Node == nil {
		return wsconn.Dial(ctx, d.URL, nil)
	}
	if err := d.Node.WaitReady(ctx, HostOf(d.URL)); err != nil {
		return nil, fmt.Errorf("reach manager %s: %w", HostOf(d.URL), err)
	}
	return wsconn.Dial(ctx, d.URL, d.Node.HTTPClient())
}
