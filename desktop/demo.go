package main

import (
	"crypto/rand"
	"encoding/hex"
	"sync"

	"restic-manager/desktop/hub"
)

// demoConfig is make demo's setup (--demo-repo, --demo-files).
type demoConfig struct {
	Repo  string // a local repository path (created by the init job)
	Files string // the folder the demo source group backs up
}

const demoGroup = "demo-files"

// startDemo gives every approved host without a repository the demo
// repository (with a fresh random password, kept like any other in the
// secrets store), a source group of the demo files with a retention
// policy, a schedule every 15 minutes, and then runs init and a first
// backup — everything through the hub's API, as the window would.
func startDemo(m *manager, d demoConfig) {
	var (
		mu   sync.Mutex
		done = map[string]bool{}
	)
	configure := func() {
		mu.Lock()
		defer mu.Unlock()
		hosts, err := m.hub.Hosts()
		if err != nil {
			m.log.Error("demo: list hosts", "err", err)
			return
		}
		for _, h := range hosts {
			if done[h.Host.ID] || h.Pending || h.Host.Status != hub.StatusApproved {
				continue
			}
			done[h.Host.ID] = true
			if repo, err := m.hub.Repository(h.Host.ID); err == nil && repo.URL != "" {
				continue // configured by an earlier demo run
			}
			if err := demoConfigure(m.hub, h.Host.ID, d); err != nil {
				m.log.Error("demo: configure host", "host", h.Host.DisplayName(), "err", err)
				continue
			}
			m.log.Info("demo: host configured with the demo repository; init and a first backup are on their way", "host", h.Host.DisplayName(), "repo", d.Repo)
		}
	}
	ch, cancel := m.hub.Subscribe()
	go func() {
		defer cancel()
		for c := range ch {
			if c.Kind == hub.ChangeHosts || c.Kind == hub.ChangeHost || c.Kind == hub.ChangeAll {
				configure()
			}
		}
	}()
	configure()
}

func demoConfigure(h *hub.Hub, hostID string, d demoConfig) error {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	password := hex.EncodeToString(b)
	if err := h.SetRepository(hostID, hub.RepositoryUpdate{URL: &d.Repo, Password: &password}); err != nil {
		return err
	}
	keep := 5
	if err := h.PutSourceGroup(hostID, hub.SourceGroup{Name: demoGroup, Includes: []string{d.Files},
		Retention: hub.RetentionPolicy{KeepLast: keep}, RetryMax: 2, RetryBackoffSeconds: 5}); err != nil {
		return err
	}
	if _, err := h.PutSchedule(hostID, hub.Schedule{CronExpr: "*/15 * * * *", Enabled: true, Groups: []string{demoGroup}}); err != nil {
		return err
	}
	if _, err := h.RunNow(hostID, hub.RunRequest{Kind: "init"}); err != nil {
		return err
	}
	_, err := h.RunNow(hostID, hub.RunRequest{Kind: "backup", Group: demoGroup})
	return err
}
