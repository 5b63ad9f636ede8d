package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"restic-manager/agent/restic"
	"restic-manager/internal/atomicfile"
	"restic-manager/internal/keyringx"
	"restic-manager/protocol"
)

// Slots.
const (
	SlotRepo  = protocol.SlotRepo
	SlotAdmin = protocol.SlotAdmin
	// SlotCopy holds the second repository's credentials (copy jobs).
	SlotCopy  = protocol.SlotCopy
	SlotAgent = "agent"
)

// protocol.SlotSource is deliberately not a slot here: another host's
// credentials are kept in memory only (agent/runner), never in the
// keyring or the file.

// Credentials fill one repository slot.
type Credentials struct {
	// Password is the restic repository password.
	Password string `json:"password,omitempty"`
	// Username and Credential are rest-server basic-auth credentials.
	Username   string `json:"username,omitempty"`
	Credential string `json:"credential,omitempty"`
}

// IsZero reports whether no field is set.
func (c Credentials) IsZero() bool { return c == Credentials{} }

// LogValue logs only which fields are set.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("has_password", c.Password != ""),
		slog.Bool("has_username", c.Username != ""), slog.Bool("has_credential", c.Credential != ""))
}

// String keeps a stray %v from printing a secret.
func (c Credentials) String() string {
	return fmt.Sprintf("secrets.Credentials{password set: %t, username set: %t, credential set: %t}",
		c.Password != "", c.Username != "", c.Credential != "")
}

// Repo returns the restic.Repo for url with these credentials.
func (c Credentials) Repo(url string) restic.Repo {
	return restic.Repo{URL: url, Password: c.Password, RESTUsername: c.Username, RESTPassword: c.Credential}
}

// Backend stores one string per key.
type Backend interface {
	// Get returns ErrNotFound for a key never set.
	Get(key string) (string, error)
	Set(key, value string) error
	Delete(key string) error
	// Name is "keyring" or "file".
	Name() string
}

// ErrNotFound is a key with no value (the same value in both backends and
// in internal/keyringx, so a keyring's answer needs no translation).
var ErrNotFound = keyringx.ErrNotFound

// Store is the agent's credential store. It is safe for concurrent use.
type Store struct {
	mu sync.Mutex
	b  Backend
}

// NewStore wraps a backend (tests, or a caller that chose one itself).
func NewStore(b Backend) *Store { return &Store{b: b} }

// Backend names the backend in use: "keyring" or "file".
func (s *Store) Backend() string { return s.b.Name() }

func validSlot(slot string) error {
	switch slot {
	case SlotRepo, SlotAdmin, SlotCopy, SlotAgent:
		return nil
	}
	return fmt.Errorf("secrets: unknown slot %q (want repo, admin, copy or agent)", slot)
}

