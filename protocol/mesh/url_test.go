package mesh_test

import (
	"strings"
	"testing"

	"restic-manager/protocol/mesh"
)

func TestAgentURL(t *testing.T) {
	ok := []struct{ in, want string }{
		{"restic-manager", "ws://restic-manager:8443/v1/agent"},
		{"restic-manager.tail1234.ts.net", "ws://restic-manager.tail1234.ts.net:8443/v1/agent"},
		{"restic-manager:9000", "ws://restic-manager:9000/v1/agent"},
		{"100.64.0.1", "ws://100.64.0.1:8443/v1/agent"},
		{"  restic-manager  ", "ws://restic-manager:8443/v1/agent"},
		{"ws://127.0.0.1:8931", "ws://127.0.0.1:8931/v1/agent"},
		{"ws://127.0.0.1:8931/", "ws://127.0.0.1:8931/v1/agent"},
		{"wss://manager.example.org", "wss://manager.example.org/v1/agent"},
		{"ws://manager:8931/custom/path", "ws://manager:8931/custom/path"},
		{"ws://[::1]:8931", "ws://[::1]:8931/v1/agent"},
	}
	for _, c := range ok {
		got, err := mesh.AgentURL(c.in)
		if err != nil || got != c.want {
			t.Errorf("AgentURL(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, mention string }{
		{"", "empty"},
		{"http://manager:8931", "scheme"},
		{"https://manager", "scheme"},
		{"ftp://manager", "scheme"},
		{"ws://", "no host"},
		{"ws://:8931", "no host"},
		{"ws://manager:99999", "port"},
		{"restic-manager:0", "port"},
		{"restic manager", "tailnet name"},
		{"restic-manager/v1/agent", "tailnet name"},
		{"-bad-", "tailnet name"},
		{"ws://user:s3cret@manager:8931", "credentials"},
	}
	for _, c := range bad {
		got, err := mesh.AgentURL(c.in)
		if err == nil {
			t.Errorf("AgentURL(%q) = %q, want an error mentioning %q", c.in, got, c.mention)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("AgentURL(%q) error %q does not mention %q", c.in, err, c.mention)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("AgentURL error leaks the password: %q", err)
		}
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"ws://restic-manager:8443/v1/agent": "restic-manager",
		"ws://[::1]:8931/v1/agent":          "::1",
		"wss://m.example.org/v1/agent":      "m.example.org",
	} {
		if got := mesh.HostOf(in); got != want {
			t.Errorf("HostOf(%q) = %q, want %q", in, got, want)
		}
	}
}
