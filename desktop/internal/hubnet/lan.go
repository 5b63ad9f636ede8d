package hubnet

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"restic-manager/desktop/hub"
	"restic-manager/internal/lantls"
)

// LANOptions configure LAN.
type LANOptions struct {
	// TLS serves TLS on a loopback address too (--tls; tests use it, as
	// they talk to 127.0.0.1 only). Off loopback TLS is always served.
	TLS bool
	// CertDir keeps the manager's certificate (<data>/tls): made at the
	// first start, the same one (and pin) ever after. Required off
	// loopback and with TLS; when set, the certificate is loaded even for
	// a plain listener, so its pin is known before the admin switches to
	// a LAN address ("Add host" shows the command for then).
	CertDir string
	// Hostname names this machine in URL when the listener is bound to
	// every address (0.0.0.0, ::); empty: os.Hostname().
	Hostname string
}

// LANListener is the plain-TCP listener for agents (hosts prove themselves
// with their tokens), with what an agent dials to reach it.
type LANListener struct {
	hub.Listener
	// TLS: the listener serves TLS (wss://) only.
	TLS bool
	// URL is the --manager an agent gives: "ws://127.0.0.1:8931", or
	// "wss://host:8931" (the machine's name when bound to every address).
	URL string
	// Pin is the certificate's pin ("sha256:<hex>"), "" without CertDir.
	Pin string
}

// ErrNeedsCertificate is LAN off loopback (or with TLS) without
// LANOptions.CertDir: the listener would have to serve tokens in clear.
var ErrNeedsCertificate = errors.New("a TLS listener needs a certificate directory")

// LAN opens the manager's plain-TCP listener on addr ("" means
// DefaultTCPAddr). On a loopback address it serves ws://, unless
// o.TLS; on any other address (0.0.0.0 included) TLS only, with the
// certificate kept in o.CertDir: a plain WebSocket upgrade there fails in
// the TLS handshake, before any frame is read.
func LAN(addr string, o LANOptions) (LANListener, error) {
	if addr == "" {
		addr = DefaultTCPAddr
	}
	var cert lantls.Cert
	if o.CertDir != "" {
		var err error
		if cert, err = lantls.LoadOrCreate(o.CertDir); err != nil {
			return LANListener{}, err
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return LANListener{}, fmt.Errorf("listen for agents on %s: %w", addr, err)
	}
	bound := l.Addr()
	out := LANListener{TLS: ServesTLS(bound, o.TLS), Pin: cert.Pin}
	if !out.TLS {
		out.Listener = hub.Listener{Name: "tcp " + bound.String(), L: l}
		out.URL = lanURL("ws", bound, o.Hostname)
		return out, nil
	}
	if o.CertDir == "" {
		l.Close()
		return LANListener{}, fmt.Errorf("listen for agents on %s: %w (an address other than loopback is served with TLS only)", addr, ErrNeedsCertificate)
	}
	out.Listener = hub.Listener{Name: "tls " + bound.String(), L: tls.NewListener(l, lantls.ServerConfig(cert.TLS))}
	out.URL = lanURL("wss", bound, o.Hostname)
	return out, nil
}

// ServesTLS is the rule of DESIGN.md "LAN transport": a listener bound to
// a loopback address serves ws:// unless forced (--tls); bound to any
// other address — a LAN address, or every address (0.0.0.0, ::) — it
// serves TLS only. The decision is on the address actually bound, so a
// name that resolves to a LAN address gets TLS too.
func ServesTLS(bound net.Addr, force bool) bool {
	if force {
		return true
	}
	tcp, ok := bound.(*net.TCPAddr)
	return !ok || !tcp.IP.IsLoopback()
}

// lanURL is the --manager for a listener bound to bound: its address, or
// for one bound to every address, this machine's name.
func lanURL(scheme string, bound net.Addr, hostname string) string {
	host, port := bound.String(), ""
	if tcp, ok := bound.(*net.TCPAddr); ok {
		host, port = tcp.IP.String(), strconv.Itoa(tcp.Port)
		if tcp.IP.IsUnspecified() {
			if hostname == "" {
				hostname, _ = os.Hostname()
			}
			if hostname != "" {
				host = hostname
			}
		}
	}
	if port == "" {
		return scheme + "://" + host
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
