package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"restic-manager/agent/browse"
	"restic-manager/agent/journal"
	"restic-manager/agent/link"
	"restic-manager/agent/restic"
	"restic-manager/agent/runner"
	"restic-manager/agent/scheduler"
	"restic-manager/agent/secrets"
	"restic-manager/internal/lantls"
	"restic-manager/protocol"
	"restic-manager/protocol/mesh"
)

// Config is everything restic-agent's command line sets.
type Config struct {
	// Manager is --manager: wss://host:port, ws://127.0.0.1:port, or the
	// manager's tailnet name (lantls.CheckTransport says which are safe).
	Manager string
	// ManagerPin is --manager-pin: the pin of the manager's certificate,
	// required with a wss:// Manager.
	ManagerPin string
	// Token is --token: the per-host token the manager issued, used when
	// the secrets store holds none yet. TokenFile (--token-file) gives it
	// in a file instead, out of the process list.
	Token, TokenFile string
	// EnrollToken is --enroll: sent in hello until the agent holds its own
	// token or the manager has approved it, never after. EnrollFile
	// (--enroll-file) gives it in a file instead; once the agent is
	// enrolled the file may be removed.
	EnrollToken, EnrollFile string
	// NoHooks refuses every job and schedule set that carries a hook.
	NoHooks bool
	// StateDir is --state, created 0700 when missing.
	StateDir string

	// Tailnet joins with an embedded tsnet node (state in StateDir/tailnet).
	Tailnet bool
	// AuthKey joins the node the first time (TS_AUTHKEY or --auth-key-file).
	AuthKey string
	// ControlURL is a Headscale server; empty means Tailscale's (or
	// TS_CONTROL_URL's).
	ControlURL string

	// ResticPath is --restic; empty means restic on PATH.
	ResticPath string
	// CacheDir is --cache-dir: restic's cache, outside StateDir so a
	// growing cache never fills the journal's disk. Empty means
	// DefaultCacheDir.
	CacheDir string
	// Hostname overrides the machine's name (hello.hostname, restic
	// --host); empty means os.Hostname().
	Hostname string
	// NoKeyring keeps credentials in the 0600 file even when an OS keyring
	// answers.
	NoKeyring bool

	// Version is the agent's own version, for hello.agent_version.
	Version string
	// Logger; nil means slog.Default().
	Logger *slog.Logger

	// HeartbeatInterval and CancelGrace tune the link and the runner
	// (zero: their defaults of 30 s each).
	HeartbeatInterval time.Duration
	CancelGrace       time.Duration

	// NetDial opens the TCP connections to the manager over the host
	// network (nil: a net.Dialer); tests record through it what was
	// dialled.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// managerTransport is the URL the agent dials and the pin it checks,
// decided from --manager, --manager-pin and --tailnet alone, before
// anything is looked up or dialled.
func managerTransport(c Config) (url, pin string, err error) {
	url, err = mesh.AgentURL(c.Manager)
	if err != nil {
		return "", "", fmt.Errorf("--manager %q: %w", c.Manager, err)
	}
	pin, err = lantls.CheckTransport(c.Manager, c.ManagerPin, c.Tailnet)
	return url, pin, err
}

// CheckManager refuses the --manager and --manager-pin Run would refuse,
// in the same words: `restic-agent install` checks them before it sets
// up a service that could only fail.
func CheckManager(c Config) error {
	_, _, err := managerTransport(c)
	return err
}

// Run runs the agent until ctx ends. It returns an error only when the
// agent cannot start (bad flags, a state directory in use, no restic); once
// running, the manager being away is never an error.
func Run(ctx context.Context, c Config) error {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	if c.StateDir == "" {
		return errors.New("--state is required: the directory where the agent keeps its journal and credentials")
	}
	if c.Manager == "" {
		return errors.New("--manager is required: ws://host:port, or the manager's tailnet name")
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "windows" {
		return fmt.Errorf("restic-agent runs on Linux and Windows, not %s", runtime.GOOS)
	}
	url, pin, err := managerTransport(c)
	if err != nil {
		return err
	}
	token, err := tokenArg{flag: "--token", fileFlag: "--token-file", value: c.Token, file: c.TokenFile}.read()
	if err != nil {
		return err
	}
	enrollArg := tokenArg{flag: "--enroll", fileFlag: "--enroll-file", value: c.EnrollToken, file: c.EnrollFile}
	enroll, enrollErr := enrollArg.read()
	if enrollErr != nil && !errors.Is(enrollErr, errTokenFileMissing) {
		return enrollErr
	}
	for _, a := range []tokenArg{{fileFlag: "--token-file", file: c.TokenFile}, enrollArg} {
		if a.looseMode() {
			log.Warn("a token file is readable by other users; chmod 600 it", "flag", a.fileFlag, "file", a.file)
		}
	}
	state, err := filepath.Abs(c.StateDir)
	if err != nil {
		return fmt.Errorf("--state: %w", err)
	}
	if err := os.MkdirAll(state, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}

	cache, removedOldCache, err := cacheDir(c.CacheDir, state)
	if err != nil {
		return err
	}
	if removedOldCache {
		log.Info("restic's cache moved out of the state directory; the old one there was removed", "cache", cache)
	}
	j, err := journal.Open(state)
	if err != nil {
		return err
	}
	defer j.Close()
	if d := j.Damage(); d != nil {
		log.Error("the journal was damaged and moved aside; starting with an empty one (the manager sends the configuration and schedules again)",
			"moved_to", d.MovedTo, "cause", d.Cause)
	}
	for _, id := range j.RestartedJobs() {
		log.Warn("a job was running when the agent stopped; it is reported failed", "job_id", id)
	}
	id, err := agentID(state, j.AgentID(), log)
	if err != nil {
		return err
	}
	sec, err := secrets.Open(state, secrets.Options{NoKeyring: c.NoKeyring})
	if err != nil {
		return err
	}
	if err := adoptToken(sec, token); err != nil {
		return err
	}
	if enrollErr != nil {
		// A missing --enroll-file is fine once it has done its job.
		if held, _ := sec.AgentToken(); held == "" {
			if enrolled, _ := j.Enrolled(); !enrolled {
				return fmt.Errorf("%w; this agent is not enrolled yet and needs the enrollment token from the manager's \"Add host\"", enrollErr)
			}
		}
		log.Info("the enrollment file is gone; not needed: this agent is enrolled", "file", c.EnrollFile)
	}
	rs, err := restic.New(ctx, restic.Options{Path: c.ResticPath, CacheDir: cache})
	if err != nil {
		return fmt.Errorf("restic: %w", err)
	}
	hostname := c.Hostname
	if hostname == "" {
		if hostname, err = os.Hostname(); err != nil {
			return fmt.Errorf("own hostname: %w (set --hostname)", err)
		}
	}

	sink := &linkSink{}
	run, err := runner.New(runner.Options{Restic: rs, Store: j, Secrets: sec, Sink: sink, Hostname: hostname, StateDir: state,
		CancelGrace: c.CancelGrace, NoHooks: c.NoHooks, Logger: log.With("component", "runner")})
	if err != nil {
		return err
	}
	sched, err := scheduler.New(scheduleStore{j}, scheduleJobs{run}, scheduler.Options{Logger: log.With("component", "scheduler"), NoHooks: c.NoHooks})
	if err != nil {
		return err
	}
	idx := browse.New(browse.ResticLister{Restic: rs, Repo: run.Repo}, browse.Options{Logger: log.With("component", "browse")})
	defer idx.Close()

	dialer := mesh.Dialer{URL: url, Pin: pin, NetDial: c.NetDial}
	if c.Tailnet {
		cfg := mesh.AgentConfig(state)
		cfg.AuthKey, cfg.ControlURL, cfg.Logger = c.AuthKey, c.ControlURL, log.With("component", "tailnet")
		if c.Hostname != "" {
			cfg.Hostname = c.Hostname
		}
		node, err := mesh.Start(cfg)
		if err != nil {
			return fmt.Errorf("tailnet: %w", err)
		}
		defer node.Close()
		dialer.Node = node
	}

	h := &handler{j: j, sec: sec, run: run, sched: sched, idx: idx, restic: rs, sink: sink, log: log, base: ctx}
	sink.setAfterSnapshots(h.measureSizes)
	lk := link.New(link.Options{
		URL:  url,
		Dial: dialer.Dial,
		Hello: protocol.Hello{
			AgentVersion: c.Version, ResticVersion: rs.Version().String(),
			Hostname: hostname, OS: runtime.GOOS, Arch: runtime.GOARCH,
			BootTime: bootTime(), Timezone: localZone(), AgentID: id,
		},
		EnrollToken:       enroll,
		Journal:           journalOutbox{j},
		Handler:           h,
		Tokens:            credentials{sec, j},
		Logger:            log,
		HeartbeatInterval: c.HeartbeatInterval,
	})
	sink.set(lk)
	if rep := j.DamageReport(); rep != "" {
		lk.Report(rep, func() {
			if err := j.ClearDamageReport(); err != nil {
				log.Warn("forget the damage notice the manager has now", "err", err)
			}
		})
	}

	log.Info("restic-agent starting", "version", c.Version, "manager", url, "state", state, "hostname", hostname,
		"restic", rs.Path(), "restic_version", rs.Version().String(), "restic_cache", cache, "secrets", sec.Backend(), "tailnet", c.Tailnet,
		"manager_pin", pin, "hooks", !c.NoHooks)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = run.Run(ctx) }()
	go func() { defer wg.Done(); _ = lk.Run(ctx) }()
	sched.Start()
	<-ctx.Done()
	sched.Stop()
	wg.Wait()
	log.Info("restic-agent stopped")
	return nil
}

// adoptToken stores --token when the agent holds no token of its own yet.
// A stored token wins: it is the newest the manager issued.
func adoptToken(sec *secrets.Store, token string) error {
	if token == "" {
		return nil
	}
	cur, err := sec.AgentToken()
	if err != nil {
		return fmt.Errorf("read the stored agent token: %w", err)
	}
	if cur != "" {
		return nil
	}
	return sec.SetAgentToken(token)
}
