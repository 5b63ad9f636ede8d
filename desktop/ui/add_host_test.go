package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

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
	pin := "sha256:" + strings.Repeat("c4", 32)
	u, app := newTestUI(t, h, Options{AgentURLs: []string{"wss://192.168.1.20:8931", "restic-manager"}, ManagerPin: pin})
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
	// desktop/hub's install tests pin the commands whole; here: the
	// dialog passes the address, the pin and the new token through.
	want := "install --manager wss://192.168.1.20:8931 --manager-pin " + pin + " --enroll-file -"
	if !strings.Contains(a.linux.Text, "sudo restic-agent "+want+" <<'ENROLL'\n"+a.issued.Token+"\nENROLL\n") {
		t.Errorf("linux commands lack %q with the new token on its standard input:\n%s", want, a.linux.Text)
	}
	if !strings.Contains(a.windows.Text, "'"+a.issued.Token+"' | & 'C:\\Program Files\\restic-agent\\restic-agent.exe' "+want+"\n") {
		t.Errorf("windows commands lack %q with the new token piped in:\n%s", want, a.windows.Text)
	}
	if a.pin.Text != pin {
		t.Errorf("the dialog shows pin %q; want %s", a.pin.Text, pin)
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
	if !strings.Contains(a.linux.Text, "restic-agent_0.1.0_arm64.deb") || !strings.Contains(a.linux.Text, "--manager restic-manager --enroll-file") {
		t.Errorf("linux commands for restic-manager on arm64:\n%s", a.linux.Text)
	}
	if !a.managerNote.Visible() || !strings.Contains(a.managerNote.Text, "tailscaled") {
		t.Errorf("a tailnet name's note = %q (shown %v); want the tailscaled hint", a.managerNote.Text, a.managerNote.Visible())
	}
	a.manager.SetText("ws://bad host")
	if !a.copyLinux.Disabled() || !a.copyWindow.Disabled() {
		t.Error("Copy stays enabled for an address with a space")
	}
	// An unencrypted LAN address is refused as the agent would refuse it.
	a.manager.SetText("ws://192.168.1.20:8931")
	if !a.copyLinux.Disabled() || !strings.Contains(a.managerNote.Text, "wss://192.168.1.20:8931") {
		t.Errorf("ws:// to a LAN address: Copy disabled %v, note %q; want it refused with the wss:// fix", a.copyLinux.Disabled(), a.managerNote.Text)
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
	if !strings.HasPrefix(a.manager.Text, "wss://") || !strings.HasSuffix(a.manager.Text, ":8931") || strings.Contains(a.manager.Text, "127.0.0.1") {
		t.Errorf("manager address %q; want wss://<this machine>:8931", a.manager.Text)
	}
	if !a.managerNote.Visible() || !strings.Contains(a.managerNote.Text, "--listen 0.0.0.0:8931") {
		t.Errorf("note %q; want the --listen hint", a.managerNote.Text)
	}
	toks, _ := h.EnrollTokens()
	if len(toks) != 1 || toks[0].Uses != 1 || toks[0].ExpiresAt.Sub(toks[0].CreatedAt) != hub.DefaultEnrollTTL {
		t.Errorf("tokens %+v; want one of 1 use for 24 h (the defaults)", toks)
	}
}
