package mesh

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"tailscale.com/ipn"
	"tailscale.com/ipn/ipnstate"
)

// HomeDERPGrace bounds how long WaitReady waits for the home DERP relay.
// A tailnet without reachable DERP (some Headscale setups) still works over
// direct paths, so past this the wait goes on without it.
const HomeDERPGrace = 10 * time.Second

// WaitReady waits until the node can dial peer without stalling: the node
// is running, its home DERP connection is up (or HomeDERPGrace passed) and
// peer is in its peer list. peer is a hostname, a MagicDNS name (short or
// full) or a tailnet IP. Without this wait the first dial stalls 5 s in
// about one run in eight (a WireGuard handshake racing DERP setup).
//
// It follows the node's IPN bus for peer changes; it does not poll the
// peer list. ctx bounds the whole wait.
func (n *Node) WaitReady(ctx context.Context, peer string) error {
	if _, err := n.Up(ctx); err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, HomeDERPGrace)
	err := n.WaitHomeDERP(dctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("tailnet: waiting for home DERP: %w", ctx.Err())
		}
		n.log.Warn("tailnet: no home DERP connection yet; dialling anyway", "waited", HomeDERPGrace)
	}
	if peer == "" {
		return nil
	}
	return n.waitPeer(ctx, peer)
}

// WaitHomeDERP waits until the node has picked a home DERP region and
// received a frame from it (as tsnet's own tests do): until then the DERP
// server drops peers' first handshake packets for this node.
func (n *Node) WaitHomeDERP(ctx context.Context) error {
	sys := n.srv.Sys()
	h := sys.HealthTracker.Get()
	ms := sys.MagicSock.Get()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if r := ms.GetLastNetcheckReport(ctx); r != nil && r.PreferredDERP != 0 &&
			!h.GetDERPRegionReceivedTime(r.PreferredDERP).IsZero() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("home DERP: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func (n *Node) waitPeer(ctx context.Context, peer string) error {
	w, err := n.lc.WatchIPNBus(ctx, ipn.NotifyInitialState|ipn.NotifyPeerChanges|ipn.NotifyNoNetMap)
	if err != nil {
		return fmt.Errorf("tailnet: watch peers: %w", err)
	}
	defer w.Close()
	for {
		st, err := n.lc.Status(ctx)
		if err != nil {
			return fmt.Errorf("tailnet: waiting for %s: %w", peer, err)
		}
		if HasPeer(st, peer) {
			return nil
		}
		if _, err := w.Next(); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("tailnet: %s is not among this node's peers (is it online and allowed by the ACL?): %w", peer, ctx.Err())
			}
			return fmt.Errorf("tailnet: waiting for %s: %w", peer, err)
		}
	}
}

// HasPeer reports whether st lists peer by hostname, MagicDNS name (short
// or full, any case) or tailnet IP.
func HasPeer(st *ipnstate.Status, peer string) bool {
	want := strings.ToLower(strings.TrimSuffix(peer, "."))
	ip, ipErr := netip.ParseAddr(want)
	for _, p := range st.Peer {
		if ipErr == nil {
			for _, a := range p.TailscaleIPs {
				if a == ip {
					return true
				}
			}
			continue
		}
		dns := strings.ToLower(strings.TrimSuffix(p.DNSName, "."))
		short, _, _ := strings.Cut(dns, ".")
		if strings.EqualFold(p.HostName, want) || dns == want || short == want {
			return true
		}
	}
	return false
}
