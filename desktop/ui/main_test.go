package ui

import (
	"os"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

// TestMain removes the restic-agent binary testfleet builds for the tests
// that drive a real agent.
func TestMain(m *testing.M) { os.Exit(testfleet.Main(m)) }

// storeHub is a real hub over a real store in a temp dir, closed when the
// test ends. o sets the hub's options beyond Store (Secrets defaults to an
// in-memory store); so the store options (nil: the defaults).
func storeHub(t *testing.T, o hub.Options, so *storage.Options) (*hub.Hub, *storage.Store) {
	t.Helper()
	st, err := storage.OpenDir(t.TempDir(), so)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	o.Store = st
	if o.Secrets == nil {
		o.Secrets = secrets.NewMemory()
	}
	h, err := hub.New(o)
	if err != nil {
		st.Close()
		t.Fatalf("new hub: %v", err)
	}
	t.Cleanup(func() {
		h.Close()
		st.Close()
	})
	return h, st
}
