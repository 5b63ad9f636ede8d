package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/internal/boltfile/bolttest"
	"restic-manager/storage"
)

// The manager starts on a damaged store and tells the admin at start what
// happened: a file that is not a database is moved aside (and what could
// be read is salvaged), and a host record that does not decode is
// quarantined and named, while every other host loads.
func TestADamagedStoreStartsTheManagerWithNoticesForTheAdmin(t *testing.T) {
	start := func(dir string) *manager {
		t.Helper()
		m, err := startManager(config{DataDir: dir, Listen: "127.0.0.1:0", Headless: true, MemorySecrets: true},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatalf("startManager on a damaged store: %v; want it to start", err)
		}
		t.Cleanup(m.close)
		return m
	}

	junk := t.TempDir()
	if err := os.WriteFile(filepath.Join(junk, storage.FileName), []byte(strings.Repeat("not a database ", 5000)), 0o600); err != nil {
		t.Fatal(err)
	}
	m := start(junk)
	if len(m.notices) != 1 || !strings.Contains(m.notices[0], "moved aside") {
		t.Errorf("notices %q; want one saying the file was moved aside", m.notices)
	}

	dir := t.TempDir()
	st, err := storage.OpenDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var bad string
	for _, name := range []string{"front-desk", "kitchen", "office"} {
		tok := "enroll-" + name + "-0123456789"
		if _, err := st.CreateEnrollToken(tok, 1, now.Add(time.Hour), now); err != nil {
			t.Fatal(err)
		}
		r, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok, AgentID: "a-" + name, AgentToken: "t-" + name, Info: storage.HostInfo{Hostname: name}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if name == "kitchen" {
			bad = r.Host.ID
		}
	}
	st.Close()
	bolttest.Scribble(t, filepath.Join(dir, storage.FileName), `"hostname":"kitchen"`)
	m = start(dir)
	if len(m.notices) != 1 || !strings.Contains(m.notices[0], "quarantine") || !strings.Contains(m.notices[0], bad) {
		t.Errorf("notices %q; want one naming host %s as quarantined", m.notices, bad)
	}
	hosts, err := m.hub.Hosts()
	if err != nil || len(hosts) != 2 {
		t.Errorf("hosts after start: %d (%v); want the two others", len(hosts), err)
	}
}
