package runner

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"restic-manager/protocol"
)

// jobLog journals one job's log lines as log.stream events: each line cut
// to 16 KiB, numbered from 1, at most MaxLogLinesPerJob lines and
// MaxLogBytesPerJob bytes per job. Past the cap it counts what it skips and,
// at close, journals one "[N more lines not kept]" line. Lines are appended
// in batches (a few per fsync) and flushed at least every flushEvery, so a
// live log stays live without one bbolt commit per line.
type jobLog struct {
	store Store
	jobID string
	log   *slog.Logger

	mu       sync.Mutex
	seq      uint64
	lines    int
	bytes    int
	skipped  int
	pending  []protocol.Payload
	failed   bool
	stop     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
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

// add journals one line (eventually) unless the job's cap is reached.
func (l *jobLog) add(stream, text string) {
	text = protocol.TruncateLogLine(text)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines >= protocol.MaxLogLinesPerJob || l.bytes+len(text) > protocol.MaxLogBytesPerJob {
		l.skipped++
		return
	}
	l.lines++
	l.bytes += len(text)
	l.push(stream, text)
	if len(l.pending) >= flushLines {
		l.flushLocked()
	}
}

func (l *jobLog) push(stream, text string) {
	l.seq++
	l.pending = append(l.pending, &protocol.LogStream{JobID: l.jobID, Seq: l.seq, TS: time.Now().UTC(), Stream: stream, Payload: text})
}

func (l *jobLog) flushLocked() {
	if len(l.pending) == 0 {
		return
	}
	if _, err := l.store.Append(l.pending...); err != nil && !l.failed {
		// The job still runs and still ends with job.finished; only these
		// lines are lost. Say it once.
		l.failed = true
		l.log.Error("runner: journal log lines", "job_id", l.jobID, "lines", len(l.pending), "err", err)
	}
	l.pending = l.pending[:0]
}

// close flushes what is pending and journals the cap marker when lines were
// skipped. Call it before job.finished; it is idempotent.
func (l *jobLog) close() {
	l.stopOnce.Do(func() {
		close(l.stop)
		<-l.stopped
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.skipped > 0 {
			l.push(protocol.StreamStderr, fmt.Sprintf("[%d more lines not kept]", l.skipped))
		}
		l.flushLocked()
	})
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
