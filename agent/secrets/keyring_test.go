package secrets

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// inSessionEnv marks the test binary re-run inside its own D-Bus session
// with a freshly unlocked gnome-keyring (FIELD-NOTES "go-keyring against a
// real Secret Service").
const inSessionEnv = "RM_SECRETS_TEST_IN_KEYRING_SESSION"

// TestKeyringBackendRealSecretService stores, reads and deletes the agent's
// slots in a real Secret Service. Without a session bus it starts one for
// itself (dbus-run-session + gnome-keyring-daemon --unlock) and re-runs
// this test inside it; it skips, saying why, when neither is possible.
func TestKeyringBackendRealSecretService(t *testing.T) {
	if os.Getenv(inSessionEnv) == "" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		reRunInKeyringSession(t)
		return
	}
	k := SystemKeyring()
	b := NewKeyringBackend(k, KeyringService, StateKey(t.TempDir()))
	if os.Getenv(inSessionEnv) != "" {
		// The daemon was just started: wait until it serves the collection.
		deadline := time.After(15 * time.Second)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for probe(b) != nil || b.Set("probe", "x") != nil {
			select {
			case <-tick.C:
			case <-deadline:
				t.Fatalf("the Secret Service in this session did not answer: %v", probe(b))
			}
		}
		_ = b.Delete("probe")
	} else if err := probe(b); err != nil {
		t.Skipf("skipped: a session bus is set but no Secret Service answers (%v); run without DBUS_SESSION_BUS_ADDRESS to let the test start its own", err)
	}

	s := NewStore(b)
	want := Credentials{Password: "real keyring pw", Username: "pc1", Credential: "rest-cred"}
	if err := s.Set(SlotRepo, want); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Set(SlotRepo, Credentials{}) })
	got, err := s.Get(SlotRepo)
	if err != nil || got != want {
		t.Fatalf("read back %v, %v", got, err)
	}
	if c, err := s.Get(SlotAdmin); err != nil || !c.IsZero() {
		t.Errorf("empty admin slot: %v, %v", c, err)
	}
	if err := s.Set(SlotRepo, Credentials{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(SlotRepo); !errors.Is(err, ErrNotFound) {
		t.Errorf("after clearing: %v, want ErrNotFound", err)
	}
}

func reRunInKeyringSession(t *testing.T) {
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: no session bus and no %s to start one (apt-get install dbus gnome-keyring)", tool)
		}
	}
	dir := t.TempDir()
	for _, d := range []string{"run", "data"} {
		if err := os.Mkdir(dir+"/"+d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The daemon runs in the foreground, in the background of the shell, so
	// the shell can stop it: a daemonised one would outlive the session.
	script := `echo -n pass | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
kp=$!
"$0" -test.run '^TestKeyringBackendRealSecretService$' -test.v -test.count=1
rc=$?
kill $kp 2>/dev/null
wait $kp 2>/dev/null
exit $rc`
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c", script, os.Args[0])
	cmd.Env = append(os.Environ(), inSessionEnv+"=1", "XDG_RUNTIME_DIR="+dir+"/run", "XDG_DATA_HOME="+dir+"/data")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil || !strings.Contains(text, "--- PASS: TestKeyringBackendRealSecretService") {
		t.Fatalf("inside a fresh keyring session: %v\n%s", err, text)
	}
	t.Log("ran against gnome-keyring in a private D-Bus session")
}
