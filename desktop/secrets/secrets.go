package secrets

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"restic-manager/internal/keyringx"
)

// Service is the keyring service every entry is stored under.
const Service = "restic-manager"

// Slot names one credential of a host.
type Slot string

// The slots. "repo" credentials are for everyday jobs; "admin" ones for
// prune on append-only rest-servers (DESIGN.md: Identity, enrollment and
// secrets); "copy" ones open the host's second repository (copy jobs,
// DESIGN.md: Reach).
const (
	RepoPassword    Slot = "repo-password"
	RepoUsername    Slot = "repo-username"
	RepoCredential  Slot = "repo-credential"
	AdminPassword   Slot = "admin-password"
	AdminUsername   Slot = "admin-username"
	AdminCredential Slot = "admin-credential"
	CopyPassword    Slot = "copy-password"
	CopyUsername    Slot = "copy-username"
	CopyCredential  Slot = "copy-credential"
)

// The manager's own secrets are kept under ManagerID, a host id no host
// ever has (host ids are random hex): TailnetAuthKey joins the embedded
// tailnet node without an interactive login. Store it with, e.g.,
// `secret-tool store --label="restic-manager tailnet" service restic-manager username manager/tailnet-auth-key`.
const (
	ManagerID           = "manager"
	TailnetAuthKey Slot = "tailnet-auth-key"
)

// Slots lists every slot of a host.
var Slots = []Slot{RepoPassword, RepoUsername, RepoCredential, AdminPassword, AdminUsername, AdminCredential,
	CopyPassword, CopyUsername, CopyCredential}

// ErrNotFound: the slot holds nothing.
var ErrNotFound = errors.New("secret not set")

// Store keeps secrets per host and slot.
type Store interface {
	// Get returns the secret, or an error wrapping ErrNotFound.
	Get(hostID string, slot Slot) (string, error)
	// Set stores value (an empty value deletes).
	Set(hostID string, slot Slot, value string) error
	// Delete removes the secret; deleting an absent one is not an error.
	Delete(hostID string, slot Slot) error
	// Backend says where secrets go, for logs and the UI ("OS keyring",
	// "in-memory (not persistent)").
	Backend() string
}

// key is the keyring "user" of one entry: host/<host id>/<slot>.
func key(hostID string, slot Slot) string {
	if hostID == ManagerID {
		return ManagerID + "/" + string(slot)
	}
	return "host/" + hostID + "/" + string(slot)
}

// Keyring stores secrets in the OS keyring (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows). Every call is bounded
// in time (internal/keyringx): a locked keyring is an error that says so
// (errors.Is(err, keyringx.ErrTimeout)), never a hang.
type Keyring struct{ k keyringx.Keyring }

// NewKeyring returns the OS keyring store, each call bounded by
// keyringx.DefaultTimeout.
func NewKeyring() Keyring { return NewKeyringOn(keyringx.System(), keyringx.DefaultTimeout) }

// NewKeyringOn is NewKeyring over another keyring and deadline (tests: a
// keyring that does not answer).
func NewKeyringOn(k keyringx.Keyring, timeout time.Duration) Keyring {
	return Keyring{k: keyringx.Bounded(k, timeout)}
}

// Get reads one secret.
func (k Keyring) Get(hostID string, slot Slot) (string, error) {
	v, err := k.k.Get(Service, key(hostID, slot))
	if errors.Is(err, keyringx.ErrNotFound) {
		return "", fmt.Errorf("host %s %s: %w", hostID, slot, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("keyring: read host %s %s: %w", hostID, slot, err)
	}
	return v, nil
}

// Set writes one secret; an empty value deletes it.
func (k Keyring) Set(hostID string, slot Slot, value string) error {
	if value == "" {
		return k.Delete(hostID, slot)
	}
	if err := k.k.Set(Service, key(hostID, slot), value); err != nil {
		return fmt.Errorf("keyring: store host %s %s: %w", hostID, slot, err)
	}
	return nil
}

// Delete removes one secret.
func (k Keyring) Delete(hostID string, slot Slot) error {
	err := k.k.Delete(Service, key(hostID, slot))
	if err != nil && !errors.Is(err, keyringx.ErrNotFound) {
		return fmt.Errorf("keyring: delete host %s %s: %w", hostID, slot, err)
	}
	return nil
}

// Backend names the OS keyring.
func (Keyring) Backend() string { return "OS keyring (service " + Service + ")" }

// Probe checks that the keyring answers (a write, read and delete of a
// throwaway entry). Call it at start to tell the user early.
func (k Keyring) Probe() error {
	const probeHost = "probe"
	if err := k.Set(probeHost, "probe", "probe"); err != nil {
		return err
	}
	if _, err := k.Get(probeHost, "probe"); err != nil {
		return err
	}
	return k.Delete(probeHost, "probe")
}

// Memory is an in-memory Store: for tests, and for a headless manager on a
// machine without a keyring. Secrets are lost when the process ends, and
// Backend says so.
type Memory struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{m: map[string]string{}} }

// Get reads one secret.
func (m *Memory) Get(hostID string, slot Slot) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key(hostID, slot)]
	if !ok {
		return "", fmt.Errorf("host %s %s: %w", hostID, slot, ErrNotFound)
	}
	return v, nil
}

// Set writes one secret; an empty value deletes it.
func (m *Memory) Set(hostID string, slot Slot, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if value == "" {
		delete(m.m, key(hostID, slot))
	} else {
		m.m[key(hostID, slot)] = value
	}
	return nil
}

// Delete removes one secret.
func (m *Memory) Delete(hostID string, slot Slot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, key(hostID, slot))
	return nil
}

// Backend says this store is in memory.
func (m *Memory) Backend() string { return "in-memory (not persistent; secrets are lost on exit)" }
