package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"restic-manager/storage"
)

// Channel is one configured destination (storage.NotifyChannel).
type Channel = storage.NotifyChannel

// The channel types.
const (
	TypeDesktop = "desktop"
	TypeWebhook = "webhook"
	TypeNtfy    = "ntfy"
	TypeEmail   = "email"
	TypePing    = "ping"
)

// DefaultTimeout bounds one delivery: a dead server costs this much of
// the outbox worker's time, never the window's or ingest's.
const DefaultTimeout = 15 * time.Second

// Errors callers compare with errors.Is / errors.As.
var (
	// ErrNoSTARTTLS: the SMTP server does not offer STARTTLS; the
	// password is never sent over a plain connection.
	ErrNoSTARTTLS = errors.New("the mail server does not offer STARTTLS; refusing to send the password or the message in the clear")
	// ErrNoDesktop: no window is open to show a desktop notification.
	ErrNoDesktop = errors.New("no window is open for desktop notifications")
	// ErrUnknownType: a channel of a type this build does not know.
	ErrUnknownType = errors.New("unknown channel type")
)

// HTTPStatusError is a webhook, ntfy or ping server's refusal.
type HTTPStatusError struct{ Code int }

func (e *HTTPStatusError) Error() string {
	return fmt.Sprintf("the server answered HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Desktop shows a notification on this computer's desktop; the window
// implements it (fyne's App.SendNotification).
type Desktop interface {
	Notify(title, content string)
}

// Sender delivers messages. The zero value works; the fields are for
// tests and tuning.
type Sender struct {
	// HTTP sends webhook, ntfy and ping requests (default: a client with
	// Timeout).
	HTTP *http.Client
	// SMTPTLS configures STARTTLS (default: the system's roots, the SMTP
	// host as server name). Tests trust their own certificate here.
	SMTPTLS *tls.Config
	// Timeout bounds one delivery (default DefaultTimeout).
	Timeout time.Duration
	// Desktop shows desktop notifications; nil when no window is open.
	Desktop func() Desktop
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Sender) client() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{Timeout: s.timeout()}
}

// Deliver sends m to ch. password is an e-mail channel's SMTP password
// (empty elsewhere). Its error never quotes the password or the URL,
// which may carry a token.
func (s *Sender) Deliver(ctx context.Context, ch Channel, m Message, password string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	switch ch.Type {
	case TypeWebhook:
		return s.webhook(ctx, ch, m)
	case TypeNtfy:
		return s.ntfy(ctx, ch, m)
	case TypeEmail:
		return s.email(ctx, ch, m, password)
	case TypePing:
		return s.ping(ctx, ch, m)
	case TypeDesktop:
		var d Desktop
		if s.Desktop != nil {
			d = s.Desktop()
		}
		if d == nil {
			return ErrNoDesktop
		}
		d.Notify(m.Title(), m.Body())
		return nil
	}
	return fmt.Errorf("%w %q", ErrUnknownType, ch.Type)
}

// do runs an HTTP request and maps a non-2xx answer to *HTTPStatusError.
// Go's url.Error quotes the URL; it is dropped from the error here.
func (s *Sender) do(req *http.Request) error {
	resp, err := s.client().Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			return fmt.Errorf("%s: %w", req.Method, ue.Unwrap())
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &HTTPStatusError{Code: resp.StatusCode}
	}
	return nil
}

// Accepts reports whether ch takes m: a ping channel only its host's
// backup outcomes, the desktop and the others every condition change and
// tests sent to them.
func Accepts(ch Channel, m Message) bool {
	if ch.Disabled {
		return false
	}
	if ch.Type == TypePing {
		return m.Event == BackupFinished && m.HostID == ch.HostID
	}
	return m.Event != BackupFinished
}
