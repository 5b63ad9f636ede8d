package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"restic-manager/agent/journal"
	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// execution is one job while it runs: its log, progress throttle and what
// restic reported so far.
type execution struct {
	r        *Runner
	job      Job
	log      *jobLog
	progress throttle
	started  time.Time

	cfg  journal.Config
	repo restic.Repo
	// copyTo is a copy job's second repository: a killed restic may have
	// left a lock there too.
	copyTo *restic.Repo

	retries  int
	exitCode int  // of the last restic run; -1 until restic ran
	killed   bool // a restic outlived the grace period
}

// result is how a job's main part ended.
type result struct {
	err   error
	stats json.RawMessage
	repo  *protocol.RepoStats // facts the job learnt about the repository
}

func (r *Runner) runJob(ctx, jobCtx context.Context, st journal.JobState) {
	job := st.Job
	log := r.log.With("job_id", job.ID(), "kind", job.Run.Kind)
	defer r.source.unbind(job.ID()) // the source slot serves this job only

	if len(job.RunIfAnySucceeded) > 0 && !r.anySucceeded(job.RunIfAnySucceeded) {
		log.Info("runner: skipped, no backup of this fire succeeded")
		r.finish(ctx, log, job.ID(), ending{status: protocol.StatusCancelled, exitCode: -1, errText: protocol.SkipNoBackupSucceeded})
		return
	}
	if jobCtx.Err() != nil { // cancelled between claim and start
		if ctx.Err() == nil {
			r.finish(ctx, log, job.ID(), ending{status: protocol.StatusCancelled, exitCode: -1, errText: errCancelled.Error()})
		}
		return
	}

	ex := &execution{r: r, job: job, exitCode: -1, started: time.Now().UTC()}
	ex.progress.interval = r.interval
	started := &protocol.JobStarted{JobID: job.ID(), Kind: job.Run.Kind, StartedAt: ex.started, ScheduleID: job.ScheduleID}
	if err := r.appendRetrying(ctx, log, "job.started", started); err != nil {
		if ctx.Err() == nil {
			// The journal still says queued; the job must not be taken
			// again, nor block its schedule: it ends here, in memory.
			r.hold(log, &protocol.JobFinished{JobID: job.ID(), Status: protocol.StatusFailed, ExitCode: -1, FinishedAt: time.Now().UTC(),
				Error:     clip("the agent's journal could not record the start of this job (" + errorCause(err) + "); it did not run"),
				ErrorKind: protocol.ErrorKindOther}, err)
		}
		return
	}
	ex.log = newJobLog(r.store, job.ID(), log)
	log.Info("runner: job started", "schedule_id", job.ScheduleID)

	res := ex.run(jobCtx)

	if ctx.Err() != nil && res.err != nil {
		// The agent is stopping and interrupted restic. The journal still
		// says running, so the next start reports "agent restarted during
		// job" and clears stale locks.
		ex.log.close(true)
		log.Warn("runner: agent stopping during job")
		return
	}
	status := protocol.StatusSucceeded
	switch {
	case res.err != nil && errors.Is(context.Cause(jobCtx), errCancelled):
		status = protocol.StatusCancelled
	case res.err != nil:
		status = protocol.StatusFailed
	}
	if ex.killed && !runsBeside(job.Run) { // beside-jobs take no lock
		ex.unlockAfterKill(ctx)
	}
	if job.Run.PostHook != "" {
		ex.runPostHook(ctx, status)
	}
	e := ending{status: status, exitCode: ex.exitCode, stats: res.stats}
	e.tail, e.lost, e.cause = ex.log.close(status == protocol.StatusFailed)
	if res.err != nil {
		e.errText, e.errKind = res.err.Error(), restic.ErrorKind(res.err)
	}
	if status == protocol.StatusCancelled {
		e.errText = errCancelled.Error()
	}
	r.finish(ctx, log, job.ID(), e)
	r.afterJob(ctx, ex, res)
}

func (r *Runner) anySucceeded(ids []string) bool {
	for _, id := range ids {
		if s, ok, err := r.store.Status(id); err == nil && ok && s == protocol.StatusSucceeded {
			return true
		}
	}
	return false
}

