package lantls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"restic-manager/internal/atomicfile"
)

// File names inside the certificate directory (<data>/tls).
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem" // mode 0600
)

// Lifetime is how long a new certificate is valid. Agents check the pin,
// not the dates, so an expired certificate still works; ten years keeps
// tools that do look at dates quiet.
const Lifetime = 10 * 365 * 24 * time.Hour

// Cert is the manager's certificate.
type Cert struct {
	TLS tls.Certificate
	Pin string
	// Created: made by this call (first start), not read from disk.
	Created bool
}

// ErrDamaged is a certificate directory that cannot be read back as a
// matching certificate and key (errors.Is).
var ErrDamaged = errors.New("damaged TLS certificate")

// LoadOrCreate returns the certificate kept in dir, making a self-signed
// ECDSA P-256 one the first time (dir created 0700, the key written 0600).
// The same certificate, hence the same pin, comes back on every later
// start. A directory holding a key without its certificate is what a crash
// during the first start leaves (the key is written first): a new pair is
// made, since no agent can have seen that certificate. Anything else that
// does not read back is ErrDamaged, never silently replaced: a new
// certificate has a new pin, and every agent would have to be told it.
func LoadOrCreate(dir string) (Cert, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certPEM, err := os.ReadFile(certPath)
	switch {
	case err == nil:
		return load(dir, certPEM, keyPath)
	case !errors.Is(err, os.ErrNotExist):
		return Cert{}, fmt.Errorf("TLS certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Cert{}, fmt.Errorf("TLS certificate: %w", err)
	}
	certPEM, keyPEM, err := generate(time.Now())
	if err != nil {
		return Cert{}, fmt.Errorf("TLS certificate: %w", err)
	}
	if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
		return Cert{}, fmt.Errorf("TLS certificate: write key: %w", err)
	}
	if err := atomicfile.Write(certPath, certPEM, 0o644); err != nil {
		return Cert{}, fmt.Errorf("TLS certificate: write certificate: %w", err)
	}
	c, err := pair(certPEM, keyPEM)
	if err != nil {
		return Cert{}, fmt.Errorf("TLS certificate: %w", err)
	}
	c.Created = true
	return c, nil
}

func load(dir string, certPEM []byte, keyPath string) (Cert, error) {
	damaged := func(why string) error {
		return fmt.Errorf("%w in %s: %s; move the folder aside to make a new certificate (every agent then needs the new pin)", ErrDamaged, dir, why)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if errors.Is(err, os.ErrNotExist) {
		return Cert{}, damaged(KeyFile + " is missing")
	}
	if err != nil {
		return Cert{}, fmt.Errorf("TLS certificate: %w", err)
	}
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		// Someone loosened it: tighten before using it on.
		if err := os.Chmod(keyPath, 0o600); err != nil {
			return Cert{}, fmt.Errorf("TLS certificate: %s is readable by others and cannot be tightened: %w", keyPath, err)
		}
	}
	c, err := pair(certPEM, keyPEM)
	if err != nil {
		return Cert{}, damaged(err.Error())
	}
	return c, nil
}

// pair parses a certificate and its key and computes the pin.
func pair(certPEM, keyPEM []byte) (Cert, error) {
	tc, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return Cert{}, err
	}
	leaf, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		return Cert{}, err
	}
	tc.Leaf = leaf
	return Cert{TLS: tc, Pin: Pin(leaf)}, nil
}

// generate makes a self-signed ECDSA P-256 certificate valid from an hour
// before now (clocks differ) for Lifetime.
func generate(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "restic-manager", Organization: []string{"Restic Manager"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Lifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
