package notify

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// errBadURL keeps a malformed URL out of error text (it may hold a token).
var errBadURL = errors.New("the channel's URL is not valid")

// NtfyURL is the topic's URL: server and topic joined.
func NtfyURL(server, topic string) string {
	return strings.TrimRight(server, "/") + "/" + strings.Trim(topic, "/")
}

// SplitNtfyURL splits "https://ntfy.sh/backups" into server and topic.
func SplitNtfyURL(u string) (server, topic string) {
	u = strings.TrimRight(u, "/")
	i := strings.LastIndex(u, "/")
	if i < 0 || strings.HasSuffix(u[:i], "/") {
		return u, ""
	}
	return u[:i], u[i+1:]
}

// ntfy publishes to server/topic with ntfy's Title, Priority and Tags
// headers: failures at high priority with a warning tag, their ends and
// tests at the default one.
func (s *Sender) ntfy(ctx context.Context, ch Channel, m Message) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, NtfyURL(ch.URL, ch.Topic), strings.NewReader(m.Body()))
	if err != nil {
		return errBadURL
	}
	req.Header.Set("Title", m.Title())
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", "restic-manager")
	if m.urgent() {
		req.Header.Set("Priority", "high")
		req.Header.Set("Tags", "warning,"+m.Event)
	} else {
		req.Header.Set("Priority", "default")
		req.Header.Set("Tags", "white_check_mark,"+m.Event)
	}
	return s.do(req)
}
