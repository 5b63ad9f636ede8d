package journal

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Frame is one stored journaled event: its seq and the envelope's exact
// bytes, to be sent as they are.
type Frame struct {
	Seq  uint64
	Data []byte
}

// ErrSeqRange: a seq above protocol.MaxSafeInteger, which the wire cannot
// carry. An ack beyond it is refused rather than moving the next seq past
// 2^64 (where it would wrap to 0 and every later event would go out
// without a seq).
var ErrSeqRange = errors.New("seq above 2^53−1")

// Append journals events in one transaction: each gets the next per-agent
// seq (from 1, consecutive, surviving restarts) and an envelope whose bytes
// are stored exactly as they will be sent, together with the job-state
// change the event implies (job.started marks its job running; job.finished
// ends it and records the outcome; schedule.fire records the schedule's
// last fire time). Only journaled types are accepted, and each must
// validate. It returns the last seq assigned and wakes the sender.
func (j *Journal) Append(events ...protocol.Payload) (uint64, error) {
	var last uint64
	err := j.db.Update(func(tx *bolt.Tx) error {
		for _, p := range events {
			seq, err := appendTx(tx, p)
			if err != nil {
				return err
			}
			last = seq
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(events) > 0 {
		j.wake()
	}
	return last, nil
}

func appendTx(tx *bolt.Tx, p protocol.Payload) (uint64, error) {
	if !protocol.IsJournaled(p.MessageType()) {
		return 0, fmt.Errorf("journal: %s is not a journaled event", p.MessageType())
	}
	if err := p.Validate(); err != nil {
		return 0, fmt.Errorf("journal: %s: %w", p.MessageType(), err)
	}
	meta := tx.Bucket(bucketMeta)
	seq := getU64(meta, keyNextSeq)
	if seq == 0 || seq > protocol.MaxSafeInteger {
		return 0, fmt.Errorf("journal: next seq %d: %w", seq, ErrSeqRange)
	}
	env, err := protocol.NewEnvelope(p)
	if err != nil {
		return 0, err
	}
	env.Seq = seq
	raw, err := json.Marshal(env)
	if err != nil {
		return 0, fmt.Errorf("journal: encode %s: %w", p.MessageType(), err)
	}
	if err := tx.Bucket(bucketOutbox).Put(be(seq), raw); err != nil {
		return 0, err
	}
	if err := putU64(meta, keyNextSeq, seq+1); err != nil {
		return 0, err
	}
	if err := applyImplied(tx, p); err != nil {
		return 0, err
	}
	return seq, nil
}

// applyImplied is the state change an event carries with it.
func applyImplied(tx *bolt.Tx, p protocol.Payload) error {
	switch e := p.(type) {
	case *protocol.JobStarted:
		s, ok, err := jobTx(tx, e.JobID)
		if err != nil || !ok {
			return err
		}
		s.Status, s.StartedAt = protocol.StatusRunning, e.StartedAt
		return putJobTx(tx, s)
	case *protocol.JobFinished:
		if err := tx.Bucket(bucketJobs).Delete([]byte(e.JobID)); err != nil {
			return err
		}
		raw, err := json.Marshal(Outcome{Status: e.Status, FinishedAt: e.FinishedAt, Error: e.Error})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketDone).Put([]byte(e.JobID), raw)
	case *protocol.ScheduleFire:
		return setLastFireTx(tx, e.ScheduleID, e.ScheduledAt)
	}
	return nil
}

// Pending returns stored frames with seq > after, in seq order, at most
// limit of them (limit ≤ 0: all). A sender replays them byte for byte.
func (j *Journal) Pending(after uint64, limit int) ([]Frame, error) {
	var frames []Frame
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(be(after + 1)); k != nil; k, v = c.Next() {
			frames = append(frames, Frame{Seq: beUint(k), Data: bytes.Clone(v)})
			if limit > 0 && len(frames) == limit {
				break
			}
		}
		return nil
	})
	return frames, err
}

func beUint(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

// Ack drops every stored event with seq ≤ seq (acks are cumulative) and
// records it as last_acked_seq. An ack beyond the last assigned seq (the
// manager's mark is ahead of a restored state directory) moves the next seq
// past it, so new events are never taken for old ones.
func (j *Journal) Ack(seq uint64) error {
	if seq > protocol.MaxSafeInteger {
		return fmt.Errorf("journal: ack %d: %w", seq, ErrSeqRange)
	}
	err := j.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if seq <= getU64(meta, keyLastAcked) {
			return nil
		}
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil && beUint(k) <= seq; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		if err := putU64(meta, keyLastAcked, seq); err != nil {
			return err
		}
		if seq >= getU64(meta, keyNextSeq) {
			return putU64(meta, keyNextSeq, seq+1)
		}
		return nil
	})
	if err == nil && seq > j.lastAcked.Load() {
		j.lastAcked.Store(seq)
	}
	return err
}

// LastAckedSeq is the highest seq acked so far (0 before any ack), for
// hello.last_acked_seq.
func (j *Journal) LastAckedSeq() uint64 { return j.lastAcked.Load() }

// LastSeq is the last seq assigned (0 before any event).
func (j *Journal) LastSeq() (uint64, error) {
	var n uint64
	err := j.db.View(func(tx *bolt.Tx) error {
		n = getU64(tx.Bucket(bucketMeta), keyNextSeq) - 1
		return nil
	})
	return n, err
}

// Appended receives a value after events are appended (coalesced: one
// value may stand for many appends). The sender then reads Pending.
func (j *Journal) Appended() <-chan struct{} { return j.notify }

func (j *Journal) wake() {
	select {
	case j.notify <- struct{}{}:
	default:
	}
}
