package meshtest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"tailscale.com/envknob"
	"tailscale.com/ipn/store/mem"
	"tailscale.com/net/netns"
	"tailscale.com/tailcfg"
	"tailscale.com/tstest/integration"
	"tailscale.com/tstest/integration/testcontrol"
	"tailscale.com/types/logger"

	"restic-manager/protocol/mesh"
)

// Timeout bounds every wait in this package (node up, DERP, peers): ≥ 30 s
// as FIELD-NOTES asks, so a loaded CI machine does not flake, while a
// stuck test still ends.
const Timeout = 45 * time.Second

// MagicDNSDomain is the test tailnet's DNS suffix.
const MagicDNSDomain = "tail-test.ts.net"

// Control is a test control server with its DERP and STUN servers.
type Control struct {
	// URL is the control server's base URL (mesh.Config.ControlURL).
	URL string
	// Server is the testcontrol server, for tests that change its rules
	// (RequireAuth, RequireAuthKey, TagOwners: set them before nodes join)
	// or complete interactive logins (CompleteAuth).
	Server *testcontrol.Server
}

// ControlOptions tune NewControlWith.
type ControlOptions struct {
	// RequireAuth makes nodes without an auth key stop at needs-login with
	// a login URL, until Server.CompleteAuth(url) is called.
	RequireAuth bool
	// RequireAuthKey, if set, is the only auth key control accepts.
	RequireAuthKey string
	// TagOwners enables ACL tags (e.g. {"tag:restic-agent": nil}); nodes
	// advertising a listed tag get it.
	TagOwners map[string][]string
}

var envOnce sync.Once

// quietEnv keeps test nodes on loopback: no UPnP/NAT-PMP/PCP probes of the
// machine's gateway and no advertising of LAN addresses as endpoints, so
// peers talk over 127.0.0.1 (STUN-discovered) or the local DERP. It runs
// once per process, before any node starts, as envknob requires.
func quietEnv() {
	envOnce.Do(func() {
		envknob.Setenv("TS_DISABLE_PORTMAPPER", "true")
		envknob.Setenv("TS_DEBUG_OMIT_LOCAL_ADDRS", "true")
	})
}

// SubprocessEnv is the environment for a program run by a test that joins
// this tailnet with an embedded node (restic-agent --tailnet, the manager
// binary): tsnet reads TS_CONTROL_URL when no control URL is configured,
// and the two knobs keep the child on loopback as quietEnv does in-process.
// Append it to os.Environ().
func (c *Control) SubprocessEnv() []string {
	return []string{
		"TS_CONTROL_URL=" + c.URL,
		"TS_DISABLE_PORTMAPPER=true",
		"TS_DEBUG_OMIT_LOCAL_ADDRS=true",
	}
}

// NewControl starts a control server with DERP and STUN on 127.0.0.1,
// stopped when the test ends.
func NewControl(t testing.TB) *Control {
	return NewControlWith(t, ControlOptions{})
}

// NewControlWith is NewControl with options.
func NewControlWith(t testing.TB, o ControlOptions) *Control {
	t.Helper()
	quietEnv()
	// A non-root node spends ~3 s in netns setup otherwise (FIELD-NOTES).
	netns.SetEnabled(false)
	t.Cleanup(func() { netns.SetEnabled(true) })

	derpMap := integration.RunDERPAndSTUN(t, logger.Discard, "127.0.0.1")
	ctl := &testcontrol.Server{
		DERPMap:        derpMap,
		DNSConfig:      &tailcfg.DNSConfig{Proxied: true},
		MagicDNSDomain: MagicDNSDomain,
		RequireAuth:    o.RequireAuth,
		RequireAuthKey: o.RequireAuthKey,
		TagOwners:      o.TagOwners,
		Logf:           logger.Discard,
	}
	ctl.HTTPTestServer = httptest.NewUnstartedServer(ctl)
	ctl.HTTPTestServer.Start()
	t.Cleanup(ctl.HTTPTestServer.Close)
	return &Control{URL: ctl.HTTPTestServer.URL, Server: ctl}
}

// Config is a node configuration joined to this control: ephemeral, state
// in memory, a fresh directory. Change it (e.g. PersistentConfig) before
// StartNode.
func (c *Control) Config(t testing.TB, hostname string) mesh.Config {
	return mesh.Config{
		Dir:        t.TempDir(),
		Hostname:   hostname,
		ControlURL: c.URL,
		Ephemeral:  true,
		Store:      new(mem.Store),
		Logger:     Logger(),
		Debug:      verbose(),
	}
}

// PersistentConfig is a node configuration like a real agent's: not
// ephemeral, state in a file under dir. Starting a node twice with the same
// dir is a restart of the same node.
func (c *Control) PersistentConfig(hostname, dir string) mesh.Config {
	return mesh.Config{
		Dir:        dir,
		Hostname:   hostname,
		ControlURL: c.URL,
		Logger:     Logger(),
		Debug:      verbose(),
	}
}

// NewNode starts an ephemeral node called hostname and waits until it is
// running with its home DERP connection up. It is closed when the test
// ends.
func NewNode(t testing.TB, c *Control, hostname string) *mesh.Node {
	t.Helper()
	return StartNode(t, c.Config(t, hostname))
}

// StartNode starts a node from cfg and waits as NewNode does. It is closed
// when the test ends (closing it earlier is fine).
func StartNode(t testing.TB, cfg mesh.Config) *mesh.Node {
	t.Helper()
	n := Start(t, cfg)
	ctx := Context(t)
	if _, err := n.Up(ctx); err != nil {
		t.Fatalf("node %s did not come up: %v", cfg.Hostname, err)
	}
	if err := n.WaitHomeDERP(ctx); err != nil {
		t.Fatalf("node %s: %v", cfg.Hostname, err)
	}
	return n
}

// Start starts a node from cfg without waiting for anything (for tests of
// the login flow). It is closed when the test ends.
func Start(t testing.TB, cfg mesh.Config) *mesh.Node {
	t.Helper()
	n, err := mesh.Start(cfg)
	if err != nil {
		t.Fatalf("start node %s: %v", cfg.Hostname, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// WaitPeers waits until every node lists every other one as a peer, so the
// first dial between any two of them does not stall.
func WaitPeers(t testing.TB, nodes ...*mesh.Node) {
	t.Helper()
	ctx := Context(t)
	ips := make([]string, len(nodes))
	for i, n := range nodes {
		st, err := n.Up(ctx)
		if err != nil || len(st.IPs) == 0 {
			t.Fatalf("node %s has no tailnet address: %v", st.Hostname, err)
		}
		// By address, not name: two nodes may share a hostname.
		ips[i] = st.IPs[0].String()
	}
	for i, a := range nodes {
		for j := range nodes {
			if i == j {
				continue
			}
			if err := a.WaitReady(ctx, ips[j]); err != nil {
				t.Fatalf("node %d does not see node %d (%s): %v", i, j, ips[j], err)
			}
		}
	}
}

// Context is a context bounded by Timeout and the test's own deadline,
// cancelled when the test ends.
func Context(t testing.TB) context.Context {
	d := Timeout
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := dt.Deadline(); ok && time.Until(dl)-time.Second < d {
			d = time.Until(dl) - time.Second
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Logger is where test nodes log: discarded, or stderr with
// MESHTEST_VERBOSE=1. (Never t.Log: tsnet goroutines log after a test
// ends, and t.Log then panics.)
func Logger() *slog.Logger {
	if verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func verbose() bool { return os.Getenv("MESHTEST_VERBOSE") != "" }
