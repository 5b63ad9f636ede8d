package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
)

// webhook POSTs the message as JSON.
func (s *Sender) webhook(ctx context.Context, ch Channel, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.URL, bytes.NewReader(body))
	if err != nil {
		return errBadURL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "restic-manager")
	return s.do(req)
}
