// Command restic-manager is the Restic Manager desktop app and server: it
// keeps all state in one bbolt file, accepts restic-agent connections on a
// plain-TCP listener and on the tailnet, and shows everything in a Fyne
// window (or serves without one with --headless).
//
// main.go parses flags; manager.go wires the store, the secrets, the hub
// and the listeners; window.go opens the window over them; demo.go is make
// demo's setup. tour.go is make screenshots' tour (--screenshot-tour DIR:
// over the demo, it drives the window itself, writes docs/screenshots'
// PNGs and quits); it is built only with -tags tour, never into the
// shipped app (tour_off.go stands in).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/hubnet"
	"restic-manager/internal/envflag"
)

// version is stamped by scripts/package (-ldflags -X main.version=…).
var version = "0.1.0-dev"

// config is the command line.
type config struct {
	DataDir         string
	Listen          string
	TLS             bool
	Tailnet         bool
	TailnetHostname string
	ControlURL      string
	AuthKeyFile     string
	Headless        bool
	EnrollToken     string
	EnrollUses      int
	EnrollTTL       time.Duration
	HeartbeatEvery  time.Duration
	MemorySecrets   bool
	Debug           bool
	LogJSON         bool
	// Notify are the channels given as flags (--notify-webhook, …) and
	// the e-mail password from RM_NOTIFY_SMTP_PASSWORD.
	Notify       []hub.NotifyChannel
	SMTPPassword string
	notifyErr    error // the first bad --notify-* value (notify_flags.go)
	Demo         demoConfig
	// Tour is make screenshots' tour (tour.go, -tags tour only).
	Tour tourConfig
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = run(c, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "restic-manager:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line; "version" prints the version to
// stdout (as restic-agent's does) and returns flag.ErrHelp.
func parseFlags(args []string, stdout, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("restic-manager", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DataDir, "data", defaultDataDir(), "directory of the manager's database and tailnet state")
	fs.StringVar(&c.Listen, "listen", hubnet.DefaultTCPAddr, "TCP listener for agents (hosts prove themselves with tokens): TLS on any address but loopback; empty disables it")
	fs.BoolVar(&c.TLS, "tls", false, "serve TLS on a loopback --listen address too (it always does on any other address)")
	fs.BoolVar(&c.Tailnet, "tailnet", true, "join the tailnet with an embedded node and listen for agents there")
	fs.StringVar(&c.TailnetHostname, "tailnet-hostname", "", "the manager's tailnet name (default restic-manager)")
	fs.StringVar(&c.ControlURL, "control-url", "", "tailnet control server (Headscale); empty: Tailscale's")
	fs.StringVar(&c.AuthKeyFile, "auth-key-file", "", "file holding a tailnet auth key (else TS_AUTHKEY, else the keyring, else an interactive login)")
	fs.BoolVar(&c.Headless, "headless", false, "serve without a window, logging to stderr")
	fs.StringVar(&c.EnrollToken, "enroll-token", "", "create this enrollment token if it does not exist (demo, scripted installs)")
	fs.IntVar(&c.EnrollUses, "enroll-uses", 1, "how many hosts --enroll-token may enroll")
	fs.DurationVar(&c.EnrollTTL, "enroll-ttl", 24*time.Hour, "how long --enroll-token stays valid")
	fs.DurationVar(&c.HeartbeatEvery, "heartbeat", hub.DefaultHeartbeatInterval, "the agents' heartbeat period; a host is offline after three missed")
	fs.BoolVar(&c.MemorySecrets, "memory-secrets", false, "keep repository credentials in memory only, never in the OS keyring (demos, tests)")
	fs.BoolVar(&c.Debug, "debug", false, "log at debug level")
	fs.BoolVar(&c.LogJSON, "log-json", false, "log JSON lines instead of text")
	fs.StringVar(&c.Demo.Repo, "demo-repo", "", "make demo: give the host that enrolls with --enroll-token this local repository, a source group of --demo-files, and run init and a first backup")
	fs.StringVar(&c.Demo.Files, "demo-files", "", "make demo: the folder the demo source group backs up")
	addNotifyFlags(fs, &c)
	addTourFlags(fs, &c.Tour)
	fs.Usage = envflag.Usage(fs, "usage: restic-manager [--data DIR] [--listen ADDR] [--headless] [flags]")
	if err := envflag.Parse(fs, args, nil); err != nil {
		return c, err
	}
	// Never a flag: a password on the command line is in the process list.
	c.SMTPPassword = os.Getenv(smtpPasswordEnv)
	if c.notifyErr != nil {
		return c, c.notifyErr
	}
	if fs.NArg() > 0 {
		if fs.Arg(0) == "version" {
			fmt.Fprintln(stdout, "restic-manager", version)
			return c, flag.ErrHelp
		}
		return c, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if c.DataDir == "" {
		return c, errors.New("--data is required: no OS config directory is known here")
	}
	if (c.Demo.Repo == "") != (c.Demo.Files == "") {
		return c, errors.New("--demo-repo and --demo-files go together")
	}
	if c.Demo.Repo != "" && c.EnrollToken == "" {
		// The demo sets up only the host that enrolls with this token: a
		// host added meanwhile through "Add host" is the admin's to set up.
		return c, errors.New("--demo-repo needs --enroll-token: the demo sets up only the host that enrolls with it")
	}
	c.Demo.EnrollToken = c.EnrollToken
	return c, checkTour(c)
}

// defaultDataDir is <OS config dir>/restic-manager.
func defaultDataDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "restic-manager")
}
