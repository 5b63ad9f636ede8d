package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// HashToken is how tokens are stored: SHA-256 of the plain token. Tokens
// are high-entropy random strings, so a fast hash is the right tool (no
// password stretching needed), and lookups are by hash.
func HashToken(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

func unhex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// EnrollToken is an enrollment token as stored: never the token itself.
type EnrollToken struct {
	// ID is the hex SHA-256 of the token; it names the token in the UI.
	ID        string    `json:"id"`
	Uses      int       `json:"uses"`
	Used      int       `json:"used"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
}

// UsesLeft is how many more hosts may enroll with the token.
func (t EnrollToken) UsesLeft() int {
	if t.Used >= t.Uses {
		return 0
	}
	return t.Uses - t.Used
}

// ErrEnrollRefused is wrapped by every enrollment refusal; the message
// after it says why (unknown, expired, used up) and never quotes the token.
var ErrEnrollRefused = errors.New("enrollment refused")

// ErrAlreadyEnrolled: an enrollment retry for a host that has already used
// its own agent token (wrapped with ErrEnrollRefused).
var ErrAlreadyEnrolled = errors.New("already enrolled; remove the host to enroll it again")

// CreateEnrollToken stores a new token (by hash). A token that already
// exists is an error.
func (s *Store) CreateEnrollToken(plain string, uses int, expires, now time.Time) (EnrollToken, error) {
	var t EnrollToken
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		t, _, err = putEnrollToken(tx, plain, uses, expires, now, false)
		return err
	})
	return t, err
}

// SeedEnrollToken creates the token if it does not exist and otherwise
// leaves it, and its remaining uses, alone (the --enroll-token flag).
func (s *Store) SeedEnrollToken(plain string, uses int, expires, now time.Time) (EnrollToken, bool, error) {
	var (
		t       EnrollToken
		created bool
	)
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		t, created, err = putEnrollToken(tx, plain, uses, expires, now, true)
		return err
	})
	return t, created, err
}

func putEnrollToken(tx *bolt.Tx, plain string, uses int, expires, now time.Time, keep bool) (EnrollToken, bool, error) {
	if len(plain) < 8 || len(plain) > protocol.MaxIDLen {
		return EnrollToken{}, false, fmt.Errorf("an enrollment token must be 8 to %d characters", protocol.MaxIDLen)
	}
	if uses < 1 {
		return EnrollToken{}, false, fmt.Errorf("an enrollment token needs at least one use, not %d", uses)
	}
	b := tx.Bucket(bucketEnrollToks)
	key := HashToken(plain)
	var t EnrollToken
	if err := getJSON(b, key, &t); err == nil {
		if keep {
			return t, false, nil
		}
		return t, false, errors.New("that enrollment token already exists")
	} else if !errors.Is(err, ErrNotFound) {
		return t, false, err
	}
	t = EnrollToken{ID: hex.EncodeToString(key), Uses: uses, ExpiresAt: expires, CreatedAt: now}
	return t, true, putJSON(b, key, t)
}

// EnrollTokens lists the stored tokens, newest first.
func (s *Store) EnrollTokens() ([]EnrollToken, error) {
	var out []EnrollToken
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEnrollToks)
		return b.ForEach(func(k, _ []byte) error {
			var t EnrollToken
			if err := getJSON(b, k, &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, err
}

// DeleteEnrollToken revokes a token by its ID.
func (s *Store) DeleteEnrollToken(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		key := unhex(id)
		if tx.Bucket(bucketEnrollToks).Get(key) == nil {
			return fmt.Errorf("enrollment token %s: %w", id, ErrNotFound)
		}
		return tx.Bucket(bucketEnrollToks).Delete(key)
	})
}

// EnrollRequest is one hello carrying enroll_token.
type EnrollRequest struct {
	EnrollToken string // plain, as the agent sent it
	AgentID     string
	// AgentToken is the new per-host token to issue (plain; stored hashed).
	// Empty on the tailnet, where the node is the identity.
	AgentToken string
	NodeID     string
	NodeName   string
	Info       HostInfo
	Now        time.Time
}

// EnrollResult is the enrolled host; Reenrolled is true for a retry with
// the same token and agent id, which used no further use.
type EnrollResult struct {
	Host       Host
	Reenrolled bool
}

// Enroll checks an enrollment token and creates (approved) or finds the
// host, in one transaction. A retry with the same token and agent_id gets
// the same host and the fresh agent token replaces the old one, without
// using up another use — until the host's first hello with its own token;
// after that a retry is refused (ErrAlreadyEnrolled) and nothing is
// written.
func (s *Store) Enroll(req EnrollRequest) (EnrollResult, error) {
	var res EnrollResult
	err := s.db.Update(func(tx *bolt.Tx) error {
		toks := tx.Bucket(bucketEnrollToks)
		key := HashToken(req.EnrollToken)
		var t EnrollToken
		if err := getJSON(toks, key, &t); errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: the enrollment token is not known (it may have been revoked)", ErrEnrollRefused)
		} else if err != nil {
			return err
		}
		if !req.Now.Before(t.ExpiresAt) {
			return fmt.Errorf("%w: the enrollment token expired at %s", ErrEnrollRefused, t.ExpiresAt.UTC().Format(time.RFC3339))
		}
		if req.AgentID == "" {
			return fmt.Errorf("%w: agent_id is required", ErrEnrollRefused)
		}
		enr := tx.Bucket(bucketEnrollments)
		ekey := cat(key, []byte(req.AgentID))
		var r hostRecord
		if id := enr.Get(ekey); id != nil {
			var err error
			if r, err = loadHost(tx, string(id)); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			} else if err == nil {
				if r.Status == HostRejected {
					return fmt.Errorf("%w: this host was rejected by the administrator", ErrEnrollRefused)
				}
				// A retry is for an agent that never got its token. Once
				// the host has used it, the enrollment token and agent_id
				// (which others may have seen) must not mint another.
				if r.TokenUsed {
					return fmt.Errorf("%w: %w", ErrEnrollRefused, ErrAlreadyEnrolled)
				}
				res.Reenrolled = true
			}
		}
		if !res.Reenrolled {
			if t.UsesLeft() == 0 {
				return fmt.Errorf("%w: the enrollment token has no uses left (%d of %d used)", ErrEnrollRefused, t.Used, t.Uses)
			}
			t.Used++
			if err := putJSON(toks, key, t); err != nil {
				return err
			}
			r = hostRecord{Host: Host{ID: protocol.NewID(), Status: HostApproved, AgentID: req.AgentID,
				FirstSeen: req.Now, ScheduleVersion: 1}}
			// A tailnet node waiting for approval that brings a token is
			// that pending host, now approved.
			if id := tx.Bucket(bucketHostNodes).Get([]byte(req.NodeID)); req.NodeID != "" && id != nil {
				p, err := loadHost(tx, string(id))
				if err != nil {
					return err
				}
				if p.Status == HostPending {
					r = p
					r.Status = HostApproved
				}
			}
			if err := enr.Put(ekey, []byte(r.ID)); err != nil {
				return err
			}
		}
		r.HostInfo = req.Info
		r.AgentID = req.AgentID
		r.LastSeen = req.Now
		if err := bindNode(tx, &r, req.NodeID, req.NodeName); err != nil {
			return fmt.Errorf("%w: %v", ErrEnrollRefused, err)
		}
		if req.AgentToken != "" {
			if err := setHostToken(tx, &r, req.AgentToken); err != nil {
				return err
			}
		}
		res.Host = r.Host
		return saveHost(tx, r)
	})
	return res, err
}

// HostsEnrolledWith lists the ids of the hosts that enrolled with the
// enrollment token plain (still in the store), in enrollment order of
// their agents' ids.
func (s *Store) HostsEnrolledWith(plain string) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		p := HashToken(plain)
		c := tx.Bucket(bucketEnrollments).Cursor()
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			if tx.Bucket(bucketHosts).Get(v) != nil {
				out = append(out, string(v))
			}
		}
		return nil
	})
	return out, err
}
