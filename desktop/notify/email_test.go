package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a small SMTP server on 127.0.0.1 speaking EHLO, STARTTLS
// (when offered), AUTH PLAIN, MAIL, RCPT, DATA and QUIT: enough of RFC
// 5321 to show what a client sends and over what.
type smtpServer struct {
	addr     string
	cert     tls.Certificate
	startTLS bool

	mu    sync.Mutex
	mails []smtpMail
	cmds  []string // every command, AUTH's argument removed
	done  chan struct{}
}

type smtpMail struct {
	TLS        bool
	User, Pass string
	From       string
	To         []string
	Data       string
}

func newSMTPServer(t *testing.T, startTLS bool) (*smtpServer, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{addr: l.Addr().String(), cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, startTLS: startTLS, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return s, pool
}

func (s *smtpServer) note(cmd string) {
	s.mu.Lock()
	s.cmds = append(s.cmds, cmd)
	s.mu.Unlock()
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(c)
	var m smtpMail
	_ = tp.PrintfLine("220 127.0.0.1 test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if verb == "AUTH" {
			s.note("AUTH")
		} else {
			s.note(line)
		}
		switch verb {
		case "EHLO", "HELO":
			_ = tp.PrintfLine("250-127.0.0.1 hello")
			if s.startTLS && !m.TLS {
				_ = tp.PrintfLine("250-STARTTLS")
			}
			_ = tp.PrintfLine("250 AUTH PLAIN")
		case "STARTTLS":
			if !s.startTLS {
				_ = tp.PrintfLine("502 not offered")
				continue
			}
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			c, tp, m = tc, textproto.NewConn(tc), smtpMail{TLS: true}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if strings.ToUpper(mech) != "PLAIN" || err != nil || len(parts) != 3 {
				_ = tp.PrintfLine("535 bad auth")
				continue
			}
			m.User, m.Pass = parts[1], parts[2]
			_ = tp.PrintfLine("235 ok")
		case "MAIL":
			m.From = strings.Trim(strings.TrimPrefix(strings.ToUpper(arg[:5])+arg[5:], "FROM:"), "<>")
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			m.To = append(m.To, strings.Trim(arg[3:], "<>"))
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 go on")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.Data = string(data)
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("250 ok")
		}
	}
}

func (s *smtpServer) channel() Channel {
	host, port, _ := net.SplitHostPort(s.addr)
	var p int
	for _, r := range port {
		p = p*10 + int(r-'0')
	}
	return Channel{ID: "mail", Type: TypeEmail, SMTPHost: host, SMTPPort: p, User: "backup-bot",
		From: "backups@example.com", To: []string{"admin@example.com", "ops@example.com"}}
}

func TestEmailGoesOverSTARTTLSWithTheKeyringPassword(t *testing.T) {
	srv, pool := newSMTPServer(t, true)
	s := &Sender{SMTPTLS: &tls.Config{RootCAs: pool}}
	m := Message{Event: BackupFailed, Host: "office-pc", HostID: "h1", JobID: "j1", Kind: "backup", Status: "failed",
		Error: "repository is locked\nby PID 42", At: time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC), Group: "docs"}
	if err := s.Deliver(context.Background(), srv.channel(), m, "s3cret pass"); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.mails) != 1 {
		t.Fatalf("mails received = %d, want 1", len(srv.mails))
	}
	got := srv.mails[0]
	if !got.TLS || got.User != "backup-bot" || got.Pass != "s3cret pass" {
		t.Errorf("mail: TLS %v, login %q/%q; want TLS, backup-bot with the password", got.TLS, got.User, got.Pass)
	}
	if got.From != "backups@example.com" || strings.Join(got.To, ",") != "admin@example.com,ops@example.com" {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	for _, want := range []string{"Subject: office-pc: backup failed", "Group docs. repository is locked", "Event: backup.failed", "Job: j1"} {
		if !strings.Contains(got.Data, want) {
			t.Errorf("message lacks %q:\n%s", want, got.Data)
		}
	}
}

// A server that does not offer STARTTLS gets neither the login nor the
// message: the client stops after EHLO.
func TestEmailRefusesAServerWithoutSTARTTLS(t *testing.T) {
	srv, _ := newSMTPServer(t, false)
	err := (&Sender{}).Deliver(context.Background(), srv.channel(), Message{Event: Test}, "s3cret pass")
	if !errors.Is(err, ErrNoSTARTTLS) {
		t.Fatalf("Deliver = %v; want ErrNoSTARTTLS", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error quotes the password: %v", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, c := range srv.cmds {
		if v := strings.ToUpper(strings.SplitN(c, " ", 2)[0]); v == "AUTH" || v == "MAIL" || v == "DATA" {
			t.Errorf("the client sent %q to a server without STARTTLS; want it to stop after EHLO (commands: %q)", c, srv.cmds)
		}
	}
	if len(srv.mails) != 0 {
		t.Errorf("mails received = %d, want none", len(srv.mails))
	}
}
