package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"restic-manager/protocol"
)

// deadKeyring is a keyring that never answers, as on a server without a
// Secret Service.
type deadKeyring struct{}

func (deadKeyring) Get(string, string) (string, error) { return "", errors.New("no secret service") }
func (deadKeyring) Set(string, string, string) error   { return errors.New("no secret service") }
func (deadKeyring) Delete(string, string) error        { return errors.New("no secret service") }

// mapKeyring stands in for an OS keyring in tests about key naming; the
// real Secret Service is exercised by TestKeyringBackendRealSecretService.
type mapKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func newMapKeyring() *mapKeyring { return &mapKeyring{m: map[string]string{}} }

func (k *mapKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[service+"|"+user]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (k *mapKeyring) Set(service, user, password string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[service+"|"+user] = password
	return nil
}

func (k *mapKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[service+"|"+user]; !ok {
		return ErrNotFound
	}
	delete(k.m, service+"|"+user)
	return nil
}

func TestFileBackendIsPrivateAndAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	b := NewFileBackend(path)
	if _, err := b.Get("repo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: got %v, want ErrNotFound", err)
	}
	for i, v := range []string{"first", "second"} {
		if err := b.Set("repo", v); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("write %d: mode %v, want 0600", i, fi.Mode().Perm())
		}
	}
	if v, err := b.Get("repo"); err != nil || v != "second" {
		t.Errorf("got %q, %v", v, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	// A file someone made world-readable is tightened on the next read.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get("repo"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after read %v, want 0600", fi.Mode().Perm())
	}
	if err := b.Delete("repo"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get("repo"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestOpenFallsBackToTheFileAndRemembersIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir, Options{Keyring: deadKeyring{}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != "file" {
		t.Fatalf("backend %s, want file", s.Backend())
	}
	if err := s.Set(SlotRepo, Credentials{Password: "pw-1234"}); err != nil {
		t.Fatal(err)
	}
	// A keyring that answers later does not move the secrets out from under
	// the agent.
	s2, err := Open(dir, Options{Keyring: newMapKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s2.Get(SlotRepo); err != nil || s2.Backend() != "file" || c.Password != "pw-1234" {
		t.Errorf("reopen: backend %s, %v, %v", s2.Backend(), c, err)
	}
}

func TestAKeyringThatStopsAnsweringIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k := newMapKeyring()
	s, err := Open(dir, Options{Keyring: k})
	if err != nil || s.Backend() != "keyring" {
		t.Fatalf("open with a keyring: %v, %v", s, err)
	}
	if err := s.Set(SlotRepo, Credentials{Password: "pw-1234"}); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{Keyring: deadKeyring{}})
	if err == nil || !strings.Contains(err.Error(), "OS keyring") {
		t.Fatalf("got %v, want a clear error naming the keyring", err)
	}
	if strings.Contains(err.Error(), "pw-1234") {
		t.Error("error text holds the secret")
	}
}

func TestTwoStateDirsDoNotShareCredentials(t *testing.T) {
	t.Parallel()
	k := newMapKeyring()
	a, err := Open(t.TempDir(), Options{Keyring: k})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(t.TempDir(), Options{Keyring: k})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Set(SlotRepo, Credentials{Password: "agent-a"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := b.Get(SlotRepo); !c.IsZero() {
		t.Errorf("agent b sees agent a's credentials: %v", c)
	}
	for key := range k.m {
		if !strings.HasPrefix(key, KeyringService+"|") {
			t.Errorf("keyring item %q is not under service %s", key, KeyringService)
		}
	}
}

func TestApplyConfigFillsTheNamedSlotAndStripsTheUpdate(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir(), Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	cu := &protocol.ConfigUpdate{RepoURL: "rest:https://pc1:url-pass@backup.example/pc1/", RepoPassword: "repo-pw"}
	if err := s.ApplyConfig(cu); err != nil {
		t.Fatal(err)
	}
	if cu.RepoURL != "rest:https://backup.example/pc1/" || cu.RepoPassword != "" {
		t.Errorf("update still holds secrets: %+v", cu)
	}
	repo, _ := s.Get(SlotRepo)
	if repo != (Credentials{Password: "repo-pw", Username: "pc1", Credential: "url-pass"}) {
		t.Errorf("repo slot %#v", repo)
	}

	// admin slot; empty fields leave the stored ones alone.
	if err := s.ApplyConfig(&protocol.ConfigUpdate{Slot: SlotAdmin, RepoPassword: "admin-pw", RepoUsername: "admin", RepoCredential: "admin-cred"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyConfig(&protocol.ConfigUpdate{Slot: SlotAdmin, RepoCredential: "new-cred"}); err != nil {
		t.Fatal(err)
	}
	admin, _ := s.Get(SlotAdmin)
	if admin != (Credentials{Password: "admin-pw", Username: "admin", Credential: "new-cred"}) {
		t.Errorf("admin slot %#v", admin)
	}
	if again, _ := s.Get(SlotRepo); again != repo {
		t.Errorf("repo slot changed by an admin update: %#v", again)
	}
	if err := s.SetAgentToken("tok-123"); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.AgentToken(); err != nil || tok != "tok-123" {
		t.Errorf("token %q, %v", tok, err)
	}
	if _, err := s.Get("other"); err == nil {
		t.Error("unknown slot accepted")
	}
}

// The copy slot is kept like the others (file or keyring); the source
// slot is not a slot of the store at all, so nothing can write it there.
func TestCopySlotIsKeptAndSourceSlotIsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir, Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	cu := &protocol.ConfigUpdate{Slot: SlotCopy, RepoURL: "rest:https://pc1:copy-url-pass@offsite.example/pc1/", RepoPassword: "copy-pw"}
	if err := s.ApplyConfig(cu); err != nil {
		t.Fatal(err)
	}
	if cu.RepoURL != "rest:https://offsite.example/pc1/" || cu.RepoPassword != "" {
		t.Errorf("update still holds secrets: %+v", cu)
	}
	if c, _ := s.Get(SlotCopy); c != (Credentials{Password: "copy-pw", Username: "pc1", Credential: "copy-url-pass"}) {
		t.Errorf("copy slot %#v", c)
	}
	if c, _ := s.Get(SlotRepo); !c.IsZero() {
		t.Errorf("a copy update filled the repo slot: %#v", c)
	}
	source := &protocol.ConfigUpdate{Slot: protocol.SlotSource, RepoURL: "/srv/anna", RepoPassword: "source-pw-secret"}
	if err := s.ApplyConfig(source); err == nil {
		t.Error("the source slot was stored")
	}
	reopened, err := Open(dir, Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := reopened.Get(SlotCopy); c.Password != "copy-pw" {
		t.Errorf("copy slot after reopening: %#v", c)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && bytes.Contains(raw, []byte("source-pw-secret")) {
			t.Errorf("%s holds the source password", e.Name())
		}
	}
}

func TestCredentialsNeverPrintTheirValues(t *testing.T) {
	t.Parallel()
	c := Credentials{Password: "p4ssw0rd", Username: "u", Credential: "cr3d"}
	for _, s := range []string{c.String(), c.LogValue().String()} {
		if strings.Contains(s, "p4ssw0rd") || strings.Contains(s, "cr3d") {
			t.Errorf("%q prints a secret", s)
		}
	}
}
