package hubnet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/secrets"
	"restic-manager/internal/lantls"
	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
	"restic-manager/storage"
)

const testWait = 30 * time.Second

// The rule "TLS because the address is not loopback", on the function that
// makes it: tests only ever bind 127.0.0.1, so the LAN cases are decided
// on addresses as a listener would report them.
func TestServesTLSOffLoopback(t *testing.T) {
	for _, c := range []struct {
		addr  string
		force bool
		want  bool
	}{
		{"127.0.0.1:8931", false, false},
		{"127.0.0.5:8931", false, false},
		{"[::1]:8931", false, false},
		{"127.0.0.1:8931", true, true},
		{"192.168.1.20:8931", false, true},
		{"10.0.0.5:8931", false, true},
		{"100.64.0.7:8931", false, true},
		{"[fe80::1]:8931", false, true},
		{"0.0.0.0:8931", false, true}, // every address, LAN included
		{"[::]:8931", false, true},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := ServesTLS(addr, c.force); got != c.want {
			t.Errorf("ServesTLS(%s, force %v) = %v; want %v", c.addr, c.force, got, c.want)
		}
	}
}

func TestLANURLNamesTheMachineForEveryAddress(t *testing.T) {
	for _, c := range []struct{ addr, scheme, want string }{
		{"127.0.0.1:8931", "ws", "ws://127.0.0.1:8931"},
		{"[::1]:8931", "wss", "wss://[::1]:8931"},
		{"192.168.1.20:9000", "wss", "wss://192.168.1.20:9000"},
		{"0.0.0.0:8931", "wss", "wss://laptop:8931"},
		{"[::]:8931", "wss", "wss://laptop:8931"},
	} {
		addr, _ := net.ResolveTCPAddr("tcp", c.addr)
		if got := lanURL(c.scheme, addr, "laptop"); got != c.want {
			t.Errorf("lanURL(%s, %s) = %q; want %q", c.scheme, c.addr, got, c.want)
		}
	}
}

// tlsHub serves a real hub on a TLS listener on 127.0.0.1 (--tls), its
// certificate in certDir.
func tlsHub(t *testing.T, certDir string) (*hub.Hub, LANListener) {
	t.Helper()
	st, err := storage.OpenDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Options{Store: st, Secrets: secrets.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := LAN("127.0.0.1:0", LANOptions{TLS: true, CertDir: certDir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serving sync.WaitGroup
	serving.Add(1)
	go func() { defer serving.Done(); _ = h.Serve(ctx, l.Listener) }()
	t.Cleanup(func() { cancel(); h.Close(); serving.Wait(); st.Close() })
	return h, l
}

// pinnedClient dials as the agent does with --manager-pin.
func pinnedClient(pin string) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: lantls.ClientConfig(pin)}}
}

// enroll says hello with an enrollment token over c and returns the
// hub's answer.
func enroll(t *testing.T, c *wsconn.Conn, token string) *protocol.HelloAck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	hello := &protocol.Hello{ProtocolVersion: protocol.ProtocolVersion, AgentVersion: "test", ResticVersion: "0.14.0",
		Hostname: "lan-pc", OS: "linux", Arch: "amd64", Timezone: "UTC", AgentID: "agent-lan-pc", EnrollToken: token}
	if _, err := c.SendPayload(ctx, hello, ""); err != nil {
		t.Fatal(err)
	}
	for {
		env, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("waiting for hello.ack: %v", err)
		}
		if env.Type == protocol.TypeHelloAck {
			ack, err := protocol.Decode[protocol.HelloAck](env)
			if err != nil {
				t.Fatal(err)
			}
			return ack
		}
	}
}

