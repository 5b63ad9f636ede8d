package mesh

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"restic-manager/protocol"
)

// AgentPort is the tailnet port the manager listens on for agents (plain
// HTTP inside WireGuard; the tailnet already encrypts and authenticates).
const AgentPort = 8443

// DefaultPlainListenAddr is the manager's plain-TCP listener by default:
// loopback only, for tests, demos and LANs without a tailnet.
const DefaultPlainListenAddr = "127.0.0.1:8931"

// DefaultManagerHostname is the manager node's tailnet hostname unless
// --tailnet-hostname says otherwise.
const DefaultManagerHostname = "restic-manager"

// AgentURL turns the agent's --manager value into the WebSocket URL it dials:
//
//   - ws:// or wss:// URLs are kept; without a path (or with "/") they get
//     protocol.AgentPath (/v1/agent) appended.
//   - a bare name, optionally with a port ("restic-manager",
//     "restic-manager.tail1234.ts.net", "100.64.0.1:9000") is the manager's
//     tailnet name: ws://NAME:8443/v1/agent unless a port is given.
//
// Anything else (http://, a path without a scheme, an empty host, spaces)
// is an error that says what is accepted.
func AgentURL(manager string) (string, error) {
	m := strings.TrimSpace(manager)
	if m == "" {
		return "", errors.New("manager address is empty: give ws://host:port, wss://host:port or the manager's tailnet name")
	}
	if strings.Contains(m, "://") {
		// Error text never repeats user info: a URL may carry a password.
		shown := protocol.RedactURL(m)
		u, err := url.Parse(m)
		if err != nil {
			return "", fmt.Errorf("manager URL %q is not a valid URL", shown)
		}
		switch u.Scheme {
		case "ws", "wss":
		default:
			return "", fmt.Errorf("manager URL %q: scheme %q is not supported: use ws:// or wss:// (or a bare tailnet name)", shown, u.Scheme)
		}
		if u.Hostname() == "" {
			return "", fmt.Errorf("manager URL %q has no host", shown)
		}
		if u.User != nil {
			return "", fmt.Errorf("manager URL %q: credentials in the URL are not accepted; use --token or --enroll", shown)
		}
		if p := u.Port(); p != "" {
			if err := checkPort(p); err != nil {
				return "", fmt.Errorf("manager URL %q: %w", shown, err)
			}
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = protocol.AgentPath
		}
		return u.String(), nil
	}
	host, port := m, strconv.Itoa(AgentPort)
	if h, p, err := net.SplitHostPort(m); err == nil {
		if err := checkPort(p); err != nil {
			return "", fmt.Errorf("manager %q: %w", m, err)
		}
		host, port = h, p
	}
	if !validHost(host) {
		return "", fmt.Errorf("manager %q is neither a ws:// or wss:// URL nor a tailnet name (letters, digits, '-', '.')", m)
	}
	return (&url.URL{Scheme: "ws", Host: net.JoinHostPort(host, port), Path: protocol.AgentPath}).String(), nil
}

// HostOf returns the host part of a URL made by AgentURL: the name the
// agent's tailnet node waits to see among its peers before dialling.
func HostOf(agentURL string) string {
	u, err := url.Parse(agentURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return nil
}

// validHost accepts DNS names and IP addresses (an IPv6 one without
// brackets, as SplitHostPort leaves it).
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if ip := net.ParseIP(h); ip != nil {
		return true
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
