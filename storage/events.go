package storage

import (
	"encoding/hex"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Kinds of host events.
const (
	EventGap        = "gap"        // journaled seqs never arrived
	EventRejected   = "rejected"   // a journaled event was refused (and acked)
	EventConnection = "connection" // connects, disconnects, auth refusals
	EventFire       = "fire"       // a schedule fired on the agent
	EventProtocol   = "protocol"   // bad frames, unknown types
	EventAdmin      = "admin"      // approvals and settings changes
	EventStore      = "store"      // stored records of the host that could not be read
)

// HostEvent is one line of a host's event log, shown on the host.
type HostEvent struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
	// Seq is the journaled event's seq when the entry is about one.
	Seq uint64 `json:"seq,omitempty"`
}

// Fire is one schedule.fire as the agent reported it.
type Fire struct {
	ScheduleID  string    `json:"schedule_id"`
	ScheduledAt time.Time `json:"scheduled_at"`
	JobIDs      []string  `json:"job_ids"`
	Skipped     string    `json:"skipped,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
}

func addHostEvent(tx *bolt.Tx, hostID string, ev HostEvent) error {
	b := tx.Bucket(bucketHostEvents)
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	return putJSON(b, cat(hk(hostID), timeKey(ev.Time), u64(n)), ev)
}

// AddHostEvent appends to a host's event log. A host that is not in the
// store (deleted a moment ago) gets none: ErrNotFound.
func (s *Store) AddHostEvent(hostID string, ev HostEvent) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketHosts).Get([]byte(hostID)) == nil {
			return fmt.Errorf("host %q: %w", hostID, ErrNotFound)
		}
		return addHostEvent(tx, hostID, ev)
	})
}

// HostEventPage is one page of a host's event log, newest first.
type HostEventPage struct {
	Events []HostEvent
	Next   string
}

// HostEvents returns up to limit events older than cursor (empty: from
// the newest).
func (s *Store) HostEvents(hostID, cursor string, limit int) (HostEventPage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var page HostEventPage
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHostEvents)
		p := hk(hostID)
		c := b.Cursor()
		var k []byte
		if cursor == "" {
			k = seekLastWithPrefix(c, p)
		} else {
			ck, err := hex.DecodeString(cursor)
			if err != nil || !hasPrefix(ck, p) {
				return fmt.Errorf("host event cursor %q: %w: not a cursor of this host", cursor, ErrInvalid)
			}
			c.Seek(ck)
			k, _ = c.Prev()
		}
		var lastK []byte
		for ; k != nil && hasPrefix(k, p); k, _ = c.Prev() {
			if len(page.Events) == limit {
				page.Next = hex.EncodeToString(lastK)
				break
			}
			var ev HostEvent
			if err := getJSON(b, k, &ev); err != nil {
				return err
			}
			page.Events = append(page.Events, ev)
			lastK = append(lastK[:0], k...)
		}
		return nil
	})
	return page, err
}

// Fires returns up to limit of a host's latest schedule fires, newest
// first.
func (s *Store) Fires(hostID string, limit int) ([]Fire, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []Fire
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFires)
		p := hk(hostID)
		c := b.Cursor()
		for k := seekLastWithPrefix(c, p); k != nil && hasPrefix(k, p) && len(out) < limit; k, _ = c.Prev() {
			var f Fire
			if err := getJSON(b, k, &f); err != nil {
				return err
			}
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// Mark returns a host's delivery high-water mark: every journaled event
// with seq ≤ mark has been processed.
func (s *Store) Mark(hostID string) (uint64, error) {
	var m uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		m = getU64(tx.Bucket(bucketMarks).Get([]byte(hostID)))
		return nil
	})
	return m, err
}

// RaiseMark lifts a host's mark to seq when seq is higher (hello's
// last_acked_seq: a restored or rebuilt data dir must never stall a
// fleet) and returns the mark. The skipped range is logged as a gap.
func (s *Store) RaiseMark(hostID string, seq uint64, now time.Time) (uint64, error) {
	var m uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		m, err = raiseMark(tx, hostID, seq, now)
		return err
	})
	return m, err
}

func raiseMark(tx *bolt.Tx, hostID string, seq uint64, now time.Time) (uint64, error) {
	b := tx.Bucket(bucketMarks)
	m := getU64(b.Get([]byte(hostID)))
	if seq <= m {
		return m, nil
	}
	msg := fmt.Sprintf("the agent had events up to seq %d acknowledged, above this manager's mark %d (a restored or rebuilt data directory?); events %d to %d are not here", seq, m, m+1, seq)
	if err := addHostEvent(tx, hostID, HostEvent{Time: now, Kind: EventGap, Message: msg}); err != nil {
		return m, err
	}
	return seq, b.Put([]byte(hostID), u64(seq))
}

// HelloRecord is what one accepted hello records (RecordHello).
type HelloRecord struct {
	Info         HostInfo
	LastAckedSeq uint64
	// Note, when not empty, goes to the host's event log as a connection
	// event.
	Note string
	// ByToken: the host proved itself with its own agent token. The first
	// such hello ends the enrollment's retry window (see Enroll).
	ByToken bool
	Now     time.Time
}

// RecordHello stores what a hello says (the host's self-description, its
// last-seen time), raises the mark to LastAckedSeq and adds the note — all
// in one transaction, so a fleet reconnecting at once costs one fsync per
// host. It returns the host and its mark.
func (s *Store) RecordHello(hostID string, hello HelloRecord) (Host, uint64, error) {
	var (
		h Host
		m uint64
	)
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, hostID)
		if err != nil {
			return err
		}
		r.HostInfo = hello.Info
		if hello.Now.After(r.LastSeen) {
			r.LastSeen = hello.Now
		}
		r.TokenUsed = r.TokenUsed || hello.ByToken
		if err := saveHost(tx, r); err != nil {
			return err
		}
		h = r.Host
		if hello.Note != "" {
			if err := addHostEvent(tx, hostID, HostEvent{Time: hello.Now, Kind: EventConnection, Message: hello.Note}); err != nil {
				return err
			}
		}
		m, err = raiseMark(tx, hostID, hello.LastAckedSeq, hello.Now)
		return err
	})
	return h, m, err
}
