package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"restic-manager/agent/service"
	"restic-manager/internal/lantls"
)

const testPin = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// `restic-agent install` as "Add host" prints it, into a temp root: the
// flags parsed as the agent parses them reach the service, the token only
// its 0600 file, and RM_* in the installing shell reach nothing.
func TestInstallCommandLine(t *testing.T) {
	root := t.TempDir()
	tok := filepath.Join(t.TempDir(), "enroll")
	if err := os.WriteFile(tok, []byte("enr_secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RM_HOSTNAME", "from-the-shell")
	var out, errOut bytes.Buffer
	err := run([]string{"install", "--root", root, "--manager", "wss://manager.lan:8931", "--manager-pin", testPin, "--enroll-file", tok, "--no-hooks"}, &out, &errOut)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, errOut.String())
	}
	flags, err := os.ReadFile(filepath.Join(root, service.DefaultsPath))
	if err != nil {
		t.Fatal(err)
	}
	want := `RESTIC_AGENT_FLAGS="--enroll-file /etc/restic-agent/enroll --manager wss://manager.lan:8931 --manager-pin ` + testPin + ` --no-hooks --state /var/lib/restic-agent --cache-dir /var/cache/restic-agent"`
	if !strings.Contains(string(flags), want+"\n") {
		t.Errorf("flags file:\n%s\nwant the line\n%s", flags, want)
	}
	if fi, err := os.Stat(filepath.Join(root, "etc/restic-agent/enroll")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, %v", fi, err)
	}
	if !strings.Contains(out.String(), "--root: not enabling or starting the service") {
		t.Errorf("install says:\n%s", out.String())
	}
	if err := run([]string{"uninstall", "--root", root, "--purge"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{service.DefaultsPath, service.UnitPath, "/etc/restic-agent"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Errorf("%s left after uninstall", p)
		}
	}
}

// The manager address is refused as the agent would refuse it at start
// (lantls.CheckTransport), before anything is written.
func TestInstallRefusesAManagerTheAgentWouldRefuse(t *testing.T) {
	root := t.TempDir()
	tok := filepath.Join(t.TempDir(), "enroll")
	if err := os.WriteFile(tok, []byte("enr_secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run([]string{"install", "--root", root, "--manager", "ws://192.0.2.7:8931", "--enroll-file", tok}, &out, &errOut)
	if !errors.Is(err, lantls.ErrUnencrypted) {
		t.Fatalf("got %v, want lantls.ErrUnencrypted", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a refused install wrote %v", entries)
	}
}
