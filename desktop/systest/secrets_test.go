package systest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/storage"
)

// The repository password and the agent's token never reach the
// manager's bbolt file (its raw bytes, free pages included), the hub's
// log, the agent's log or the agent's journal — after everything that
// carries them has happened: enrollment, config pushes, jobs with hooks
// that print their environment, an agent restart (hello with the token)
// and a manager restart (config pushed again).
func TestSecretsNeverReachStoresOrLogs(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "secretive-pc"})
	hookGroup(t, f, a, 1, 1, func(g *hub.SourceGroup) {
		// A hook that prints its environment would put a leaked
		// RESTIC_PASSWORD into the job log, hence into the store.
		g.PreHook = "env; " + g.PreHook
	})
	a.Backup(t)
	f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "check"}), "succeeded")
	a.Restart(t)
	f.WaitOnline(t, a.HostID)
	f.Close(t)
	f.Reopen(t)
	f.WaitOnline(t, a.HostID)
	a.Backup(t)
	token := agentToken(t, a)

	a.Stop(t)
	f.Close(t) // both bbolt files complete and closed before reading them

	read := func(path string) []byte {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	places := []struct {
		name string
		data []byte
		// marker shows the test read the right thing: something that must
		// be there.
		marker string
	}{
		{"the manager's bbolt file", read(filepath.Join(f.StoreDir(), storage.FileName)), a.HostID},
		{"the hub's log", []byte(f.Logs()), "config.update sent"},
		{"the agent's log", []byte(a.Log()), "runner: job finished"},
		{"the agent's journal", read(filepath.Join(a.State, "journal.db")), a.Repo},
	}
	secrets := map[string]string{"the repository password": a.Password, "the agent's token": token}
	for _, p := range places {
		if !bytes.Contains(p.data, []byte(p.marker)) {
			t.Errorf("%s lacks %q: not what the test meant to read", p.name, p.marker)
		}
		for what, secret := range secrets {
			if bytes.Contains(p.data, []byte(secret)) {
				t.Errorf("%s contains %s", p.name, what)
			}
		}
	}
}

// agentToken reads the agent's token from its 0600 secrets file
// (--no-keyring): slot name → credentials JSON.
func agentToken(t *testing.T, a *testfleet.Agent) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(a.State, "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var slots map[string]string
	if err := json.Unmarshal(raw, &slots); err != nil {
		t.Fatal(err)
	}
	var c struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(slots["agent"]), &c); err != nil || len(c.Password) < 20 {
		t.Fatalf("agent slot of secrets.json: %v; want the agent's token", err)
	}
	var repo struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(slots["repo"]), &repo); err != nil || repo.Password != a.Password {
		t.Fatal("the repo slot of secrets.json does not hold the repository password: the file is not what the test expects")
	}
	return c.Password
}
