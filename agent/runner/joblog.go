package runner

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"restic-manager/protocol"
)

// jobLog journals one job's log lines as log.stream events: each line cut
// to 16 KiB, numbered from 1, at most MaxLogLinesPerJob lines and
// MaxLogBytesPerJob bytes per job. Past the cap it counts what it skips;
// lines the journal refused (a full disk) it counts as lost, with the
// cause. close hands back the closing lines that say so, for the caller
// to journal together with job.finished. Lines are appended in batches (a
// few per fsync) and flushed at least every flushEvery, so a live log
// stays live without one bbolt commit per line.
type jobLog struct {
	store Store
	jobID string
	log   *slog.Logger

	mu        sync.Mutex
	seq       uint64
	lines     int
	bytes     int
	skipped   int // past the cap
	lost      int // refused by the journal
	lostCause string
	pending   []protocol.Payload
	stop      chan struct{}
	stopped   chan struct{}
	stopOnce  sync.Once
}

const (
	flushLines = 256
	flushEvery = 200 * time.Millisecond
)

func newJobLog(store Store, jobID string, log *slog.Logger) *jobLog {
	l := &jobLog{store: store, jobID: jobID, log: log, stop: make(chan struct{}), stopped: make(chan struct{})}
	go l.flushLoop()
	return l
}

func (l *jobLog) flushLoop() {
	defer close(l.stopped)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.mu.Lock()
			l.flushLocked()
			l.mu.Unlock()
		case <-l.stop:
			return
		}
	}
}

// add journals one line (eventually) unless the job's cap is reached. The
// line is cleaned first (CleanLogLine: no terminal escapes, carriage
// returns applied); a line that held nothing but terminal control is
// dropped.
func (l *jobLog) add(stream, text string) {
	if text != "" {
		if text = protocol.CleanLogLine(text); text == "" {
			return
		}
	}
	text = protocol.TruncateLogLine(text)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines >= protocol.MaxLogLinesPerJob || l.bytes+len(text) > protocol.MaxLogBytesPerJob {
		l.skipped++
		return
	}
	l.lines++
	l.bytes += len(text)
	l.pending = append(l.pending, l.line(stream, text))
	if len(l.pending) >= flushLines {
		l.flushLocked()
	}
}

// skip counts n lines the job did not even produce because they were past
// the cap (find's matches beyond what the log keeps), so the closing
// "[N more lines not kept]" counts them too.
func (l *jobLog) skip(n int) {
	if n <= 0 {
		return
	}
	l.mu.Lock()
	l.skipped += n
	l.mu.Unlock()
}

func (l *jobLog) line(stream, text string) *protocol.LogStream {
	l.seq++
	return &protocol.LogStream{JobID: l.jobID, Seq: l.seq, TS: time.Now().UTC(), Stream: stream, Payload: text}
}

// flushLocked journals the pending lines. Lines the journal refuses are
// not retried (the job goes on, and later lines may fit again): they are
// counted, and the job's end says how many were lost and why.
func (l *jobLog) flushLocked() {
	if len(l.pending) == 0 {
		return
	}
	if _, err := l.store.Append(l.pending...); err != nil {
		if l.lost == 0 {
			l.lostCause = errorCause(err)
			l.log.Error("runner: the journal refused log lines; counting what is lost", "job_id", l.jobID, "lines", len(l.pending), "err", err)
		}
		l.lost += len(l.pending)
	}
	l.pending = l.pending[:0]
}

// close flushes what is pending and returns the closing lines: the cap
// marker "[N more lines not kept]" when lines were skipped, and, unless
// the job failed (its error says it then), "[N lines lost: <cause>]" when
// the journal refused some. lost and cause are for the job's error. Call
// it once the job's output has ended, before job.finished.
func (l *jobLog) close(failed bool) (tail []protocol.Payload, lost int, cause string) {
	l.stopOnce.Do(func() {
		close(l.stop)
		<-l.stopped
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	if l.skipped > 0 {
		tail = append(tail, l.line(protocol.StreamStderr, fmt.Sprintf("[%d more lines not kept]", l.skipped)))
	}
	if l.lost > 0 && !failed {
		tail = append(tail, l.line(protocol.StreamStderr, lostLinesText(l.lost, l.lostCause)))
	}
	return tail, l.lost, l.lostCause
}

func lostLinesText(n int, cause string) string { return fmt.Sprintf("[%d lines lost: %s]", n, cause) }

// errorCause is the short reason of a write failure ("no space left on
// device"), without the path around it.
func errorCause(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// throttle lets the first event through at once, then at most one per
// interval (restic 0.14 prints ~60 status lines a second).
type throttle struct {
	mu       sync.Mutex
	interval time.Duration
	last     time.Time
}

func (t *throttle) due(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.last.IsZero() && now.Sub(t.last) < t.interval {
		return false
	}
	t.last = now
	return true
}
