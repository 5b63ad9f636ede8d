package secrets

import (
	"restic-manager/internal/keyringx"
)

// KeyringService is the service name of every keyring item the agent makes.
const KeyringService = "restic-agent"

// Keyring is the part of an OS keyring the agent uses (internal/keyringx's).
// SystemKeyring is go-keyring; tests may bring their own (go-keyring's
// MockInit is a global, unsafe for parallel tests).
type Keyring = keyringx.Keyring

// SystemKeyring is the OS keyring through github.com/zalando/go-keyring:
// Secret Service on Linux, Credential Manager on Windows, Keychain on macOS.
func SystemKeyring() Keyring { return keyringx.System() }

type keyringBackend struct {
	k       Keyring
	service string
	prefix  string
}

// NewKeyringBackend stores each key as the keyring item (service,
// prefix+"/"+key). Every call is bounded by keyringx.DefaultTimeout: a
// locked collection may wait for a prompt nobody answers on a server.
func NewKeyringBackend(k Keyring, service, prefix string) Backend {
	return &keyringBackend{k: keyringx.Bounded(k, keyringx.DefaultTimeout), service: service, prefix: prefix}
}

func (b *keyringBackend) Name() string { return "keyring" }

func (b *keyringBackend) user(key string) string { return b.prefix + "/" + key }

func (b *keyringBackend) Get(key string) (string, error) { return b.k.Get(b.service, b.user(key)) }

func (b *keyringBackend) Set(key, value string) error {
	return b.k.Set(b.service, b.user(key), value)
}

func (b *keyringBackend) Delete(key string) error { return b.k.Delete(b.service, b.user(key)) }
