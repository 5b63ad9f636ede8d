package mesh

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"restic-manager/internal/lantls"
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
	// Pin is the manager's certificate pin for a wss:// URL (canonical,
	// from CheckTransport): the TLS handshake accepts the manager only if
	// its certificate's key has this pin, and checks nothing else.
	Pin string
	// NetDial opens the TCP connections of a dial over the host network;
	// nil is a net.Dialer. Tests record through it that nothing was
	// dialled.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Dial waits until the tailnet path to the manager is ready (embedded node
// only; see Node.WaitReady) and opens the WebSocket. ctx bounds both.
func (d Dialer) Dial(ctx context.Context) (*wsconn.Conn, error) {
	if d.Node == nil {
		return wsconn.Dial(ctx, d.URL, d.client(d.NetDial))
	}
	peer := HostOf(d.URL)
	if lantls.IsLoopbackHost(peer) {
		peer = "" // not on the tailnet: only wait for the node itself
	}
	if err := d.Node.WaitReady(ctx, peer); err != nil {
		return nil, fmt.Errorf("reach manager %s: %w", HostOf(d.URL), err)
	}
	if d.Pin == "" {
		return wsconn.Dial(ctx, d.URL, d.Node.HTTPClient())
	}
	return wsconn.Dial(ctx, d.URL, d.client(d.Node.Dial))
}

// client is the HTTP client a dial uses: nil (http.DefaultClient) for an
// unpinned dial over the host network, else one that dials through dial
// and, with a pin, checks it in the TLS handshake.
func (d Dialer) client(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	if d.Pin == "" && dial == nil {
		return nil
	}
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dial,
		TLSHandshakeTimeout: 15 * time.Second,
	}
	if d.Pin != "" {
		tr.TLSClientConfig = lantls.ClientConfig(d.Pin)
	}
	return &http.Client{Transport: tr}
}
