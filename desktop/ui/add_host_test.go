package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

func TestInstallCommands(t *testing.T) {
	for _, c := range []struct {
		name          string
		in            installParams
		linux, window []string
	}{
		{
			name: "LAN listener, amd64",
			in:   installParams{Manager: "ws://manager.example:8931", Token: "TOKEN", Arch: "amd64", Version: "0.1.0"},
			linux: []string{
				"sudo install -m 0755 restic-agent_0.1.0_linux_amd64 /usr/local/bin/restic-agent",
				"sudo tee /etc/systemd/system/restic-agent.service >/dev/null <<'UNIT'",
				"[Unit]",
				"Description=Restic Manager agent",
				"Wants=network-online.target",
				"After=network-online.target",
				"",
				"[Service]",
				"ExecStart=/usr/local/bin/restic-agent --manager ws://manager.example:8931 --enroll TOKEN --state /var/lib/restic-agent",
				"Restart=always",
				"RestartSec=10",
				"",
				"[Install]",
				"WantedBy=multi-user.target",
				"UNIT",
				"sudo systemctl daemon-reload",
				"sudo systemctl enable --now restic-agent",
				"journalctl -u restic-agent -f      # watch it enroll",
			},
			window: []string{
				`New-Item -ItemType Directory -Force -Path 'C:\Program Files\restic-agent' | Out-Null`,
				`Copy-Item .\restic-agent_0.1.0_windows_amd64.exe 'C:\Program Files\restic-agent\restic-agent.exe'`,
				`$action = New-ScheduledTaskAction -Execute 'C:\Program Files\restic-agent\restic-agent.exe' ` + "`",
				`  -Argument '--manager ws://manager.example:8931 --enroll TOKEN --state C:\ProgramData\restic-agent'`,
				`$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Seconds 0) ` + "`",
				`  -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1)`,
				`Register-ScheduledTask -TaskName 'restic-agent' -Action $action -Settings $settings ` + "`",
				`  -Trigger (New-ScheduledTaskTrigger -AtStartup) -User 'SYSTEM' -RunLevel Highest`,
				`Start-ScheduledTask -TaskName 'restic-agent'`,
			},
		},
		{
			// systemd expands % specifiers: a literal % is written %%.
			// PowerShell's '…' strings double a quote (the dialog refuses
			// quotes in an address; the escaping is the last line of defence).
			name:  "tailnet name on arm64, with characters to escape",
			in:    installParams{Manager: "restic-manager%1", Token: "ab-_9'z", Arch: "arm64", Version: "0.2.0"},
			linux: []string{"sudo install -m 0755 restic-agent_0.2.0_linux_arm64 /usr/local/bin/restic-agent", "ExecStart=/usr/local/bin/restic-agent --manager restic-manager%%1 --enroll ab-_9'z --state /var/lib/restic-agent"},
			window: []string{
				`Copy-Item .\restic-agent_0.2.0_windows_arm64.exe 'C:\Program Files\restic-agent\restic-agent.exe'`,
				`  -Argument '--manager restic-manager%1 --enroll ab-_9''z --state C:\ProgramData\restic-agent'`,
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			linux := strings.Split(linuxInstallCommands(c.in), "\n")
			windows := strings.Split(windowsInstallCommands(c.in), "\n")
			hasLines(t, "linux", linux, c.linux, c.name == "LAN listener, amd64")
			hasLines(t, "windows", windows, c.window, c.name == "LAN listener, amd64")
		})
	}
}

// hasLines checks that got holds want's lines (exactly got, when
// whole).
func hasLines(t *testing.T, what string, got, want []string, whole bool) {
	t.Helper()
	if whole {
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s commands:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("%s commands lack the line\n%s\nin:\n%s", what, w, strings.Join(got, "\n"))
		}
	}
}