// run is the job's main part: configuration and credentials, stale locks,
// pre-hook, then the kind's restic work.
func (ex *execution) run(ctx context.Context) result {
	cfg, repo, err := ex.repoFor()
	if err != nil {
		return result{err: err}
	}
	ex.cfg, ex.repo = cfg, repo

	kind := ex.job.Run.Kind
	// init and unlock need no clearing; find, a probe and a dry run
	// write nothing; a restore from another host's repository leaves that
	// repository as it found it.
	if kind != protocol.KindInit && kind != protocol.KindUnlock && kind != protocol.KindFind && !runsBeside(ex.job.Run) && !fromSource(ex.job) {
		ex.clearStaleLocks(ctx)
	}
	if hook := ex.job.Run.PreHook; hook != "" {
		if err := ex.runHook(ctx, "pre-hook", hook, nil); err != nil {
			return result{err: err}
		}
	}
	switch kind {
	case protocol.KindBackup:
		return ex.backup(ctx)
	case protocol.KindInit:
		return ex.init(ctx)
	case protocol.KindForget:
		return ex.forget(ctx)
	case protocol.KindPrune:
		return ex.prune(ctx)
	case protocol.KindCheck:
		return ex.check(ctx)
	case protocol.KindUnlock:
		return ex.unlock(ctx)
	case protocol.KindRestore:
		return ex.restore(ctx)
	case protocol.KindDiff:
		return ex.diff(ctx)
	case protocol.KindProbe:
		return ex.probe(ctx)
	case protocol.KindFind:
		return ex.find(ctx)
	case protocol.KindCopy:
		return ex.copy(ctx)
	}
	return result{err: fmt.Errorf("unknown job kind %q", kind)}
}

// repoFor is the job's configuration and the repository its restic opens:
// the source slot's for a restore from another host, else this host's
// with the job's credential slot.
func (ex *execution) repoFor() (journal.Config, restic.Repo, error) {
	if !fromSource(ex.job) {
		return ex.r.repoFor(credentialSlot(ex.job))
	}
	cfg, err := ex.r.store.Config()
	if err != nil {
		return cfg, restic.Repo{}, fmt.Errorf("read config: %w", err)
	}
	repo, ok := ex.r.source.of(ex.job.ID())
	if !ok {
		return cfg, restic.Repo{}, errSourceLost
	}
	return cfg, repo, nil
}

// restic runs one restic command on the job's repository. Lines restic
// prints go to onStdout (nil: the job log) and the job log; see
// resticCmd.
func (ex *execution) restic(ctx context.Context, args []string, onStdout func([]byte)) error {
	return ex.resticCmd(ctx, restic.Cmd{Args: args, Repo: ex.repo, Stdout: onStdout})
}

// resticCmd runs one restic command for the job: stdout to c.Stdout or
// c.StdoutStream (neither: the job log), stderr to c.Stderr (nil: the job
// log). A lock failure is retried up to the job's RetryMax, after
// RetryBackoff, each retry noted in the log.
func (ex *execution) resticCmd(ctx context.Context, c restic.Cmd) error {
	if c.Stdout == nil && c.StdoutStream == nil {
		c.Stdout = ex.stdoutLine
	}
	if c.Stderr == nil {
		c.Stderr = ex.stderrLine
	}
	c.Grace = ex.r.grace
	for {
		res, err := ex.r.restic.Run(ctx, c)
		if res.Started {
			ex.exitCode = res.ExitCode
		}
		if res.Killed {
			ex.killed = true
		}
		if !errors.Is(err, restic.ErrLocked) || ex.retries >= ex.job.RetryMax || ctx.Err() != nil {
			return err
		}
		ex.retries++
		holder := "another restic"
		if l, ok := restic.LockHolderOf(err); ok {
			holder = l.String()
		}
		ex.note(fmt.Sprintf("repository is locked by %s; retry %d of %d in %s", holder, ex.retries, ex.job.RetryMax, ex.job.RetryBackoff))
		if !sleepCtx(ctx, ex.job.RetryBackoff) {
			return err
		}
	}
}

