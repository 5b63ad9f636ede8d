package hub

import (
	"errors"
	"strings"
	"testing"

	"restic-manager/internal/lantls"
)

var testPin = "sha256:" + strings.Repeat("5e", 32)

// The install commands, whole: the package, then one restic-agent install
// with the address, the pin and the token on standard input — never in
// argv, so never in the service's definition either; a wss:// address
// carries the manager's pin.
func TestInstallCommands(t *testing.T) {
	in := InstallSpec{Manager: "wss://manager.example:8931", Pin: testPin, Token: "TOKEN-abc", Arch: "amd64", Version: "0.1.0"}
	linux := []string{
		"sudo apt install ./restic-agent_0.1.0_amd64.deb",
		"sudo restic-agent install --manager wss://manager.example:8931 --manager-pin " + testPin + " --enroll-file - <<'ENROLL'",
		"TOKEN-abc",
		"ENROLL",
		"journalctl -u restic-agent -f      # watch it enroll",
	}
	windows := []string{
		`Expand-Archive -Force .\restic-agent_0.1.0_windows_amd64.zip 'C:\Program Files\restic-agent'`,
		`'TOKEN-abc' | & 'C:\Program Files\restic-agent\restic-agent.exe' install --manager wss://manager.example:8931 --manager-pin ` + testPin + ` --enroll-file -`,
		`Get-Content -Wait 'C:\ProgramData\restic-agent\restic-agent.log'      # watch it enroll`,
	}
	if got := LinuxInstallCommands(in); got != strings.Join(linux, "\n") {
		t.Errorf("linux commands:\n%s\nwant:\n%s", got, strings.Join(linux, "\n"))
	}
	if got := WindowsInstallCommands(in); got != strings.Join(windows, "\n") {
		t.Errorf("windows commands:\n%s\nwant:\n%s", got, strings.Join(windows, "\n"))
	}

	// The token appears once in each, fed to install's standard input or
	// written to the enrollment file, never on a command line.
	for name, cmds := range map[string]string{"linux": LinuxInstallCommands(in), "linux-run": LinuxRunCommands(in), "windows": WindowsInstallCommands(in)} {
		if n := strings.Count(cmds, "TOKEN-abc"); n != 1 {
			t.Errorf("%s: the token appears %d times; want once, on install's standard input or in the token file", name, n)
		}
		for _, line := range strings.Split(cmds, "\n") {
			if _, args, ok := strings.Cut(line, "restic-agent"); ok && strings.Contains(args, "TOKEN") {
				t.Errorf("%s: the agent's command line carries the token: %s", name, line)
			}
		}
	}
}

// The foreground run, for a machine without systemd, reads the same
// token file and starts the downloaded binary itself.
func TestLinuxRunCommands(t *testing.T) {
	in := InstallSpec{Manager: "restic-manager", Token: "TOKEN-abc", Arch: "arm64", Version: "0.2.0"}
	got := LinuxRunCommands(in)
	want := "sudo ./restic-agent_0.2.0_linux_arm64 --manager restic-manager --enroll-file /etc/restic-agent/enroll --state /var/lib/restic-agent"
	if !strings.HasSuffix(got, "\n"+want) || !strings.Contains(got, "cat > /etc/restic-agent/enroll' <<'ENROLL'\nTOKEN-abc\nENROLL\n") {
		t.Errorf("linux run commands:\n%s\nwant the token file, then:\n%s", got, want)
	}
}

