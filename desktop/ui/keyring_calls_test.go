package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/desktop/secrets"
	"restic-manager/internal/keyringx"
	"restic-manager/storage"
)

// gatedKeyring holds every call until the test opens the gate, as a
// Secret Service waiting for an unlock prompt does; then it answers from
// a map. A stand-in: a real collection cannot be made to wait on demand
// here. The manager's real keyring code (desktop/secrets over
// internal/keyringx, with its deadline) runs on top of it.
type gatedKeyring struct {
	gate    chan struct{}
	mu      sync.Mutex
	waiting int
	m       map[string]string
}

func newGatedKeyring() *gatedKeyring {
	return &gatedKeyring{gate: make(chan struct{}), m: map[string]string{}}
}

func (k *gatedKeyring) pass() {
	k.mu.Lock()
	k.waiting++
	k.mu.Unlock()
	<-k.gate
	k.mu.Lock()
	k.waiting--
	k.mu.Unlock()
}

func (k *gatedKeyring) blocked() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.waiting
}

func (k *gatedKeyring) Get(service, user string) (string, error) {
	k.pass()
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[service+"|"+user]
	if !ok {
		return "", keyringx.ErrNotFound
	}
	return v, nil
}

func (k *gatedKeyring) Set(service, user, password string) error {
	k.pass()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[service+"|"+user] = password
	return nil
}

func (k *gatedKeyring) Delete(service, user string) error {
	k.pass()
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, service+"|"+user)
	return nil
}

// settle waits for the hub calls running off the UI goroutine (offUI)
// and runs what they handed back to it.
func settle(u *UI, app *uitest.App) {
	u.calls.Wait()
	app.Pump()
}

// keyringEnv is the Settings tab of an offline host, over a hub whose
// secrets are the manager's keyring store on kr, calls bounded by timeout.
func keyringEnv(t *testing.T, kr keyringx.Keyring, timeout time.Duration) (*testEnv, *settingsTab, string) {
	t.Helper()
	h, st := storeHub(t, hub.Options{Secrets: secrets.NewKeyringOn(kr, timeout)}, &storage.Options{NoSync: true})
	e := newTestEnvOn(t, h, st, nil)
	hostID := e.enroll(t, "kappa", "UTC")
	sc := e.newScope()
	t.Cleanup(sc.close)
	s := newSettingsTab(e.UI, sc, hostID)
	e.show(s.obj)
	return e, s, hostID
}

// A slow keyring never freezes the window: Save returns at once, the tab
// says it is saving and refuses a second Save meanwhile, and when the
// keyring answers the tab says saved.
func TestSettingsSaveWaitsForASlowKeyringOffTheUIGoroutine(t *testing.T) {
	kr := newGatedKeyring()
	e, s, _ := keyringEnv(t, kr, testfleet.Wait)
	test.Type(s.secrets[0].entry, "slow keyring password")
	test.Type(s.confirm, "slow keyring password")

	test.Tap(s.saveBtn) // on the UI goroutine: it must return while the keyring holds the call
	testfleet.WaitFor(t, testfleet.Wait, "the save to reach the keyring", func() bool { return kr.blocked() == 1 })
	if !strings.Contains(s.status.label.Text, "Saving") || !s.saveBtn.Disabled() {
		t.Errorf("while the keyring holds the call: status %q, Save disabled %v; want Saving… and Save disabled",
			s.status.label.Text, s.saveBtn.Disabled())
	}

	close(kr.gate)
	settle(e.UI, e.app)
	if !strings.HasPrefix(s.status.label.Text, "Saved the repository password") || s.secrets[0].state.Text != "set" {
		t.Errorf("after the keyring answered: status %q, password %q; want saved and set", s.status.label.Text, s.secrets[0].state.Text)
	}
}

// A locked keyring (one that never answers) ends the save with a message
// naming the cause and the fix; nothing is marked saved, the typed
// password stays to try again, and Save is enabled again.
func TestSettingsSaveReportsALockedKeyring(t *testing.T) {
	kr := newGatedKeyring()
	t.Cleanup(func() { close(kr.gate) }) // let the abandoned call end with the test
	e, s, hostID := keyringEnv(t, kr, 50*time.Millisecond)
	test.Type(s.secrets[0].entry, "locked keyring password")
	test.Type(s.confirm, "locked keyring password")

	test.Tap(s.saveBtn)
	settle(e.UI, e.app)
	msg := s.status.label.Text
	for _, want := range []string{"Not saved", "did not answer within 50ms", "locked", "Unlock the keyring"} {
		if !strings.Contains(msg, want) {
			t.Errorf("status %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "locked keyring password") {
		t.Errorf("status quotes the password: %q", msg)
	}
	if rs, _ := e.hub.Repository(hostID); rs.PasswordSet {
		t.Error("the hub marks the password set though the keyring never stored it")
	}
	if s.saveBtn.Disabled() || s.secrets[0].entry.Text == "" {
		t.Errorf("after the failure: Save disabled %v, entry %q; want Save enabled and the password kept to retry",
			s.saveBtn.Disabled(), s.secrets[0].entry.Text)
	}
}
