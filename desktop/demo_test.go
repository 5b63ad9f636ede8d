package main

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

// The demo sets up its own agent — the host that enrolled with the demo's
// token — and no other: a second host enrolled meanwhile through "Add
// host" got the demo's repository and group, and failed at once. The
// init and first backup the demo starts are the manager's setup, never
// the operator's. Real bbolt store, real hub.
func TestDemoSetsUpOnlyItsOwnHost(t *testing.T) {
	st, err := storage.OpenDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := hub.New(hub.Options{Store: st, Secrets: secrets.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	const demoToken = "demo-0123456789abcdef"
	if _, err := h.SeedEnrollToken(demoToken, 1, 0); err != nil {
		t.Fatal(err)
	}
	other, err := h.CreateEnrollToken(1, 0) // "Add host"
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	enroll := func(token, agent string) string {
		t.Helper()
		r, err := st.Enroll(storage.EnrollRequest{EnrollToken: token, AgentID: agent, AgentToken: "tok-" + agent,
			Info: storage.HostInfo{Hostname: agent}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return r.Host.ID
	}
	demoHost := enroll(demoToken, "demo-host")
	second := enroll(other.Token, "office-pc2")

	d := &demo{hub: h, cfg: demoConfig{Repo: "/srv/demo-repo", Files: "/srv/demo-files", EnrollToken: demoToken},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), done: map[string]bool{}}
	d.configure()
	d.configure() // a second change notice changes nothing

	if repo, _ := h.Repository(demoHost); repo.URL != "/srv/demo-repo" || !repo.PasswordSet {
		t.Errorf("the demo's host has repository %+v; want the demo repository with a password", repo)
	}
	page, err := h.Jobs(demoHost, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, j := range page.Jobs {
		kinds[j.Kind] = j.Origin
		if got := h.OriginLabel(j); got != "manager: setup" {
			t.Errorf("%s job labelled %q; want manager: setup", j.Kind, got)
		}
	}
	if len(page.Jobs) != 2 || kinds["init"] != hub.OriginSetup || kinds["backup"] != hub.OriginSetup {
		t.Errorf("the demo's host has jobs %v; want init and backup, origin setup", kinds)
	}

	if repo, _ := h.Repository(second); repo.URL != "" || repo.PasswordSet {
		t.Errorf("the second host got repository %+v; want none", repo)
	}
	if groups, _ := h.SourceGroups(second); len(groups) != 0 {
		t.Errorf("the second host got groups %v", groups)
	}
	if page, _ := h.Jobs(second, "", 10); len(page.Jobs) != 0 {
		t.Errorf("the second host got %d jobs", len(page.Jobs))
	}
}
