package hub

import (
	"fmt"
	"net"

	"restic-manager/storage"
)

// DefaultListenAddr is the plain-TCP listener's default address.
const DefaultListenAddr = "127.0.0.1:8931"

// OpenStore opens (or creates) the manager's store in dataDir (created
// 0700 if missing). A damaged file comes back as *storage.DamagedError
// after it was moved aside; show it, then call OpenStore again to start
// with an empty store.
func OpenStore(dataDir string) (*storage.Store, error) {
	return storage.OpenDir(dataDir, nil)
}

// ListenTCP opens the plain-TCP listener (addr "" means
// DefaultListenAddr). Hosts prove themselves there with tokens.
func ListenTCP(addr string) (Listener, error) {
	if addr == "" {
		addr = DefaultListenAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return Listener{}, fmt.Errorf("listen for agents on %s: %w", addr, err)
	}
	return Listener{Name: "tcp " + l.Addr().String(), L: l}, nil
}
