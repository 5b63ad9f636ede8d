package lantls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The first start makes an ECDSA P-256 certificate valid for ten years, the
// key 0600 in a 0700 folder; the pin is sha256: and the hex SHA-256 of the
// certificate's SubjectPublicKeyInfo; every later start reads the same one.
func TestLoadOrCreateMakesOneCertificateAndKeepsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	c, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Created {
		t.Error("first call: Created = false")
	}
	leaf := c.TLS.Leaf
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key is %T; want ECDSA P-256", leaf.PublicKey)
	}
	if life := time.Until(leaf.NotAfter); life < Lifetime-2*time.Hour || life > Lifetime {
		t.Errorf("valid for %v more; want about ten years", life)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(spki)
	if want := "sha256:" + hex.EncodeToString(sum[:]); c.Pin != want {
		t.Errorf("pin %s; want %s", c.Pin, want)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, KeyFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}

	again, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.Pin != c.Pin {
		t.Errorf("second start: created %v, pin %s; want the same certificate (pin %s)", again.Created, again.Pin, c.Pin)
	}
}

// A certificate that does not read back is reported, with what to do, and
// left as it is: a new one would have a new pin that no agent knows.
func TestLoadOrCreateRefusesADamagedCertificate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(dir string)
	}{
		{"garbled certificate", func(dir string) { _ = os.WriteFile(filepath.Join(dir, CertFile), []byte("not a pem"), 0o644) }},
		{"key removed", func(dir string) { _ = os.Remove(filepath.Join(dir, KeyFile)) }},
		{"key of another certificate", func(dir string) {
			other := t.TempDir()
			if _, err := LoadOrCreate(other); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(other, KeyFile))
			_ = os.WriteFile(filepath.Join(dir, KeyFile), b, 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LoadOrCreate(dir); err != nil {
				t.Fatal(err)
			}
			tc.damage(dir)
			before, _ := os.ReadFile(filepath.Join(dir, CertFile))
			_, err := LoadOrCreate(dir)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "new pin") {
				t.Fatalf("LoadOrCreate = %v; want ErrDamaged saying a new certificate means a new pin", err)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, CertFile)); string(after) != string(before) {
				t.Error("the damaged certificate was replaced")
			}
		})
	}
}

// A key without its certificate is what a crash in the first start leaves
// (the key is written first): no agent saw it, so a new pair is made.
func TestLoadOrCreateFinishesAnInterruptedFirstStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadOrCreate(dir)
	if err != nil || !c.Created {
		t.Fatalf("LoadOrCreate = created %v, %v; want a new pair", c.Created, err)
	}
}

func TestParsePin(t *testing.T) {
	good := "sha256:" + strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		good:                                good,
		"  " + good + "\n":                  good,
		strings.ToUpper(good):               good,
		"sha256:" + strings.Repeat("a", 63): "",
		"sha256:" + strings.Repeat("g", 64): "",
		strings.Repeat("ab", 32):            "",
		"sha1:" + strings.Repeat("ab", 20):  "",
		"":                                  "",
	} {
		got, err := ParsePin(in)
		if got != want || (want == "") != errors.Is(err, ErrBadPin) {
			t.Errorf("ParsePin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// Over a real TLS socket on 127.0.0.1: the right pin connects; another pin
// fails the handshake with an error naming both pins.
func TestClientConfigChecksThePin(t *testing.T) {
	c, err := LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ServerConfig(c.TLS))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = conn.(*tls.Conn).Handshake()
				conn.Close()
			}()
		}
	}()
	dial := func(pin string) error {
		d := &net.Dialer{Timeout: 10 * time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", ln.Addr().String(), ClientConfig(pin))
		if err == nil {
			conn.Close()
		}
		return err
	}
	if err := dial(c.Pin); err != nil {
		t.Fatalf("dial with the right pin: %v", err)
	}
	wrong := "sha256:" + strings.Repeat("0", 64)
	err = dial(wrong)
	var pm *PinMismatchError
	if !errors.Is(err, ErrPinMismatch) || !errors.As(err, &pm) || pm.Got != c.Pin || pm.Want != wrong {
		t.Fatalf("dial with a wrong pin = %v; want a *PinMismatchError with both pins", err)
	}
	if msg := err.Error(); !strings.Contains(msg, c.Pin) || !strings.Contains(msg, wrong) {
		t.Errorf("%q should name both pins", msg)
	}
}
