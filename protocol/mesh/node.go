package mesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"tailscale.com/client/local"
	"tailscale.com/ipn"
	"tailscale.com/logtail"
	"tailscale.com/tsnet"
)

// Config describes one embedded tailnet node. ManagerConfig and AgentConfig
// fill in each end's defaults.
type Config struct {
	// Dir holds the node's state (keys, tailscaled.state). Created 0700.
	Dir string
	// Hostname is the name offered to the control server.
	Hostname string
	// ControlURL is a Headscale (or other control server) URL; empty means
	// Tailscale's own.
	ControlURL string
	// AuthKey joins the node without an interactive login. It is used only
	// while the node has no state yet, and is never logged. Empty: the
	// control server's login URL is surfaced in Status and logged.
	AuthKey string
	// Ephemeral nodes disappear from the tailnet when they go offline.
	// Agents and the manager are not ephemeral: their stable IDs are their
	// identity. Tests use ephemeral nodes with a memory store.
	Ephemeral bool
	// Store overrides the state store (default: a file in Dir). A
	// *mem.Store is only accepted together with Ephemeral.
	Store ipn.StateStore
	// Tags are advertised to the control server (ACL tags such as
	// "tag:restic-agent"); the control server decides whether to apply them.
	Tags []string
	// Logger gets state changes at Info and, with Debug, tsnet's own logs at
	// Debug. Nil means slog.Default().
	Logger *slog.Logger
	// Debug routes tsnet's verbose backend logs to Logger.
	Debug bool
	// OnStatus, if set, is called with every new Status, in order, from one
	// goroutine. It must not block for long.
	OnStatus func(Status)
}

// ManagerConfig is the manager's node: state in <dataDir>/tailnet, hostname
// restic-manager unless hostname says otherwise. The caller sets ControlURL
// and AuthKey (from the keyring or TS_AUTHKEY).
func ManagerConfig(dataDir, hostname string) Config {
	if hostname == "" {
		hostname = DefaultManagerHostname
	}
	return Config{Dir: filepath.Join(dataDir, "tailnet"), Hostname: hostname}
}

// AgentConfig is an agent's node: state in <stateDir>/tailnet, the machine's
// hostname, not ephemeral (the node's stable ID is how the manager knows the
// host). The caller sets ControlURL and AuthKey (ReadAuthKey).
func AgentConfig(stateDir string) Config {
	h, _ := os.Hostname()
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return Config{Dir: filepath.Join(stateDir, "tailnet"), Hostname: h}
}

// ReadAuthKey returns the tailnet auth key for an agent: the trimmed content
// of file when one is named, else $TS_AUTHKEY (empty when unset: the node
// then logs a login URL, or needs no key because it already has state).
func ReadAuthKey(file string) (string, error) {
	if file == "" {
		return strings.TrimSpace(os.Getenv("TS_AUTHKEY")), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read tailnet auth key: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if k == "" {
		return "", fmt.Errorf("tailnet auth key file %s is empty", file)
	}
	return k, nil
}

// Node is a running embedded tailnet node.
type Node struct {
	srv *tsnet.Server
	lc  *local.Client
	log *slog.Logger

	cancel  context.CancelFunc
	watched chan struct{} // closed when the status watcher has returned

	mu        sync.Mutex
	status    Status
	subs      map[chan Status]struct{}
	onStatus  func(Status)
	closeOnce sync.Once
}

var disableLogUploadOnce sync.Once

// Start starts the node and returns without waiting for it to log in: the
// manager's window must not wait on the network. Listen works at once;
// connections arrive when the node is running. Watch Status/Subscribe for
// the state (and the login URL when one is needed), or call Up to wait.
func Start(cfg Config) (*Node, error) {
	if cfg.Dir == "" {
		return nil, errors.New("tailnet: a state directory is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("tailnet state directory: %w", err)
	}
	// Restic Manager never ships logs to Tailscale's log service: an office
	// using Headscale expects nothing to leave for a third party.
	disableLogUploadOnce.Do(logtail.Disable)

	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "tailnet", "hostname", cfg.Hostname)
	srv := &tsnet.Server{
		Dir:           cfg.Dir,
		Store:         cfg.Store,
		Hostname:      cfg.Hostname,
		ControlURL:    cfg.ControlURL,
		AuthKey:       cfg.AuthKey,
		Ephemeral:     cfg.Ephemeral,
		AdvertiseTags: cfg.Tags,
		// tsnet repeats the login URL here every 5 s; the watcher logs it
		// once per change at Info, so these stay at Debug.
		UserLogf: func(format string, args ...any) {
			log.Debug(fmt.Sprintf(format, args...))
		},
	}
	if cfg.Debug {
		srv.Logf = func(format string, args ...any) {
			log.Debug(fmt.Sprintf(format, args...), "src", "tsnet")
		}
	}
	if err := srv.Start(); err != nil {
		// tsnet undoes a failed start itself; Close would touch parts that
		// never came up.
		return nil, fmt.Errorf("start tailnet node: %w", err)
	}
	lc, err := srv.LocalClient()
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("tailnet local client: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		srv:      srv,
		lc:       lc,
		log:      log,
		cancel:   cancel,
		watched:  make(chan struct{}),
		status:   Status{State: StateStarting, Hostname: cfg.Hostname},
		subs:     map[chan Status]struct{}{},
		onStatus: cfg.OnStatus,
	}
	go n.watch(ctx)
	return n, nil
}

// Close leaves the tailnet (an ephemeral node is removed; others stay
// registered) and stops the status watcher. The final Status is stopped.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		n.cancel()
		<-n.watched
		err = n.srv.Close()
		n.publish(Status{State: StateStopped, Hostname: n.Status().Hostname}, true)
	})
	return err
}

// Listen listens for TCP connections on the node's tailnet addresses, e.g.
// ":8443". The listener lives inside the node's own network stack: no host
// port is taken.
func (n *Node) Listen(addr string) (net.Listener, error) {
	ln, err := n.srv.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on tailnet %s: %w", addr, err)
	}
	return ln, nil
}

// ListenAgents is the manager's agent listener: tailnet port 8443, plain
// HTTP inside WireGuard.
func (n *Node) ListenAgents() (net.Listener, error) {
	return n.Listen(fmt.Sprintf(":%d", AgentPort))
}

// HTTPClient dials over the tailnet; hand it to wsconn.Dial. Call
// WaitReady first (see Dialer).
func (n *Node) HTTPClient() *http.Client { return n.srv.HTTPClient() }

// Dial opens a connection over the tailnet.
func (n *Node) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return n.srv.Dial(ctx, network, addr)
}

// Up waits until the node is running on the tailnet (it may first need a
// login: the URL is in Status) and returns its status.
func (n *Node) Up(ctx context.Context) (Status, error) {
	if _, err := n.srv.Up(ctx); err != nil {
		return n.Status(), fmt.Errorf("tailnet node %s not up: %w", n.Status().Hostname, err)
	}
	st, err := n.lc.StatusWithoutPeers(ctx)
	if err != nil {
		return n.Status(), fmt.Errorf("tailnet status: %w", err)
	}
	out := statusFrom(st, "")
	out.Hostname = n.Status().Hostname
	return out, nil
}

// Server is the underlying tsnet server, for tests and diagnostics.
func (n *Node) Server() *tsnet.Server { return n.srv }