func (ex *execution) stdoutLine(line []byte) { ex.log.add(protocol.StreamStdout, string(line)) }

// stdoutText adds lines the agent says for restic (a summary restic's
// --json mode does not print as text).
func (ex *execution) stdoutText(lines ...string) {
	for _, l := range lines {
		ex.log.add(protocol.StreamStdout, l)
	}
}
func (ex *execution) stderrLine(line []byte) { ex.log.add(protocol.StreamStderr, string(line)) }

// note is a line the agent itself adds to the job's log; an error's lines
// (a repository cause, then restic's line) become one.
func (ex *execution) note(text string) {
	ex.log.add(protocol.StreamStderr, "restic-agent: "+strings.ReplaceAll(text, "\n", "; "))
}

// sendProgress hands progress to the sink, at most once per interval.
func (ex *execution) sendProgress(p func() protocol.JobProgress) {
	if ex.progress.due(time.Now()) {
		ex.r.sink.Progress(p())
	}
}

// clearStaleLocks runs `restic unlock` (stale locks only) before the first
// job on a repository in this life of the agent, and whenever the journal
// says a restic was killed. A failure is noted and the job goes on; its own
// restic reports the real problem.
func (ex *execution) clearStaleLocks(ctx context.Context) {
	r := ex.r
	need, err := r.store.UnlockNeeded()
	if err != nil {
		r.log.Warn("runner: read unlock mark", "err", err)
	}
	r.mu.Lock()
	done := r.cleared[ex.repo.URL]
	r.mu.Unlock()
	if done && !need {
		return
	}
	if _, err := r.restic.Run(ctx, restic.Cmd{Args: restic.UnlockArgs(), Repo: ex.repo, Grace: r.grace}); err != nil {
		ex.note("could not clear stale locks before the job: " + err.Error())
		return
	}
	if need {
		ex.note("cleared stale locks left by an interrupted restic")
		if err := r.store.SetUnlockNeeded(false); err != nil {
			r.log.Warn("runner: clear unlock mark", "err", err)
		}
	}
	r.markCleared(ex.repo.URL)
}

func (r *Runner) markCleared(url string) {
	r.mu.Lock()
	r.cleared[url] = true
	r.mu.Unlock()
}

// unlockAfterKill removes the lock a killed restic left behind, so the
// repository is usable when job.finished arrives. The journal mark stays
// until it worked, so a crash here still unlocks before the next job.
func (ex *execution) unlockAfterKill(ctx context.Context) {
	r := ex.r
	if err := r.store.SetUnlockNeeded(true); err != nil {
		r.log.Warn("runner: set unlock mark", "err", err)
	}
	if ex.copyTo != nil {
		if _, err := r.restic.Run(ctx, restic.Cmd{Args: restic.UnlockArgs(), Repo: *ex.copyTo, Grace: r.grace}); err != nil {
			ex.note("restic had to be killed and its lock in the second repository could not be removed yet: " + err.Error())
		}
	}
	if _, err := r.restic.Run(ctx, restic.Cmd{Args: restic.UnlockArgs(), Repo: ex.repo, Grace: r.grace}); err != nil {
		ex.note("restic had to be killed and its lock could not be removed yet: " + err.Error())
		return
	}
	ex.note("restic had to be killed; its stale lock was removed")
	if err := r.store.SetUnlockNeeded(false); err != nil {
		r.log.Warn("runner: clear unlock mark", "err", err)
	}
}

func (ex *execution) runPostHook(ctx context.Context, status string) {
	r := ex.r
	// The post-hook always runs, also after a cancel: it gets its own
	// context, which a further Cancel interrupts.
	postCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.mu.Lock()
	if a := r.activeLocked(ex.job.ID()); a != nil {
		a.cancel = cancel
	}
	r.mu.Unlock()
	env := []string{"RM_JOB_STATUS=" + status}
	if err := ex.runHook(postCtx, "post-hook", ex.job.Run.PostHook, env); err != nil {
		ex.note(err.Error())
	}
}
