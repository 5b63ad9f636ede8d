package daemon

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The agent id outlives the journal: the manager binds the host's token to
// it, and a damaged journal is replaced by one with a new id.
func TestTheAgentIDSurvivesANewJournal(t *testing.T) {
	state := t.TempDir()
	log := slog.New(slog.DiscardHandler)

	first, err := agentID(state, "journal-id-1", log)
	if err != nil || first != "journal-id-1" {
		t.Fatalf("first start: %q, %v; want the journal's id adopted", first, err)
	}
	fi, err := os.Stat(filepath.Join(state, agentIDFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("agent id file: %v, %v; want it written 0600", fi, err)
	}

	// The journal was moved aside and a new one made a new id.
	again, err := agentID(state, "journal-id-2", log)
	if err != nil || again != "journal-id-1" {
		t.Errorf("after a new journal: %q, %v; want the kept id journal-id-1", again, err)
	}
}

func TestAnEmptyAgentIDFileIsRefusedWithTheFix(t *testing.T) {
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, agentIDFile), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := agentID(state, "journal-id", slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Fatalf("empty id file: %v; want a refusal that says to remove it", err)
	}
}
