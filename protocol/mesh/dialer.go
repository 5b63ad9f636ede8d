package mesh

import (
	"context"
	"fmt"
	"net/netip"

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
	peer := HostOf(d.URL)
	if isLoopback(peer) {
		peer = "" // not on the tailnet: only wait for the node itself
	}
	if err := d.Node.WaitReady(ctx, peer); err != nil {
		return nil, fmt.Errorf("reach manager %s: %w", HostOf(d.URL), err)
	}
	return wsconn.Dial(ctx, d.URL, d.Node.HTTPClient())
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
