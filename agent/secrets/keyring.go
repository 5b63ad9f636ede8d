package secrets

import (
	"errors"
	"fmt"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// KeyringService is the service name of every keyring item the agent makes.
const KeyringService = "restic-agent"

// Keyring is the part of an OS keyring the agent uses. SystemKeyring is
// go-keyring; tests may bring their own (go-keyring's MockInit is a global,
// unsafe for parallel tests).
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type systemKeyring struct{}

// SystemKeyring is the OS keyring through github.com/zalando/go-keyring:
// Secret Service on Linux, Credential Manager on Windows, Keychain on macOS.
func SystemKeyring() Keyring { return systemKeyring{} }

func (systemKeyring) Get(service, user string) (string, error) {
	v, err := gokeyring.Get(service, user)
	if errors.Is(err, gokeyring.ErrNotFound) {
		return "", ErrNotFound
	}
	return v, err
}

func (systemKeyring) Set(service, user, password string) error {
	return gokeyring.Set(service, user, password)
}

func (systemKeyring) Delete(service, user string) error {
	err := gokeyring.Delete(service, user)
	if errors.Is(err, gokeyring.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// keyringTimeout bounds one keyring call: a locked collection may wait for
// a prompt nobody answers on a server.
const keyringTimeout = 10 * time.Second

type keyringBackend struct {
	k       Keyring
	service string
	prefix  string
	timeout time.Duration
}

// NewKeyringBackend stores each key as the keyring item (service,
// prefix+"/"+key).
func NewKeyringBackend(k Keyring, service, prefix string) Backend {
	return &keyringBackend{k: k, service: service, prefix: prefix, timeout: keyringTimeout}
}

func (b *keyringBackend) Name() string { return "keyring" }

func (b *keyringBackend) user(key string) string { return b.prefix + "/" + key }

func (b *keyringBackend) Get(key string) (string, error) {
	var v string
	err := b.bounded(func() error {
		var err error
		v, err = b.k.Get(b.service, b.user(key))
		return err
	})
	return v, err
}

func (b *keyringBackend) Set(key, value string) error {
	return b.bounded(func() error { return b.k.Set(b.service, b.user(key), value) })
}

func (b *keyringBackend) Delete(key string) error {
	return b.bounded(func() error { return b.k.Delete(b.service, b.user(key)) })
}

// bounded runs a keyring call with a deadline. A call that overruns is left
// to finish on its own; its result is dropped.
func (b *keyringBackend) bounded(call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	timer := time.NewTimer(b.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("the OS keyring did not answer within %v", b.timeout)
	}
}
