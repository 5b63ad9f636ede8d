package main

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"

	"restic-manager/desktop/hub"
)

// demoConfig is make demo's setup (--demo-repo, --demo-files).
type demoConfig struct {
	Repo  string // a local repository path (created by the init job)
	Files string // the folder the demo source group backs up
	// EnrollToken is --enroll-token: the demo's own agent enrolls with
	// it, and only the host that did gets the demo's setup.
	EnrollToken string
}

const demoGroup = "demo-files"

// demo gives the demo's own agent — the host that enrolled with the
// demo's enrollment token, never another host that enrolls meanwhile
// through "Add host" — the demo repository (with a fresh random password,
// kept like any other in the secrets store), a source group of the demo
// files with a retention policy, a schedule every 15 minutes, and then
// runs init and a first backup as the manager's own setup (origin
// "setup"): everything through the hub's API, as the window would.
type demo struct {
	hub *hub.Hub
	cfg demoConfig
	log *slog.Logger

	mu   sync.Mutex
	done map[string]bool
}

func startDemo(m *manager, d demoConfig) {
	dm := &demo{hub: m.hub, cfg: d, log: m.log, done: map[string]bool{}}
	ch, cancel := m.hub.Subscribe()
	go func() {
		defer cancel()
		for c := range ch {
			if c.Kind == hub.ChangeHosts || c.Kind == hub.ChangeHost || c.Kind == hub.ChangeAll {
				dm.configure()
			}
		}
	}()
	dm.configure()
}

// configure sets up the demo's host once it is approved.
func (d *demo) configure() {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids, err := d.hub.HostsEnrolledWith(d.cfg.EnrollToken)
	if err != nil {
		d.log.Error("demo: find the demo's host", "err", err)
		return
	}
	for _, id := range ids {
		if d.done[id] {
			continue
		}
		v, err := d.hub.Host(id)
		if err != nil || v.Host.Status != hub.StatusApproved {
			continue
		}
		d.done[id] = true
		if v.Repository.URL != "" {
			continue // configured by an earlier demo run
		}
		if err := demoConfigure(d.hub, id, d.cfg); err != nil {
			d.log.Error("demo: configure host", "host", v.Host.DisplayName(), "err", err)
			continue
		}
		d.log.Info("demo: host configured with the demo repository; init and a first backup are on their way", "host", v.Host.DisplayName(), "repo", d.cfg.Repo)
	}
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
	if _, err := h.RunForSetup(hostID, hub.RunRequest{Kind: "init"}); err != nil {
		return err
	}
	_, err := h.RunForSetup(hostID, hub.RunRequest{Kind: "backup", Group: demoGroup})
	return err
}
