package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Channels given on the command line (--notify-webhook, --notify-ntfy,
// --notify-smtp) are not stored: their ids derive from what was given, so
// the same flags after a restart find their queued messages again.

// ErrFlag wraps every refusal of a command-line channel.
var ErrFlag = errors.New("bad notification channel")

// SMTPFlagID is the id of the command line's e-mail channel; its password
// is in the keyring as manager/notify-smtp-password:cli-smtp, or in
// RM_NOTIFY_SMTP_PASSWORD.
const SMTPFlagID = "cli-smtp"

func flagID(kind, s string) string {
	sum := sha256.Sum256([]byte(s))
	return "cli-" + kind + "-" + hex.EncodeToString(sum[:6])
}

// httpURL checks an http(s) URL with a host. Its error never quotes the
// URL (it may carry a token).
func httpURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("not an http:// or https:// URL with a host")
	}
	return u, nil
}

// WebhookFlag is the channel of one --notify-webhook URL.
func WebhookFlag(s string) (Channel, error) {
	if _, err := httpURL(s); err != nil {
		return Channel{}, fmt.Errorf("%w: --notify-webhook: %v", ErrFlag, err)
	}
	return Channel{ID: flagID("webhook", s), Type: TypeWebhook, URL: s}, nil
}

// NtfyFlag is the channel of --notify-ntfy https://server/topic.
func NtfyFlag(s string) (Channel, error) {
	if _, err := httpURL(s); err != nil {
		return Channel{}, fmt.Errorf("%w: --notify-ntfy: %v", ErrFlag, err)
	}
	server, topic := SplitNtfyURL(s)
	if u, _ := url.Parse(server); topic == "" || u == nil || u.Host == "" {
		return Channel{}, fmt.Errorf("%w: --notify-ntfy: give the server and the topic, as https://ntfy.sh/backups", ErrFlag)
	}
	return Channel{ID: flagID("ntfy", s), Type: TypeNtfy, URL: server, Topic: topic}, nil
}

// SMTPFlag is the channel of --notify-smtp
// smtp://user@host:587/?from=a@b&to=c@d[,e@f]. A password in the URL is
// refused (it would sit in argv and the process list); the error never
// repeats it.
func SMTPFlag(s string) (Channel, error) {
	bad := func(why string) (Channel, error) {
		return Channel{}, fmt.Errorf("%w: --notify-smtp: %s (smtp://user@host:587/?from=…&to=…)", ErrFlag, why)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return bad("not an smtp:// URL with a host")
	}
	if _, has := u.User.Password(); has {
		return bad("a password does not go in the URL; put it in the keyring or RM_NOTIFY_SMTP_PASSWORD")
	}
	ch := Channel{ID: SMTPFlagID, Type: TypeEmail, SMTPHost: u.Hostname(), SMTPPort: 587, User: u.User.Username()}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("the port is not a number from 1 to 65535")
		}
		ch.SMTPPort = n
	}
	q := u.Query()
	ch.From = q.Get("from")
	for _, t := range q["to"] {
		for _, a := range strings.Split(t, ",") {
			if a = strings.TrimSpace(a); a != "" {
				ch.To = append(ch.To, a)
			}
		}
	}
	if err := CheckAddresses(ch.From, ch.To); err != nil {
		return bad(err.Error())
	}
	return ch, nil
}

// IsAddress reports whether a is one e-mail address.
func IsAddress(a string) bool {
	p, err := mail.ParseAddress(a)
	return err == nil && p.Address != ""
}

// CheckAddresses checks a sender and at least one recipient.
func CheckAddresses(from string, to []string) error {
	if _, err := mail.ParseAddress(from); err != nil {
		return fmt.Errorf("from %q is not an e-mail address", from)
	}
	if len(to) == 0 {
		return errors.New("no recipient (to)")
	}
	for _, a := range to {
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("to %q is not an e-mail address", a)
		}
	}
	return nil
}
