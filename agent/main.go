// Command restic-agent runs restic backups on one machine for a
// restic-manager: it dials the manager (over the host's network or an
// embedded tailnet node), runs the jobs and schedules the manager sends,
// and journals everything it does until the manager has stored it.
//
// Flags and wiring only; the agent itself is agent/daemon.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"restic-manager/agent/daemon"
	"restic-manager/agent/service"
	"restic-manager/internal/envflag"
	"restic-manager/protocol/mesh"
)

// version is stamped by scripts/package (-ldflags -X main.version=…).
var version = "0.1.0-dev"

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "restic-agent:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "version":
			fmt.Fprintln(stdout, "restic-agent", version)
			return nil
		case "install":
			return install(args[1:], stdout, stderr)
		case "uninstall":
			return uninstall(args[1:], stdout, stderr)
		}
	}
	var o options
	fs := o.flagSet("restic-agent", stderr)
	fs.Usage = envflag.Usage(fs, usage)
	if err := envflag.Parse(fs, args, nil); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	c := o.c

	isService, err := service.IsService()
	if err != nil {
		return err
	}
	logTo := stderr
	if isService {
		// A Windows service has no console: the log goes to a file in
		// the state directory.
		f, err := service.OpenLog(cmp.Or(c.StateDir, os.TempDir()))
		if err != nil {
			return err
		}
		defer f.Close()
		logTo = f
	}
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	c.Logger = slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: level}))
	c.Version = version
	if c.Tailnet {
		key, err := mesh.ReadAuthKey(o.authKeyFile)
		if err != nil {
			return err
		}
		c.AuthKey = key
	}
	agent := func(ctx context.Context) error { return daemon.Run(ctx, c) }
	if isService {
		return service.RunService(c.CancelGrace, agent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return agent(ctx)
}

const usage = `usage: restic-agent --manager URL [--manager-pin PIN] (--enroll-file FILE | --token-file FILE) --state DIR [flags]
       restic-agent install --manager URL [--manager-pin PIN] (--enroll-file FILE|- | --token-file FILE|-) [flags]
       restic-agent uninstall [--purge]
       restic-agent version`

// options are the agent's flags.
type options struct {
	c           daemon.Config
	authKeyFile string
	debug       bool
}

// flagSet defines the agent's flags on a new set, for running the agent
// and for install (which checks them as the agent will).
func (o *options) flagSet(name string, stderr io.Writer) *flag.FlagSet {
	c := &o.c
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Manager, "manager", "", "the manager: wss://host:port (with --manager-pin), its tailnet name (e.g. restic-manager), or ws://127.0.0.1:port on the same machine")
	fs.StringVar(&c.ManagerPin, "manager-pin", "", "the pin of the manager's TLS certificate, sha256:<hex> (the manager logs it at start; \"Add host\" shows it); required with wss://")
	fs.StringVar(&c.Token, "token", "", "this host's token from the manager (used when the agent holds none yet); visible to local users: prefer --token-file")
	fs.StringVar(&c.TokenFile, "token-file", "", "file holding this host's token (mode 0600)")
	fs.StringVar(&c.EnrollToken, "enroll", "", "an enrollment token from the manager's \"Add host\" (used until the manager has accepted this agent, never after); visible to local users: prefer --enroll-file")
	fs.StringVar(&c.EnrollFile, "enroll-file", "", "file holding the enrollment token (mode 0600); it may be removed once the agent is enrolled")
	fs.BoolVar(&c.NoHooks, "no-hooks", false, "refuse every job and schedule that carries a pre- or post-hook (hooks run as this agent's user)")
	fs.StringVar(&c.StateDir, "state", "", "state directory: journal, credentials, tailnet state (created 0700)")
	fs.BoolVar(&c.Tailnet, "tailnet", false, "join the tailnet with an embedded node (auth key from TS_AUTHKEY or --auth-key-file)")
	fs.StringVar(&o.authKeyFile, "auth-key-file", "", "file holding the tailnet auth key (instead of TS_AUTHKEY)")
	fs.StringVar(&c.ControlURL, "control-url", "", "tailnet control server (Headscale); empty: Tailscale's")
	fs.StringVar(&c.ResticPath, "restic", "", "the restic binary (default: restic on PATH)")
	fs.StringVar(&c.CacheDir, "cache-dir", "", "restic's cache, outside --state (default: "+daemon.DefaultCacheDir()+")")
	fs.StringVar(&c.Hostname, "hostname", "", "this machine's name for the manager and restic --host (default: the OS hostname)")
	fs.BoolVar(&c.NoKeyring, "no-keyring", false, "keep credentials in a 0600 file in --state even when an OS keyring answers")
	fs.DurationVar(&c.CancelGrace, "cancel-grace", 30*time.Second, "how long a cancelled restic gets after SIGINT (to remove its lock) before it is killed")
	fs.BoolVar(&o.debug, "debug", false, "log at debug level")
	return fs
}
