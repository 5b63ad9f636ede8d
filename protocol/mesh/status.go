package mesh

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"tailscale.com/ipn"
	"tailscale.com/ipn/ipnstate"
)

// State is the node's tailnet state as the UI shows it.
type State string

const (
	StateStarting State = "starting" // connecting to the control server
	// StateNeedsLogin: no auth key was given (or it was refused); the admin
	// opens Status.LoginURL.
	StateNeedsLogin State = "needs-login"
	// StateNeedsApproval: logged in, but the tailnet admin must approve the
	// device (device approval in Tailscale or Headscale).
	StateNeedsApproval State = "needs-approval"
	StateRunning       State = "running"
	StateStopped       State = "stopped"
)

// Status is a snapshot of the node's tailnet state.
type Status struct {
	State State
	// LoginURL is the control server's login page while State is
	// needs-login (and briefly while starting), else empty.
	LoginURL string
	// IPs are the node's tailnet addresses once known.
	IPs []netip.Addr
	// DNSName is the node's MagicDNS name without the trailing dot
	// ("restic-manager.tail1234.ts.net"), once known.
	DNSName string
	// Hostname is the name the node offers to the control server (as
	// configured).
	Hostname string
	// NodeID is the node's stable ID once registered.
	NodeID string
	// Err is the backend's last critical error message, if any.
	Err string
}

// Equal reports whether two statuses would show the same.
func (s Status) Equal(o Status) bool {
	return s.State == o.State && s.LoginURL == o.LoginURL && s.DNSName == o.DNSName &&
		s.Hostname == o.Hostname && s.NodeID == o.NodeID && s.Err == o.Err && slices.Equal(s.IPs, o.IPs)
}

// Status returns the node's current tailnet state.
func (n *Node) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.status
}

// Subscribe returns a channel that receives the current Status at once and
// then every change. It holds one value: a slow reader sees the latest
// state, never a backlog. cancel stops the subscription; the channel is
// closed after the node is closed and its final stopped Status delivered.
func (n *Node) Subscribe() (ch <-chan Status, cancel func()) {
	c := make(chan Status, 1)
	n.mu.Lock()
	c <- n.status
	stopped := n.subs == nil // the node is closed
	if !stopped {
		n.subs[c] = struct{}{}
	}
	n.mu.Unlock()
	if stopped {
		close(c)
		return c, func() {}
	}
	return c, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if _, ok := n.subs[c]; ok {
			delete(n.subs, c)
			close(c)
		}
	}
}

// publish records st and tells subscribers when it changed. final (from
// Close) also closes their channels.
func (n *Node) publish(st Status, final bool) {
	n.mu.Lock()
	if n.subs == nil || st.Equal(n.status) && !final {
		n.mu.Unlock()
		return
	}
	prev := n.status
	n.status = st
	for c := range n.subs {
		select { // latest wins: drop the unread older value
		case <-c:
		default:
		}
		c <- st
	}
	if final {
		for c := range n.subs {
			close(c)
		}
		n.subs = nil
	}
	on := n.onStatus
	n.mu.Unlock()

	n.logChange(prev, st)
	if on != nil {
		on(st)
	}
}

func (n *Node) logChange(prev, st Status) {
	if prev.State == st.State && prev.LoginURL == st.LoginURL && prev.Err == st.Err {
		return
	}
	attrs := []any{"state", string(st.State)}
	switch {
	case st.State == StateNeedsLogin && st.LoginURL != "":
		n.log.Info("tailnet login required: open the login URL", append(attrs, "login_url", st.LoginURL)...)
	case st.State == StateRunning:
		n.log.Info("tailnet running", append(attrs, "dns_name", st.DNSName, "ips", st.IPs, "node_id", st.NodeID)...)
	case st.Err != "":
		n.log.Warn("tailnet state changed", append(attrs, "error", st.Err)...)
	default:
		n.log.Info("tailnet state changed", attrs...)
	}
}

// watch follows the node's IPN bus (state, login URL, self-node changes)
// and republishes Status; it never polls. It returns when ctx ends.
func (n *Node) watch(ctx context.Context) {
	defer close(n.watched)
	for ctx.Err() == nil {
		w, err := n.lc.WatchIPNBus(ctx, ipn.NotifyInitialState)
		if err != nil {
			n.log.Debug("watch tailnet state", "error", err)
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		var lastErr string
		for {
			note, err := w.Next()
			if err != nil {
				break
			}
			if note.ErrMessage != nil {
				lastErr = *note.ErrMessage
			}
			if note.State == nil && note.BrowseToURL == nil && note.LoginFinished == nil &&
				note.SelfChange == nil && note.ErrMessage == nil && note.Prefs == nil {
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			st, err := n.lc.StatusWithoutPeers(sctx)
			cancel()
			if err != nil {
				continue
			}
			out := statusFrom(st, lastErr)
			out.Hostname = n.Status().Hostname
			if out.State == StateRunning {
				lastErr = ""
				out.Err = ""
			}
			n.publish(out, false)
		}
		w.Close()
	}
}

func statusFrom(st *ipnstate.Status, errMsg string) Status {
	out := Status{State: stateFrom(st.BackendState), LoginURL: st.AuthURL, IPs: slices.Clone(st.TailscaleIPs), Err: errMsg}
	if st.Self != nil {
		out.DNSName = strings.TrimSuffix(st.Self.DNSName, ".")
		out.NodeID = string(st.Self.ID)
	}
	if out.State == StateRunning {
		out.LoginURL = ""
	}
	return out
}

func stateFrom(backend string) State {
	switch backend {
	case ipn.Running.String():
		return StateRunning
	case ipn.NeedsLogin.String():
		return StateNeedsLogin
	case ipn.NeedsMachineAuth.String():
		return StateNeedsApproval
	case ipn.Stopped.String():
		return StateStopped
	default: // NoState, Starting
		return StateStarting
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