// Real TLS on 127.0.0.1 with --tls: a plain ws:// upgrade fails, a wrong
// pin is refused naming both pins, the right pin enrolls, and the refused
// dials left nothing in the hub.
func TestTLSListenerEnrollsOnlyWithThePin(t *testing.T) {
	h, l := tlsHub(t, filepath.Join(t.TempDir(), "tls"))
	if !l.TLS || !strings.HasPrefix(l.URL, "wss://127.0.0.1:") || !strings.HasPrefix(l.Pin, "sha256:") {
		t.Fatalf("listener: TLS %v, URL %q, pin %q; want wss:// on 127.0.0.1 with a pin", l.TLS, l.URL, l.Pin)
	}
	url := l.URL + protocol.AgentPath
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()

	c, err := wsconn.Dial(ctx, "ws://"+strings.TrimPrefix(url, "wss://"), nil)
	if err == nil {
		c.CloseNow()
		t.Fatal("a plain ws:// upgrade to the TLS listener succeeded")
	}
	// Go's TLS server answers a plain HTTP request with 400 before any
	// WebSocket exists.
	if !strings.Contains(err.Error(), "400") {
		t.Errorf("plain upgrade failed with %v; want the TLS server's 400", err)
	}
	wrong := "sha256:" + strings.Repeat("00", 32)
	_, err = wsconn.Dial(ctx, url, pinnedClient(wrong))
	var pm *lantls.PinMismatchError
	if !errors.As(err, &pm) || !strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), l.Pin) {
		t.Fatalf("dial with a wrong pin = %v; want a pin mismatch naming %s and %s", err, wrong, l.Pin)
	}
	if hosts, err := h.Hosts(); err != nil || len(hosts) != 0 {
		t.Fatalf("hosts after the refused dials = %+v, %v; want none", hosts, err)
	}

	tok, err := h.CreateEnrollToken(1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err = wsconn.Dial(ctx, url, pinnedClient(l.Pin))
	if err != nil {
		t.Fatalf("dial with the right pin: %v", err)
	}
	defer c.CloseNow()
	if ack := enroll(t, c, tok.Token); !ack.Accepted || ack.AgentToken == "" {
		t.Fatalf("hello.ack over TLS = %+v; want accepted with an agent token", ack)
	}
	hosts, err := h.Hosts()
	if err != nil || len(hosts) != 1 || hosts[0].Host.Hostname != "lan-pc" {
		t.Fatalf("hosts = %+v, %v; want lan-pc", hosts, err)
	}
}

// The certificate is made once: a manager started again on the same data
// folder serves the same pin, and an agent holding it connects again.
func TestTLSPinSurvivesARestart(t *testing.T) {
	certDir := filepath.Join(t.TempDir(), "tls")
	_, first := tlsHub(t, certDir)
	key, err := os.Stat(filepath.Join(certDir, lantls.KeyFile))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", key, err)
	}
	_, second := tlsHub(t, certDir)
	if second.Pin != first.Pin {
		t.Fatalf("pin after a restart %s; want %s", second.Pin, first.Pin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, err := wsconn.Dial(ctx, second.URL+protocol.AgentPath, pinnedClient(first.Pin))
	if err != nil {
		t.Fatalf("dial the restarted manager with the first pin: %v", err)
	}
	c.CloseNow()
}

// Without --tls a loopback listener stays plain, yet knows its pin (for
// "Add host"); a listener that would need TLS without a certificate
// directory is refused rather than served in clear.
func TestLoopbackListenerIsPlainUnlessForced(t *testing.T) {
	l, err := LAN("127.0.0.1:0", LANOptions{CertDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.L.Close()
	if l.TLS || !strings.HasPrefix(l.URL, "ws://127.0.0.1:") || l.Pin == "" {
		t.Errorf("loopback listener: TLS %v, URL %q, pin %q; want plain ws:// with the pin known", l.TLS, l.URL, l.Pin)
	}
	_, err = LAN("127.0.0.1:0", LANOptions{TLS: true})
	if !errors.Is(err, ErrNeedsCertificate) {
		t.Errorf("TLS without a certificate directory = %v; want ErrNeedsCertificate", err)
	}
}
