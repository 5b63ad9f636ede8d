package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"restic-manager/internal/keyringx"
)

// The same contract holds for every Store.
func testContract(t *testing.T, s Store) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	host := "test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		for _, slot := range Slots {
			_ = s.Delete(host, slot)
		}
	})

	if _, err := s.Get(host, RepoPassword); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an unset slot: err = %v, want ErrNotFound", err)
	}
	const secret = "correct horse battery staple"
	if err := s.Set(host, RepoPassword, secret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := s.Set(host, AdminPassword, "admin-"+secret); err != nil {
		t.Fatalf("Set admin: %v", err)
	}
	if got, err := s.Get(host, RepoPassword); err != nil || got != secret {
		t.Fatalf("Get = %q, %v; want the stored secret", got, err)
	}
	if got, _ := s.Get(host, AdminPassword); got != "admin-"+secret {
		t.Errorf("slots are not separate: admin = %q", got)
	}
	if _, err := s.Get(host+"-other", RepoPassword); !errors.Is(err, ErrNotFound) {
		t.Errorf("hosts are not separate: err = %v", err)
	}
	if err := s.Set(host, RepoPassword, ""); err != nil {
		t.Fatalf("Set empty: %v", err)
	}
	if _, err := s.Get(host, RepoPassword); !errors.Is(err, ErrNotFound) {
		t.Errorf("an empty Set should delete: err = %v", err)
	}
	if err := s.Delete(host, RepoPassword); err != nil {
		t.Errorf("deleting an absent secret: %v, want nil", err)
	}
	_, err := s.Get(host, RepoPassword)
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("an error quotes the secret: %v", err)
	}
}

func TestMemoryStore(t *testing.T) {
	m := NewMemory()
	if !strings.Contains(m.Backend(), "in-memory") {
		t.Errorf("Backend() = %q; the memory store must say it is one", m.Backend())
	}
	testContract(t, m)
}

// TestOSKeyring runs against a real Secret Service. Without one it skips;
// run it with FIELD-NOTES.md's recipe:
//
//	R=$(mktemp -d); mkdir -m700 $R/run $R/data
//	XDG_RUNTIME_DIR=$R/run XDG_DATA_HOME=$R/data dbus-run-session -- sh -c \
//	  'echo -n pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null && go test ./desktop/secrets/'
func TestOSKeyring(t *testing.T) {
	k := NewKeyring()
	if err := k.Probe(); err != nil {
		if os.Getenv("RM_REQUIRE_KEYRING") != "" {
			t.Fatalf("RM_REQUIRE_KEYRING is set but no keyring answers: %v", err)
		}
		t.Skipf("no OS keyring answers here (%v); run under dbus-run-session with gnome-keyring-daemon --unlock, see the comment", err)
	}
	testContract(t, k)
}

// lockedKeyring never answers, as a Secret Service whose collection waits
// for an unlock prompt nobody answers (a stand-in: a real one cannot be
// made to wait on demand here). Its calls end when the test does.
type lockedKeyring struct{ done chan struct{} }

func (k lockedKeyring) Get(string, string) (string, error) { <-k.done; return "", errors.New("gone") }
func (k lockedKeyring) Set(string, string, string) error   { <-k.done; return errors.New("gone") }
func (k lockedKeyring) Delete(string, string) error        { <-k.done; return errors.New("gone") }

// A locked keyring makes Set and Get fail with a typed timeout naming the
// host and slot, never hang, and never quote the secret.
func TestKeyringThatDoesNotAnswerTimesOut(t *testing.T) {
	k := lockedKeyring{done: make(chan struct{})}
	t.Cleanup(func() { close(k.done) })
	s := NewKeyringOn(k, 20*time.Millisecond)
	const secret = "do not print me"
	err := s.Set("h1", RepoPassword, secret)
	if !errors.Is(err, keyringx.ErrTimeout) || !strings.Contains(err.Error(), "h1 repo-password") || strings.Contains(err.Error(), secret) {
		t.Fatalf("Set on a locked keyring = %v; want a keyringx.ErrTimeout naming host and slot, without the secret", err)
	}
	if _, err := s.Get("h1", RepoPassword); !errors.Is(err, keyringx.ErrTimeout) || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on a locked keyring = %v; want a timeout, not ErrNotFound", err)
	}
}
