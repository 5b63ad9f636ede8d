package notify

import (
	"context"
	"net/http"
	"strings"

	"restic-manager/protocol"
)

// ping tells a healthchecks-style URL how a backup ended: GET <url> on
// success, GET <url>/fail on failure; a test is a plain GET.
func (s *Sender) ping(ctx context.Context, ch Channel, m Message) error {
	u := strings.TrimRight(ch.URL, "/")
	if m.Event == BackupFinished && m.Status != protocol.StatusSucceeded {
		u += "/fail"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return errBadURL
	}
	req.Header.Set("User-Agent", "restic-manager")
	return s.do(req)
}
