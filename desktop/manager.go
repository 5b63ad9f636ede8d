package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/hubnet"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol/mesh"
	"restic-manager/storage"
)

// manager is the running server: store, secrets, hub, listeners and the
// tailnet node. The window (window.go) sits on top of it.
type manager struct {
	log     *slog.Logger
	store   *storage.Store
	secrets secrets.Store
	hub     *hub.Hub
	node    *mesh.Node // nil without --tailnet

	// agentURLs are what agents can dial, best first (for "Add host").
	agentURLs []string
	// pin is the TLS certificate's pin of the LAN listener ("" without
	// --listen), for "Add host"'s wss:// commands.
	pin string
	// notices are things the admin must read at start (a damaged database
	// moved aside, secrets that will not persist).
	notices []string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	failed chan error // a listener that stopped on its own
}

func newLogger(c config, w io.Writer) *slog.Logger {
	o := &slog.HandlerOptions{Level: slog.LevelInfo}
	if c.Debug {
		o.Level = slog.LevelDebug
	}
	if c.LogJSON {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

func run(c config, stderr io.Writer) error {
	log := newLogger(c, stderr)
	slog.SetDefault(log)
	m, err := startManager(c, log)
	if err != nil {
		return err
	}
	defer m.close()
	if c.Demo.Repo != "" {
		startDemo(m, c.Demo)
	}
	if !c.Headless {
		return runWindow(m, c)
	}
	ctx, stop := signal.NotifyContext(m.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("restic-manager serving headless", "version", version, "data", c.DataDir, "agents", strings.Join(m.agentURLs, " "))
	select {
	case <-ctx.Done():
		return nil
	case err := <-m.failed:
		return err
	}
}

// startManager opens everything and starts serving agents.
func startManager(c config, log *slog.Logger) (*manager, error) {
	m := &manager{log: log, failed: make(chan error, 2)}
	m.ctx, m.cancel = context.WithCancel(context.Background())

	st, err := storage.OpenDir(c.DataDir, nil)
	var damaged *storage.DamagedError
	if errors.As(err, &damaged) {
		log.Error("database damaged and moved aside; starting with what could be salvaged", "err", err)
		m.notices = append(m.notices, err.Error())
		st, err = storage.OpenDir(c.DataDir, nil)
	}
	if err != nil {
		return nil, err
	}
	m.store = st
	if q := st.Quarantined(); len(q) > 0 {
		what := make([]string, len(q))
		for i, r := range q {
			what[i] = r.String()
		}
		m.notices = append(m.notices, fmt.Sprintf("%d stored record(s) could not be read and were moved to quarantine; everything else loaded: %s", len(q), strings.Join(what, "; ")))
	}

	kr := secrets.NewKeyring()
	if c.MemorySecrets {
		log.Info("secrets kept in memory only (--memory-secrets)")
		m.secrets = secrets.NewMemory()
	} else if err := kr.Probe(); err != nil {
		msg := fmt.Sprintf("The OS keyring does not answer (%v): repository passwords are kept in memory only and are lost when the manager exits; agents keep theirs.", err)
		log.Warn("no OS keyring; secrets kept in memory only", "err", err)
		m.notices = append(m.notices, msg)
		m.secrets = secrets.NewMemory()
	} else {
		m.secrets = kr
	}

	m.hub, err = hub.New(hub.Options{Store: st, Secrets: m.secrets, Logger: log.With("component", "hub"), HeartbeatInterval: c.HeartbeatEvery,
		Notify: hub.NotifyOptions{Channels: c.Notify, SMTPPassword: c.SMTPPassword}})
	if err != nil {
		st.Close()
		return nil, err
	}
	if c.EnrollToken != "" {
		if _, err := m.hub.SeedEnrollToken(c.EnrollToken, c.EnrollUses, c.EnrollTTL); err != nil {
			m.close()
			return nil, err
		}
	}
	if c.Tailnet {
		if err := m.startTailnet(c); err != nil {
			m.close()
			return nil, err
		}
	}
	if c.Listen != "" {
		l, err := hubnet.LAN(c.Listen, hubnet.LANOptions{TLS: c.TLS, CertDir: filepath.Join(c.DataDir, "tls")})
		if err != nil {
			m.close()
			return nil, err
		}
		m.agentURLs = append(m.agentURLs, l.URL)
		m.pin = l.Pin
		if l.TLS {
			log.Info("agents connect with", "manager", l.URL, "pin", l.Pin)
		} else {
			log.Info("agents on this machine connect with", "manager", l.URL, "lan_pin", l.Pin,
				"note", "ws:// on loopback only; with --listen 0.0.0.0:8931 agents use wss:// and this pin")
		}
		m.serve(l.Listener)
	}
	if len(m.agentURLs) == 0 {
		log.Warn("no listener: agents cannot connect (give --listen or --tailnet)")
	}
	return m, nil
}

// startTailnet joins the tailnet and serves agents on it. The node logs in
// in the background: a login URL, when one is needed, reaches the log and
// the window through the node's status.
func (m *manager) startTailnet(c config) error {
	key, err := mesh.ReadAuthKey(c.AuthKeyFile)
	if err != nil {
		return err
	}
	if key == "" {
		key, _ = m.secrets.Get(secrets.ManagerID, secrets.TailnetAuthKey)
	}
	cfg := mesh.ManagerConfig(c.DataDir, c.TailnetHostname)
	cfg.ControlURL, cfg.AuthKey, cfg.Logger = c.ControlURL, key, m.log.With("component", "tailnet")
	node, err := mesh.Start(cfg)
	if err != nil {
		return fmt.Errorf("tailnet: %w", err)
	}
	m.node = node
	l, err := hubnet.Listener(node)
	if err != nil {
		return fmt.Errorf("tailnet: listen for agents: %w", err)
	}
	m.agentURLs = append(m.agentURLs, cfg.Hostname)
	m.serve(l)
	return nil
}

func (m *manager) serve(l hub.Listener) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.hub.Serve(m.ctx, l); err != nil && m.ctx.Err() == nil {
			m.log.Error("listener stopped", "listener", l.Name, "err", err)
			m.failed <- err
		}
	}()
}

// close stops serving, commits what was received, and closes the store.
func (m *manager) close() {
	m.cancel()
	if m.hub != nil {
		m.hub.Close()
	}
	m.wg.Wait()
	if m.node != nil {
		m.node.Close()
	}
	if m.store != nil {
		m.store.Close()
	}
}
