package mesh

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"tailscale.com/client/local"
)

// Peer is who is at the other end of a tailnet connection, as the control
// server vouches for it. Its fields mirror desktop/hub's Peer one for one.
type Peer struct {
	// NodeID is the node's stable ID: the only thing a host is bound to.
	NodeID string
	// NodeName is the node's MagicDNS name without the trailing dot.
	NodeName string
	// Hostname is what the node calls itself; anyone can claim any
	// hostname, so it is for display only.
	Hostname string
	// LoginName is the owning user's login (tagged nodes: the tag owner's
	// placeholder user).
	LoginName string
	// Tags are the node's ACL tags, if any.
	Tags []string
}

// ErrPeerNotFound is returned by WhoIs for an address that is not a peer
// on the tailnet.
var ErrPeerNotFound = errors.New("not a known tailnet peer")

// WhoIs identifies the node behind remoteAddr ("ip:port", as in
// http.Request.RemoteAddr or net.Conn.RemoteAddr()) on a connection that
// arrived over this node's tailnet listener.
func (n *Node) WhoIs(ctx context.Context, remoteAddr string) (Peer, error) {
	who, err := n.lc.WhoIs(ctx, remoteAddr)
	if err != nil {
		if errors.Is(err, local.ErrPeerNotFound) {
			return Peer{}, fmt.Errorf("whois %s: %w", remoteAddr, ErrPeerNotFound)
		}
		return Peer{}, fmt.Errorf("whois %s: %w", remoteAddr, err)
	}
	if who.Node == nil || who.Node.StableID == "" {
		return Peer{}, fmt.Errorf("whois %s: %w (no node in answer)", remoteAddr, ErrPeerNotFound)
	}
	p := Peer{
		NodeID:   string(who.Node.StableID),
		NodeName: strings.TrimSuffix(who.Node.Name, "."),
		Tags:     append([]string(nil), who.Node.Tags...),
	}
	if who.Node.Hostinfo.Valid() {
		p.Hostname = who.Node.Hostinfo.Hostname()
	}
	if p.Hostname == "" {
		p.Hostname, _, _ = strings.Cut(p.NodeName, ".")
	}
	if who.UserProfile != nil {
		p.LoginName = who.UserProfile.LoginName
	}
	return p, nil
}
