// Package lantls is the TLS of the manager's LAN listener (DESIGN.md "LAN
// transport: TLS pinned by fingerprint"): the manager's self-signed
// certificate, made once and kept in <data>/tls/, and the pin agents check
// instead of a certificate authority. The pin is "sha256:" and the
// lowercase hex SHA-256 of the certificate's SubjectPublicKeyInfo (DER),
// so it names the key, and an admin can compute it with openssl from
// cert.pem.
//
// Which --manager values are safe is decided here too (CheckTransport),
// from the URL alone, so the agent at start and "Add host" refuse the same
// addresses in the same words.
//
// Imported by desktop/hub (the listener, "Add host"), protocol/mesh (the
// agent's dialer) and agent/daemon. Imports protocol (stdlib only) and the
// standard library.
package lantls

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// PinPrefix starts every pin.
const PinPrefix = "sha256:"

// Pin is the pin of a certificate: "sha256:" + lowercase hex SHA-256 of
// its SubjectPublicKeyInfo.
func Pin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return PinPrefix + hex.EncodeToString(sum[:])
}

// ErrBadPin is a --manager-pin that is not "sha256:" and 64 hex digits.
var ErrBadPin = errors.New("a pin is sha256: and 64 hex digits, as the manager logs it at start and \"Add host\" shows it")

// ParsePin checks a pin and returns it in its canonical form (hex in
// lower case; surrounding spaces dropped).
func ParsePin(s string) (string, error) {
	p := strings.TrimSpace(s)
	hexPart, ok := strings.CutPrefix(strings.ToLower(p), PinPrefix)
	if !ok || len(hexPart) != 2*sha256.Size {
		return "", ErrBadPin
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		return "", ErrBadPin
	}
	return PinPrefix + hexPart, nil
}

// ErrPinMismatch is a manager whose certificate is not the pinned one
// (errors.Is); the error itself is a *PinMismatchError naming both pins.
var ErrPinMismatch = errors.New("the manager's certificate does not match the pin")

// PinMismatchError is a TLS peer whose certificate has another pin than
// the one the agent was given.
type PinMismatchError struct {
	Want string // --manager-pin
	Got  string // the pin of the certificate the peer showed ("" when it showed none)
}

func (e *PinMismatchError) Error() string {
	got := e.Got
	if got == "" {
		got = "no certificate"
	}
	return fmt.Sprintf("the manager's certificate has pin %s, but --manager-pin is %s: refusing to connect. "+
		"If the manager made a new certificate (a new install, or its data folder's tls/ removed), "+
		"take its new pin from its log at start or from \"Add host\"; otherwise something else answers at this address", got, e.Want)
}

// Is makes errors.Is(err, ErrPinMismatch) true.
func (e *PinMismatchError) Is(target error) bool { return target == ErrPinMismatch }

// ClientConfig is the agent's TLS configuration for a manager pinned by
// pin (canonical, from ParsePin): no certificate authority and no name
// are checked — the self-signed certificate has neither to offer — only
// that the leaf certificate's key is the pinned one. A mismatch fails the
// handshake with a *PinMismatchError.
func ClientConfig(pin string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}, // WebSocket upgrades need HTTP/1.1
		// The chain check is replaced by VerifyConnection's pin check:
		// InsecureSkipVerify only turns off the CA and name checks, and
		// VerifyConnection still runs on every handshake.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &PinMismatchError{Want: pin}
			}
			if got := Pin(cs.PeerCertificates[0]); got != pin {
				return &PinMismatchError{Want: pin, Got: got}
			}
			return nil
		},
	}
}

// ServerConfig serves cert over TLS 1.2 or newer, HTTP/1.1 only (agents
// upgrade to WebSocket).
func ServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
	}
}