// Get returns a repository slot's credentials; an empty slot is the zero
// Credentials, not an error.
func (s *Store) Get(slot string) (Credentials, error) {
	if err := validSlot(slot); err != nil {
		return Credentials{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(slot)
}

func (s *Store) get(slot string) (Credentials, error) {
	raw, err := s.b.Get(slot)
	if errors.Is(err, ErrNotFound) {
		return Credentials{}, nil
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("read %s credentials from the %s: %w", slot, s.b.Name(), err)
	}
	var c Credentials
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return Credentials{}, fmt.Errorf("read %s credentials from the %s: stored value is not valid", slot, s.b.Name())
	}
	return c, nil
}

// Set replaces a slot's credentials; the zero Credentials clears it.
func (s *Store) Set(slot string, c Credentials) error {
	if err := validSlot(slot); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set(slot, c)
}

func (s *Store) set(slot string, c Credentials) error {
	if c.IsZero() {
		if err := s.b.Delete(slot); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("clear %s credentials in the %s: %w", slot, s.b.Name(), err)
		}
		return nil
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := s.b.Set(slot, string(raw)); err != nil {
		return fmt.Errorf("store %s credentials in the %s: %w", slot, s.b.Name(), err)
	}
	return nil
}

// ApplyConfig stores the credential fields of a config.update in the slot it
// names (absent = repo); an absent or empty field leaves the stored one
// unchanged. Basic-auth credentials written into a rest: repo_url are moved
// into the slot too. On return cu holds no secret: its credential fields are
// cleared and its repo_url has no user info, so the caller can hand it to
// the journal.
func (s *Store) ApplyConfig(cu *protocol.ConfigUpdate) error {
	slot := cu.EffectiveSlot()
	if err := validSlot(slot); err != nil {
		return err
	}
	clean, urlUser, urlPass := restic.SplitURLCredentials(cu.RepoURL)
	user, cred := cu.RepoUsername, cu.RepoCredential
	if user == "" {
		user = urlUser
	}
	if cred == "" {
		cred = urlPass
	}
	password := cu.RepoPassword
	cu.RepoURL, cu.RepoPassword, cu.RepoUsername, cu.RepoCredential = clean, "", "", ""
	if password == "" && user == "" && cred == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.get(slot)
	if err != nil {
		return err
	}
	if password != "" {
		c.Password = password
	}
	if user != "" {
		c.Username = user
	}
	if cred != "" {
		c.Credential = cred
	}
	return s.set(slot, c)
}

// AgentToken returns the agent's token for the manager ("" when none yet).
func (s *Store) AgentToken() (string, error) {
	c, err := s.Get(SlotAgent)
	return c.Password, err
}

// SetAgentToken stores the agent's token; "" clears it.
func (s *Store) SetAgentToken(token string) error {
	return s.Set(SlotAgent, Credentials{Password: token})
}

// markerFile records which backend a state directory uses.
const markerFile = "secrets-backend"

// Options configure Open.
type Options struct {
	// Keyring is the OS keyring to try; nil means the system keyring. Tests
	// inject their own: go-keyring's MockInit is a global.
	Keyring Keyring
	// NoKeyring skips the keyring and uses the file.
	NoKeyring bool
}

// Open returns the store for an agent state directory. The first Open picks
// the OS keyring when it answers, else the 0600 file, and records the
// choice; later Opens use the recorded backend and fail clearly when the
// keyring no longer answers.
func Open(stateDir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("secrets: create state dir: %w", err)
	}
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	kr := opts.Keyring
	if kr == nil {
		kr = SystemKeyring()
	}
	keyring := NewKeyringBackend(kr, KeyringService, StateKey(abs))
	file := NewFileBackend(filepath.Join(abs, FileName))
	marker := filepath.Join(abs, markerFile)

	chosen, err := os.ReadFile(marker)
	switch {
	case err == nil:
		switch strings.TrimSpace(string(chosen)) {
		case "file":
			return NewStore(file), nil
		case "keyring":
			if err := probe(keyring); err != nil {
				return nil, fmt.Errorf("secrets: this agent keeps its credentials in the OS keyring, which does not answer (%w); start the keyring service, or remove %s and send the credentials again to use a file", err, marker)
			}
			return NewStore(keyring), nil
		default:
			return nil, fmt.Errorf("secrets: %s names an unknown backend %q", marker, chosen)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("secrets: %w", err)
	}

	b := Backend(file)
	if !opts.NoKeyring && probe(keyring) == nil {
		b = keyring
	}
	if err := atomicfile.Write(marker, []byte(b.Name()+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("secrets: record backend: %w", err)
	}
	return NewStore(b), nil
}

// probe reports whether a backend answers: a missing key is an answer.
func probe(b Backend) error {
	_, err := b.Get(SlotRepo)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// StateKey derives the keyring user-key prefix from the state directory, so
// two agents on one machine (two state dirs) never share credentials.
func StateKey(absStateDir string) string {
	sum := sha256.Sum256([]byte(absStateDir))
	return hex.EncodeToString(sum[:6])
}
