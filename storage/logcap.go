package storage

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"restic-manager/protocol"
)

// The per-job log cap, enforced here as the agent enforces it, so an agent
// that ignores its own cap cannot fill the manager's disk through one job.
// A well-behaved agent sends at most MaxLogLinesPerJob lines of at most
// MaxLogBytesPerJob bytes, then its closing lines ("[N more lines not
// kept]", "[N lines lost: …]"); those fit in the allowance.
const (
	logClosingLines   = 2
	MaxStoredLogLines = protocol.MaxLogLinesPerJob + logClosingLines
	MaxStoredLogBytes = protocol.MaxLogBytesPerJob + logClosingLines*(protocol.MaxLogLineBytes+64)
)

// logTally is what the manager counted of one job's log. It lives in the
// log bucket under the job's prefix at line seq tallySeq, after every line
// (line numbers stop at 2^53−1): it goes wherever the job's lines go, and
// it sits on the page the newest lines are written to, so counting costs
// a commit no page of its own.
type logTally struct {
	lines, bytes uint64 // stored lines and their payload bytes
	dropped      uint64 // lines past the cap: counted, not stored
	markSeq      uint64 // where the "[N more lines not kept]" line sits (0: none)
	dirty        bool
}

const tallySeq = math.MaxUint64

func decodeTally(v []byte) logTally {
	if len(v) != 32 {
		return logTally{}
	}
	return logTally{lines: binary.BigEndian.Uint64(v), bytes: binary.BigEndian.Uint64(v[8:]),
		dropped: binary.BigEndian.Uint64(v[16:]), markSeq: binary.BigEndian.Uint64(v[24:])}
}

func (t *logTally) encode() []byte {
	return cat(u64(t.lines), u64(t.bytes), u64(t.dropped), u64(t.markSeq))
}

// admit counts one line and says whether to store it.
func (t *logTally) admit(p *protocol.LogStream) bool {
	t.dirty = true
	n := uint64(len(p.Payload))
	if t.lines >= MaxStoredLogLines || t.bytes+n > MaxStoredLogBytes {
		t.dropped++
		if t.markSeq == 0 {
			t.markSeq = p.Seq
		}
		return false
	}
	t.lines++
	t.bytes += n
	return true
}

// notKeptLine is the line that says how many lines were not kept, in the
// agent's words (the job views read that marker).
func notKeptLine(jobID string, dropped uint64, at time.Time) *protocol.LogStream {
	return &protocol.LogStream{JobID: jobID, TS: at, Stream: protocol.StreamStderr,
		Payload: fmt.Sprintf("[%d more lines not kept]", dropped)}
}

// tally returns the job's log tally, from the batch or the store.
func (a *applier) tally(jobID string) *logTally {
	if t, ok := a.tallies[jobID]; ok {
		return t
	}
	t := decodeTally(a.logs.Get(logKey(jobID, tallySeq)))
	a.tallies[jobID] = &t
	return &t
}

// flushTallies writes each changed tally and, for a job past its cap, the
// "[N more lines not kept]" line with the count so far.
func (a *applier) flushTallies() error {
	for jobID, t := range a.tallies {
		if !t.dirty {
			continue
		}
		if err := a.logs.Put(logKey(jobID, tallySeq), t.encode()); err != nil {
			return err
		}
		if t.dropped > 0 {
			if err := a.logs.Put(logKey(jobID, t.markSeq), encodeLine(notKeptLine(jobID, t.dropped, a.now))); err != nil {
				return err
			}
		}
	}
	return nil
}
