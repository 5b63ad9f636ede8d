package mesh

import (
	"errors"
	"fmt"
	"net"
)

// ListenPlain opens the manager's plain-TCP listener (no tailnet; agents
// prove themselves with their per-host token). --listen defaults to
// DefaultPlainListenAddr, loopback only; binding a LAN address is the
// admin's explicit choice, and an empty --listen means the caller opens no
// plain listener at all (so an empty addr here is an error, not a default).
func ListenPlain(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, errors.New("plain-TCP listener: empty address (an empty --listen disables it; do not call ListenPlain)")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("plain-TCP listener %s: %w", addr, err)
	}
	return ln, nil
}
