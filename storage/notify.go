package storage

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Notification buckets: the channels the admin set up, the state of each
// watched condition (so a restart neither repeats nor loses a change), and
// the outbox of deliveries still to make.
var (
	bucketNotifyChannels = []byte("notify_channels") // channel id → NotifyChannel (JSON)
	bucketNotifyState    = []byte("notify_state")    // condition key → NotifyCondition (JSON)
	bucketNotifyOutbox   = []byte("notify_outbox")   // seq (BE) → OutboxEntry (JSON)
)

// NotifyChannel is one place notifications go. Which fields matter
// depends on Type (desktop/notify says what each type reads). It holds no
// secret: an e-mail channel's password is in the keyring.
type NotifyChannel struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Name is what the admin calls it; empty: the type and address.
	Name string `json:"name,omitempty"`
	// URL: the webhook's URL, the ntfy server, or the ping URL.
	URL   string `json:"url,omitempty"`
	Topic string `json:"topic,omitempty"`
	// HostID: the host whose backups a ping channel reports.
	HostID string `json:"host_id,omitempty"`
	// E-mail: server, port, login user, sender and recipients.
	SMTPHost string   `json:"smtp_host,omitempty"`
	SMTPPort int      `json:"smtp_port,omitempty"`
	User     string   `json:"user,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
	Disabled bool     `json:"disabled,omitempty"`
}

// NotifyCondition is what the manager last concluded about one watched
// condition. Since is when its current observation began (a lock seen
// since then); Value is a condition's memory beyond on/off (the last
// backup job pinged).
type NotifyCondition struct {
	Active bool      `json:"active"`
	Since  time.Time `json:"since,omitzero"`
	Value  string    `json:"value,omitempty"`
}

// OutboxEntry is one message owed to one channel.
type OutboxEntry struct {
	Seq       uint64          `json:"-"`
	ChannelID string          `json:"channel_id"`
	Message   json.RawMessage `json:"message"`
	CreatedAt time.Time       `json:"created_at"`
	NextAt    time.Time       `json:"next_at"`
	Attempts  int             `json:"attempts,omitempty"`
	LastError string          `json:"last_error,omitempty"`
}

// NotifyChannels lists the stored channels by id.
func (s *Store) NotifyChannels() ([]NotifyChannel, error) {
	var out []NotifyChannel
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNotifyChannels).ForEach(func(k, v []byte) error {
			var c NotifyChannel
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode notification channel %q: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// PutNotifyChannel adds or replaces a channel.
func (s *Store) PutNotifyChannel(c NotifyChannel) error {
	if c.ID == "" {
		return fmt.Errorf("notification channel without id: %w", ErrInvalid)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketNotifyChannels), []byte(c.ID), c)
	})
}

// DeleteNotifyChannel removes a channel and every delivery still owed to
// it. Deleting an absent one is not an error.
func (s *Store) DeleteNotifyChannel(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketNotifyChannels).Delete([]byte(id)); err != nil {
			return err
		}
		ob := tx.Bucket(bucketNotifyOutbox)
		var drop [][]byte
		err := ob.ForEach(func(k, v []byte) error {
			var e OutboxEntry
			if json.Unmarshal(v, &e) != nil || e.ChannelID == id {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := ob.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// NotifyConditions returns every stored condition by key.
func (s *Store) NotifyConditions() (map[string]NotifyCondition, error) {
	out := map[string]NotifyCondition{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNotifyState).ForEach(func(k, v []byte) error {
			var c NotifyCondition
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode notification state %q: %w", k, err)
			}
			out[string(k)] = c
			return nil
		})
	})
	return out, err
}

// RecordNotifications stores conditions (set), forgets others (drop) and
// queues the messages their changes caused, in one transaction: a change
// is either recorded with its messages queued or not at all, so a crash
// between the two can neither lose a message nor send one twice.
func (s *Store) RecordNotifications(set map[string]NotifyCondition, drop []string, queue []OutboxEntry) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		st := tx.Bucket(bucketNotifyState)
		for k, c := range set {
			if err := putJSON(st, []byte(k), c); err != nil {
				return err
			}
		}
		for _, k := range drop {
			if err := st.Delete([]byte(k)); err != nil {
				return err
			}
		}
		ob := tx.Bucket(bucketNotifyOutbox)
		for _, e := range queue {
			seq, err := ob.NextSequence()
			if err != nil {
				return err
			}
			if err := putJSON(ob, u64(seq), e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Outbox returns every queued delivery, oldest first.
func (s *Store) Outbox() ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNotifyOutbox).ForEach(func(k, v []byte) error {
			var e OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode outbox entry %x: %w", k, err)
			}
			e.Seq = getU64(k)
			out = append(out, e)
			return nil
		})
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	return out, err
}

// OutboxDone removes delivered (or abandoned) entries.
func (s *Store) OutboxDone(seqs ...uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNotifyOutbox)
		for _, q := range seqs {
			if err := b.Delete(u64(q)); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutboxRetry stores an entry's next attempt, if it is still queued (its
// channel may have been deleted meanwhile).
func (s *Store) OutboxRetry(e OutboxEntry) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNotifyOutbox)
		if b.Get(u64(e.Seq)) == nil {
			return nil
		}
		return putJSON(b, u64(e.Seq), e)
	})
}
