package lantls_test

import (
	"errors"
	"strings"
	"testing"

	"restic-manager/internal/lantls"
)

// What the agent accepts as its link to the manager, decided from the
// --manager value alone; every refusal names the fix.
func TestCheckTransport(t *testing.T) {
	pin := "sha256:" + strings.Repeat("3f", 32)
	ok := []struct {
		manager, pin string
		tailnet      bool
	}{
		{"wss://manager.lan:8931", pin, false},
		{"WSS://manager.lan:8931", strings.ToUpper(pin), false},
		{"ws://127.0.0.1:8931", "", false},
		{"ws://localhost:8931", "", false},
		{"ws://[::1]:8931", "", false},
		{"restic-manager", "", false},      // the tailnet name, over the host's tailscaled
		{"restic-manager:9000", "", true},  // over the embedded node
		{"ws://100.64.0.7:8443", "", true}, // the embedded node carries the dial
		{"ws://restic-manager:8443", "", true},
	}
	for _, c := range ok {
		got, err := lantls.CheckTransport(c.manager, c.pin, c.tailnet)
		want := ""
		if c.pin != "" {
			want = pin
		}
		if err != nil || got != want {
			t.Errorf("CheckTransport(%q, %q, tailnet %v) = %q, %v; want %q", c.manager, c.pin, c.tailnet, got, err, want)
		}
	}
	bad := []struct {
		manager, pin string
		tailnet      bool
		want         error
		fix          []string
	}{
		{"ws://backup.invalid:8931", "", false, lantls.ErrUnencrypted, []string{"wss://backup.invalid:8931", "--manager-pin", "tailnet name"}},
		{"ws://192.168.1.20:8931", "", false, lantls.ErrUnencrypted, []string{"wss://192.168.1.20:8931"}},
		{"ws://127.0.0.1.evil.example:8931", "", false, lantls.ErrUnencrypted, []string{"wss://"}},
		{"ws://[::ffff:192.168.1.20]:8931", "", false, lantls.ErrUnencrypted, []string{"wss://"}},
		{"wss://manager.lan:8931", "", false, lantls.ErrNoPin, []string{"--manager-pin sha256:", "RM_MANAGER_PIN"}},
		{"wss://manager.lan:8931", "  ", false, lantls.ErrNoPin, []string{"--manager-pin"}},
		{"ws://127.0.0.1:8931", pin, false, lantls.ErrPinWithoutTLS, []string{"wss://"}},
		{"restic-manager", pin, true, lantls.ErrPinWithoutTLS, []string{"wss://"}},
		{"wss://manager.lan:8931", "sha256:abc", false, lantls.ErrBadPin, []string{"64 hex"}},
	}
	for _, c := range bad {
		got, err := lantls.CheckTransport(c.manager, c.pin, c.tailnet)
		if !errors.Is(err, c.want) || got != "" {
			t.Errorf("CheckTransport(%q, %q) = %q, %v; want %v", c.manager, c.pin, got, err, c.want)
			continue
		}
		for _, f := range c.fix {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("CheckTransport(%q): %q should name the fix (%q)", c.manager, err, f)
			}
		}
	}
}
