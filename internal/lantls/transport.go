package lantls

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"net/netip"

	"restic-manager/protocol"
)

// Refusals of CheckTransport (errors.Is); each error's text carries the fix.
var (
	// ErrUnencrypted is a ws:// URL to another machine: the host's token
	// and every repository password would cross the network readable.
	ErrUnencrypted = errors.New("ws:// is not encrypted")
	// ErrNoPin is a wss:// URL without --manager-pin: the manager's
	// certificate is self-signed, and only its pin says it is the manager.
	ErrNoPin = errors.New("wss:// needs the manager's pin")
	// ErrPinWithoutTLS is a --manager-pin with a URL that does not use TLS:
	// the admin believes the link is pinned when it is not.
	ErrPinWithoutTLS = errors.New("--manager-pin is only for wss:// URLs")
)

// CheckTransport decides, from the --manager value alone (before any name
// lookup or dial), whether the link it names is protected, and returns the
// pin in canonical form (ParsePin). Accepted:
//
//   - wss://host:port with a pin: TLS, the manager's certificate pinned;
//   - ws:// to a loopback address (127.0.0.1 and the rest of 127/8, ::1) or
//     localhost, as written: the link never leaves the machine;
//   - a bare name (the manager's tailnet name: WireGuard encrypts), and with
//     tailnet (the agent's own embedded node carries every dial) a ws:// URL
//     to any host.
//
// Refused: ws:// to any other host (ErrUnencrypted), wss:// without a pin
// (ErrNoPin), a pin with anything but wss:// (ErrPinWithoutTLS), a pin that
// is not sha256:<64 hex> (ErrBadPin). manager must already be valid
// for AgentURL.
func CheckTransport(manager, pin string, tailnet bool) (string, error) {
	m := strings.TrimSpace(manager)
	scheme, host, hostport := "", "", ""
	if strings.Contains(m, "://") {
		u, err := url.Parse(m)
		if err != nil {
			return "", fmt.Errorf("manager URL %q is not a valid URL", protocol.RedactURL(m))
		}
		scheme, host, hostport = strings.ToLower(u.Scheme), u.Hostname(), u.Host
	}
	if strings.TrimSpace(pin) != "" {
		p, err := ParsePin(pin)
		if err != nil {
			return "", fmt.Errorf("--manager-pin: %w", err)
		}
		if scheme != "wss" {
			return "", fmt.Errorf("%w: --manager %s does not use TLS; give wss://host:port with the pin, or leave the pin out", ErrPinWithoutTLS, protocol.RedactURL(m))
		}
		pin = p
	} else {
		pin = ""
	}
	switch {
	case scheme == "wss" && pin == "":
		return "", fmt.Errorf("%w: add --manager-pin sha256:<hex> (or RM_MANAGER_PIN); the manager logs its pin at start and \"Add host\" shows it", ErrNoPin)
	case scheme == "ws" && !IsLoopbackHost(host) && !tailnet:
		return "", fmt.Errorf("%w: --manager %s would send this host's token and repository passwords readable by anyone on the network; "+
			"ws:// is only for 127.0.0.1, ::1 or localhost. Use --manager wss://%s with --manager-pin sha256:<hex> "+
			"(the manager serves TLS on every address but loopback and logs its pin at start), or the manager's tailnet name",
			ErrUnencrypted, protocol.RedactURL(m), hostport)
	}
	return pin, nil
}

// IsLoopbackHost reports whether a URL's host, as written, is this
// machine: localhost, or a loopback IP address (127.0.0.0/8, ::1). Names
// are never looked up.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
