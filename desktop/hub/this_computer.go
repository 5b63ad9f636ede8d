package hub

import (
	"net"
	"net/netip"
	"strings"
)

// isThisComputer reports whether a host is the machine the manager runs
// on: its live connection comes from a loopback address (remote, "" when
// offline), or the hostname it reports is this computer's (self, as
// os.Hostname says it; case does not matter, as in DNS).
//
// Either alone is honest where the other fails: an agent started with
// --hostname (make demo's "demo-host") still dials 127.0.0.1, and an agent
// on this computer that connects over the tailnet comes from its tailnet
// address but reports the same os.Hostname. An agent elsewhere reaches the
// plain-TCP listener only through something on this computer that
// forwards to it (a tunnel); its reported name then still differs, but
// the loopback address makes it look local. That is the one way to be
// wrong, and its cost is a folder picker showing this computer's disks.
func isThisComputer(self, hostname, remote string) bool {
	if remote != "" && isLoopback(remote) {
		return true
	}
	return self != "" && hostname != "" && strings.EqualFold(self, hostname)
}

// isLoopback reports whether a connection's remote address ("ip:port", or
// a bare ip) is a loopback address.
func isLoopback(remote string) bool {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
