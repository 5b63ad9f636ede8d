package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"
)

// email sends the message over SMTP. STARTTLS is required: a server that
// does not offer it gets nothing, neither the password nor the message
// (ErrNoSTARTTLS).
func (s *Sender) email(ctx context.Context, ch Channel, m Message, password string) error {
	port := ch.SMTPPort
	if port == 0 {
		port = 587
	}
	addr := net.JoinHostPort(ch.SMTPHost, strconv.Itoa(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect to the mail server: %w", err)
	}
	// One deadline for the whole conversation: net/smtp has none.
	dl, _ := ctx.Deadline()
	if dl.IsZero() {
		dl = time.Now().Add(s.timeout())
	}
	_ = conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, ch.SMTPHost)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail server greeting: %w", err)
	}
	defer c.Close()
	helo, _ := os.Hostname()
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return fmt.Errorf("mail server EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return ErrNoSTARTTLS
	}
	tc := &tls.Config{ServerName: ch.SMTPHost, MinVersion: tls.VersionTLS12}
	if s.SMTPTLS != nil {
		tc = s.SMTPTLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = ch.SMTPHost
		}
	}
	if err := c.StartTLS(tc); err != nil {
		return fmt.Errorf("mail server STARTTLS: %w", err)
	}
	if ch.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("the mail server offers no login (AUTH) after STARTTLS")
		}
		// PlainAuth sends only over TLS (or to localhost); the TLS is
		// in place here in any case.
		if err := c.Auth(smtp.PlainAuth("", ch.User, password, ch.SMTPHost)); err != nil {
			return fmt.Errorf("mail server login as %s: %w", ch.User, err)
		}
	}
	if err := c.Mail(ch.From); err != nil {
		return fmt.Errorf("mail server MAIL FROM: %w", err)
	}
	for _, to := range ch.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("mail server RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail server DATA: %w", err)
	}
	if _, err := w.Write(mailText(ch, m)); err != nil {
		return fmt.Errorf("mail server DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail server refused the message: %w", err)
	}
	return c.Quit()
}

// mailText is the message with its headers, CRLF line ends.
func mailText(ch Channel, m Message) []byte {
	var b strings.Builder
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	fmt.Fprintf(&b, "From: %s\r\n", ch.From)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(ch.To, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Title()))
	fmt.Fprintf(&b, "Date: %s\r\n", at.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
	fmt.Fprintf(&b, "X-Restic-Manager-Event: %s\r\n\r\n", m.Event)
	body := m.Body() + "\n\nEvent: " + m.Event + "\nHost: " + m.Host + "\nTime: " + at.Format(time.RFC3339) + "\n"
	if m.JobID != "" {
		body += "Job: " + m.JobID + "\n"
	}
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}
