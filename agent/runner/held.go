package runner

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"restic-manager/protocol"
)

// appendRetrying journals events, writing them again after a failure up
// to JournalRetries times, JournalRetryWait apart and doubling: a full
// disk often frees up again within seconds (a log rotated, a cache
// cleaned). It gives up early when the agent is stopping.
func (r *Runner) appendRetrying(ctx context.Context, log *slog.Logger, what string, events ...protocol.Payload) error {
	wait := r.retryGap
	for attempt := 1; ; attempt++ {
		_, err := r.store.Append(events...)
		if err == nil || attempt > r.retries {
			return err
		}
		log.Warn("runner: the journal refused "+what+"; writing it again", "attempt", attempt, "retry_in", wait, "err", err)
		if !sleepCtx(ctx, wait) {
			return err
		}
		wait *= 2
	}
}

// hold ends a job whose end (or start) the journal could not record: the
// job is failed in memory, so it neither blocks the queue nor keeps its
// schedule's later ticks from firing, and its job.finished waits in
// memory until a journal write works again (flushHeld), when it goes to
// the manager like any other. The host's log on the manager hears of it
// on the next connection. A restart before that loses the held event; the
// journal then still says running, and the job is reported as
// "agent restarted during job".
func (r *Runner) hold(log *slog.Logger, fin *protocol.JobFinished, cause error) {
	r.heldMu.Lock()
	r.held = append(r.held, fin)
	r.heldMu.Unlock()
	log.Error("runner: the journal cannot record the job's end; the job ended failed, and its job.finished waits until the journal is writable again",
		"error", fin.Error, "err", cause)
	r.sink.Notice(fmt.Sprintf("job %s ended failed, but the agent's journal could not record it (%v); its job.finished follows once the journal is writable again", fin.JobID, errorCause(cause)))
	r.kick()
}

// isHeld reports whether a job ended in memory (see hold).
func (r *Runner) isHeld(jobID string) bool {
	r.heldMu.Lock()
	defer r.heldMu.Unlock()
	return slices.ContainsFunc(r.held, func(f *protocol.JobFinished) bool { return f.JobID == jobID })
}

// flushHeld journals the held job ends, all in one transaction, before any
// new write of the runner (so they keep their order) and on a timer while
// idle. It reports whether nothing is held any more.
func (r *Runner) flushHeld() bool {
	r.heldMu.Lock()
	defer r.heldMu.Unlock()
	if len(r.held) == 0 {
		return true
	}
	events := make([]protocol.Payload, len(r.held))
	for i, f := range r.held {
		events[i] = f
	}
	if _, err := r.store.Append(events...); err != nil {
		r.log.Debug("runner: the journal still refuses the held job ends", "jobs", len(r.held), "err", err)
		return false
	}
	r.log.Info("runner: the journal is writable again; the held job ends are recorded", "jobs", len(r.held))
	r.held = nil
	return true
}

// ending is how a job ends: what job.finished says, and the closing log
// lines that go into the same transaction.
type ending struct {
	status   string
	exitCode int
	stats    []byte
	errText  string
	errKind  string             // error_kind of a failed job
	tail     []protocol.Payload // closing log lines
	lost     int                // log lines the journal refused
	cause    string             // why it refused them
}

// finishText is job.finished's error: the job's own error, and, when the
// job failed and log lines were lost, how many and why. The text is cut to
// what the wire allows.
func (e ending) finishText() string {
	text := e.errText
	if e.lost > 0 && e.status == protocol.StatusFailed {
		text = joinErr(text, fmt.Sprintf("%d log lines lost: %s", e.lost, e.cause))
	}
	return clip(text)
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func clip(text string) string { return protocol.TruncateText(text, protocol.MaxTextLen) }

// finish journals the job's closing log lines and its job.finished in one
// transaction (a log that says lines were lost never lacks its end, nor
// the other way round), writing again after a failure; when the journal
// stays unwritable the job ends failed in memory (hold), with what the
// job itself came to in the error.
func (r *Runner) finish(ctx context.Context, log *slog.Logger, jobID string, e ending) {
	r.source.unbind(jobID) // gone before anyone hears the job ended
	fin := &protocol.JobFinished{JobID: jobID, Status: e.status, ExitCode: e.exitCode, FinishedAt: time.Now().UTC(),
		Stats: e.stats, Error: e.finishText(), ErrorKind: e.kind()}
	events := append(e.tail, fin)
	err := r.appendRetrying(ctx, log, "job.finished", events...)
	if err == nil {
		log.Info("runner: job finished", "status", e.status, "exit_code", e.exitCode, "error", fin.Error)
		return
	}
	if ctx.Err() != nil {
		// Stopping: the journal still says running, and the next start
		// reports "agent restarted during job".
		log.Warn("runner: agent stopping before the job's end was recorded", "err", err)
		return
	}
	outcome := "the job itself " + e.status
	if e.errText != "" {
		outcome += ": " + e.errText
	}
	text := fmt.Sprintf("the agent's journal could not record the end of this job (%s); %s", errorCause(err), outcome)
	if e.lost > 0 {
		text += fmt.Sprintf("; %d log lines lost: %s", e.lost, e.cause)
	}
	r.hold(log, &protocol.JobFinished{JobID: jobID, Status: protocol.StatusFailed, ExitCode: e.exitCode, FinishedAt: fin.FinishedAt,
		Stats: e.stats, Error: clip(text), ErrorKind: protocol.ErrorKindOther}, err)
}

// kind is job.finished's error_kind: the cause of a failed job ("other"
// when nothing more precise is known), nothing for one that did not fail.
func (e ending) kind() string {
	if e.status != protocol.StatusFailed {
		return ""
	}
	if e.errKind == "" {
		return protocol.ErrorKindOther
	}
	return e.errKind
}
