package notify

import "encoding/json"

// queued is a message as the outbox keeps it: the webhook's fields plus
// the words the other channels say.
type queued struct {
	Message Message `json:"message"`
	Group   string  `json:"group,omitempty"`
	Detail  string  `json:"detail,omitempty"`
}

// Encode is m as an outbox entry keeps it.
func Encode(m Message) (json.RawMessage, error) {
	return json.Marshal(queued{Message: m, Group: m.Group, Detail: m.Detail})
}

// Decode reads what Encode wrote.
func Decode(raw json.RawMessage) (Message, error) {
	var q queued
	if err := json.Unmarshal(raw, &q); err != nil {
		return Message{}, err
	}
	q.Message.Group, q.Message.Detail = q.Group, q.Detail
	return q.Message, nil
}
