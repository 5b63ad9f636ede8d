// Package keyringx is the OS keyring as both programs use it: go-keyring
// (Secret Service on Linux, Credential Manager on Windows, Keychain on
// macOS) behind a small interface, and Bounded, which gives every call a
// deadline. A locked Secret Service collection waits for an unlock prompt
// that nobody may ever answer (a server, a session without an agent for
// prompts); without a deadline such a call hangs its caller for good.
//
// Imported by agent/secrets and desktop/secrets, which keep their own key
// naming on top of it. Imports github.com/zalando/go-keyring only.
package keyringx

import (
	"errors"
	"fmt"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// Keyring is the part of an OS keyring the programs use. System is the
// real one; tests bring their own (go-keyring's MockInit is a global,
// unsafe for parallel tests).
type Keyring interface {
	// Get returns ErrNotFound for an item never set.
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	// Delete returns ErrNotFound for an item never set.
	Delete(service, user string) error
}

// ErrNotFound is an item the keyring does not hold.
var ErrNotFound = errors.New("secret not found")

// ErrTimeout is a call the keyring did not answer in time (errors.Is); the
// error itself is a *TimeoutError saying how long it waited.
var ErrTimeout = errors.New("the OS keyring did not answer")

// TimeoutError is a keyring call that overran its deadline.
type TimeoutError struct {
	After time.Duration
	// Busy: the call never started, because an earlier call that overran
	// still holds the keyring.
	Busy bool
}

func (e *TimeoutError) Error() string {
	if e.Busy {
		return fmt.Sprintf("the OS keyring did not answer within %v: an earlier call is still waiting (is the keyring locked?)", e.After)
	}
	return fmt.Sprintf("the OS keyring did not answer within %v (is the keyring locked?)", e.After)
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// DefaultTimeout bounds one call unless the caller says otherwise: long
// enough for a Secret Service that starts on demand, short enough that a
// locked one reads as an error rather than a hang.
const DefaultTimeout = 10 * time.Second

type system struct{}

// System is the OS keyring through github.com/zalando/go-keyring. Its
// calls have no deadline of their own: wrap it in Bounded.
func System() Keyring { return system{} }

func (system) Get(service, user string) (string, error) {
	v, err := gokeyring.Get(service, user)
	if errors.Is(err, gokeyring.ErrNotFound) {
		return "", ErrNotFound
	}
	return v, err
}

func (system) Set(service, user, password string) error {
	return gokeyring.Set(service, user, password)
}

func (system) Delete(service, user string) error {
	err := gokeyring.Delete(service, user)
	if errors.Is(err, gokeyring.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// bounded is Bounded's keyring.
type bounded struct {
	k       Keyring
	timeout time.Duration
	// slot holds one token per call in progress: at most one call runs at
	// a time, so a keyring that hangs costs one stuck goroutine, never one
	// per retry.
	slot chan struct{}
}

// Bounded returns k with every call bounded by timeout (DefaultTimeout
// when not positive). Calls run one at a time. A call that overruns
// returns a *TimeoutError at its deadline and is left to finish on its
// own; its result is dropped, and until it returns, later calls wait for
// it within their own deadline (then fail with TimeoutError.Busy).
func Bounded(k Keyring, timeout time.Duration) Keyring {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &bounded{k: k, timeout: timeout, slot: make(chan struct{}, 1)}
}

func (b *bounded) Get(service, user string) (string, error) {
	var v string
	err := b.call(func() error {
		var err error
		v, err = b.k.Get(service, user)
		return err
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

func (b *bounded) Set(service, user, password string) error {
	return b.call(func() error { return b.k.Set(service, user, password) })
}

func (b *bounded) Delete(service, user string) error {
	return b.call(func() error { return b.k.Delete(service, user) })
}

func (b *bounded) call(f func() error) error {
	timer := time.NewTimer(b.timeout)
	defer timer.Stop()
	select {
	case b.slot <- struct{}{}:
	case <-timer.C:
		return &TimeoutError{After: b.timeout, Busy: true}
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-b.slot }()
		done <- f()
	}()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return &TimeoutError{After: b.timeout}
	}
}