func TestTokenFieldsValidate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration // 0: refused
	}{
		{"24h", 24 * time.Hour}, {"90m", 90 * time.Minute}, {"7d", 7 * 24 * time.Hour}, {"1d12h", 36 * time.Hour},
		{"48", 48 * time.Hour}, {" 2 h ", 2 * time.Hour}, {"90d", 90 * 24 * time.Hour},
		{"", 0}, {"soon", 0}, {"0", 0}, {"30s", 0}, {"91d", 0}, {"-1h", 0}, {"d", 0},
	} {
		got, err := parseTokenTTL(c.in)
		if (err == nil) != (c.want != 0) || got != c.want {
			t.Errorf("valid for %q = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		want int
	}{{"1", 1}, {" 25 ", 25}, {"1000", 1000}, {"0", 0}, {"1001", 0}, {"-3", 0}, {"two", 0}, {"1.5", 0}} {
		got, err := parseTokenUses(c.in)
		if (err == nil) != (c.want != 0) || got != c.want {
			t.Errorf("uses %q = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestAddHostCreatesTokenAndShowsCommands(t *testing.T) {
	h, _ := storeHub(t, hub.Options{}, nil)
	u, app := newTestUI(t, h, Options{AgentURLs: []string{"ws://192.168.1.20:8931", "restic-manager"}})
	a := newAddHostDialog(u)
	if a.create.Disabled() || a.uses.Text != "1" || a.ttl.Text != "24h" {
		t.Errorf("defaults: uses %q, valid for %q; want 1 and 24h", a.uses.Text, a.ttl.Text)
	}
	if uitest.Button(a.tokens, "Revoke") != nil {
		t.Error("a fresh store lists a token")
	}

	// Invalid input disables Create as it is typed.
	a.uses.SetText("")
	test.Type(a.uses, "0")
	if !a.create.Disabled() {
		t.Error("Create is enabled for 0 hosts")
	}
	a.uses.SetText("3")
	a.ttl.SetText("soon")
	if !a.create.Disabled() {
		t.Error("Create is enabled for a duration of \"soon\"")
	}
	a.ttl.SetText("2h")
	if a.create.Disabled() {
		t.Fatal("Create is disabled for 3 hosts, 2h")
	}
	before := time.Now()
	test.Tap(a.create)

	toks, err := h.EnrollTokens()
	if err != nil || len(toks) != 1 {
		t.Fatalf("hub tokens = %+v, %v; want one", toks, err)
	}
	tok := toks[0]
	if tok.Uses != 3 || tok.Used != 0 || tok.ExpiresAt.Before(before.Add(2*time.Hour-time.Minute)) || tok.ExpiresAt.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("token = %+v; want 3 uses, expiring in 2 h", tok)
	}
	if a.issued.ID != tok.ID || a.issued.Token == "" || a.token.Text != a.issued.Token {
		t.Fatalf("shown token %q (id %s); want the new token's plain text", a.token.Text, a.issued.ID)
	}
	want := "--manager ws://192.168.1.20:8931 --enroll " + a.issued.Token + " --state"
	if !strings.Contains(a.linux.Text, "ExecStart=/usr/local/bin/restic-agent "+want+" /var/lib/restic-agent") {
		t.Errorf("linux commands lack %q:\n%s", want, a.linux.Text)
	}
	if !strings.Contains(a.windows.Text, "-Argument '"+want+` C:\ProgramData\restic-agent'`) {
		t.Errorf("windows commands lack %q:\n%s", want, a.windows.Text)
	}
	if a.managerNote.Visible() {
		t.Errorf("a LAN address shows a note: %q", a.managerNote.Text)
	}

	// Copy puts the exact text on the clipboard.
	test.Tap(a.copyLinux)
	if got := app.Clipboard().Content(); got != a.linux.Text {
		t.Errorf("clipboard after Copy (Linux) = %q; want the Linux commands", got)
	}
	test.Tap(a.copyToken)
	if got := app.Clipboard().Content(); got != a.issued.Token {
		t.Errorf("clipboard after Copy (token) = %q; want the token", got)
	}

	// Another address and architecture rewrite the commands; a bad
	// address is refused.
	a.manager.SetText("restic-manager")
	a.arch.SetSelected("arm64")
	if !strings.Contains(a.linux.Text, "restic-agent_0.1.0_linux_arm64") || !strings.Contains(a.linux.Text, "--manager restic-manager --enroll") {
		t.Errorf("linux commands for restic-manager on arm64:\n%s", a.linux.Text)
	}
	if !a.managerNote.Visible() || !strings.Contains(a.managerNote.Text, "tailscaled") {
		t.Errorf("a tailnet name's note = %q (shown %v); want the tailscaled hint", a.managerNote.Text, a.managerNote.Visible())
	}
	a.manager.SetText("ws://bad host")
	if !a.copyLinux.Disabled() || !a.copyWindow.Disabled() {
		t.Error("Copy stays enabled for an address with a space")
	}

	// The list of a new dialog shows the token, and Revoke removes it.
	a.dlg.Hide()
	if _, open := u.bus.listeners[a.sc]; open {
		t.Error("the closed dialog still listens to the hub")
	}
	b := newAddHostDialog(u)
	rev := b.revoke[tok.ID]
	if rev == nil {
		t.Fatalf("the token list lacks %s", tok.ID)
	}
	if line := tokenLine(tok, time.Now()); !strings.Contains(line, "3 uses left of 3 · expires in 1 h 59 min") && !strings.Contains(line, "3 uses left of 3 · expires in 2 h") {
		t.Errorf("token line %q; want 3 uses left of 3, expiring in about 2 h", line)
	}
	test.Tap(rev)
	if toks, _ := h.EnrollTokens(); len(toks) != 0 {
		t.Fatalf("after Revoke the hub has %+v", toks)
	}
	app.WaitFor(t, "the revoked token to leave the list", func() bool { return b.revoke[tok.ID] == nil })
}

func TestAddHostWithoutListenerNamesThisMachine(t *testing.T) {
	h, _ := storeHub(t, hub.Options{}, nil)
	u, _ := newTestUI(t, h, Options{})
	a := newAddHostDialog(u)
	test.Tap(a.create)
	if !strings.HasPrefix(a.manager.Text, "ws://") || !strings.HasSuffix(a.manager.Text, ":8931") || strings.Contains(a.manager.Text, "127.0.0.1") {
		t.Errorf("manager address %q; want ws://<this machine>:8931", a.manager.Text)
	}
	if !a.managerNote.Visible() || !strings.Contains(a.managerNote.Text, "--listen 0.0.0.0:8931") {
		t.Errorf("note %q; want the --listen hint", a.managerNote.Text)
	}
	toks, _ := h.EnrollTokens()
	if len(toks) != 1 || toks[0].Uses != 1 || toks[0].ExpiresAt.Sub(toks[0].CreatedAt) != hub.DefaultEnrollTTL {
		t.Errorf("tokens %+v; want one of 1 use for 24 h (the defaults)", toks)
	}
}

func TestManagerChoices(t *testing.T) {
	for _, c := range []struct {
		urls    []string
		first   string
		offered []string
		comment string
	}{
		{nil, "ws://laptop:8931", []string{"ws://laptop:8931"}, "no listener: this machine on the default port"},
		{[]string{"ws://127.0.0.1:8931"}, "ws://127.0.0.1:8931", []string{"ws://127.0.0.1:8931", "ws://laptop:8931"}, "loopback: also this machine's name"},
		{[]string{"restic-manager", "ws://10.0.0.5:9000"}, "restic-manager", []string{"restic-manager", "ws://10.0.0.5:9000"}, "tailnet first, LAN second"},
	} {
		first, offered := managerChoices(c.urls, "laptop")
		if first != c.first || strings.Join(offered, " ") != strings.Join(c.offered, " ") {
			t.Errorf("%s: %q, %q; want %q, %q", c.comment, first, offered, c.first, c.offered)
		}
	}
}
