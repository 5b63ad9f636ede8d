package storage

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// LogLine is one line of a job's log.
type LogLine struct {
	Seq     uint64
	TS      time.Time
	Stream  string // stdout, stderr or event
	Payload string
}

var streamCodes = map[string]byte{protocol.StreamStdout: 'o', protocol.StreamStderr: 'e', protocol.StreamEvent: 'v'}

func streamName(c byte) string {
	switch c {
	case 'o':
		return protocol.StreamStdout
	case 'e':
		return protocol.StreamStderr
	case 'v':
		return protocol.StreamEvent
	}
	return "unknown"
}

// Log lines are the bulk of the file, so they are stored compactly:
// ts (unix ns, 8 bytes BE) ‖ stream code (1 byte) ‖ payload.
func encodeLine(l *protocol.LogStream) []byte {
	b := make([]byte, 9+len(l.Payload))
	binary.BigEndian.PutUint64(b, uint64(l.TS.UnixNano()))
	b[8] = streamCodes[l.Stream]
	copy(b[9:], l.Payload)
	return b
}

func decodeLine(seq uint64, v []byte) (LogLine, error) {
	if len(v) < 9 {
		return LogLine{}, fmt.Errorf("log line %d: %d bytes, too short", seq, len(v))
	}
	return LogLine{Seq: seq, TS: time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(),
		Stream: streamName(v[8]), Payload: string(v[9:])}, nil // string() copies out of the mmap
}

func logKey(jobID string, seq uint64) []byte { return cat(jk(jobID), u64(seq)) }

// JobLog returns up to limit lines of a job from line seq fromSeq on (1 is
// the first line), in order.
func (s *Store) JobLog(jobID string, fromSeq uint64, limit int) ([]LogLine, error) {
	if limit <= 0 || limit > 10_000 {
		limit = 1000
	}
	var out []LogLine
	err := s.db.View(func(tx *bolt.Tx) error {
		p := jk(jobID)
		c := tx.Bucket(bucketLogs).Cursor()
		for k, v := c.Seek(logKey(jobID, fromSeq)); k != nil && hasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			seq := getU64(k[len(p):])
			if seq == tallySeq {
				break // the job's tally, after its last line
			}
			l, err := decodeLine(seq, v)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// JobLogLast returns the highest line seq stored for a job (0: none).
func (s *Store) JobLogLast(jobID string) (uint64, error) {
	var last uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		p := jk(jobID)
		c := tx.Bucket(bucketLogs).Cursor()
		// The line before the tally, or before whatever follows the job.
		k, _ := c.Seek(logKey(jobID, tallySeq))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		if k != nil && hasPrefix(k, p) {
			last = getU64(k[len(p):])
		}
		return nil
	})
	return last, err
}

// JobLogCount returns how many lines a job has stored (the "[N more lines
// not kept]" line of a job past its cap included).
func (s *Store) JobLogCount(jobID string) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		p := jk(jobID)
		c := tx.Bucket(bucketLogs).Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p) && getU64(k[len(p):]) != tallySeq; k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// LogTally is what the manager counted of a job's log.
type LogTally struct {
	// Lines and Bytes are the lines stored within the cap and their
	// payload bytes; Dropped the lines past it, counted and not stored.
	Lines, Bytes, Dropped uint64
}

// JobLogTally returns a job's log counts (zero for a job without lines).
func (s *Store) JobLogTally(jobID string) (LogTally, error) {
	var t logTally
	err := s.db.View(func(tx *bolt.Tx) error {
		t = decodeTally(tx.Bucket(bucketLogs).Get(logKey(jobID, tallySeq)))
		return nil
	})
	return LogTally{Lines: t.lines, Bytes: t.bytes, Dropped: t.dropped}, err
}