// A tailnet name has no pin; PowerShell quotes in a token are escaped (the
// manager issues none; the escaping is the last defence).
func TestInstallCommandsEscape(t *testing.T) {
	in := InstallSpec{Manager: "restic-manager", Pin: testPin, Token: "ab-_9'z", Arch: "arm64", Version: "0.2.0"}
	linux, windows := LinuxInstallCommands(in), WindowsInstallCommands(in)
	for _, want := range []string{
		"sudo apt install ./restic-agent_0.2.0_arm64.deb",
		"sudo restic-agent install --manager restic-manager --enroll-file - <<'ENROLL'",
	} {
		if !strings.Contains(linux, want+"\n") {
			t.Errorf("linux commands lack %q:\n%s", want, linux)
		}
	}
	for _, want := range []string{
		`Expand-Archive -Force .\restic-agent_0.2.0_windows_arm64.zip 'C:\Program Files\restic-agent'`,
		`'ab-_9''z' | & 'C:\Program Files\restic-agent\restic-agent.exe' install --manager restic-manager --enroll-file -`,
	} {
		if !strings.Contains(windows, want+"\n") {
			t.Errorf("windows commands lack %q:\n%s", want, windows)
		}
	}
	if strings.Contains(linux+windows, "manager-pin") {
		t.Error("a tailnet name got --manager-pin")
	}
}

// "Add host" refuses what the agent would refuse at start, in its words.
func TestCheckInstallManager(t *testing.T) {
	for _, ok := range []struct{ addr, pin string }{
		{"wss://laptop:8931", testPin}, {"restic-manager", ""}, {"restic-manager", testPin},
		{"ws://127.0.0.1:8931", testPin}, // the pin is for wss:// only: not added
	} {
		if err := CheckInstallManager(ok.addr, ok.pin); err != nil {
			t.Errorf("CheckInstallManager(%q) = %v; want nil", ok.addr, err)
		}
	}
	for _, bad := range []struct {
		addr, pin string
		want      error
		text      string
	}{
		{"ws://192.168.1.20:8931", testPin, lantls.ErrUnencrypted, "wss://192.168.1.20:8931"},
		{"wss://laptop:8931", "", lantls.ErrNoPin, "--listen 0.0.0.0:8931"},
		{"", testPin, nil, "e.g. wss://"},
		{"ws://bad host", testPin, nil, "no spaces"},
		{"wss://laptop:8931/$(reboot)", testPin, nil, "$"},
	} {
		err := CheckInstallManager(bad.addr, bad.pin)
		if err == nil || (bad.want != nil && !errors.Is(err, bad.want)) || !strings.Contains(err.Error(), bad.text) {
			t.Errorf("CheckInstallManager(%q) = %v; want %v mentioning %q", bad.addr, err, bad.want, bad.text)
		}
	}
}

func TestInstallManagerChoicesAndNotes(t *testing.T) {
	for _, c := range []struct {
		urls    []string
		first   string
		offered []string
		comment string
	}{
		{nil, "wss://laptop:8931", []string{"wss://laptop:8931"}, "no listener: this machine on the default port, over TLS"},
		{[]string{"ws://127.0.0.1:8931"}, "ws://127.0.0.1:8931", []string{"ws://127.0.0.1:8931", "wss://laptop:8931"}, "loopback: also this machine's name, over TLS"},
		{[]string{"wss://127.0.0.1:9000"}, "wss://127.0.0.1:9000", []string{"wss://127.0.0.1:9000", "wss://laptop:9000"}, "loopback with --tls"},
		{[]string{"restic-manager", "wss://laptop:8931"}, "restic-manager", []string{"restic-manager", "wss://laptop:8931"}, "tailnet first, LAN second"},
	} {
		first, offered := InstallManagerChoices(c.urls, "laptop")
		if first != c.first || strings.Join(offered, " ") != strings.Join(c.offered, " ") {
			t.Errorf("%s: %q, %q; want %q, %q", c.comment, first, offered, c.first, c.offered)
		}
	}
	for _, c := range []struct {
		addr string
		urls []string
		want string // "" for no note
	}{
		{"wss://laptop:8931", []string{"wss://laptop:8931"}, ""},
		{"wss://laptop:8931", []string{"ws://127.0.0.1:8931"}, "--listen 0.0.0.0:8931"},
		{"wss://laptop:8931", nil, "--listen 0.0.0.0:8931"},
		{"ws://127.0.0.1:8931", []string{"ws://127.0.0.1:8931"}, "only on this machine"},
		{"restic-manager", []string{"restic-manager"}, "tailscaled"},
	} {
		got := InstallNote(c.addr, c.urls)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("InstallNote(%q, %q) = %q; want a note with %q", c.addr, c.urls, got, c.want)
		}
	}
}
